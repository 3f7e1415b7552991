"""Synthetic declarations and annual plans for benchmarks, once the projects exist (``generate_after``): each
generated project's compound has its owners' willingness vote and an approved declaration (two items, its funding
split, one or two review rounds) drawn into its district's plan of the project's year; one compound in thirty has
a new declaration waiting for review or returned; every district has its yearly targets split over its
subdistricts. Loaded with COPY (renovation_portal.bulkload); memory stays flat (chunks of compounds)."""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from consultations.choices import Electorate, MatterType, Step, VoteResult, VoteStatus
from consultations.models import Topic, Vote
from planning.choices import BatchKind, DeclarationStatus, ReviewAction
from planning.models import (
    AnnualPlan,
    Declaration,
    DeclarationFunding,
    DeclarationItem,
    DeclarationReview,
    PlanBatch,
    PlanItem,
)
from projects.choices import CATEGORY_UNITS, FundingSource, ProjectStatus, ScopeCategory, WorkClass
from projects.generate import generator_user
from projects.models import ProgrammeTarget, Project, TargetShare
from renovation_portal.bulkload import copy_dicts, next_id

CHUNK = 5_000
PENDING_EVERY = 30  # one compound in thirty has a new declaration in review


def generate(ctx) -> None:
    """Nothing before the projects exist: see ``generate_after``."""


def generate_after(ctx) -> None:
    projects = getattr(ctx, "projects", None)
    if not projects:
        return
    rng = random.Random(ctx.seed + 7)
    now = timezone.now()
    author = generator_user().pk
    # The year of each generated project (its batch), read back in one streamed query.
    years = dict(
        Project.objects.filter(pk__gte=projects[0][0], pk__lte=projects[-1][0]).values_list("pk", "batch").iterator()
    )
    subdistricts = defaultdict(set)
    for _compound, _community, sub, district, _buildings in ctx.compounds:
        subdistricts[district].add(sub)

    # Plans: one per district and year, two batches each.
    plan_id, batch_id = next_id(AnnualPlan), next_id(PlanBatch)
    plans, batches, plan_rows, batch_rows = {}, {}, [], []
    for district in sorted(subdistricts):
        for year in sorted(set(years.values())):
            plans[(district, year)] = plan_id
            plan_rows.append({"id": plan_id, "district_id": district, "year": year, "created_by_id": author,
                              "created_at": now, "updated_at": now})  # fmt: skip
            for number, kind in ((1, BatchKind.MATURE), (2, BatchKind.PUSH)):
                batch_rows.append({"id": batch_id, "plan_id": plan_id, "number": number, "kind": kind,
                                   "name": f"第{number}批"})  # fmt: skip
                batches[(plan_id, number)] = batch_id
                batch_id += 1
            plan_id += 1
    copy_dicts(AnnualPlan, plan_rows, now=now)
    copy_dicts(PlanBatch, batch_rows, now=now)

    # Targets: per district and year, split over its subdistricts (the shares leave a few compounds unassigned).
    per_year = defaultdict(lambda: [0, 0])
    for pid, _compound, _contractor, status, _start, district in projects:
        year = years.get(pid)
        per_year[(district, year)][0] += 1
        per_year[(district, year)][1] += status == ProjectStatus.HANDED_OVER
    target_id, share_id, target_rows, share_rows = next_id(ProgrammeTarget), next_id(TargetShare), [], []
    existing = set(ProgrammeTarget.objects.values_list("district_id", "year"))
    for (district, year), (to_start, to_finish) in sorted(per_year.items()):
        if (district, year) in existing:
            continue
        target_rows.append({"id": target_id, "district_id": district, "year": year, "to_start": to_start,
                            "to_finish": to_finish, "updated_at": now})  # fmt: skip
        subs = sorted(subdistricts[district])
        for sub in subs:
            share_id += 1
            share_rows.append({"id": share_id - 1, "target_id": target_id, "subdistrict_id": sub, "to_start": to_start // len(subs),
                               "to_finish": to_finish // len(subs), "updated_at": now})  # fmt: skip
        target_id += 1
    copy_dicts(ProgrammeTarget, target_rows, now=now)
    copy_dicts(TargetShare, share_rows, now=now)

    ids = {m: next_id(m) for m in (Topic, Vote, Declaration, DeclarationItem, DeclarationFunding, DeclarationReview,
                                   PlanItem)}  # fmt: skip

    def take(model):
        value = ids[model]
        ids[model] += 1
        return value

    categories = [c for c in ScopeCategory.values if c != ScopeCategory.OTHER]
    report = ctx.progress("declarations", len(projects))
    done = 0
    for offset in range(0, len(projects), CHUNK):
        rows = defaultdict(list)
        for index, (pid, compound, _contractor, _status, _start, district) in enumerate(
            projects[offset : offset + CHUNK], start=offset
        ):
            year = years.get(pid, 2024)
            topic = take(Topic)
            rows[Topic].append({"id": topic, "compound_id": compound, "title": "是否申报老旧小区改造",
                                "step": Step.PUBLIC_FEEDBACK, "created_by_id": author, "created_at": now,
                                "updated_at": now})  # fmt: skip
            vote = take(Vote)
            rows[Vote].append({"id": vote, "topic_id": topic, "title": "是否同意申报改造",
                               "matter_type": MatterType.RENOVATION_WILLINGNESS, "electorate": Electorate.COMPOUND,
                               "status": VoteStatus.CLOSED, "result": VoteResult.PASSED, "organiser_id": author,
                               "created_at": now, "updated_at": now})  # fmt: skip
            outcomes = [DeclarationStatus.APPROVED]
            if index % PENDING_EVERY == 0:
                outcomes.append(rng.choice((DeclarationStatus.SUBMITTED, DeclarationStatus.RETURNED)))
            for outcome in outcomes:
                declaration = take(Declaration)
                costs = [Decimal(rng.randint(50_000, 3_000_000)) + Decimal(rng.randint(0, 99)) / 100 for _ in range(2)]
                total = sum(costs)
                rounds = 2 if rng.random() < 0.2 or outcome == DeclarationStatus.RETURNED else 1
                rows[Declaration].append({
                    "id": declaration, "compound_id": compound, "declared_by_id": author, "status": outcome,
                    "round": rounds, "needs_summary": "雨污分流、停车难、加装电梯", "topic_id": topic, "vote_id": vote,
                    "buildings_affected": rng.randint(2, 40), "households_affected": rng.randint(40, 1200),
                    "residents_affected": rng.randint(100, 3500), "estimated_cost": total,
                    "last_reason": "补充测绘图" if rounds == 2 else "", "submitted_at": now,
                    "decided_at": now if outcome == DeclarationStatus.APPROVED else None, "created_at": now,
                    "updated_at": now,
                })  # fmt: skip
                for cost, work_class in zip(costs, (WorkClass.BASIC, WorkClass.IMPROVEMENT)):
                    category = rng.choice(categories)
                    rows[DeclarationItem].append({
                        "id": take(DeclarationItem), "declaration_id": declaration, "work_class": work_class,
                        "category": category, "description": str(ScopeCategory(category).label),
                        "quantity": Decimal(rng.randint(1, 3000)), "unit": CATEGORY_UNITS.get(category, ""),
                        "estimated_cost": cost,
                    })  # fmt: skip
                subsidy = (total * Decimal("0.8")).quantize(Decimal("0.01"))
                for source, amount in (
                    (FundingSource.DISTRICT_FUNDS, subsidy),
                    (FundingSource.RESIDENTS, total - subsidy),
                ):
                    rows[DeclarationFunding].append({"id": take(DeclarationFunding), "declaration_id": declaration,
                                                     "source": source, "amount": amount})  # fmt: skip
                history = [(1, ReviewAction.SUBMITTED)]
                if rounds == 2:
                    history += [(1, ReviewAction.RETURNED), (2, ReviewAction.SUBMITTED)]
                if outcome == DeclarationStatus.APPROVED:
                    history.append((rounds, ReviewAction.APPROVED))
                elif outcome == DeclarationStatus.RETURNED:
                    history.append((rounds, ReviewAction.RETURNED))
                for round_, action in history:
                    rows[DeclarationReview].append({"id": take(DeclarationReview), "declaration_id": declaration,
                                                    "round": round_, "action": action, "actor_id": author,
                                                    "note": "", "created_at": now})  # fmt: skip
                if outcome == DeclarationStatus.APPROVED:
                    plan = plans[(district, year)]
                    rows[PlanItem].append({"id": take(PlanItem), "plan_id": plan,
                                           "batch_id": batches[(plan, 1 if index % 3 else 2)],
                                           "declaration_id": declaration, "project_id": pid, "added_by_id": author,
                                           "created_at": now, "updated_at": now})  # fmt: skip
        for model in (Topic, Vote, Declaration, DeclarationItem, DeclarationFunding, DeclarationReview, PlanItem):
            copy_dicts(model, rows[model], now=now)
        done += min(CHUNK, len(projects) - offset)
        report(done)
