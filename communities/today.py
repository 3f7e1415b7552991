"""The shape of the home page's "today" list (今日待办), shared by the web page and ``GET /api/v1/today/``.

Each app above this one contributes its own sections through ``communities.selectors.register_home_section``:
``section(user, scope)`` returns a list of ``TodaySection`` (empty when the user's roles have nothing there).
A section is one query whatever its number of rows: ``section_rows`` reads the first rows and the total count
together (a window count), so a home is a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Window

# How many items a section lists; the count says how many there are, and ``more_url`` leads to all of them.
ITEM_LIMIT = 10

TODO = "todo"  # something to do: counted in the day's total and the empty state
SUMMARY = "summary"  # a summary with a link (an official's dashboard): never a to-do

# The tones an item's flag takes (Bootstrap's text-bg-* colours).
DANGER, WARNING, INFO, SECONDARY = "danger", "warning", "info", "secondary"


@dataclass(frozen=True)
class TodayItem:
    """One thing to do, one tap from the page where it is done."""

    title: str
    url: str
    detail: str = ""  # where and when, in one line
    due: date | datetime | None = None
    flag: str = ""  # a short label: "overdue", "sent back", "today"
    tone: str = SECONDARY


@dataclass(frozen=True)
class TodayFigure:
    key: str
    label: str
    value: int


@dataclass(frozen=True)
class TodaySection:
    """A list of things of one kind (inspections today and tomorrow, issues to rectify, minutes due ...)."""

    key: str  # stable: the mobile client and the tests know sections by it
    title: str
    count: int
    items: tuple[TodayItem, ...] = ()
    more_url: str = ""
    kind: str = TODO
    figures: tuple[TodayFigure, ...] = ()
    position: int = 50  # order on the page: smaller first


def section_rows(queryset, limit: int = ITEM_LIMIT) -> tuple[list, int]:
    """The first ``limit`` rows of an ordered queryset and the number of all its rows, in one query."""
    rows = list(queryset.annotate(today_total=Window(expression=Count("pk")))[:limit])
    return rows, (rows[0].today_total if rows else 0)


def todo_total(sections) -> int:
    return sum(section.count for section in sections if section.kind == TODO)
