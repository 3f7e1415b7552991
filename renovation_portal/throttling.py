"""The API's per-user rate limit, counted in O(1).

DRF's ``UserRateThrottle`` keeps the time of every request of the window in one cache entry and reads,
trims, pickles and writes that whole list on every request: at the portal's 6000 requests an hour a busy
device's entry holds thousands of floats. This throttle counts requests in fixed windows with one atomic
INCR (and the window's expiry) in a single Redis round trip: same rate strings, same 429 with Retry-After."""

import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework import throttling

from renovation_portal.cache import redis_down, redis_errors, redis_failed


def _redis_backend():
    """The default cache when it is Redis, else None (the demo's local memory)."""
    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


def _redis_client(backend):
    """The cache's Redis client, made once per cache object (Django makes a new client object on every cache
    call; redis-py clients are thread-safe and share the backend's connection pool)."""
    client = getattr(backend, "_throttle_client", None)
    if client is None:
        client = backend._throttle_client = backend._cache.get_client(write=True)
    return client


def _count(key: str, ttl: int) -> int | None:
    """Add one to ``key`` (created with ``ttl`` seconds to live) and return the new count; None when Redis is
    unavailable — the limit then fails open (logged, at most once per interval), since refusing every request
    would take the portal down with its cache."""
    backend = _redis_backend()
    if backend is not None:
        server = backend._servers[0]
        if redis_down(server):
            return None
        try:
            pipe = _redis_client(backend).pipeline(transaction=False)  # one round trip; INCR is atomic on its own
            raw_key = cache.make_key(key)
            pipe.incr(raw_key)
            pipe.expire(raw_key, ttl, nx=True)
            return int(pipe.execute()[0])
        except redis_errors() as error:
            redis_failed(server, error, "the rate limit (not enforced meanwhile)")
            return None
    cache.add(key, 0, ttl)  # other caches (the demo's local memory)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, ttl)
        return 1


class UserRateThrottle(throttling.UserRateThrottle):
    """``DEFAULT_THROTTLE_RATES["user"]`` per user (per IP for anonymous requests), in fixed windows."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        count = _count(f"{self.key}:{window}", self.duration + 1)
        if count is not None and count > self.num_requests:
            self.wait_seconds = max(1, int((window + 1) * self.duration - now + 0.999))
            return False
        return True

    def wait(self):
        return self.wait_seconds


def parse_rate(rate: str) -> tuple[int, int]:
    """``"60/minute"`` → (60, 60): requests and the window's seconds, as DRF's rate strings."""
    number, period = rate.split("/")
    return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def over_limit(key: str, rate: str, *, count: bool = True) -> int | None:
    """Count one request against ``rate`` under ``key`` in fixed windows — or, with ``count=False``, only look
    whether the window's count has reached the limit. Returns the seconds until the window ends when over it,
    else None; None too while Redis is unavailable (the limit fails open)."""
    number, duration = parse_rate(rate)
    now = time.time()
    window = int(now // duration)
    if count:
        current = _count(f"{key}:{window}", duration + 1)
        over = current is not None and current > number
    else:
        current = cache.get(f"{key}:{window}")  # the cache fails soft: a miss while Redis is down
        over = current is not None and int(current) >= number
    return max(1, int((window + 1) * duration - now + 0.999)) if over else None


def client_address(request) -> str:
    """The client's address: the connection's, or behind a proxy (``BEHIND_PROXY``) the one the proxy appended
    last to X-Forwarded-For (earlier entries are whatever the client sent)."""
    from django.conf import settings

    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
