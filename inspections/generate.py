"""Synthetic inspections for benchmarks: six tier-2 groups per district; eight weeks of weekly tier-2 rounds over
every unfinished project, a tier-1 patrol and, for some, the tier-3 evaluation; ≈3 rectification issues per
inspection in every state, some overdue. Loaded with COPY; memory stays flat."""

from __future__ import annotations

import random
from datetime import timedelta

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
    templates = {tier: ChecklistTemplate.objects.get_or_create(name=f"生成检查表（{tier}级）", version=1,
                                                                defaults={"tier": tier})[0].pk
                 for tier in (InspectionTier.SITE, InspectionTier.DISTRICT, InspectionTier.LEADERSHIP)}
    groups = {}
    group_id = next_id(InspectionGroup)
    copy_dicts(InspectionGroup, ({"id": group_id + d * 6 + g, "name": f"生成检查组{district}-{g + 1}",
                                  "tier": InspectionTier.DISTRICT, "district_id": district, "active": True}
                                 for d, district in enumerate(ctx.district_ids) for g in range(6)), now=now)
    for d, district in enumerate(ctx.district_ids):
        groups[district] = [group_id + d * 6 + g for g in range(6)]
    open_projects = [p for p in ctx.projects if p[3] != ProjectStatus.HANDED_OVER]
    inspection_id, issue_id = next_id(Inspection), next_id(RectificationIssue)
    issue_rows = []  # filled alongside the inspections, loaded after them

    def inspections(chunk, offset):
        nonlocal inspection_id
        for n, (pid, _compound, contractor, status, start, district) in enumerate(chunk, start=offset):
            visits = [(InspectionTier.DISTRICT, this_monday - timedelta(weeks=w), w) for w in range(WEEKS)]
            visits.append((InspectionTier.SITE, today - timedelta(days=rng.randint(1, 20)), None))
            if n % 10 == 0:
                visits.append((InspectionTier.LEADERSHIP, today - timedelta(days=rng.randint(30, 120)), None))
            for tier, day, week_ago in visits:
                planned = week_ago == 0 and rng.random() < 0.5  # half of this week's round still to come
                week = day if tier == InspectionTier.DISTRICT else None
                group = groups[district][n % 6] if tier == InspectionTier.DISTRICT else None
                planned_date = (week + timedelta(days=n % 5)) if week else day
                yield {"id": inspection_id, "project_id": pid, "tier": tier, "group_id": group,
                       "template_id": templates[tier], "planned_date": planned_date, "week": week,
                       "unannounced": tier == InspectionTier.DISTRICT,
                       "status": InspectionStatus.PLANNED if planned else InspectionStatus.FILED,
                       "filed_at": None if planned else now - timedelta(days=(today - planned_date).days),
                       "score": rng.randint(70, 98) if tier == InspectionTier.LEADERSHIP else None,
                       "updated_at": now}
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
                status = (IssueStatus.CLOSED if roll < 0.55 + min(age, 56) / 150 else
                          IssueStatus.SUBMITTED if roll < 0.85 else IssueStatus.OPEN)
                found = now - timedelta(days=age)
                closed_at = found + timedelta(days=rng.randint(1, 12)) if status == IssueStatus.CLOSED else None
                yield {"id": issue_id, "inspection_id": inspection, "project_id": pid, "contractor_id": contractor,
                       "kind": rng.choice(KINDS), "description": "生成的整改问题", "location": f"{rng.randint(1, 9)}号楼",
                       "severity": severity, "deadline": deadline, "status": status, "tier": tier,
                       "rectification_note": "已整改" if status != IssueStatus.OPEN else "",
                       "submitted_at": found + timedelta(days=1) if status != IssueStatus.OPEN else None,
                       "closed_at": closed_at, "created_at": found, "updated_at": now}
                issue_id += 1

    # In chunks of projects: each chunk's inspections, then their issues — memory stays flat at any scale.
    report = ctx.progress("projects inspected", len(open_projects))
    loaded = {"inspections": 0, "issues": 0}
    for offset in range(0, len(open_projects), CHUNK_PROJECTS):
        chunk = open_projects[offset:offset + CHUNK_PROJECTS]
        loaded["inspections"] += copy_dicts(Inspection, inspections(chunk, offset), now=now)
        loaded["issues"] += copy_dicts(RectificationIssue, issues(), now=now)
        issue_rows.clear()
        report(offset + len(chunk))
    ctx.say(f"  {loaded['inspections']:,} inspections, {loaded['issues']:,} rectification issues")
