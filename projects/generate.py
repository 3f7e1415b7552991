"""Synthetic projects for benchmarks: one per compound, across the 2023–2025 batches and every lifecycle status
with dates that fit it, one EPC contractor per ≈30 compounds, ≈6 scope items per project and weekly progress
reports on started ones. Loaded with COPY (renovation_portal.bulkload); memory stays flat."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from communities.models import Company, User
from projects.choices import CATEGORY_UNITS, ProjectStatus, ScopeCategory
from projects.models import ProgressReport, Project, ScopeItem
from renovation_portal.bulkload import copy_dicts, next_id

COMPOUNDS_PER_CONTRACTOR = 30
# Status mix of a programme two years in: most handed over, the rest spread along the lifecycle.
STATUS_WEIGHTS = [
    (ProjectStatus.HANDED_OVER, 45),
    (ProjectStatus.COMPLETION_ACCEPTANCE, 8),
    (ProjectStatus.CONSTRUCTION, 22),
    (ProjectStatus.PLAN_CONFIRMATION, 6),
    (ProjectStatus.SURVEY_DESIGN, 8),
    (ProjectStatus.PLANNING, 9),
    (ProjectStatus.SUSPENDED, 2),
]
STARTED = {
    ProjectStatus.CONSTRUCTION,
    ProjectStatus.COMPLETION_ACCEPTANCE,
    ProjectStatus.HANDED_OVER,
    ProjectStatus.SUSPENDED,
}
CATEGORIES = [
    ScopeCategory.PIPE_RAIN_SEWAGE,
    ScopeCategory.PIPE_POWER,
    ScopeCategory.PIPE_TELECOM,
    ScopeCategory.ROAD,
    ScopeCategory.LIGHTS,
    ScopeCategory.WASTE_POINT,
    ScopeCategory.GREENING,
    ScopeCategory.PARKING,
    ScopeCategory.FACADE,
    ScopeCategory.ELEVATOR,
]


def generator_user() -> User:
    user, _created = User.objects.get_or_create(username="generator", defaults={"display_name": "数据生成"})
    return user


def generate(ctx) -> None:
    rng = random.Random(ctx.seed + 1)
    now = timezone.now()
    today = timezone.localdate()
    author = generator_user()
    statuses, weights = zip(*STATUS_WEIGHTS)

    # Contractors: one per ≈30 compounds.
    company_count = max(1, len(ctx.compounds) // COMPOUNDS_PER_CONTRACTOR)
    first_company = next_id(Company)
    copy_dicts(
        Company,
        (
            {"id": first_company + i, "name": f"生成建设{ctx.run:05d}-{i:05d}有限公司", "kind": "contractor"}
            for i in range(company_count)
        ),
        now=now,
    )
    ctx.contractor_ids = range(first_company, first_company + company_count)

    project_id, item_id, report_id = next_id(Project), next_id(ScopeItem), next_id(ProgressReport)
    projects = []  # (id, compound_id, contractor_id, status, started date or None, district_id)

    def project_rows():
        nonlocal project_id
        for index, (compound_id, _community, _sub, district_id, _buildings) in enumerate(ctx.compounds):
            status = rng.choices(statuses, weights)[0]
            batch = (
                2023 if status == ProjectStatus.HANDED_OVER and rng.random() < 0.3 else rng.choice((2023, 2024, 2025))
            )
            planned_start = date(batch, rng.randint(1, 10), rng.randint(1, 28))
            planned_finish = planned_start + timedelta(days=rng.randint(120, 300))
            started = status in STARTED
            actual_start = planned_start + timedelta(days=rng.randint(0, 30)) if started else None
            finished = status == ProjectStatus.HANDED_OVER
            actual_finish = planned_finish + timedelta(days=rng.randint(-20, 60)) if finished else None
            if actual_finish and actual_finish > today:
                actual_finish = today
            contractor = first_company + (index // COMPOUNDS_PER_CONTRACTOR) % company_count
            progress = (
                100
                if status in (ProjectStatus.HANDED_OVER, ProjectStatus.COMPLETION_ACCEPTANCE)
                else (rng.randint(5, 95) if started else 0)
            )
            projects.append((project_id, compound_id, contractor, status, actual_start, district_id))
            yield {
                "id": project_id,
                "compound_id": compound_id,
                "contractor_id": contractor,
                "name": f"生成小区{compound_id}改造工程",
                "batch": batch,
                "status": status,
                "status_before_suspension": ProjectStatus.CONSTRUCTION if status == ProjectStatus.SUSPENDED else "",
                "budget": Decimal(rng.randint(200, 3000)) * 10000,
                "planned_start": planned_start,
                "planned_finish": planned_finish,
                "actual_start": actual_start,
                "actual_finish": actual_finish,
                "progress_percent": progress,
                "updated_at": now,
            }
            project_id += 1

    copy_dicts(Project, project_rows(), progress=ctx.progress("projects", len(ctx.compounds)), now=now)
    ctx.projects = projects

    def item_rows():
        nonlocal item_id
        for pid, _compound, _contractor, status, _start, _district in projects:
            done = (
                1.0
                if status in (ProjectStatus.HANDED_OVER, ProjectStatus.COMPLETION_ACCEPTANCE)
                else (rng.random() if status in STARTED else 0.0)
            )
            for category in rng.sample(CATEGORIES, 6):
                planned = (
                    Decimal(rng.randint(1, 40)) / 10 if category.startswith("pipe") else Decimal(rng.randint(5, 3000))
                )
                yield {
                    "id": item_id,
                    "project_id": pid,
                    "category": category,
                    "name": ScopeCategory(category).label,
                    "unit": CATEGORY_UNITS.get(category, ""),
                    "planned_quantity": planned,
                    "completed_quantity": (planned * Decimal(str(round(done, 2)))).quantize(Decimal("0.01")),
                    "updated_at": now,
                }
                item_id += 1

    copy_dicts(ScopeItem, item_rows(), progress=ctx.progress("scope items", len(projects) * 6), now=now)

    def report_rows():
        nonlocal report_id
        for pid, _compound, _contractor, _status, start, _district in projects:
            if start is None:
                continue
            for week in range(4):
                day = min(start + timedelta(days=7 * (week + 1)), today)
                yield {
                    "id": report_id,
                    "project_id": pid,
                    "report_date": day,
                    "work_done": "管网开挖与路面修复",
                    "percent_complete": min(100, 20 * (week + 1)),
                    "manpower": rng.randint(5, 40),
                    "created_by_id": author.pk,
                    "created_at": now,
                    "updated_at": now,
                }
                report_id += 1

    started = sum(1 for p in projects if p[4] is not None)
    copy_dicts(ProgressReport, report_rows(), progress=ctx.progress("progress reports", started * 4), now=now)
