"""Reads on a streaming replica (``DATABASE_REPLICA_URL``), without anyone missing what they just saved.

A province- or nation-wide deployment runs out of one PostgreSQL server's read capacity long before its writes
(dashboards, lists, exports and the phones' syncs are nearly all reads). With a replica configured
(``settings.READ_REPLICA`` names its alias):

- a safe request (GET, HEAD, OPTIONS) reads from the replica — the router below sends every ORM read there while
  the request's state says so; a streamed export keeps reading there until its last row is sent;
- unless its user wrote something within ``READ_YOUR_WRITES_SECONDS`` (default 5 s; a replica lags the primary by
  milliseconds normally, by seconds under a burst of writes): then the whole request reads from the primary. A
  successful non-safe request (and any request that wrote) leaves a stamp in the cache for its user and for its
  API token, so the phone that closed an issue and the same user's browser both see the issue closed;
- writes always go to the primary, and once a request has written (an INSERT, UPDATE or DELETE ran), its later
  reads too;
- a read inside an atomic block goes to the primary (it must see the block's own writes and locks);
- credentials are always read on the primary (sessions, API tokens, login lockouts, one-time-password devices,
  idempotency keys), so a token just issued works and one just revoked stops working at once;
- everything outside a request — Celery sweeps, management commands — reads from the primary unless it asks for
  the replica with ``reading_from_replica()``.

If the cache cannot be reached, nobody can be known not to have written: every request reads from the primary.
Without ``DATABASE_REPLICA_URL`` the middleware passes every request through and the router routes nothing, so
everything reads and writes the one database as before. Layer 0: imports no app.
"""

from __future__ import annotations

import hashlib
import math
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

from renovation_portal.cache import redis_down

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Read on the primary whatever the request: what decides who is signed in and what a retried POST already did.
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "django_otp", "otp_totp"})
PRIMARY_ONLY_MODELS = frozenset({"communities.apitoken", "renovation_portal.idempotencykey"})
PIN_KEY_PREFIX = "read-your-writes:"


@dataclass
class ReadState:
    """Where this request (or this block of background work) reads: ``alias`` is the replica's, or None for the
    primary; ``wrote`` turns true at its first write, after which it reads from the primary."""

    alias: str | None
    wrote: bool = False


_state: ContextVar[ReadState | None] = ContextVar("portal_read_state", default=None)


def current_read_alias() -> str | None:
    """The replica this context reads from now, or None for the primary (for tests and the benchmark)."""
    state = _state.get()
    return state.alias if state is not None and not state.wrote else None


WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "MERGE")


class _WriteWatch:
    """An execute wrapper on the primary's connection: its first INSERT, UPDATE or DELETE marks the state as
    having written. (The router's ``db_for_write`` cannot tell: Django also asks it where to *read* for
    ``get_or_create``, ``select_for_update`` and the like.)"""

    def __init__(self, state: ReadState):
        self.state = state

    def __call__(self, execute, sql, params, many, context):
        if not self.state.wrote and sql.lstrip()[:6].upper().startswith(WRITE_STATEMENTS):
            self.state.wrote = True
        return execute(sql, params, many, context)


@contextmanager
def _routed(state: ReadState):
    previous = _state.set(state)
    try:
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(_WriteWatch(state)):
            yield state
    finally:
        _state.reset(previous)


@contextmanager
def reading_from_replica():
    """Background work that may read a few seconds' old data (a report over last month) reads from the replica
    (until it writes something)."""
    with _routed(ReadState(settings.READ_REPLICA or None)):
        yield


def _in_transaction() -> bool:
    return connections[DEFAULT_DB_ALIAS].in_atomic_block


class ReplicaRouter:
    """Database router: reads to the replica while the current request's state allows it, all else to the
    primary. Routes nothing (Django's default: the one database) without a replica."""

    def db_for_read(self, model, **hints):
        state = _state.get()
        if state is None or state.alias is None:
            return None
        # No deference to hints["instance"]: the signed-in user comes from the primary (credentials), and their
        # roles and scope may come from the replica like everything else this request reads.
        meta = model._meta
        if state.wrote or meta.app_label in PRIMARY_ONLY_APPS or meta.label_lower in PRIMARY_ONLY_MODELS:
            return DEFAULT_DB_ALIAS
        if _in_transaction():
            return DEFAULT_DB_ALIAS
        return state.alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows: an object read there may point at one read here

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return None if db == DEFAULT_DB_ALIAS else False  # a replica replays the primary's schema


def _pin_keys(request) -> set[str]:
    """The cache keys that say "wrote a moment ago" for this request: its signed-in user's and its API token's
    (hashed: the key itself never reaches the cache)."""
    keys = set()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        keys.add(f"{PIN_KEY_PREFIX}user:{user.pk}")
    authorization = request.META.get("HTTP_AUTHORIZATION")
    if authorization:
        keys.add(f"{PIN_KEY_PREFIX}auth:{hashlib.sha256(authorization.encode()).hexdigest()}")
    return keys


def _cache_unavailable() -> bool:
    server = getattr(cache, "server", None)  # renovation_portal.cache.FailSoftRedisCache
    return server is not None and redis_down(server)


def wrote_recently(keys: set[str]) -> bool:
    """True when one of these keys wrote within READ_YOUR_WRITES_SECONDS, or when the cache cannot tell."""
    if not keys:
        return False
    stamps = cache.get_many(list(keys))
    if _cache_unavailable():
        return True
    window = settings.READ_YOUR_WRITES_SECONDS
    return any(time.time() - stamp < window for stamp in stamps.values())


def note_write(keys: set[str]) -> None:
    if keys:
        cache.set_many(dict.fromkeys(keys, time.time()), timeout=math.ceil(settings.READ_YOUR_WRITES_SECONDS) + 1)


class ReplicaReadsMiddleware:
    """Decide for each request whether it reads from the replica (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        replica = settings.READ_REPLICA
        if not replica:
            return self.get_response(request)
        keys = _pin_keys(request)
        safe = request.method in SAFE_METHODS
        with _routed(ReadState(replica if safe and not wrote_recently(keys) else None)) as state:
            response = self.get_response(request)
        if state.wrote or (not safe and response.status_code < 400):
            # After the view: the user who just signed in, the API token's user (DRF sets request.user).
            note_write(keys | _pin_keys(request))
        if response.streaming and state.alias is not None and not state.wrote:
            # A streamed export reads its rows while it is sent, after this returns: keep reading from the replica
            # until then (the response's close() ends it).
            _state.set(ReadState(state.alias))
            response._resource_closers.append(lambda: _state.set(None))
        return response
