"""Prepared statements for the plain-SQL reads every request makes: the API token's sign-in and the dashboards'
figures.

PostgreSQL plans a statement each time it receives one. For the dashboards' reads, planning cost as much as
running: a district's board spent ≈ 1.3 ms of its ≈ 2.5 ms of statements in the planner, a province's ≈ 2.2 ms
(``EXPLAIN (ANALYZE, SUMMARY)``, BENCHMARKS.md). ``execute`` sends such a read as ``EXECUTE`` of a statement it
prepared on the connection the first time it saw it there, so PostgreSQL parses it once per connection, and plans
it once when a generic plan costs no more than the custom ones (``plan_cache_mode = auto``: it keeps planning per
call where the parameters' values matter, e.g. the meetings still to come after a time).

- The placeholders (``%(name)s`` or ``%s``) become ``$1``, ``$2``, …, each typed from its value; a value of
  another type (``None``, an empty list) sends the statement as it is.
- ``PREPARE`` runs on the raw connection, as Django runs its own set-up statements (the time zone): a query count
  sees one statement per read, prepared or not, and the read itself (``EXECUTE name (…)``) is logged as usual;
  ``statement_text`` gives back its text.
- Which statements a connection holds is kept per raw connection: a new connection (``DB_CONN_MAX_AGE``, a
  dropped one) prepares again. If the server lost them (a pooler's ``DISCARD ALL``) or a migration changed what
  one returns, the read prepares again and is retried, outside a transaction.
- Off with ``DB_PREPARED_STATEMENTS=0``: behind a pooler in transaction mode, where consecutive statements may reach
  different server sessions (docs/deployment.md). On SQLite (the demo) statements always go as they are.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.db import DatabaseError

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")
_EXECUTE = re.compile(r"EXECUTE (p_[0-9a-f]{24})\b")
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # raw connection → names prepared on it
_TEXTS: dict[str, str] = {}  # name → statement text (``statement_text``)


@lru_cache(maxsize=1024)
def _numbered(sql: str) -> tuple[str, tuple] | None:
    """``sql`` with its placeholders numbered, and what each number takes: the parameter's name, or its position.
    None when named and positional placeholders are mixed."""
    order: list = []
    numbers: dict = {}
    kinds = set()

    def number(match) -> str:
        if match.group(0) == "%%":
            return "%%"  # still a literal % for the driver's formatting of the EXECUTE's values
        name = match.group(1)
        kinds.add(name is None)
        if name is None:
            order.append(len(order))
            return f"${len(order)}"
        if name not in numbers:
            order.append(name)
            numbers[name] = len(order)
        return f"${numbers[name]}"

    text = _PLACEHOLDER.sub(number, sql)
    return None if len(kinds) > 1 else (text, tuple(order))


def _type(value) -> str | None:
    kind = type(value)
    if kind is int:
        return "bigint"
    if kind is str:
        return "text"
    if kind is datetime:
        return "timestamptz"
    if kind is date:
        return "date"
    if kind is bool:
        return "boolean"
    if kind is Decimal:
        return "numeric"
    if kind is list and value and all(type(item) is int for item in value):
        return "bigint[]"
    return None


@lru_cache(maxsize=1024)
def _statement(text: str, types: tuple[str, ...]) -> tuple[str, str, str]:
    """The statement's name, its PREPARE (the text's ``%%`` made single: it is sent without values) and its EXECUTE
    (``%s`` for each value)."""
    name = "p_" + hashlib.md5(f"{text}|{','.join(types)}".encode()).hexdigest()[:24]
    _TEXTS[name] = text
    typed = f" ({', '.join(types)})" if types else ""
    prepare = f"PREPARE {name}{typed} AS {text.replace('%%', '%')}"
    call = f"EXECUTE {name} ({', '.join(['%s'] * len(types))})" if types else f"EXECUTE {name}"
    return name, prepare, call


def _prepared_call(sql: str, params) -> tuple[str, str, str, list] | None:
    """``sql`` as (name, PREPARE, EXECUTE, values), or None where it goes as it is: named and positional
    placeholders mixed, a value missing, or a value without a type."""
    numbered = _numbered(sql)
    if numbered is None:
        return None
    text, order = numbered
    if isinstance(params, dict):
        values = [params[name] for name in order]
    else:
        values = list(params or ())
        if len(values) != len(order):
            return None  # the driver says what is wrong
    types = tuple(_type(value) for value in values)
    if None in types:
        return None
    return (*_statement(text, types), values)


def execute(cursor, sql: str, params=None) -> None:
    """``cursor.execute(sql, params)`` for a Django cursor, as a statement prepared on its connection."""
    db = cursor.db
    found = _prepared_call(sql, params) if db.vendor == "postgresql" and settings.DB_PREPARED_STATEMENTS else None
    if found is None:
        cursor.execute(sql, params)
        return
    name, prepare, call, values = found
    raw = db.connection  # open: the cursor is
    held = _PREPARED.setdefault(raw, set())
    if name not in held:
        _run_raw(raw, prepare)
        held.add(name)
    try:
        cursor.execute(call, values)
    except DatabaseError as error:
        # The server no longer holds it (26000: a pooler reset the session), or a migration changed the columns it
        # returns (0A000, "cached plan must not change result type"): prepare again and retry, where the failed
        # statement has not aborted a transaction.
        code = getattr(error.__cause__, "pgcode", None)
        if code not in ("26000", "0A000") or db.in_atomic_block:
            raise
        if code == "26000":
            held.clear()
        else:
            _run_raw(raw, f"DEALLOCATE {name}")
        _run_raw(raw, prepare)
        held.add(name)
        cursor.execute(call, values)


def _run_raw(raw, sql: str) -> None:
    """Connection set-up on the driver's connection: not logged, not counted as a request's query."""
    with raw.cursor() as cursor:
        cursor.execute(sql)


def statement_text(sql: str) -> str:
    """A logged statement's SQL, with each ``EXECUTE p_…`` of ``execute`` replaced by the text it runs (tests read
    which tables a request touched)."""
    return _EXECUTE.sub(lambda match: _TEXTS.get(match.group(1), match.group(0)), sql)
