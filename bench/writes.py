"""What the dashboards' rollups cost a write (``make bench-writes``): closing an issue (``issue_verify``), filing a
progress report with two quantities (``progress_report_file``), answering a resident's problem (``problem_answer``),
hooking a leader to a project (``project_add_liaison``) and a new plan version with one party's confirmation
(``plan_version_create`` + ``plan_confirm``), each through its service, timed with the rollup
triggers on and off on the same rows of the same database.

Each write runs in its own transaction, which is rolled back, so the data is the same for every run and both modes
write the same rows; the modes alternate write by write, so the shared machine's load falls on both alike. "Off"
is the session with ``session_replication_role = replica`` (PostgreSQL skips ordinary triggers: the write as it
was before the rollups). The commit's WAL flush is not in either figure.

    .venv/bin/python bench/writes.py --database-url postgres://…/bench_rollups [--writes 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from run import RESULTS, configure  # noqa: E402

BLOCK = 20  # writes of one mode in a row


class Rollback(Exception):
    pass


def switch(triggers: bool) -> None:
    """Triggers on or off for this session. Setting it discards the session's cached plans (PostgreSQL resets
    them when ``session_replication_role`` changes), so the modes alternate in blocks, each after a warm-up write."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SET session_replication_role = {'origin' if triggers else 'replica'}")


def timed(write) -> float:
    from django.db import transaction

    try:
        with transaction.atomic():
            started = time.perf_counter()
            write()
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed


def contractor_user(company_id: int):
    from communities.choices import RoleKind
    from communities.models import Role, User

    user, created = User.objects.get_or_create(username=f"bench_writer_c{company_id}")
    if created:
        Role.objects.create(user=user, kind=RoleKind.CONTRACTOR, company_id=company_id)
    return user


def summary(runs: list[float]) -> dict:
    runs = sorted(runs)
    return {
        "p50_ms": round(statistics.median(runs) * 1000, 2),
        "mean_ms": round(statistics.fmean(runs) * 1000, 2),
        "p95_ms": round(runs[max(0, int(len(runs) * 0.95) - 1)] * 1000, 2),
        "n": len(runs),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"))
    parser.add_argument("--writes", type=int, default=200, help="writes of each kind in each mode")
    args = parser.parse_args()
    configure(args.database_url, args.redis_url)

    from django.utils import timezone

    from communities.choices import RoleKind
    from communities.models import Role, User
    from consultations import services as consultations
    from consultations.choices import ProblemStatus
    from consultations.models import ResidentProblem
    from inspections import services as inspections
    from inspections.choices import IssueStatus
    from inspections.models import RectificationIssue
    from projects import services as projects
    from projects.choices import Party, ProjectStatus
    from projects.models import Project, ScopeItem

    inspector, _ = User.objects.get_or_create(username="bench_national", defaults={"is_superuser": True})
    issues = list(RectificationIssue.objects.filter(status=IssueStatus.SUBMITTED).order_by("id")[: args.writes])
    reportable = list(
        Project.objects.filter(status=ProjectStatus.CONSTRUCTION, contractor__isnull=False)
        .filter(pk__in=ScopeItem.objects.values("project_id"))
        .order_by("id")[: args.writes]
    )
    items = {}
    for item in ScopeItem.objects.filter(project__in=reportable).order_by("id"):
        items.setdefault(item.project_id, []).append(item.pk)
    writers = {p.contractor_id: contractor_user(p.contractor_id) for p in reportable}
    today = timezone.localdate()
    problems = list(ResidentProblem.objects.filter(status=ProblemStatus.OPEN).order_by("id")[: args.writes])
    hookable = list(Project.objects.select_related("compound__community__subdistrict").order_by("id")[: args.writes])
    leaders = {}
    for project in hookable:  # one district official per district: both the one who hooks and the leader hooked
        district_id = project.compound.community.subdistrict.district_id
        if district_id not in leaders:
            leaders[district_id], created = User.objects.get_or_create(username=f"bench_writer_d{district_id}")
            if created:
                Role.objects.create(user=leaders[district_id], kind=RoleKind.DISTRICT_OFFICIAL, district_id=district_id)

    confirming = list(Project.objects.filter(status=ProjectStatus.PLAN_CONFIRMATION).order_by("id")[: args.writes])

    def confirm(project):
        def write():
            version = projects.plan_version_create(actor=inspector, project=project, summary="bench")
            projects.plan_confirm(actor=inspector, plan_version=version, party=Party.CONTRACTOR)

        return write

    def answer(problem):
        return lambda: consultations.problem_answer(actor=inspector, problem=problem, answer="已协调")

    def hook(project):
        leader = leaders[project.compound.community.subdistrict.district_id]
        return lambda: projects.project_add_liaison(actor=leader, project=project, user=leader)

    def close(issue):
        return lambda: inspections.issue_verify(actor=inspector, issue=issue)

    def report(project):
        quantities = {pk: "1.5" for pk in items.get(project.pk, [])[:2]}
        return lambda: projects.progress_report_file(
            actor=writers[project.contractor_id],
            project=project,
            report_date=today,
            work_done="bench",
            percent_complete=50,
            quantities=quantities,
        )

    result = {"at": datetime.now().isoformat(timespec="seconds"), "writes": {}}
    for name, writes in (
        ("close an issue", [close(i) for i in issues]),
        ("file a progress report", [report(p) for p in reportable]),
        ("answer a resident's problem", [answer(p) for p in problems]),
        ("hook a leader to a project", [hook(p) for p in hookable]),
        ("new plan version + one confirmation", [confirm(p) for p in confirming]),
    ):
        on, off = [], []
        for start in range(0, len(writes), BLOCK):
            block = writes[start : start + BLOCK]
            for triggers, runs in (
                ((False, off), (True, on)) if start % (2 * BLOCK) == 0 else ((True, on), (False, off))
            ):
                switch(triggers)
                timed(block[0])  # warm-up after the switch: the plans again
                runs.extend(timed(write) for write in block)
        switch(True)
        row = {"without rollups": summary(off), "with rollups": summary(on)}
        row["added"] = round(row["with rollups"]["p50_ms"] / row["without rollups"]["p50_ms"] - 1, 3)
        result["writes"][name] = row
        print(
            f"| {name} | {row['without rollups']['p50_ms']} | {row['with rollups']['p50_ms']} | "
            f"{row['without rollups']['p95_ms']} | {row['with rollups']['p95_ms']} | {row['added'] * 100:+.1f} % | "
            f"{len(writes)} |",
            flush=True,
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"writes-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
