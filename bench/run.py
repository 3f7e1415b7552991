"""The benchmark harness (a benchmark, not a test): ``make bench DATABASE_URL=… [BENCH_ARGS=…]``.

On a database filled by ``manage.py generate_data --scale …`` it
1. starts the portal under gunicorn (production settings, DEBUG off; the floors of bench/floors.py mounted);
2. drives it from a second process (bench/load.py) at fixed concurrency for a fixed time per endpoint and
   records requests/s, p50/p95/p99 latency and errors; counts each endpoint's queries in-process;
3. measures, in the same run, the floors: (a) plain ``values()`` views for the DRF lists, (b) the raw SQL of
   each dashboard's aggregates, (c) OFFSET vs keyset at a deep row, and (d) the contractors' reminder sweep
   over every open issue (time and peak Python memory);
4. writes bench/results/<time>.json and prints the Markdown table that goes into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def configure(database_url: str, redis_url: str) -> dict:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "HTTPS_ONLY": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "BENCH_FLOORS": "1",
        "API_USER_RATE": "100000000/hour",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "renovation_portal.settings",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return env


def make_token(user, device="bench") -> str:
    from communities.models import ApiToken

    return ApiToken.issue(user=user, device_name=device)[1]


def actors():
    """A national administrator (every row) and the official of the first district."""
    from communities.choices import RoleKind
    from communities.models import District, Role, User

    district = District.objects.order_by("id").first()
    national, _ = User.objects.get_or_create(
        username="bench_national", defaults={"is_superuser": True, "is_staff": True}
    )
    official, created = User.objects.get_or_create(username="bench_district")
    if created:
        Role.objects.create(user=official, kind=RoleKind.DISTRICT_OFFICIAL, district=district)
    return district, national, official


def upper_actors(district):
    """The officials of the first district's city and province (they read every district below them)."""
    from communities.choices import RoleKind
    from communities.models import Role, User

    city = district.city
    if city is None:
        raise SystemExit("The first district has no city: generate the data again (generate_data makes cities).")
    users = []
    for username, kind, binding in (
        ("bench_city", RoleKind.CITY_OFFICIAL, {"city": city}),
        ("bench_province", RoleKind.PROVINCE_OFFICIAL, {"province": city.province}),
    ):
        user, created = User.objects.get_or_create(username=username)
        if created:
            Role.objects.create(user=user, kind=kind, **binding)
        users.append(user)
    return city, users[0], users[1]


# The month the monthly-report benchmark prepares: December of the generated data's busiest year.
REPORT_YEAR, REPORT_MONTH = 2024, 12


def deep_cursor(row: int) -> tuple[str, object]:
    """The DRF cursor of the keyset page that starts after ``row`` rows of the issue list."""
    from inspections.models import RectificationIssue

    anchor = RectificationIssue.objects.order_by("updated_at", "id").values_list("updated_at", flat=True)[row - 1]
    query = urlencode({"p": str(anchor)})
    return base64.b64encode(query.encode("ascii")).decode("ascii"), anchor


def count_queries(path: str, token: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    client.get(path)  # warm caches (token last-used stamp, content types)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    return len(queries)


def dashboard_sql(path: str, token: str) -> list[str]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    cached, settings.DASHBOARD_CACHE_SECONDS = settings.DASHBOARD_CACHE_SECONDS, 0  # the live aggregation
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    settings.DASHBOARD_CACHE_SECONDS = cached
    # The figures' aggregates, without the request's own bookkeeping (token, scope, session).
    return [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() or "SUM(" in q["sql"].upper() or "percentile_cont" in q["sql"]
    ]


def report_sql(path: str, token: str) -> list[str]:
    """The monthly report's aggregates (compounds started and finished, targets, money), as the preview runs them."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper() or "SUM(" in q["sql"].upper()]


def time_sql(statements: list[str], repeat: int = 15) -> dict:
    from django.db import connection

    runs = []
    with connection.cursor() as cursor:
        for _ in range(repeat):
            started = time.perf_counter()
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
            runs.append(time.perf_counter() - started)
    runs.sort()
    return {
        "p50_ms": round(runs[len(runs) // 2] * 1000, 1),
        "p95_ms": round(runs[int(len(runs) * 0.95) - 1] * 1000, 1),
        "statements": len(statements),
    }


def offset_vs_keyset(row: int) -> dict:
    """The issue list's page at ``row`` by OFFSET and by keyset, in SQL (the API's cursor uses the latter)."""
    from django.db import connection

    from inspections.models import RectificationIssue

    table = RectificationIssue._meta.db_table
    anchor = RectificationIssue.objects.order_by("updated_at", "id").values_list("updated_at", "id")[row - 1]
    statements = {
        "first_page": (f"SELECT * FROM {table} ORDER BY updated_at, id LIMIT 50", []),
        "offset": (f"SELECT * FROM {table} ORDER BY updated_at, id OFFSET %s LIMIT 50", [row]),
        "keyset": (
            f"SELECT * FROM {table} WHERE (updated_at, id) > (%s, %s) ORDER BY updated_at, id LIMIT 50",
            list(anchor),
        ),
    }
    result = {}
    with connection.cursor() as cursor:
        for name, (sql, params) in statements.items():
            runs = []
            for _ in range(7):
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                runs.append(time.perf_counter() - started)
            result[name + "_ms"] = round(statistics.median(runs) * 1000, 2)
    return result


def sweep_benchmark(runs: int = 1) -> dict:
    """The contractors' reminder sweep over every open issue: one contractor user per company (no e-mail
    address, so delivery is the in-app row), time and peak Python memory; then the same day again, when every
    reminder is already claimed. ``runs`` times, each from an inbox without that day's reminders: the median
    (``seconds``), the best and every run, since the machine is shared. (More open issues for this:
    ``manage.py generate_data --open-issues 3000000`` on the generated database.)"""
    from django.db import connection

    from communities.choices import RoleKind
    from communities.models import Company, Role, User
    from inspections import sweeps
    from inspections.choices import IssueStatus
    from inspections.models import RectificationIssue
    from notifications.models import Notification

    companies = list(
        Company.objects.filter(kind="contractor")
        .exclude(pk__in=Role.objects.filter(kind=RoleKind.CONTRACTOR).values("company_id"))
        .values_list("pk", flat=True)
    )
    users = User.objects.bulk_create([User(username=f"bench_c{pk}") for pk in companies], batch_size=2000)
    Role.objects.bulk_create(
        [Role(user=u, kind=RoleKind.CONTRACTOR, company_id=pk) for u, pk in zip(users, companies)], batch_size=2000
    )
    unclosed = RectificationIssue.objects.exclude(status=IssueStatus.CLOSED).count()
    tables = [Role._meta.db_table, User._meta.db_table, Notification._meta.db_table]
    seconds, reruns, peaks, sent, again = [], [], [], 0, 0
    for _run in range(runs):
        with connection.cursor() as cursor:
            # The previous run's reminders, in one statement: a queryset delete would load every row and write
            # an audit entry for each (auditlog tracks every model) — a million for a million reminders.
            cursor.execute(f"DELETE FROM {tables[2]} WHERE kind IN ('issue_due', 'issue_overdue')")
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")  # statistics as a live system has them
        tracemalloc.start()
        started = time.perf_counter()
        sent = sweeps.remind_contractors()
        seconds.append(time.perf_counter() - started)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        started = time.perf_counter()
        again = sweeps.remind_contractors()  # the same day again: every reminder already claimed
        reruns.append(time.perf_counter() - started)
    return {
        "unclosed_issues": unclosed,
        "reminders_sent": sent,
        "seconds": round(statistics.median(seconds), 1),
        "seconds_best": round(min(seconds), 1),
        "seconds_runs": [round(s, 1) for s in seconds],
        "peak_python_mb": round(max(peaks) / 2**20, 1),
        "peak_python_mb_runs": [round(p / 2**20, 1) for p in peaks],
        "rerun_sent": again,
        "rerun_seconds": round(statistics.median(reruns), 1),
        "rerun_seconds_runs": [round(s, 1) for s in reruns],
    }


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process = subprocess.Popen(
        [
            gunicorn,
            "renovation_portal.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        start_new_session=True,
    )
    import requests

    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code in (200, 503):
                return process
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def drive(env: dict, args, plan) -> list[dict]:
    """Serve under gunicorn with ``env`` and run bench/load.py over ``plan`` from a second process."""
    server = start_gunicorn(env, args.port, args.workers)
    try:
        load = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "load.py"),
                "--base",
                f"http://127.0.0.1:{args.port}",
                "--concurrency",
                str(args.concurrency),
                "--duration",
                str(args.duration),
            ],
            input=json.dumps([{"name": n, "path": p, "token": t} for n, p, t in plan]),
            text=True,
            capture_output=True,
            check=True,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return [json.loads(line) for line in load.stdout.splitlines() if line.startswith("{")]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"))
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=15, help="seconds per endpoint")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--deep-row", type=int, default=500_000)
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--sweep-runs", type=int, default=1, help="reminder sweep runs (median and best)")
    parser.add_argument(
        "--only", default="", help="drive only the endpoints whose name contains this (e.g. 'dashboard')"
    )
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("Give --database-url (a database filled by manage.py generate_data).")
    env = configure(args.database_url, args.redis_url)

    from inspections.models import RectificationIssue
    from projects.models import Project

    district, national, official = actors()
    national_token, district_token = make_token(national), make_token(official)
    city, city_official, province_official = upper_actors(district)
    city_token, province_token = make_token(city_official), make_token(province_official)
    report_query = urlencode({"district": district.pk, "year": REPORT_YEAR, "month": REPORT_MONTH})
    issue_count = RectificationIssue.objects.count()
    deep_row = min(args.deep_row, max(1, issue_count - 100))
    cursor, _anchor = deep_cursor(deep_row)
    subdistrict = district.subdistricts.order_by("id").first()
    from dashboards import figures

    deep_page = max(1, min(100, figures.Scorecard("nation", figures.NATION_PLACE).count() // 50))
    scale = {"compounds": Project.objects.count(), "issues": issue_count, "districts": type(district).objects.count()}
    print(f"data: {scale}", flush=True)

    plan = [
        ("projects list (API)", "/api/v1/projects/", national_token),
        ("projects list (floor)", "/bench-floor/projects/", national_token),
        ("issues list (API)", "/api/v1/issues/", national_token),
        ("issues list (floor)", "/bench-floor/issues/", national_token),
        ("inspections list (API)", "/api/v1/inspections/", national_token),
        ("inspections list (floor)", "/bench-floor/inspections/", national_token),
        ("compounds list (API)", "/api/v1/compounds/", national_token),
        ("compounds list (floor)", "/bench-floor/compounds/", national_token),
        ("issues, district official (API)", "/api/v1/issues/", district_token),
        ("issues page 1 (cursor)", "/api/v1/issues/?page_size=50", national_token),
        (f"issues at row {deep_row:,} (cursor)", f"/api/v1/issues/?cursor={cursor}", national_token),
        # The machine's floor for any request at this concurrency (named so that --only dashboard drives it too).
        ("request floor for the dashboards (token + tiny JSON)", "/bench-floor/hello/", district_token),
        ("district dashboard (API)", f"/api/v1/dashboard/district/{district.pk}/", district_token),
        ("subdistrict dashboard (API)", f"/api/v1/dashboard/subdistrict/{subdistrict.pk}/", district_token),
        ("city dashboard (API)", f"/api/v1/dashboard/city/{city.pk}/", city_token),
        ("province dashboard (API)", f"/api/v1/dashboard/province/{city.province_id}/", province_token),
        # The national overview (every district's rollups, by province) and the whole scorecards it links to.
        ("nation dashboard (API)", "/api/v1/dashboard/nation/", national_token),
        (
            "province dashboard scorecard page 1 (API)",
            f"/api/v1/dashboard/province/{city.province_id}/contractors/",
            province_token,
        ),
        ("nation dashboard scorecard page 1 (API)", "/api/v1/dashboard/nation/contractors/", national_token),
        (
            f"nation dashboard scorecard page {deep_page}, by issues (API)",
            f"/api/v1/dashboard/nation/contractors/?order=issues&page={deep_page}",
            national_token,
        ),
        ("monthly report preview (API)", f"/api/v1/monthly-reports/preview/?{report_query}", district_token),
        ("monthly reports, province official (API)", "/api/v1/monthly-reports/", province_token),
        # The funding ledger (≈ 9 entries per started project): keyset pages nationally, one district's spending.
        ("funding ledger (API)", "/api/v1/funding-entries/", national_token),
        ("funding spent, district official (API)", "/api/v1/funding-entries/?stage=spent", district_token),
    ]
    paths = {name: (path, token) for name, path, token in plan}
    if args.only:
        plan = [entry for entry in plan if args.only in entry[0]]
    queries = {name: count_queries(path, token) for name, path, token in plan}
    floors = {
        f"{level} dashboard raw SQL": time_sql(dashboard_sql(*paths[f"{level} dashboard (API)"]))
        for level in ("district", "subdistrict", "city", "province", "nation")
    }
    if not args.only:
        floors["monthly report raw SQL"] = time_sql(report_sql(*paths["monthly report preview (API)"]))
        floors["offset_vs_keyset"] = offset_vs_keyset(deep_row)
    print(f"floors: {json.dumps(floors)}", flush=True)

    # The dashboards as served (no figure cache by default: district, city and province sum the rollups), then
    # with the old 60 s figure cache for comparison.
    endpoints = drive({**env, "DASHBOARD_CACHE_SECONDS": "0"}, args, plan)
    live = [
        (f"{name.replace(' (API)', '')} cached ≤ 60 s", path, token)
        for name, path, token in plan
        if "dashboard (API)" in name and "scorecard" not in name  # the scorecard's pages have no figure cache
    ]
    endpoints += drive({**env, "DASHBOARD_CACHE_SECONDS": "60"}, args, live)
    from django.conf import settings

    cached, settings.DASHBOARD_CACHE_SECONDS = settings.DASHBOARD_CACHE_SECONDS, 60
    queries.update({name: count_queries(path, token) for name, path, token in live})
    settings.DASHBOARD_CACHE_SECONDS = cached
    for row in endpoints:
        row["queries"] = queries[row["name"]]
    sweep = None if args.skip_sweep else sweep_benchmark(args.sweep_runs)

    result = {
        "at": datetime.now().isoformat(timespec="seconds"),
        "scale": scale,
        "cores": os.cpu_count(),
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "gunicorn_workers": args.workers,
        "endpoints": endpoints,
        "floors": floors,
        "sweep": sweep,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(markdown(result))
    print(f"\nresults: {path}")


def markdown(result: dict) -> str:
    rows = {row["name"]: row for row in result["endpoints"]}
    lines = [
        "| endpoint | req/s | p50 ms | p95 ms | p99 ms | errors | queries |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["endpoints"]:
        lines.append(
            f"| {row['name']} | {row['rps']} | {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} | "
            f"{row['errors']} | {row['queries']} |"
        )
    lines.append("")
    for name in ("projects", "issues", "inspections", "compounds"):
        api, floor = rows.get(f"{name} list (API)"), rows.get(f"{name} list (floor)")
        if api and floor and floor["rps"]:
            lines.append(
                f"- {name}: API {api['rps']} req/s = {api['rps'] / floor['rps']:.2f}× the plain-view floor "
                f"({floor['rps']} req/s)"
            )
    f = result["floors"]
    for level in ("nation", "province", "city", "district", "subdistrict"):
        api, cached = rows.get(f"{level} dashboard (API)"), rows.get(f"{level} dashboard cached ≤ 60 s")
        raw = f[f"{level} dashboard raw SQL"]
        if api and cached:
            lines.append(
                f"- {level} dashboard at {result['concurrency']} users, fresh (no figure cache): p95 {api['p95_ms']} ms, "
                f"{api['rps']} req/s; with the old 60 s cache p95 {cached['p95_ms']} ms, {cached['rps']} req/s; its "
                f"{raw['statements']} aggregate statements alone: p50 {raw['p50_ms']} ms, p95 {raw['p95_ms']} ms "
                "(serial, one connection)"
            )
    report, raw = rows.get("monthly report preview (API)"), f.get("monthly report raw SQL")
    if report and raw:
        lines.append(
            f"- monthly report (a district's month, live): p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, "
            f"{report['rps']} req/s; its {raw['statements']} aggregate statements alone: p50 {raw['p50_ms']} ms"
        )
    ok = f.get("offset_vs_keyset") or {"first_page_ms": "-", "offset_ms": "-", "keyset_ms": "-"}
    lines.append(
        f"- SQL, issue list: first page {ok['first_page_ms']} ms; at the deep row OFFSET {ok['offset_ms']} ms vs "
        f"keyset {ok['keyset_ms']} ms"
    )
    first = next((r for r in result["endpoints"] if r["name"] == "issues page 1 (cursor)"), None)
    deep = next((r for r in result["endpoints"] if r["name"].startswith("issues at row")), None)
    if first and deep:
        lines.append(
            f"- API cursor page at the deep row: p50 {deep['p50_ms']} ms vs page 1 {first['p50_ms']} ms "
            f"({deep['p50_ms'] / first['p50_ms']:.2f}×)"
        )
    if result["sweep"]:
        s = result["sweep"]
        lines.append(
            f"- reminder sweep: {s['unclosed_issues']:,} unclosed issues, {s['reminders_sent']:,} reminders in "
            f"{s['seconds']} s, peak Python memory {s['peak_python_mb']} MB; rerun sent {s['rerun_sent']} in "
            f"{s['rerun_seconds']} s"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
