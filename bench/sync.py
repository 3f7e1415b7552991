"""A district inspector's sync at scale (``make bench-sync BENCH_DATABASE_URL=… [SYNC_ARGS=…]``): the first full sync
of his scope and the delta after one change, through the API as docs/mobile-client-guide.md tells a client to sync.

On a database filled by ``manage.py generate_data --scale …`` it
1. starts the portal under gunicorn with production settings (bench/run.py's set-up);
2. as a tier-2 inspector of the first district (``bench_sync_inspector``, made here: the generator makes no
   users), does the first full sync: for each list the app keeps — compounds, buildings, projects, the unclosed
   issues, inspections, checklists — GET it and follow ``next`` until it is null (keyset pages, ``page_size`` as
   the schema allows at most), remembering T = the time the sync started;
3. makes one change through the API: the issue's contractor (``bench_sync_c<company>``) submits evidence (a note
   and one photo) on one open issue of the district;
4. does the delta sync: every list with ``?updated_since=T`` (the issues without ``unclosed``, so that a closed
   issue reaches the phone too) and ``/sync/deletions/?since=T``; then T = that delta's start. Steps 3-4 run
   ``--delta-runs`` times (3: the median is reported), each on another open issue.

Every request sends ``Accept-Encoding: gzip`` as a phone's HTTP client does; bytes are counted as they cross the
wire: status line, response headers and the body as served (compressed only if the server compressed it). One
client, one request at a time. Prints a Markdown table, writes bench/results/sync-<time>.json and exits 1 if a
target is missed (full sync ≤ 30 s; delta ≤ 200 ms and ≤ 5 KB), unless ``--no-fail``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import signal
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from run import RESULTS, configure, make_token, start_gunicorn  # noqa: E402

FULL_SYNC_SECONDS = 30.0
DELTA_MS = 200.0
DELTA_BYTES = 5 * 1024

# The lists an inspector's app keeps: (name, path, the first sync's own filter). Checklists are a plain numbered
# list; the others are keyset pages, oldest change first.
RESOURCES = [
    ("compounds", "/api/v1/compounds/", {}),
    ("buildings", "/api/v1/buildings/", {}),
    ("projects", "/api/v1/projects/", {}),
    ("open issues", "/api/v1/issues/", {"unclosed": "true"}),
    ("inspections", "/api/v1/inspections/", {}),
    ("checklists", "/api/v1/checklists/", {}),
]


def actors():
    """The first district, its tier-2 inspector, and a contractor user for each contractor of its open issues."""
    from communities.choices import InspectionTier, RoleKind
    from communities.models import District, Role, User

    district = District.objects.order_by("id").first()
    inspector, created = User.objects.get_or_create(username="bench_sync_inspector")
    if created:
        Role.objects.create(user=inspector, kind=RoleKind.INSPECTOR, tier=InspectionTier.DISTRICT, district=district)
    return district, inspector


def open_issues_to_change(district, count: int) -> list[tuple[int, str]]:
    """``count`` open issues of the district with a contractor: (issue id, token of a user of that contractor)."""
    from communities.choices import RoleKind
    from communities.models import Role, User
    from inspections.choices import IssueStatus
    from inspections.models import RectificationIssue

    issues = list(
        RectificationIssue.objects.filter(
            status=IssueStatus.OPEN,
            contractor__isnull=False,
            project__compound__community__subdistrict__district=district,
        )
        .order_by("-id")
        .values_list("id", "contractor_id")[:count]
    )
    if len(issues) < count:
        raise SystemExit(f"The district has {len(issues)} open issues with a contractor; {count} are needed.")
    tokens = {}
    for _issue, company in issues:
        if company not in tokens:
            user, created = User.objects.get_or_create(username=f"bench_sync_c{company}")
            if created:
                Role.objects.create(user=user, kind=RoleKind.CONTRACTOR, company_id=company)
            tokens[company] = make_token(user, "bench-sync")
    return [(issue, tokens[company]) for issue, company in issues]


def photo_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 140, 160)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


class Client:
    """One phone: one session, gzip accepted, every response's bytes counted as they came over the wire."""

    def __init__(self, base: str, token: str):
        import requests

        self.base = base
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Token {token}", "Accept-Encoding": "gzip", "Accept": "application/json"}
        )

    def get(self, url: str) -> tuple[dict, int, float]:
        """(the decoded JSON, bytes on the wire, seconds)."""
        started = time.perf_counter()
        response = self.session.get(url if url.startswith("http") else self.base + url, stream=True, timeout=120)
        body = response.raw.read(decode_content=False)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"GET {url}: {response.status_code} {body[:300]!r}")
        head = f"HTTP/1.1 {response.status_code} {response.reason}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in response.raw.headers.items()
        )
        wire = len(head.encode()) + 2 + len(body)
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        # What the body would weigh gzipped (level 6, as Django's GZipMiddleware), had the server compressed it.
        self.gzip_would_be = len(head.encode()) + 2 + min(len(body), len(gzip.compress(body, 6)))
        return json.loads(body), wire, elapsed


def sync_list(client: Client, path: str, params: dict) -> dict:
    """Follow ``next`` to the end: requests, rows, bytes, seconds, the ids seen; a cursor that repeats is an error."""
    url, seen_urls = f"{path}?{urlencode(params)}", set()
    stats = {"requests": 0, "rows": 0, "bytes": 0, "seconds": 0.0, "gzip_would_be": 0, "ids": []}
    while url:
        if url in seen_urls:
            raise SystemExit(f"{path}: the next link repeats ({url}); the pages would never end")
        seen_urls.add(url)
        data, wire, elapsed = client.get(url)
        rows = data["results"] if isinstance(data, dict) else data
        stats["requests"] += 1
        stats["rows"] += len(rows)
        stats["bytes"] += wire
        stats["gzip_would_be"] += client.gzip_would_be
        stats["seconds"] += elapsed
        stats["ids"].extend(row.get("id") for row in rows)
        url = data.get("next") if isinstance(data, dict) else None
    if len(set(stats["ids"])) != len(stats["ids"]):
        raise SystemExit(f"{path}: the pages repeat rows")
    return stats


def full_sync(client: Client, page_size: int) -> tuple[dict, float, datetime]:
    since = datetime.now(UTC)
    started = time.perf_counter()
    per = {}
    for name, path, params in RESOURCES:
        per[name] = sync_list(client, path, {**params, "page_size": page_size})
    return per, time.perf_counter() - started, since


def delta_sync(clients: list[Client], since: datetime, page_size: int) -> tuple[dict, float, datetime]:
    """Every list changed after ``since`` (the issues whatever their status), then the deletions: one list after
    another with one client, or as many lists at a time as there are clients (each its own connection)."""
    from concurrent.futures import ThreadPoolExecutor

    next_since = datetime.now(UTC)
    stamp = since.isoformat()
    lists = [(name.replace("open issues", "issues"), path, {"updated_since": stamp}) for name, path, _ in RESOURCES]
    lists.append(("deletions", "/api/v1/sync/deletions/", {"since": stamp}))
    started = time.perf_counter()
    if len(clients) == 1:
        per = {name: sync_list(clients[0], path, {**params, "page_size": page_size}) for name, path, params in lists}
    else:
        with ThreadPoolExecutor(len(clients)) as pool:
            futures = {
                name: pool.submit(sync_list, clients[n % len(clients)], path, {**params, "page_size": page_size})
                for n, (name, path, params) in enumerate(lists)
            }
            per = {name: future.result() for name, future in futures.items()}
    return per, time.perf_counter() - started, next_since


def server_cpu_ms(arbiter: int) -> float:
    """CPU time (user + system) used so far by gunicorn's workers (the application's side, not PostgreSQL's)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    children = Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total * 1000 / ticks


def submit_evidence(base: str, issue: int, token: str, photo: bytes) -> None:
    import requests

    response = requests.post(
        f"{base}/api/v1/issues/{issue}/submit/",
        headers={"Authorization": f"Token {token}", "Idempotency-Key": str(uuid.uuid4())},
        data={"note": "已按要求整改（同步基准）"},
        files={"photos": ("evidence.jpg", photo, "image/jpeg")},
        timeout=60,
    )
    if response.status_code != 200:
        raise SystemExit(f"submit evidence on issue {issue}: {response.status_code} {response.text[:300]}")


def table(result: dict) -> str:
    lines = [
        "| first full sync | requests | rows | bytes on the wire | seconds |",
        "|---|---:|---:|---:|---:|",
    ]
    full = result["full"]
    for name, row in full["resources"].items():
        lines.append(f"| {name} | {row['requests']} | {row['rows']:,} | {row['bytes']:,} | {row['seconds']:.2f} |")
    lines.append(
        f"| **total** (target ≤ {FULL_SYNC_SECONDS:.0f} s) | {full['requests']} | {full['rows']:,} | "
        f"{full['bytes']:,} ({full['bytes'] / 2**20:.1f} MB) | **{full['seconds']:.2f}** |"
    )
    delta = result["delta"]
    lines += [
        "",
        "| delta sync after one change | requests | rows | bytes on the wire | ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in delta["runs"][delta["median_run"]]["resources"].items():
        lines.append(f"| {name} | {row['requests']} | {row['rows']} | {row['bytes']:,} | {row['seconds'] * 1000:.1f} |")
    lines.append(
        f"| **total**, median of {len(delta['runs'])} (target ≤ {DELTA_MS:.0f} ms, ≤ {DELTA_BYTES:,} bytes) | "
        f"{delta['requests']} | {delta['rows']} | **{delta['bytes']:,}** | **{delta['ms']:.1f}** |"
    )
    p = delta["parallel"]
    lines.append(f"| the same, {p['clients']} lists at a time (median of {len(p['runs'])}) | | | | {p['ms']:.1f} |")
    lines.append("")
    lines.append(
        f"gunicorn CPU a delta (median): {delta['server_cpu_ms']} ms one list after another, "
        f"{p['server_cpu_ms']} ms {p['clients']} at a time; load average at the end: "
        f"{', '.join(f'{x:.1f}' for x in delta['load_average'])} on {os.cpu_count()} cores; "
        f"the bodies gzipped afresh would weigh {full['gzip_would_be']:,} bytes (lists are served gzipped, records not)"
    )
    runs = ", ".join(f"{r['ms']:.1f} ms / {r['bytes']:,} B" for r in delta["runs"])
    lines.append(f"delta runs: {runs}; the changed issue came back alone in every delta: {delta['changed_row_only']}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--page-size", type=int, default=200, help="rows a page (the API allows at most 200)")
    parser.add_argument("--delta-runs", type=int, default=3, help="delta syncs of each mode (median reported)")
    parser.add_argument(
        "--parallel", type=int, default=4, help="connections of the parallel delta (the lists fetched at once)"
    )
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a target is missed")
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("Give --database-url (a database filled by manage.py generate_data).")
    os.environ.setdefault("MEDIA_ROOT", "/tmp/bench-sync-media")
    env = configure(args.database_url, args.redis_url)

    from communities.models import Compound, District
    from inspections.models import RectificationIssue

    district, inspector = actors()
    token = make_token(inspector, "bench-sync")
    changes = open_issues_to_change(district, 2 * args.delta_runs)  # a change before each delta, both modes
    photo = photo_bytes()
    scale = {
        "districts": District.objects.count(),
        "compounds": Compound.objects.count(),
        "issues": RectificationIssue.objects.count(),
    }
    print(f"data: {scale}; the inspector's district: {district} (id {district.pk})", flush=True)

    base = f"http://127.0.0.1:{args.port}"
    server = start_gunicorn(env, args.port, args.workers)
    try:
        client = Client(base, token)
        client.get("/api/v1/me/")  # the app's login screen: warms the worker, not part of the sync
        resources, seconds, since = full_sync(client, args.page_size)
        full = {
            "resources": {name: {k: v for k, v in row.items() if k != "ids"} for name, row in resources.items()},
            "requests": sum(r["requests"] for r in resources.values()),
            "rows": sum(r["rows"] for r in resources.values()),
            "bytes": sum(r["bytes"] for r in resources.values()),
            "gzip_would_be": sum(r["gzip_would_be"] for r in resources.values()),
            "seconds": round(seconds, 2),
        }
        print(f"full sync: {full['rows']:,} rows, {full['bytes']:,} bytes in {seconds:.2f} s", flush=True)
        modes = {"sequential": [client], "parallel": [Client(base, token) for _ in range(args.parallel)]}
        runs, parallel_runs, changed_only = [], [], True
        for n, (issue, contractor_token) in enumerate(changes):
            mode = "sequential" if n % 2 == 0 else "parallel"
            submit_evidence(base, issue, contractor_token, photo)
            cpu = server_cpu_ms(server.pid)
            per, seconds, next_since = delta_sync(modes[mode], since, args.page_size)
            cpu = server_cpu_ms(server.pid) - cpu
            since = next_since
            changed_only &= per["issues"]["ids"] == [issue]
            (runs if mode == "sequential" else parallel_runs).append(
                {
                    "changed_issue": issue,
                    "resources": {name: {k: v for k, v in row.items() if k != "ids"} for name, row in per.items()},
                    "requests": sum(r["requests"] for r in per.values()),
                    "rows": sum(r["rows"] for r in per.values()),
                    "bytes": sum(r["bytes"] for r in per.values()),
                    "ms": round(seconds * 1000, 1),
                    "server_cpu_ms": round(cpu, 1),
                }
            )
            last = (runs if mode == "sequential" else parallel_runs)[-1]
            print(
                f"delta ({mode}): {last['rows']} rows, {last['bytes']:,} bytes in {last['ms']} ms "
                f"(gunicorn CPU {last['server_cpu_ms']} ms)",
                flush=True,
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    order = sorted(range(len(runs)), key=lambda i: runs[i]["ms"])
    median_run = order[len(order) // 2]
    delta = {
        "runs": runs,
        "median_run": median_run,
        "ms": statistics.median(r["ms"] for r in runs),
        "bytes": int(statistics.median(r["bytes"] for r in runs)),
        "requests": runs[median_run]["requests"],
        "rows": runs[median_run]["rows"],
        "changed_row_only": changed_only,
        "server_cpu_ms": statistics.median(r["server_cpu_ms"] for r in runs),
        "parallel": {
            "clients": args.parallel,
            "runs": parallel_runs,
            "ms": statistics.median(r["ms"] for r in parallel_runs),
            "server_cpu_ms": statistics.median(r["server_cpu_ms"] for r in parallel_runs),
        },
        "load_average": os.getloadavg(),
    }
    misses = []
    if full["seconds"] > FULL_SYNC_SECONDS:
        misses.append(f"full sync {full['seconds']} s > {FULL_SYNC_SECONDS} s")
    if delta["ms"] > DELTA_MS:
        misses.append(f"delta {delta['ms']} ms > {DELTA_MS} ms")
    if delta["bytes"] > DELTA_BYTES:
        misses.append(f"delta {delta['bytes']:,} bytes > {DELTA_BYTES:,} bytes")
    result = {
        "at": datetime.now().isoformat(timespec="seconds"),
        "scale": scale,
        "district": district.pk,
        "cores": os.cpu_count(),
        "gunicorn_workers": args.workers,
        "page_size": args.page_size,
        "full": full,
        "delta": delta,
        "misses": misses,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"sync-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(table(result))
    print(f"\nresults: {path}")
    if misses:
        print("MISSED: " + "; ".join(misses))
        if not args.no_fail:
            sys.exit(1)


if __name__ == "__main__":
    main()
