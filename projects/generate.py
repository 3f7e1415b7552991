"""Synthetic projects for benchmarks: one per compound, across the 2023–2025 batches and every lifecycle status
with dates that fit it, one EPC contractor per ≈30 compounds, ≈6 scope items per project and weekly progress
reports on started ones, a funding plan of three to seven sources per project and, on started ones, the
ledger of allocations, disbursements and spending (disbursed ≤ allocated, spent ≤ disbursed). Loaded with COPY (renovation_portal.bulkload); memory stays flat."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from communities.models import Company, User
from projects.choices import CATEGORY_UNITS, FundingSource, FundingStage, ProjectStatus, ScopeCategory
from projects.models import FundingEntry, ProgressReport, Project, ProjectFunding, ScopeItem
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


F = FundingSource
# (source, weight in the plan, chance that a project has it): central and district money in every project, one of
# the province's or the city's, the rest now and then.
FUNDING_MIX = [
    (F.CENTRAL_SUBSIDY, 35, 1.0),
    (F.PROVINCIAL_FUNDS, 10, 0.5),
    (F.CITY_FUNDS, 10, 0.5),
    (F.DISTRICT_FUNDS, 25, 1.0),
    (F.SPECIAL_BONDS, 20, 0.15),
    (F.RESIDENTS, 5, 0.6),
    (F.MAINTENANCE_FUND, 5, 0.2),
    (F.UTILITIES, 10, 0.4),
    (F.SOCIAL_CAPITAL, 10, 0.05),
]
# Share (in percent) of the allocation paid out, by status.
DISBURSED_PERCENT = {
    ProjectStatus.CONSTRUCTION: (30, 80),
    ProjectStatus.SUSPENDED: (20, 50),
    ProjectStatus.COMPLETION_ACCEPTANCE: (80, 100),
    ProjectStatus.HANDED_OVER: (100, 100),
}


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
    budgets = {}  # project id → (budget in fen, progress percent), for the funding below

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
            budget = Decimal(rng.randint(200, 3000)) * 10000
            budgets[project_id] = (int(budget * 100), progress)
            yield {
                "id": project_id,
                "compound_id": compound_id,
                "contractor_id": contractor,
                "name": f"生成小区{compound_id}改造工程",
                "batch": batch,
                "status": status,
                "status_before_suspension": ProjectStatus.CONSTRUCTION if status == ProjectStatus.SUSPENDED else "",
                "budget": budget,
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

    _generate_funding(ctx, rng, projects, budgets, author, today, now)


def _fen(value: int) -> Decimal:
    return Decimal(value) / 100


def _generate_funding(ctx, rng, projects, budgets, author, today, now) -> None:
    """The plan per source (the budget split in whole fen) and, for started projects, each source allocated in
    full before the start, part of it paid out by status and part of that spent as the works progress. Integer
    fen throughout: no float ever touches an amount."""
    plan_id, entry_id = next_id(ProjectFunding), next_id(FundingEntry)
    plans = {}  # project id → [(source, planned fen)] of the started projects

    def plan_rows():
        nonlocal plan_id
        for pid, _compound, _contractor, status, start, _district in projects:
            budget, _progress = budgets[pid]
            chosen = [(source, weight) for source, weight, chance in FUNDING_MIX if rng.random() < chance]
            weights = sum(weight for _source, weight in chosen)
            rows, left = [], budget
            for index, (source, weight) in enumerate(chosen):
                fen = left if index == len(chosen) - 1 else budget * weight // weights
                left -= fen
                rows.append((source, fen))
                yield {"id": plan_id, "project_id": pid, "source": source, "amount": _fen(fen)}
                plan_id += 1
            if start is not None and status in DISBURSED_PERCENT:
                plans[pid] = (status, start, rows)

    copy_dicts(ProjectFunding, plan_rows(), progress=ctx.progress("funding plans", len(projects) * 4), now=now)

    def entry_rows():
        nonlocal entry_id
        for pid, (status, start, rows) in plans.items():
            _budget, progress = budgets[pid]
            low, high = DISBURSED_PERCENT[status]
            for number, (source, fen) in enumerate(rows, start=1):
                disbursed = fen * rng.randint(low, high) // 100
                spent = disbursed * max(progress, 10) // 100
                allocated_on = start - timedelta(days=rng.randint(10, 40))
                disbursed_on = min(start + timedelta(days=rng.randint(10, 60)), today)
                spent_on = min(disbursed_on + timedelta(days=rng.randint(0, 60)), today)
                for stage, amount, day, document in (
                    (FundingStage.ALLOCATED, fen, allocated_on, f"财建〔{allocated_on.year}〕{pid}-{number}号"),
                    (FundingStage.DISBURSED, disbursed, disbursed_on, f"建拨〔{disbursed_on.year}〕{pid}-{number}号"),
                    (FundingStage.SPENT, spent, spent_on, f"付款凭证{pid}-{number}"),
                ):
                    if amount <= 0:
                        continue
                    yield {
                        "id": entry_id,
                        "project_id": pid,
                        "source": source,
                        "stage": stage,
                        "amount": _fen(amount),
                        "date": day,
                        "document_number": document,
                        "recorded_by_id": author.pk,
                        "created_at": now,
                        "updated_at": now,
                    }
                    entry_id += 1

    copy_dicts(FundingEntry, entry_rows(), progress=ctx.progress("funding entries", len(plans) * 12), now=now)
