"""The cache on Redis, failing soft: the portal keeps serving from PostgreSQL while Redis is down or hung.

Everything the portal keeps in the cache can be recomputed (dashboard figures, the two-factor policy switch, the
workers' heartbeat) or may be skipped for a while (rate-limit counters: the limit fails open). So when Redis does
not answer, a read is a miss and a write is dropped instead of a 500. Short socket timeouts (settings
``REDIS_CONNECT_TIMEOUT`` and ``REDIS_SOCKET_TIMEOUT``) bound what one call can cost; after a failure the process
leaves Redis alone for ``REDIS_RETRY_AFTER`` seconds (``redis_down``), so a hung Redis costs one timeout per
process and interval, not one per cache call. The failure is logged once per interval, not once per request.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("renovation_portal.redis")

# Per Redis server (its URL): until when to leave it alone, and when its failure was last logged.
_down_until: dict[str, float] = {}
_logged_at: dict[str, float] = {}
_lock = threading.Lock()


def redis_down(server: str) -> bool:
    """True while a recent failure of this Redis server says to leave it alone in this process."""
    return time.monotonic() < _down_until.get(server, 0.0)


def redis_failed(server: str, error: Exception, what: str) -> None:
    """Record a failed call to this Redis server: skip it for a while, and log at most once per interval."""
    retry_after = getattr(settings, "REDIS_RETRY_AFTER", 10)
    now = time.monotonic()
    with _lock:
        _down_until[server] = now + retry_after
        if now - _logged_at.get(server, float("-inf")) < retry_after:
            return
        _logged_at[server] = now
    logger.warning(
        "Redis unavailable (%s: %s) for %s; the portal carries on without it and retries in %s s",
        error.__class__.__name__,
        error,
        what,
        retry_after,
    )


def redis_recovered(server: str) -> None:
    _down_until.pop(server, None)


def redis_errors() -> tuple[type[Exception], ...]:
    """What a Redis call raises when the server is unreachable, hung or refusing."""
    import redis

    return (redis.RedisError, OSError)


class FailSoftRedisCache(RedisCache):
    """Django's Redis cache where an unreachable Redis is a miss (reads) or a no-op (writes), never an error."""

    @property
    def server(self) -> str:
        return self._servers[0]

    def _guard(self, what, default, call, *args, **kwargs):
        if redis_down(self.server):
            return default
        try:
            return call(*args, **kwargs)
        except redis_errors() as error:
            redis_failed(self.server, error, f"the cache ({what})")
            return default

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("add", False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guard("get", default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set", None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard("delete", False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._guard("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guard("has_key", False, super().has_key, key, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set_many", [], super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guard("delete_many", None, super().delete_many, keys, version)

    def clear(self):
        return self._guard("clear", False, super().clear)

    def incr(self, key, delta=1, version=None):
        """A counter cannot be invented: while Redis is away ``incr`` raises ValueError, as for a missing key."""
        if redis_down(self.server):
            raise ValueError(f"Key '{key}' not found (Redis unavailable).")
        try:
            return super().incr(key, delta, version)
        except redis_errors() as error:
            redis_failed(self.server, error, "the cache (incr)")
            raise ValueError(f"Key '{key}' not found (Redis unavailable).") from error
