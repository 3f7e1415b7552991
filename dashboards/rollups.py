"""The dashboards' rollups (``dashboards.models``): the triggers that keep them, their rebuild, their check, and
the reads of ``figures.py``.

Each source table (issues, projects, scope items, planned funding, funding entries, compounds) has one *emit*
query: for each of its rows, the figures the row adds to (``figure``, ``key``, ``value``) at its district (and, for
the drill-down table's ``child.*`` figures, at its subdistrict). The same text serves
- the triggers (PostgreSQL, statement level, with transition tables): the rows a statement inserted add, the rows
  it deleted subtract, an update does both (only for rows whose counted columns changed); one upsert per
  statement, in key order, in the writer's own transaction — a change shows on the next request;
- the rebuild (``rebuild_rollups``, the migration's backfill): the emit over the whole table, summed;
- the check (``verify_rollups``): the rebuild into temporary tables, compared row by row.

On SQLite (the demo) there are no triggers: the dashboards compute live, as they always did (``enabled()``).

Moving a place (a compound to another community, a community to another subdistrict, …) is not followed by the
triggers: run ``manage.py rebuild_rollups`` after such a move (``verify_rollups`` finds it).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction

from dashboards import areas as area_sql
from dashboards.sql import (
    AREA_OF,
    DISTRICTS,
    _delta,
    _reading,
    _upsert,
    drop_statement_triggers,
    rows_of,
    statement_triggers,
)
from renovation_portal import prepared

FIGURE = "dashboards_placefigure"
DUE = "dashboards_placedue"
DAY = "dashboards_placeday"  # the governance row by day (``dashboards/daily.py``)
CLOCK = "dashboards_rollupclock"
AREA_TABLES = (area_sql.AREA, area_sql.AREA_DAY, area_sql.SCORE, area_sql.KIND)
STARTED = "('construction', 'completion_acceptance', 'handed_over')"
OPEN = "('planning', 'survey_design', 'plan_confirmation', 'construction', 'completion_acceptance', 'suspended')"


def _place(project_id: str) -> str:
    """From a project id to its district and subdistrict (``sd.district_id``, ``sd.id``)."""
    return (
        f"JOIN projects_project p ON p.id = {project_id} "
        "JOIN communities_compound c ON c.id = p.compound_id "
        "JOIN communities_community cm ON cm.id = c.community_id "
        "JOIN communities_subdistrict sd ON sd.id = cm.subdistrict_id"
    )


def _emit(rows: str, join: str, values: list[tuple[str, str, str, str]], where: str = "TRUE") -> str:
    # A figure is a name, or an SQL expression when it starts with a quote ('fund.' || r.stage).
    tuples = ",\n  ".join(
        f"({sub}, {figure if figure.startswith(chr(39)) else repr(figure)}, {key}, ({value})::numeric)"
        for sub, figure, key, value in values
    )
    return (
        f"SELECT sd.district_id, f.sub, f.figure, f.key, f.value FROM {rows} r {join} "
        f"CROSS JOIN LATERAL (VALUES\n  {tuples}\n) AS f(sub, figure, key, value) WHERE ({where}) AND f.value <> 0"
    )


def _tz() -> str:
    return settings.TIME_ZONE.replace("'", "")


CLOCK_DAY = f"(SELECT day FROM {CLOCK} WHERE id = 1)"
CONTRACTOR = "coalesce(r.contractor_id::text, '')"


# The three-tier inspection regime counts its own issues; an aftercare patrol's findings (also rectification issues,
# filed after handover) have their own figures (``patrol.*``) and count in none of the regime's.
INSPECTION = "r.origin = 'inspection'"
PATROL = "r.origin = 'patrol'"


def issue_figures(rows: str) -> str:
    closed, unclosed = "r.status = 'closed'", "r.status <> 'closed'"
    named = "r.contractor_id IS NOT NULL"
    late = f"{unclosed} AND r.deadline < {CLOCK_DAY}"
    # Every figure but the warranty's and the patrols' counts the inspections' issues only.
    ins = INSPECTION
    return _emit(
        rows,
        _place("r.project_id"),
        [
            ("0", "issue.total", "r.tier::text", f"({ins})::int"),
            ("0", "issue.open", "r.tier::text", f"({ins} AND r.status = 'open')::int"),
            ("0", "issue.submitted", "r.tier::text", f"({ins} AND r.status = 'submitted')::int"),
            ("0", "issue.closed", "r.tier::text", f"({ins} AND {closed})::int"),
            (
                "0",
                "issue.rectify_s",
                "r.tier::text",
                # Whole seconds: the rollup keeps two decimals, and a sum of rounded microseconds drifts from a recount by a cent.
                f"CASE WHEN {ins} AND {closed} THEN round(EXTRACT(EPOCH FROM r.closed_at - r.created_at)) ELSE 0 END",
            ),
            ("0", "issue.overdue", f"r.tier || ':' || {CONTRACTOR}", f"({ins} AND {late})::int"),
            ("0", "card.issues", CONTRACTOR, f"({ins} AND {named})::int"),
            ("0", "card.closed", CONTRACTOR, f"({ins} AND {named} AND {closed})::int"),
            (
                "0",
                "card.on_time",
                CONTRACTOR,
                f"({ins} AND {named} AND {closed} AND (r.closed_at AT TIME ZONE '{_tz()}')::date <= r.deadline)::int",
            ),
            # After handover: the warranty defects the patrols filed for the contractor, and those repaired in time.
            ("0", "card.warranty", CONTRACTOR, f"({named} AND r.warranty_category <> '')::int"),
            (
                "0",
                "card.warranty_on_time",
                CONTRACTOR,
                f"({named} AND r.warranty_category <> '' AND {closed} "
                f"AND (r.closed_at AT TIME ZONE '{_tz()}')::date <= r.deadline)::int",
            ),
            ("0", "issue.kind", f"{CONTRACTOR} || ':' || r.kind", f"({ins} AND {named})::int"),
            ("sd.id", "child.open_issues", "''", f"({ins} AND {unclosed})::int"),
            ("sd.id", "child.overdue_issues", "''", f"({ins} AND {late})::int"),
            # The aftercare patrols' findings, on their own.
            ("0", "patrol.total", "''", f"({PATROL})::int"),
            ("0", "patrol.open", "''", f"({PATROL} AND r.status = 'open')::int"),
            ("0", "patrol.submitted", "''", f"({PATROL} AND r.status = 'submitted')::int"),
            ("0", "patrol.closed", "''", f"({PATROL} AND {closed})::int"),
            ("0", "patrol.overdue", "''", f"({PATROL} AND {late})::int"),
            ("0", "patrol.warranty", "''", f"({PATROL} AND r.warranty_category <> '')::int"),
        ],
    )


def issue_due(rows: str) -> str:
    return (
        f"SELECT sd.district_id, f.sub, f.figure, f.key, r.deadline AS day, 1 AS value FROM {rows} r "
        f"{_place('r.project_id')} CROSS JOIN LATERAL (VALUES "
        f"(0, 'issue.overdue', r.tier || ':' || {CONTRACTOR}, {INSPECTION}), "
        f"(sd.id, 'child.overdue_issues', '', {INSPECTION}), (0, 'patrol.overdue', '', {PATROL})"
        ") AS f(sub, figure, key, counted) WHERE r.status <> 'closed' AND f.counted"
    )


def project_figures(rows: str) -> str:
    started, finished = f"r.status IN {STARTED}", "r.status = 'handed_over'"
    named, both = "r.contractor_id IS NOT NULL", "r.actual_finish IS NOT NULL AND r.planned_finish IS NOT NULL"
    behind = f"(r.status IN {OPEN} AND r.planned_finish < {CLOCK_DAY})::int"
    join = (
        "JOIN communities_compound c ON c.id = r.compound_id "
        "JOIN communities_community cm ON cm.id = c.community_id "
        "JOIN communities_subdistrict sd ON sd.id = cm.subdistrict_id"
    )
    return _emit(
        rows,
        join,
        [
            ("0", "project.status", "r.status", "1"),
            ("0", "batch.total", "r.batch::text", "1"),
            ("0", "batch.started", "r.batch::text", f"({started})::int"),
            ("0", "batch.finished", "r.batch::text", f"({finished})::int"),
            (
                "0",
                "project.started",
                "coalesce(EXTRACT(YEAR FROM r.actual_start)::int::text, '')",
                "(r.actual_start IS NOT NULL)::int",
            ),
            (
                "0",
                "project.finished",
                "coalesce(EXTRACT(YEAR FROM r.actual_finish)::int::text, '')",
                f"({finished} AND r.actual_finish IS NOT NULL)::int",
            ),
            ("0", "project.behind", CONTRACTOR, behind),
            ("0", "sched.projects", CONTRACTOR, f"({named})::int"),
            (
                "0",
                "sched.slip_days",
                CONTRACTOR,
                f"CASE WHEN {named} AND {both} THEN r.actual_finish - r.planned_finish ELSE 0 END",
            ),
            ("0", "sched.slip_n", CONTRACTOR, f"({named} AND {both})::int"),
            (
                "0",
                "liaison.covered",
                "''",
                "EXISTS (SELECT 1 FROM projects_project_liaisons l WHERE l.project_id = r.id)::int",
            ),
            # One row per project waiting for the six parties (value 1), counted by the reads, kept equal to the
            # project's state now by the plan tables' triggers too (``plan_trigger_function``).
            ("-1", "project.pending", "r.id::text", pending_confirmation("r")),
            ("sd.id", "child.projects", "''", "1"),
            ("sd.id", "child.started", "''", f"({started})::int"),
            ("sd.id", "child.finished", "''", f"({finished})::int"),
            ("sd.id", "child.behind", "''", behind),
        ],
    )


def pending_confirmation(project: str) -> str:
    """1 when the project waits for the six parties (六方确认): in plan confirmation, and its latest plan version
    lacks one party's confirmation (``projects.selectors.with_pending_confirmation``)."""
    from projects.choices import Party

    latest = (
        f"(SELECT v.id FROM projects_planversion v WHERE v.project_id = {project}.id ORDER BY v.number DESC LIMIT 1)"
    )
    confirmed = (
        f"(SELECT count(DISTINCT pc.party) FROM projects_planconfirmation pc WHERE pc.plan_version_id = {latest})"
    )
    return f"({project}.status = 'plan_confirmation' AND {confirmed} < {len(Party.values)})::int"


def project_due(rows: str) -> str:
    return (
        f"SELECT sd.district_id, f.sub, f.figure, f.key, r.planned_finish AS day, 1 AS value FROM {rows} r "
        "JOIN communities_compound c ON c.id = r.compound_id "
        "JOIN communities_community cm ON cm.id = c.community_id "
        "JOIN communities_subdistrict sd ON sd.id = cm.subdistrict_id "
        f"CROSS JOIN LATERAL (VALUES (0, 'project.behind', {CONTRACTOR}), (sd.id, 'child.behind', '')) "
        f"AS f(sub, figure, key) WHERE r.status IN {OPEN} AND r.planned_finish IS NOT NULL"
    )


def scope_figures(rows: str) -> str:
    return _emit(
        rows,
        _place("r.project_id"),
        [
            ("0", "scope.planned", "r.category", "r.planned_quantity"),
            ("0", "scope.completed", "r.category", "r.completed_quantity"),
        ],
    )


def funding_plan_figures(rows: str) -> str:
    return _emit(
        rows,
        _place("r.project_id"),
        [("0", "fund.planned", "r.source", "r.amount"), ("sd.id", "child.fund.planned", "''", "r.amount")],
    )


def funding_entry_figures(rows: str) -> str:
    return _emit(
        rows,
        _place("r.project_id"),
        [("0", "'fund.' || r.stage", "r.source", "r.amount"), ("sd.id", "'child.fund.' || r.stage", "''", "r.amount")],
        where="r.voided_at IS NULL",
    )


def compound_figures(rows: str) -> str:
    join = (
        "JOIN communities_community cm ON cm.id = r.community_id "
        "JOIN communities_subdistrict sd ON sd.id = cm.subdistrict_id"
    )
    return _emit(rows, join, [("sd.id", "child.compounds", "''", "1")])


def _compound_place(compound_id: str) -> str:
    return (
        f"JOIN communities_compound c ON c.id = {compound_id} "
        "JOIN communities_community cm ON cm.id = c.community_id "
        "JOIN communities_subdistrict sd ON sd.id = cm.subdistrict_id"
    )


def survey_code_figures(rows: str) -> str:
    # Residents' satisfaction after handover: the codes printed (one per household) …
    join = "JOIN consultations_survey sv ON sv.id = r.survey_id " + _compound_place("sv.compound_id")
    return _emit(rows, join, [("0", "survey.codes", "''", "1")])


def survey_response_figures(rows: str) -> str:
    # … and the answers, by their code's survey: how many, and the sum of their overall 1–5 marks (the average).
    join = (
        "JOIN consultations_surveycode sc ON sc.id = r.code_id JOIN consultations_survey sv ON sv.id = sc.survey_id "
        + _compound_place("sv.compound_id")
    )
    return _emit(rows, join, [("0", "survey.responses", "''", "1"), ("0", "survey.overall", "''", "r.overall")])


def need_figures(rows: str) -> str:
    return _emit(rows, _compound_place("r.compound_id"), [("0", "need.count", "''", "1")])


def topic_figures(rows: str) -> str:
    return _emit(rows, _compound_place("r.compound_id"), [("0", "topic.step", "r.step", "1")])


def vote_figures(rows: str) -> str:
    closed = "r.status = 'closed'"
    return _emit(
        rows,
        "JOIN consultations_topic t ON t.id = r.topic_id " + _compound_place("t.compound_id"),
        [
            ("0", "vote.passed", "''", f"({closed} AND r.result = 'passed')::int"),
            ("0", "vote.failed", "''", f"({closed} AND r.result <> 'passed')::int"),
            ("0", "vote.open", "''", "(r.status = 'open')::int"),
        ],
    )


def meeting_figures(rows: str) -> str:
    return _emit(
        rows,
        _compound_place("r.compound_id"),
        [
            ("0", "meeting.total", "''", "(r.status <> 'cancelled')::int"),  # a cancelled meeting is never held
            ("0", "meeting.minutes", "''", "(r.minutes_published_at IS NOT NULL)::int"),
        ],
    )


# The time to answer a resident's problem, in microseconds, shifted by RESPONSE_SHIFT (so that an answer recorded
# before the problem still gives a positive number) and written with RESPONSE_DIGITS digits: the keys of
# ``problem.response`` sort as the times do, in any collation. ``problem.response_h`` counts them per whole hour.
RESPONSE_SHIFT = 10**15
RESPONSE_DIGITS = 18
HOUR_US = 3600 * 10**6
_RESPONSE_US = f"((EXTRACT(EPOCH FROM r.answered_at - r.created_at) * 1000000)::bigint + {RESPONSE_SHIFT})"


def problem_figures(rows: str) -> str:
    answered = "(r.answered_at IS NOT NULL)::int"
    return _emit(
        rows,
        _compound_place("r.compound_id"),
        [
            ("0", "problem.total", "''", "1"),
            ("0", "problem.resolved", "''", "(r.status = 'resolved')::int"),
            ("0", "problem.answered", "''", "(r.status = 'answered')::int"),
            ("0", "problem.open", "''", "(r.status = 'open')::int"),
            # The median time to answer: a histogram per whole hour (read with the place's other figures) and the
            # exact times (subdistrict -1: read only for the hour or two where the median lies).
            ("0", "problem.response_h", f"lpad(div({_RESPONSE_US}, {HOUR_US})::text, 8, '0')", answered),
            ("-1", "problem.response", f"lpad({_RESPONSE_US}::text, {RESPONSE_DIGITS}, '0')", answered),
        ],
    )


# An evaluation's place in "the twenty latest": its filing time (UTC, to the microsecond; one with no time first,
# as PostgreSQL sorts NULL in a descending order) and its id, in digits only, so that the key sorts as
# ``ORDER BY filed_at DESC, id DESC`` does.
EVALUATION_KEY = (
    "coalesce(to_char(r.filed_at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS'), '99999999999999999999') "
    "|| lpad(r.id::text, 12, '0')"
)


def inspection_figures(rows: str) -> str:
    """Subdistrict -1: figures by key that no dashboard sums whole — a week's unannounced rounds (key: the week's
    Monday), and one row per mid-term evaluation (tier 3, filed, scored), read newest first per district."""
    week = "to_char(r.week, 'YYYY-MM-DD')"
    evaluation = "r.tier = 3 AND r.status = 'filed' AND r.score IS NOT NULL"
    return _emit(
        rows,
        _place("r.project_id"),
        [
            ("-1", "round.planned", week, "(r.week IS NOT NULL)::int"),
            ("-1", "round.done", week, "(r.week IS NOT NULL AND r.status = 'filed')::int"),
            ("-1", "evaluation", EVALUATION_KEY, f"({evaluation})::int"),
        ],
    )


def liaison_figures(rows: str) -> str:
    """Hooked leaders (挂钩领导): a row per (district, leader), the leader's links to the district's projects; the
    leaders of a place are the keys whose sum is not 0. Whether a project has any is ``liaison.covered``, counted
    from the project (``project_figures``) and moved by the links' trigger (``liaison_covered_delta``)."""
    return _emit(rows, _place("r.project_id"), [("0", "liaison.leader", "r.user_id::text", "1")])


def project_liaisons(rows: str) -> str:
    """The ``liaison.leader`` rows of the projects' links (a project moved to another district moves them)."""
    return (
        "SELECT sd.district_id, 0 AS sub, 'liaison.leader' AS figure, l.user_id::text AS key, 1::numeric AS value "
        f"FROM {rows} r JOIN projects_project_liaisons l ON l.project_id = r.id "
        "JOIN communities_compound c ON c.id = r.compound_id "
        "JOIN communities_community cm ON cm.id = c.community_id "
        "JOIN communities_subdistrict sd ON sd.id = cm.subdistrict_id"
    )


def liaison_covered_delta(pairs: str) -> str:
    """``liaison.covered``: from the projects whose links a statement changed (``d``: links added, negative:
    removed), +1 for a project that has a leader now and had none, -1 the other way round."""
    return (
        "SELECT sd.district_id, 0 AS sub, 'liaison.covered' AS figure, '' AS key, "
        "((q.now > 0)::int - (q.now - q.d > 0)::int)::numeric AS value FROM ("
        "  SELECT pc.project_id, pc.d, (SELECT count(*) FROM projects_project_liaisons s "
        "   WHERE s.project_id = pc.project_id) AS now"
        f"  FROM ({pairs}) pc) q {_place('q.project_id')}"
    )


# table → (the emit queries into PlaceFigure, into PlaceDue, the columns whose change moves a figure)
SOURCES = {
    "inspections_rectificationissue": (
        issue_figures,
        issue_due,
        [
            "project_id",
            "contractor_id",
            "kind",
            "deadline",
            "status",
            "tier",
            "closed_at",
            "created_at",
            "warranty_category",
            "origin",
        ],
    ),
    "projects_project": (
        project_figures,
        project_due,
        ["compound_id", "contractor_id", "batch", "status", "planned_finish", "actual_start", "actual_finish"],
    ),
    "projects_scopeitem": (scope_figures, None, ["project_id", "category", "planned_quantity", "completed_quantity"]),
    "projects_projectfunding": (funding_plan_figures, None, ["project_id", "source", "amount"]),
    "projects_fundingentry": (funding_entry_figures, None, ["project_id", "source", "stage", "amount", "voided_at"]),
    "communities_compound": (compound_figures, None, ["community_id"]),
    "consultations_need": (need_figures, None, ["compound_id"]),
    "consultations_surveycode": (survey_code_figures, None, ["survey_id"]),
    "consultations_surveyresponse": (survey_response_figures, None, ["code_id", "overall"]),
    "consultations_topic": (topic_figures, None, ["compound_id", "step"]),
    "consultations_vote": (vote_figures, None, ["topic_id", "status", "result"]),
    "consultations_meeting": (meeting_figures, None, ["compound_id", "status", "minutes_published_at"]),
    "consultations_residentproblem": (
        problem_figures,
        None,
        ["compound_id", "status", "created_at", "answered_at"],
    ),
    "inspections_inspection": (inspection_figures, None, ["project_id", "tier", "status", "score", "filed_at", "week"]),
    "projects_project_liaisons": (liaison_figures, None, ["project_id", "user_id"]),
}


def scope_projects_delta(pairs: str) -> str:
    """``scope.projects``: the projects with at least one item of a category. From the (project, category) pairs a
    statement changed, with ``d`` the items it added (negative: removed): a pair counts +1 when it has items now and
    had none before, -1 the other way round."""
    return (
        "SELECT sd.district_id, 0 AS sub, 'scope.projects' AS figure, q.category AS key, "
        "((q.now > 0)::int - (q.now - q.d > 0)::int)::numeric AS value FROM ("
        "  SELECT pc.project_id, pc.category, pc.d, (SELECT count(*) FROM projects_scopeitem s "
        "   WHERE s.project_id = pc.project_id AND s.category = pc.category) AS now"
        f"  FROM ({pairs}) pc) q {_place('q.project_id')}"
    )


SCOPE_PROJECTS_ALL = (
    "SELECT sd.district_id, 0 AS sub, 'scope.projects' AS figure, r.category AS key, count(DISTINCT r.project_id) "
    f"AS value FROM projects_scopeitem r {_place('r.project_id')} GROUP BY 1, 2, 3, 4"
)


FIGURE_KEYS = "district_id, subdistrict_id, figure, key"
DUE_KEYS = "district_id, subdistrict_id, figure, key, day"


def trigger_function(table: str) -> str:
    figures, due, columns = SOURCES[table]
    changed = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in columns)
    # An update counts only its rows whose counted columns changed (a sweep's `updated_at` moves no figure).
    new_changed = f"(SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {changed})"
    old_changed = f"(SELECT o.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed})"

    def apply(new: str | None, old: str | None, update: bool = False) -> str:
        statements = [_upsert(FIGURE, _delta(figures, FIGURE_KEYS, new, old), FIGURE_KEYS)]
        if due:
            statements.append(_upsert(DUE, _delta(due, DUE_KEYS, new, old), DUE_KEYS))
        if table == "projects_scopeitem":
            signed = []
            if new:
                signed.append(f"SELECT project_id, category, 1 AS s FROM {new} x")
            if old:
                signed.append(f"SELECT project_id, category, -1 AS s FROM {old} x")
            pairs = (
                f"SELECT project_id, category, sum(s) AS d FROM ({' UNION ALL '.join(signed)}) y "
                "GROUP BY 1, 2 HAVING sum(s) <> 0"
            )
            delta = (
                f"SELECT district_id, sub, figure, key, sum(value) FROM ({scope_projects_delta(pairs)}) z "
                "GROUP BY 1, 2, 3, 4 HAVING sum(value) <> 0"
            )
            moved = _upsert(FIGURE, delta, FIGURE_KEYS)
            if update:  # only when an item changed project or category (a progress report changes quantities)
                moved = (
                    "IF EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE "
                    "n.project_id IS DISTINCT FROM o.project_id OR n.category IS DISTINCT FROM o.category) THEN "
                    f"{moved} END IF;"
                )
            statements.append(moved)
        if table == "projects_project_liaisons":
            signed = [f"SELECT project_id, 1 AS s FROM {new} x"] if new else []
            signed += [f"SELECT project_id, -1 AS s FROM {old} x"] if old else []
            pairs = (
                f"SELECT project_id, sum(s) AS d FROM ({' UNION ALL '.join(signed)}) y GROUP BY 1 HAVING sum(s) <> 0"
            )
            delta = (
                f"SELECT district_id, sub, figure, key, sum(value) FROM ({liaison_covered_delta(pairs)}) z "
                "GROUP BY 1, 2, 3, 4 HAVING sum(value) <> 0"
            )
            statements.append(_upsert(FIGURE, delta, FIGURE_KEYS))
        if table == "projects_project" and update:  # a project moved: its leaders' rows go with it
            moved = _upsert(FIGURE, _delta(project_liaisons, FIGURE_KEYS, new, old), FIGURE_KEYS)
            statements.append(
                "IF EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE "
                f"n.compound_id IS DISTINCT FROM o.compound_id) THEN {moved} END IF;"
            )
        return "\n    ".join(statements)

    return f"""
CREATE OR REPLACE FUNCTION dashboards_rollup_{table}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    -- Nothing to count (no row, or no counted column changed: a project's progress percent, a sweep's stamp).
    IF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {changed}) THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM old_rows) THEN
        RETURN NULL;
    END IF;
    -- Before the clock is read: the nightly roll takes these tables in SHARE ROW EXCLUSIVE mode, so it waits for
    -- this transaction, or this waits for it and then reads the new day (each statement below takes a new snapshot).
    LOCK TABLE {FIGURE}, {DUE} IN ROW EXCLUSIVE MODE;
    IF TG_OP = 'INSERT' THEN
    {apply("new_rows", None)}
    ELSIF TG_OP = 'UPDATE' THEN
    {apply(new_changed, old_changed, update=True)}
    ELSE
    {apply(None, "old_rows")}
    END IF;
    RETURN NULL;
END
$body$;
"""


# The plan tables move ``project.pending`` of their projects: it is set to the project's state now (the projects'
# own trigger adds and takes off by the same expression, so the row always holds the state now).
PLAN_TABLES = {
    "projects_planversion": "SELECT x.project_id FROM {rows} x",
    "projects_planconfirmation": (
        "SELECT v.project_id FROM {rows} x JOIN projects_planversion v ON v.id = x.plan_version_id"
    ),
}


def plan_trigger_function(table: str) -> str:
    def set_pending(rows: str) -> str:
        affected = PLAN_TABLES[table].format(rows=rows)
        return (
            f"INSERT INTO {FIGURE} ({FIGURE_KEYS}, value) SELECT sd.district_id, -1, 'project.pending', p.id::text, "
            f"{pending_confirmation('p')} FROM (SELECT DISTINCT project_id FROM ({affected}) a) x "
            "JOIN projects_project p ON p.id = x.project_id JOIN communities_compound c ON c.id = p.compound_id "
            "JOIN communities_community cm ON cm.id = c.community_id "
            "JOIN communities_subdistrict sd ON sd.id = cm.subdistrict_id ORDER BY 1, 2, 3, 4 "
            f"ON CONFLICT ({FIGURE_KEYS}) DO UPDATE SET value = EXCLUDED.value;"
        )

    return f"""
CREATE OR REPLACE FUNCTION dashboards_rollup_{table}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'INSERT' THEN
    {set_pending("new_rows")}
    ELSIF TG_OP = 'UPDATE' THEN
    {set_pending("(SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows)")}
    ELSE
    {set_pending("old_rows")}
    END IF;
    RETURN NULL;
END
$body$;
"""


def install_sql(days: bool = True, areas: bool = True) -> list[str]:
    from dashboards import daily

    # The governance row's triggers first: a writer locks their table before these (``rebuild``'s order).
    statements = daily.install_sql() if days else []
    for table in PLAN_TABLES:
        statements.append(plan_trigger_function(table))
        statements += statement_triggers("dashboards_rollup", table)
    for table in SOURCES:
        statements.append(trigger_function(table))
        statements += statement_triggers("dashboards_rollup", table)
    if areas:  # the cities', provinces' and contractors' rows, from the districts' (``dashboards/areas.py``)
        statements += area_sql.install_sql()
    return statements


def uninstall_sql() -> list[str]:
    from dashboards import daily

    statements = daily.uninstall_sql() + area_sql.uninstall_sql()
    for table in [*SOURCES, *PLAN_TABLES]:
        statements += drop_statement_triggers("dashboards_rollup", table)
    return statements


def enabled() -> bool:
    """The rollups are kept (PostgreSQL, triggers installed by the migration)."""
    return connection.vendor == "postgresql"


def _days_kept(cursor) -> bool:
    """The governance row's table exists (the migrations before ``0006_governance_by_day`` install without it)."""
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [DAY])
    return cursor.fetchone()[0]


def _areas_kept(cursor) -> bool:
    """The cities', provinces' and contractors' tables exist (``0008_area_rollups`` and after)."""
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [area_sql.AREA])
    return cursor.fetchone()[0]


def install() -> None:
    with connection.cursor() as cursor:
        days, areas = _days_kept(cursor), _areas_kept(cursor)
        for table in (FIGURE, DUE, DAY) if days else (FIGURE, DUE):
            cursor.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")
        if areas:
            for table in AREA_TABLES:
                cursor.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")
        for sql in install_sql(days, areas):
            cursor.execute(sql)


def uninstall() -> None:
    with connection.cursor() as cursor:
        for sql in uninstall_sql():
            cursor.execute(sql)


def _recount_into(cursor, figure_table: str, due_table: str, day_table: str | None) -> None:
    """Every figure counted from the source tables now (as of the clock's day), into the tables given."""
    from dashboards import daily

    if day_table:
        daily.recount_into(cursor, day_table)
    for table, (figures, due, _columns) in SOURCES.items():
        cursor.execute(
            f"INSERT INTO {figure_table} ({FIGURE_KEYS}, value) SELECT district_id, sub, figure, key, sum(value) "
            f"FROM ({figures(table)}) e GROUP BY 1, 2, 3, 4 HAVING sum(value) <> 0 "
            f"ON CONFLICT ({FIGURE_KEYS}) DO UPDATE SET value = {figure_table}.value + EXCLUDED.value"
        )
        if due:
            cursor.execute(
                f"INSERT INTO {due_table} ({DUE_KEYS}, value) SELECT district_id, sub, figure, key, day, sum(value) "
                f"FROM ({due(table)}) e GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0 "
                f"ON CONFLICT ({DUE_KEYS}) DO UPDATE SET value = {due_table}.value + EXCLUDED.value"
            )
    cursor.execute(f"INSERT INTO {figure_table} ({FIGURE_KEYS}, value) {SCOPE_PROJECTS_ALL}")


def rebuild(today: date | None = None) -> None:
    """Count every rollup again from the source tables (the migration's backfill; ``rebuild_rollups``). Writers
    wait meanwhile (the tables are locked), so nothing they do is lost or counted twice."""
    from django.utils import timezone

    today = today or timezone.localdate()
    with transaction.atomic(), connection.cursor() as cursor:
        days, areas = _days_kept(cursor), _areas_kept(cursor)
        tables = [DAY] if days else []
        tables += [FIGURE, DUE] + (list(AREA_TABLES) if areas else [])
        cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")
        # The districts' rows are counted whole, then the areas' summed from them once (not row by row by the
        # triggers on the districts' tables).
        cursor.execute(f"SELECT set_config('{area_sql.REBUILDING}', 'on', true)")
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {CLOCK} (id, day) VALUES (1, %s) ON CONFLICT (id) DO UPDATE SET day = EXCLUDED.day",
            [today],
        )
        _recount_into(cursor, FIGURE, DUE, DAY if days else None)
        if areas:
            area_sql.fill(cursor, FIGURE, DAY if days else None, *AREA_TABLES)
        cursor.execute(f"SELECT set_config('{area_sql.REBUILDING}', 'off', true)")
        # A place's rows together on few pages (a province reads sixty districts' rows); the free space that the
        # tables keep (fillfactor) lets the triggers' updates stay on the row's page.
        cursor.execute(f"CLUSTER {FIGURE} USING place_figure_unique")
        cursor.execute(f"CLUSTER {DUE} USING place_due_unique")
        if days:
            cursor.execute(f"CLUSTER {DAY} USING place_day_unique")
        if areas:
            for table, index in zip(AREA_TABLES, AREA_INDEXES):
                cursor.execute(f"CLUSTER {table} USING {index}")
        cursor.execute(f"ANALYZE {', '.join(tables)}")


AREA_INDEXES = ("area_figure_unique", "area_day_unique", "contractor_score_unique", "contractor_kind_unique")
AREA_COMPARED = (
    ("area", area_sql.AREA, "recount_area", area_sql.AREA_KEYS, "value"),
    ("area day", area_sql.AREA_DAY, "recount_area_day", area_sql.AREA_DAY_KEYS, "value"),
    ("kind", area_sql.KIND, "recount_kind", area_sql.KIND_KEYS, "n"),
) + tuple(
    (f"score {column}", area_sql.SCORE, "recount_score", area_sql.SCORE_KEYS, column)
    for column in (*area_sql.SCORE_COLUMNS, "repeats")
)


def _compare(cursor, label: str, kept: str, recount: str, keys: str, value: str, limit: int) -> list[tuple]:
    join = " AND ".join(f"k.{c.strip()} = r.{c.strip()}" for c in keys.split(","))
    select = ", ".join(f"coalesce(k.{c.strip()}, r.{c.strip()})" for c in keys.split(","))
    cursor.execute(
        f"SELECT '{label}', {select}, coalesce(k.{value}, 0), coalesce(r.{value}, 0) FROM {kept} k "
        f"FULL OUTER JOIN {recount} r ON {join} WHERE coalesce(k.{value}, 0) <> coalesce(r.{value}, 0) "
        f"ORDER BY 2, 3, 4, 5 LIMIT %s",
        [limit],
    )
    return cursor.fetchall()


def differences(limit: int = 100) -> list[tuple]:
    """The rows where the rollups differ from a recount now: (table, district, subdistrict, figure, key[, day],
    kept, recounted), at most ``limit``; empty when they agree. The cities', provinces' and contractors' rows are
    compared with the same sums of the recount (``area``: level, area, part, figure, key; ``score <column>``:
    level, area, contractor)."""
    found = []
    with transaction.atomic(), connection.cursor() as cursor:
        areas = _areas_kept(cursor)
        # A consistent picture: writers wait while the recount runs (SHARE blocks their ROW EXCLUSIVE lock).
        cursor.execute(f"LOCK TABLE {DAY}, {FIGURE}, {DUE}{''.join(', ' + t for t in AREA_TABLES) if areas else ''} "
                       "IN SHARE MODE")  # fmt: skip
        recounts = ["fig", "due", "day"] + (["area", "area_day", "score", "kind"] if areas else [])
        sources = [FIGURE, DUE, DAY] + (list(AREA_TABLES) if areas else [])
        cursor.execute("DROP TABLE IF EXISTS " + ", ".join(f"recount_{name}" for name in recounts))
        for name, source in zip(recounts, sources):
            cursor.execute(f"CREATE TEMPORARY TABLE recount_{name} (LIKE {source} INCLUDING ALL) ON COMMIT DROP")
        _recount_into(cursor, "recount_fig", "recount_due", "recount_day")
        compared = [
            ("figure", FIGURE, "recount_fig", FIGURE_KEYS, "value"),
            ("due", DUE, "recount_due", DUE_KEYS, "value"),
            ("day", DAY, "recount_day", DUE_KEYS, "value"),
        ]
        if areas:
            area_sql.fill(
                cursor,
                "recount_fig",
                "recount_day",
                "recount_area",
                "recount_area_day",
                "recount_score",
                "recount_kind",
            )
            compared += AREA_COMPARED
        for label, kept, recount, keys, value in compared:
            if len(found) >= limit:
                break
            found += _compare(cursor, label, kept, recount, keys, value, limit - len(found))
        cursor.execute("DROP TABLE " + ", ".join(f"recount_{name}" for name in recounts))
    return found


def roll_clock(today: date | None = None) -> int:
    """Move the stored "overdue" and "behind" figures to ``today``: the due rows between the clock's day and today
    are added to them (subtracted when the clock is ahead). Returns the number of figure rows changed. The reads
    correct for a clock that is behind, so a late roll makes nothing wrong, only the correction longer."""
    from django.utils import timezone

    today = today or timezone.localdate()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {FIGURE}, {DUE} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"SELECT day FROM {CLOCK} WHERE id = 1 FOR UPDATE")
        row = cursor.fetchone()
        if row is None or row[0] == today:
            return 0
        cursor.execute(
            f"INSERT INTO {FIGURE} ({FIGURE_KEYS}, value) SELECT district_id, subdistrict_id, figure, key, "
            f"sum(CASE WHEN day >= %(clock)s THEN value ELSE -value END) FROM {DUE} "
            f"WHERE day >= least(%(clock)s, %(today)s) AND day < greatest(%(clock)s, %(today)s) "
            f"GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 "
            f"ON CONFLICT ({FIGURE_KEYS}) DO UPDATE SET value = {FIGURE}.value + EXCLUDED.value",
            {"clock": row[0], "today": today},
        )
        changed = cursor.rowcount
        cursor.execute(f"UPDATE {CLOCK} SET day = %s WHERE id = 1", [today])
    return changed


# --- Reads -------------------------------------------------------------------------------------------------------

LEVELS = tuple(DISTRICTS)


def _correction(where: str) -> str:
    """The due rows between the clock's day and today, signed (added when the clock is behind, else taken off).
    The clock's day is a scalar subquery so that the day range is a range of the ``place_due_day`` index, and the
    rows of the range are found first (``OFFSET 0`` keeps the planner from merging the place's condition in and
    scanning each district's due rows instead): none once the clock is rolled, a day's worth before."""
    clock = f"(SELECT day FROM {CLOCK} WHERE id = 1)"
    return (
        "SELECT u.district_id, u.subdistrict_id, u.figure, u.key, "
        f"CASE WHEN u.day >= {clock} THEN u.value ELSE -u.value END "
        f"FROM (SELECT * FROM {DUE} WHERE day >= least({clock}, %(today)s) AND day < greatest({clock}, %(today)s) "
        f"OFFSET 0) u WHERE {where}"
    )


# From a district (``c.d`` of a correction row) to the child place whose row it adds to.
_DISTRICT_TO = {
    "district": "c.d",
    "city": "(SELECT dd.city_id FROM communities_district dd WHERE dd.id = c.d)",
    "province": (
        "(SELECT ci.province_id FROM communities_district dd JOIN communities_city ci ON ci.id = dd.city_id "
        "WHERE dd.id = c.d)"
    ),
}


def _children_sql(level: str, districts: str) -> str:
    """The drill-down table's ``child.*`` figures per child place (child level, node, figure, value): a district's
    subdistricts, a city's districts, a province's cities and districts, the nation's provinces; each with the
    correction of its due rows."""

    def correction(node: str) -> str:
        due = f"u.district_id IN ({districts}) AND u.subdistrict_id > 0"
        return f"SELECT {node}, c.figure, c.value FROM ({_correction(due)}) c(d, s, figure, key, value)"

    def summed(child: str, rows: str, node: str) -> str:
        return (
            f"SELECT '{child}', n, figure COLLATE \"C\", sum(value) FROM ({rows} UNION ALL {correction(node)}) "
            "x(n, figure, value) GROUP BY 2, 3"
        )

    if level == "district":
        return summed(
            "subdistrict", f"SELECT subdistrict_id, figure, value FROM {FIGURE} WHERE district_id = %(pk)s "
            "AND subdistrict_id > 0", "c.s",
        )  # fmt: skip
    if level == "city":
        return summed("district", f"SELECT part, figure, value FROM {rows_of(level, '> 0')}", _DISTRICT_TO["district"])
    if level == "province":
        cities = "SELECT id FROM communities_city WHERE province_id = %(pk)s"
        return (
            summed("city", f"SELECT part, figure, value FROM {rows_of(level, '> 0')}", _DISTRICT_TO["city"])
            + " UNION ALL "
            + summed(
                "district",
                f"SELECT part, figure, value FROM {area_sql.AREA} WHERE level = 'city' AND area_id IN ({cities}) "
                "AND part > 0",
                _DISTRICT_TO["district"],
            )
        )
    return summed("province", f"SELECT area_id, figure, value FROM {rows_of(level, '> 0')}", _DISTRICT_TO["province"])


def read(level: str, pk: int | None, today: date, *, scorecard: bool = True) -> tuple[dict, dict]:
    """A district's, city's, province's or the nation's figures: ``({(figure, key): value}, {child level: {child id:
    {figure: value}}})`` — the place's totals and the drill-down table's ``child.*`` figures per child place (a
    province's per city and per district). Two queries. Without ``scorecard`` the figures per contractor stay in
    the database (``contractor_scores`` reads them): the scorecard's are left out, and overdue issues and projects
    behind schedule come summed per tier and in all, not per contractor — as above the district always (the area
    rows hold no figure per contractor: ``areas.PER_CONTRACTOR``)."""
    scorecard = scorecard and level == "district"
    districts = DISTRICTS[level]
    params = {"pk": pk, "today": today}
    totals: dict = defaultdict(Decimal)
    children: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(Decimal)))
    key = "key"
    skipped = "'issue.kind', 'liaison.leader'"
    if not scorecard:
        key = "CASE figure WHEN 'issue.overdue' THEN split_part(key, ':', 1) WHEN 'project.behind' THEN '' ELSE key END"
        skipped += ", " + ", ".join(f"'{name}'" for name in SCORECARD_FIGURES if name.startswith(("card.", "sched.")))
    own = rows_of(level, "= 0")
    with _reading().cursor() as cursor:
        due = f"u.district_id IN ({districts}) AND u.subdistrict_id = 0"
        # Repeat findings per contractor (findings beyond the first of a kind) are summed here, from the counts per
        # contractor and kind, so the many (contractor, kind) rows never leave the database.
        repeats = (
            ""
            if not scorecard
            else (
                "UNION ALL SELECT 'issue.repeats', split_part(key, ':', 1) COLLATE \"C\", sum(n - 1) FROM ("
                f'  SELECT key COLLATE "C" AS key, sum(value) AS n FROM {own} '
                "  AND figure = 'issue.kind' GROUP BY 1 HAVING sum(value) > 1) k GROUP BY 2 "
            )
        )
        prepared.execute(
            cursor,
            f'SELECT figure COLLATE "C", {key} COLLATE "C", sum(value) FROM (SELECT figure, key, value FROM {own} '
            f"AND figure NOT IN ({skipped}) "
            f"UNION ALL SELECT figure, key, value FROM ({_correction(due)}) c(d, s, figure, key, value)) u "
            f"GROUP BY 1, 2 {repeats}"
            # Hooked leaders: the leaders linked to any of the place's projects, each once however many districts.
            "UNION ALL SELECT 'liaison.leaders', '', count(*) FROM ("
            f"  SELECT key FROM {own} AND figure = 'liaison.leader' GROUP BY key HAVING sum(value) <> 0) l "
            # Projects waiting for the six parties: one row each in a district (figures by key), a count in an area.
            + (
                f"UNION ALL SELECT 'project.pending', '', count(*) FROM {rows_of(level, '= -1')} "
                "AND figure = 'project.pending' AND value > 0"
                if level == "district"
                else ""
            ),
            params,
        )
        for figure, key, value in cursor.fetchall():
            totals[figure, key] = value
        prepared.execute(cursor, _children_sql(level, districts), params)
        for child, node, figure, value in cursor.fetchall():
            children[child][node][figure] = value
    return totals, children


# The contractor scorecard's figures, keyed by contractor id (``issue.overdue`` by "tier:contractor").
SCORECARD_FIGURES = (
    "card.issues",
    "card.closed",
    "card.on_time",
    "card.warranty",
    "card.warranty_on_time",
    "issue.overdue",
    "project.behind",
    "sched.projects",
    "sched.slip_days",
    "sched.slip_n",
)
# ``figures.SCORECARD_ORDERS`` in SQL: the same sort keys, ties by name in code point order, then id.
SCORECARD_ORDERS = {
    "worst": "s.overdue + s.repeats DESC, ",
    "issues": "s.issues DESC, ",
    "overdue": "s.overdue DESC, ",
    "behind": "s.behind DESC, ",
    "projects": "s.projects DESC, ",
    "name": "",
}
# The numeric key of each order but the name's (the page's rows are cut by it before they are named).
SCORE_KEYS = {
    "worst": "s.overdue + s.repeats",
    "issues": "s.issues",
    "overdue": "s.overdue",
    "behind": "s.behind",
    "projects": "s.projects",
}


def contractor_scores(
    level: str,
    pk: int | None,
    today: date,
    *,
    search: str = "",
    order: str = "worst",
    limit: int | None = None,
    offset: int = 0,
    count: bool = False,
) -> tuple[list[dict], int]:
    """The place's contractor scorecard, one row per contractor with projects or issues there, whose name contains
    ``search`` (any case): ``(rows, total)`` — the rows ``offset`` to ``offset + limit`` in the ``order`` of
    ``SCORECARD_ORDERS`` (each the figures per contractor summed over the place's districts, overdue and behind as of
    ``today``, and the repeat findings) and the number of contractors matching. The place's per-contractor rows are
    aggregated, ordered and cut in the database: a province's ≈ 1,250 contractors, the nation's ≈ 7,000, never
    leave it. ``count``: the total only (no rows). One query."""
    districts = DISTRICTS[level]
    due = f"u.district_id IN ({districts}) AND u.subdistrict_id = 0 AND u.figure IN ('issue.overdue', 'project.behind')"
    if level == "district":
        scores = _district_scores(due)
    else:
        scores = _area_scores(level, due, rolled=_clock_day() == today)
    params = {"pk": pk, "today": today, "search": search, "limit": limit, "offset": offset}
    named = f"n AS (SELECT s.*, c.name FROM s LEFT JOIN communities_company c ON c.id = s.id WHERE TRUE {_SEARCHED}) "
    by = f"ORDER BY {SCORECARD_ORDERS[order]}coalesce({{}}, '') COLLATE \"C\", s.id LIMIT %(limit)s OFFSET %(offset)s"
    with _reading().cursor() as cursor:
        if count:
            prepared.execute(
                cursor, scores + (f", {named}SELECT count(*) FROM n" if search else "SELECT count(*) FROM s"), params
            )
            return [], cursor.fetchone()[0]
        if search or order not in SCORE_KEYS or limit is None:
            prepared.execute(
                cursor, scores + f", {named}SELECT s.*, count(*) OVER () FROM n s {by.format('s.name')}", params
            )
        elif limit <= 0:
            return [], contractor_scores(level, pk, today, count=True)[1]
        else:
            # The rows of the page and those tied with its last row's sort key, found by the key alone; only they
            # are named (the names break the ties): not every contractor of the country joined and ordered.
            key = SCORE_KEYS[order]
            prepared.execute(
                cursor,
                scores + "SELECT s.*, c.name, (SELECT count(*) FROM s) AS count FROM s "
                "LEFT JOIN communities_company c ON c.id = s.id "
                f"WHERE {key} >= coalesce((SELECT {key} FROM s ORDER BY 1 DESC LIMIT 1 OFFSET %(last)s), {key}) "
                + by.format("c.name"),
                {**params, "last": offset + limit - 1},
            )
        columns = [column.name for column in cursor.description]
        found = [dict(zip(columns, row)) for row in cursor.fetchall()]
    total = found[0]["count"] if found else (contractor_scores(level, pk, today, count=True)[1] if offset else 0)
    return found, total


_SEARCHED = "AND (%(search)s = '' OR strpos(lower(coalesce(c.name, '')), lower(%(search)s)) > 0)"


def _district_scores(due: str) -> str:
    """A district's scorecard (``WITH … s AS (…)``, one row per contractor): its per-contractor rows summed."""
    where = "district_id = %(pk)s AND subdistrict_id = 0"
    wanted = ", ".join(f"'{name}'" for name in SCORECARD_FIGURES)

    def summed(figure: str, name: str) -> str:
        return f"coalesce(sum(k.value) FILTER (WHERE k.figure = '{figure}'), 0) AS {name}"

    return (
        f"WITH f AS (SELECT figure, key, value FROM {FIGURE} WHERE {where} AND figure IN ({wanted}) "
        f"  UNION ALL SELECT figure, key, value FROM ({_correction(due)}) c(d, s, figure, key, value)), "
        "k AS (SELECT CASE WHEN figure = 'issue.overdue' THEN split_part(key, ':', 2) ELSE key END AS contractor, "
        "  figure, value FROM f), "
        "r AS (SELECT split_part(key, ':', 1) AS contractor, sum(n - 1) AS repeats FROM ("
        f"  SELECT key COLLATE \"C\" AS key, sum(value) AS n FROM {FIGURE} WHERE {where} AND figure = 'issue.kind' "
        "  GROUP BY 1 HAVING sum(value) > 1) x GROUP BY 1), "
        "t AS (SELECT k.contractor, "
        + ", ".join(summed(figure, name) for name, figure in area_sql.SCORE_COLUMNS.items())
        + " FROM k WHERE k.contractor <> '' GROUP BY k.contractor), "
        "s AS (SELECT t.contractor::bigint AS id, t.issues, t.closed, t.on_time, t.overdue, t.warranty, "
        "  t.warranty_on_time, t.projects, t.behind, t.slip_days, t.slip_n, coalesce(r.repeats, 0) AS repeats "
        "  FROM t LEFT JOIN r ON r.contractor = t.contractor WHERE t.issues <> 0 OR t.projects <> 0) "
    )


def _clock_day() -> date | None:
    with _reading().cursor() as cursor:
        prepared.execute(cursor, f"SELECT day FROM {CLOCK} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def _area_scores(level: str, due: str, rolled: bool) -> str:
    """A city's, province's or the nation's scorecard (``WITH … s AS (…)``): its ``ContractorScore`` rows, overdue
    issues and projects behind schedule corrected to today by the due rows. When the clock is ``rolled`` to today
    there is nothing to correct: the rows are read as they are, and the page's rows by the index on the board's
    order (``contractor_score_worst``)."""
    area = "%(pk)s" if level != "nation" else "0"
    if rolled:
        return (
            "WITH s AS NOT MATERIALIZED (SELECT t.contractor_id AS id, t.issues, t.closed, t.on_time, t.overdue, "
            "  t.warranty, t.warranty_on_time, t.projects, t.behind, t.slip_days, t.slip_n, t.repeats "
            f"  FROM {area_sql.SCORE} t WHERE t.level = '{level}' AND t.area_id = {area} "
            "  AND (t.issues <> 0 OR t.projects <> 0)) "
        )
    return (
        "WITH k AS (SELECT CASE WHEN figure = 'issue.overdue' THEN split_part(key, ':', 2) ELSE key END AS contractor, "
        "  coalesce(sum(value) FILTER (WHERE figure = 'issue.overdue'), 0) AS overdue, "
        "  coalesce(sum(value) FILTER (WHERE figure = 'project.behind'), 0) AS behind "
        f"  FROM ({_correction(due)}) c(d, s, figure, key, value) GROUP BY 1), "
        "s AS (SELECT t.contractor_id AS id, t.issues, t.closed, t.on_time, "
        "  t.overdue + coalesce(k.overdue, 0) AS overdue, t.warranty, t.warranty_on_time, t.projects, "
        "  t.behind + coalesce(k.behind, 0) AS behind, t.slip_days, t.slip_n, t.repeats "
        f"  FROM {area_sql.SCORE} t LEFT JOIN k ON k.contractor = t.contractor_id::text "
        f"  WHERE t.level = '{level}' AND t.area_id = {area} AND (t.issues <> 0 OR t.projects <> 0)) "
    )


# Figures by key at subdistrict -1: each read by an index range of ``place_figure_unique``, never summed whole.


def week_rounds(level: str, pk: int, monday: date) -> dict:
    """The unannounced rounds of the week starting ``monday``: ``{"planned": n, "done": n}``. One query."""
    with _reading().cursor() as cursor:
        prepared.execute(
            cursor,
            f"SELECT figure, sum(value) FROM {rows_of(level, '= -1')} "
            "AND figure IN ('round.planned', 'round.done') AND key = %(week)s GROUP BY 1",
            {"pk": pk, "week": monday.isoformat()},
        )
        found = dict(cursor.fetchall())
    return {"planned": int(found.get("round.planned", 0)), "done": int(found.get("round.done", 0))}


def upcoming_meetings(level: str, pk: int | None, now) -> int:
    """The place's meetings still to come (held after ``now``, not cancelled): few, found by the index on the
    meeting's time, then kept by their district. One query."""
    with _reading().cursor() as cursor:
        prepared.execute(
            cursor,
            "SELECT count(*) FROM consultations_meeting m JOIN communities_compound c ON c.id = m.compound_id "
            "JOIN communities_community cm ON cm.id = c.community_id "
            "JOIN communities_subdistrict sd ON sd.id = cm.subdistrict_id "
            f"WHERE m.held_at > %(now)s AND m.status <> 'cancelled' AND sd.district_id IN ({DISTRICTS[level]})",
            {"pk": pk, "now": now},
        )
        return cursor.fetchone()[0]


def latest_evaluations(level: str, pk: int, limit: int = 20) -> list[dict]:
    """The ``limit`` latest mid-term evaluations of the place, newest first (``filed_at`` then id, descending),
    shaped as ``Inspection.objects.values("pk", "project__compound__name", "score", "filed_at")``: each district's
    ``limit`` newest keys by the index (the nation: each province's), then the newest of those. One query, whatever
    the number of evaluations."""
    if level == "district":
        ids, rows = "SELECT %(pk)s", f"{FIGURE} WHERE district_id = d.id AND subdistrict_id = -1"
    else:  # each area's (the nation's: each province's)
        area, ids = AREA_OF[level]
        rows = f"{area_sql.AREA} WHERE level = '{area}' AND area_id = d.id AND part = -1"
    with _reading().cursor() as cursor:
        prepared.execute(
            cursor,
            "SELECT i.id, c.name, i.score, i.filed_at FROM ("
            f"  SELECT e.key FROM ({ids}) d(id) CROSS JOIN LATERAL ("
            f"   SELECT key FROM {rows} AND figure = 'evaluation' "
            "    AND value > 0 ORDER BY key DESC LIMIT %(limit)s) e ORDER BY e.key DESC LIMIT %(limit)s) k "
            "JOIN inspections_inspection i ON i.id = right(k.key, 12)::bigint "
            "JOIN projects_project p ON p.id = i.project_id JOIN communities_compound c ON c.id = p.compound_id "
            "ORDER BY k.key DESC",
            {"pk": pk, "limit": limit},
        )
        return [
            {"pk": pk_, "project__compound__name": name, "score": score, "filed_at": filed_at}
            for pk_, name, score, filed_at in cursor.fetchall()
        ]


def median_response_seconds(level: str, pk: int, hours: dict) -> float | None:
    """The median time to answer a resident's problem, in seconds, exactly as ``percentile_cont(0.5)`` over
    ``EXTRACT(EPOCH FROM answered_at - created_at)`` gives it: ``hours`` is the place's ``problem.response_h``
    histogram ({hour key: count}); the one or two middle times are read from the exact times of the hour(s) they
    lie in (one query)."""
    buckets = sorted((int(key), int(n)) for key, n in hours.items() if n)
    total = sum(n for _, n in buckets)
    if not total:
        return None
    position = 0.5 * (total - 1)
    wanted = [int(position), -int(-position // 1)]  # floor and ceiling of the middle position
    first_bucket = last_bucket = None
    before = seen = 0
    for bucket, n in buckets:
        if first_bucket is None and seen + n > wanted[0]:
            first_bucket, before = bucket, seen
        if seen + n > wanted[1]:
            last_bucket = bucket
            break
        seen += n
    with _reading().cursor() as cursor:
        prepared.execute(
            cursor,
            f"SELECT key, sum(value) FROM {rows_of(level, '= -1')} "
            "AND figure = 'problem.response' AND key >= %(low)s AND key < %(high)s "
            "GROUP BY 1 HAVING sum(value) <> 0 ORDER BY 1",
            {
                "pk": pk,
                "low": str(first_bucket * HOUR_US).zfill(RESPONSE_DIGITS),
                "high": str((last_bucket + 1) * HOUR_US).zfill(RESPONSE_DIGITS),
            },
        )
        rows = cursor.fetchall()
    values, seen = [], before
    for key, n in rows:
        seconds = float((Decimal(int(key) - RESPONSE_SHIFT)) / Decimal(10**6))
        while len(values) < 2 and seen + int(n) > wanted[len(values)]:
            values.append(seconds)
        seen += int(n)
        if len(values) == 2:
            break
    low, high = values
    if wanted[0] == wanted[1]:
        return low
    return low + (position - wanted[0]) * (high - low)  # PostgreSQL's float8_lerp
