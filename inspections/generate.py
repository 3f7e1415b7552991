"""Synthetic inspections for benchmarks: six tier-2 groups per district; eight weeks of weekly tier-2 rounds over
every unfinished project, a tier-1 patrol and, for some, the tier-3 evaluation; ≈3 rectification issues per
inspection in every state, some overdue. Loaded with COPY; memory stays flat."""

from __future__ import annotations

import random
from datetime import timedelta

from django.core.management import CommandError
from django.utils import timezone

from communities.choices import InspectionTier
from inspections.choices import DEFAULT_DEADLINE_DAYS, InspectionStatus, IssueStatus, Severity
from inspections.models import ChecklistTemplate, Inspection, InspectionGroup, RectificationIssue
from inspections.services import monday_of
from projects.choices import ProjectStatus
from renovation_portal.bulkload import copy_dicts, next_id

WEEKS = 8
CHUNK_PROJECTS = 5_000
KINDS = ["safety", "road", "pipes", "dust", "materials", "facade", "dig_once"]
SEVERITIES = [Severity.MINOR, Severity.MINOR, Severity.MAJOR, Severity.SERIOUS]


def generate(ctx) -> None:
    rng = random.Random(ctx.seed + 3)
    now = timezone.now()
    today = timezone.localdate()
    this_monday = monday_of(today)
    templates = {
        tier: ChecklistTemplate.objects.get_or_create(
            name=f"生成检查表（{tier}级）", version=1, defaults={"tier": tier}
        )[0].pk
        for tier in (InspectionTier.SITE, InspectionTier.DISTRICT, InspectionTier.LEADERSHIP)
    }
    groups = {}
    group_id = next_id(InspectionGroup)
    copy_dicts(
        InspectionGroup,
        (
            {
                "id": group_id + d * 6 + g,
                "name": f"生成检查组{district}-{g + 1}",
                "tier": InspectionTier.DISTRICT,
                "district_id": district,
                "active": True,
            }
            for d, district in enumerate(ctx.district_ids)
            for g in range(6)
        ),
        now=now,
    )
    for d, district in enumerate(ctx.district_ids):
        groups[district] = [group_id + d * 6 + g for g in range(6)]
    open_projects = [p for p in ctx.projects if p[3] != ProjectStatus.HANDED_OVER]
    inspection_id, issue_id = next_id(Inspection), next_id(RectificationIssue)
    issue_rows = []  # filled alongside the inspections, loaded after them

    def inspections(chunk, offset):
        nonlocal inspection_id
        for n, (pid, _compound, contractor, _status, start, district) in enumerate(chunk, start=offset):
            visits = [(InspectionTier.DISTRICT, this_monday - timedelta(weeks=w), w) for w in range(WEEKS)]
            visits.append((InspectionTier.SITE, today - timedelta(days=rng.randint(1, 20)), None))
            if n % 10 == 0:
                visits.append((InspectionTier.LEADERSHIP, today - timedelta(days=rng.randint(30, 120)), None))
            for tier, day, week_ago in visits:
                planned = week_ago == 0 and rng.random() < 0.5  # half of this week's round still to come
                week = day if tier == InspectionTier.DISTRICT else None
                group = groups[district][n % 6] if tier == InspectionTier.DISTRICT else None
                planned_date = (week + timedelta(days=n % 5)) if week else day
                yield {
                    "id": inspection_id,
                    "project_id": pid,
                    "tier": tier,
                    "group_id": group,
                    "template_id": templates[tier],
                    "planned_date": planned_date,
                    "week": week,
                    "unannounced": tier == InspectionTier.DISTRICT,
                    "status": InspectionStatus.PLANNED if planned else InspectionStatus.FILED,
                    "filed_at": None if planned else now - timedelta(days=(today - planned_date).days),
                    "score": rng.randint(70, 98) if tier == InspectionTier.LEADERSHIP else None,
                    "updated_at": now,
                }
                if not planned and start is not None:
                    issue_rows.append((inspection_id, pid, contractor, tier, planned_date))
                inspection_id += 1

    def issues():
        nonlocal issue_id
        for inspection, pid, contractor, tier, day in issue_rows:
            for _ in range(rng.choice((3, 4, 4, 5))):
                severity = rng.choice(SEVERITIES)
                deadline = day + timedelta(days=DEFAULT_DEADLINE_DAYS[severity])
                age = (today - day).days
                roll = rng.random()
                status = (
                    IssueStatus.CLOSED
                    if roll < 0.55 + min(age, 56) / 150
                    else IssueStatus.SUBMITTED
                    if roll < 0.85
                    else IssueStatus.OPEN
                )
                found = now - timedelta(days=age)
                closed_at = found + timedelta(days=rng.randint(1, 12)) if status == IssueStatus.CLOSED else None
                yield {
                    "id": issue_id,
                    "inspection_id": inspection,
                    "project_id": pid,
                    "contractor_id": contractor,
                    "kind": rng.choice(KINDS),
                    "description": "生成的整改问题",
                    "location": f"{rng.randint(1, 9)}号楼",
                    "severity": severity,
                    "deadline": deadline,
                    "status": status,
                    "tier": tier,
                    "rectification_note": "已整改" if status != IssueStatus.OPEN else "",
                    "submitted_at": found + timedelta(days=1) if status != IssueStatus.OPEN else None,
                    "closed_at": closed_at,
                    "created_at": found,
                    "updated_at": now,
                }
                issue_id += 1

    # In chunks of projects: each chunk's inspections, then their issues — memory stays flat at any scale.
    report = ctx.progress("projects inspected", len(open_projects))
    loaded = {"inspections": 0, "issues": 0}
    for offset in range(0, len(open_projects), CHUNK_PROJECTS):
        chunk = open_projects[offset : offset + CHUNK_PROJECTS]
        loaded["inspections"] += copy_dicts(Inspection, inspections(chunk, offset), now=now)
        loaded["issues"] += copy_dicts(RectificationIssue, issues(), now=now)
        issue_rows.clear()
        report(offset + len(chunk))
    ctx.say(f"  {loaded['inspections']:,} inspections, {loaded['issues']:,} rectification issues")


# The top-up's unclosed issues, as a backlog looks: deadlines relative to today (weight, first day, last day) —
# overdue, due within 48 hours (the contractors' "due" reminder), due later; and statuses — open, sent back
# (open again, the contractor's note and submission kept, as issue_send_back leaves it), submitted.
TOP_UP_DEADLINES = ((0.45, None, -1), (0.10, 0, 2), (0.45, 3, 21))
TOP_UP_STATUSES = ((0.50, IssueStatus.OPEN, False), (0.15, IssueStatus.OPEN, True), (0.35, IssueStatus.SUBMITTED, True))
TOP_UP_CHUNK = 5_000  # inspections read per keyset page


def top_up_open_issues(ctx, target: int) -> int:
    """Add unclosed rectification issues until ``target`` are unclosed (``generate_data --open-issues N``), on
    an already generated database: spread evenly over the filed inspections of the projects that have a
    contractor and are not handed over, each assigned to that contractor. The inspections are read in keyset
    pages and the issues streamed with COPY, so memory stays flat for millions. Returns how many were added."""
    rng = random.Random(ctx.seed + 31)
    now = timezone.now()
    today = timezone.localdate()
    missing = target - RectificationIssue.objects.exclude(status=IssueStatus.CLOSED).count()
    if missing <= 0:
        ctx.say(f"  already {target:,} or more unclosed rectification issues: nothing to add")
        return 0
    sources = (
        Inspection.objects.filter(status=InspectionStatus.FILED, project__contractor__isnull=False)
        .exclude(project__status=ProjectStatus.HANDED_OVER)
        .order_by("pk")
    )
    inspections = sources.count()
    if not inspections:
        raise CommandError("no filed inspection of a project with a contractor: generate the data first")
    per_inspection = missing / inspections
    issue_id = next_id(RectificationIssue)
    deadline_weights = [w for w, _first, _last in TOP_UP_DEADLINES]
    status_weights = [w for w, _status, _noted in TOP_UP_STATUSES]

    def deadline_after(found_on):
        first, last = rng.choices(TOP_UP_DEADLINES, deadline_weights)[0][1:]
        if first is None:  # overdue: any day after the finding, before today
            if (today - found_on).days < 2:
                first, last = 0, 2  # found today or yesterday: cannot be overdue yet
            else:
                return found_on + timedelta(days=rng.randint(1, (today - found_on).days - 1))
        return today + timedelta(days=rng.randint(first, last))

    def issues():
        nonlocal issue_id
        owed, made, last = 0.0, 0, 0
        while made < missing:
            page = list(
                sources.filter(pk__gt=last).values_list(
                    "pk", "project_id", "project__contractor_id", "tier", "planned_date"
                )[:TOP_UP_CHUNK]
            )
            if not page:
                last = 0  # fewer inspections than the rounding needs: go round again
                continue
            for inspection, project, contractor, tier, day in page:
                owed += per_inspection
                day = min(day, today)  # a round filed ahead of its planned day found them today
                found = now - timedelta(days=(today - day).days)
                while made < min(round(owed), missing):
                    severity = rng.choice(SEVERITIES)
                    _weight, status, noted = rng.choices(TOP_UP_STATUSES, status_weights)[0]
                    yield {
                        "id": issue_id,
                        "inspection_id": inspection,
                        "project_id": project,
                        "contractor_id": contractor,
                        "kind": rng.choice(KINDS),
                        "description": "生成的整改问题",
                        "location": f"{rng.randint(1, 9)}号楼",
                        "severity": severity,
                        "deadline": deadline_after(day),
                        "tier": tier,
                        "status": status,
                        "rectification_note": "已整改" if noted else "",
                        "submitted_at": found + (now - found) * rng.random() if noted else None,
                        "closed_at": None,
                        "created_at": found,
                        "updated_at": now,
                    }
                    issue_id += 1
                    made += 1
            last = page[-1][0]

    ctx.say(f"  adding {missing:,} unclosed rectification issues over {inspections:,} inspections")
    added = copy_dicts(RectificationIssue, issues(), progress=ctx.progress("unclosed issues added", missing), now=now)
    ctx.say(f"  {added:,} rectification issues added: {target:,} or more unclosed")
    return added
