"""The API's per-user rate limit, counted in O(1).

DRF's ``UserRateThrottle`` keeps the time of every request of the window in one cache entry and reads,
trims, pickles and writes that whole list on every request: at the portal's 6000 requests an hour a busy
device's entry holds thousands of floats. This throttle counts requests in fixed windows with one atomic
INCR (and the window's expiry) in a single Redis round trip: same rate strings, same 429 with Retry-After."""

import time
from functools import lru_cache

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework import throttling


@lru_cache(maxsize=1)
def _redis_client():
    """The cache's Redis client, made once per process (Django makes a new client object on every cache call;
    redis-py clients are thread-safe and share the backend's connection pool). None for other caches."""
    backend = caches["default"]
    return backend._cache.get_client(write=True) if isinstance(backend, RedisCache) else None


def _count(key: str, ttl: int) -> int:
    """Add one to ``key`` (created with ``ttl`` seconds to live) and return the new count."""
    client = _redis_client()
    if client is not None:
        pipe = client.pipeline(transaction=False)  # one round trip; INCR is atomic on its own
        raw_key = cache.make_key(key)
        pipe.incr(raw_key)
        pipe.expire(raw_key, ttl, nx=True)
        return int(pipe.execute()[0])
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
        if _count(f"{self.key}:{window}", self.duration + 1) > self.num_requests:
            self.wait_seconds = max(1, int((window + 1) * self.duration - now + 0.999))
            return False
        return True

    def wait(self):
        return self.wait_seconds
