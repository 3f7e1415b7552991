"""Reads on a real streaming replica (issue 20, item 4) — a benchmark, not a test: ``python bench/replica.py``.

It needs no change to the machine's PostgreSQL. From the server binaries of the newest PostgreSQL under
/usr/lib/postgresql/*/bin it makes, in ``--workdir``:

1. a **primary** cluster (``initdb``, ``wal_level = replica``, a ``replication`` line in pg_hba.conf,
   ``pg_stat_statements`` preloaded) on ``--primary-port`` (5441), with a bench database filled by
   ``manage.py migrate`` and ``manage.py generate_data --scale <--scale>``;
2. a **streaming replica** of it: ``pg_basebackup -R -X stream`` into a second data directory, started on
   ``--replica-port`` (5442) as a hot standby;

then serves the portal under gunicorn (production settings, DEBUG off) with ``DATABASE_URL`` on the primary and
``DATABASE_REPLICA_URL`` on the replica, and measures:

A. **Reads arrive on the replica.** The statistics of both servers are reset; the API lists, the dashboards and a
   CSV export are driven by bench/load.py; then each server's ``pg_stat_database`` (transactions, rows read) and
   ``pg_stat_statements`` (statements run, by kind) say where the work went.
B. **Read-your-writes holds.** With the replica's replay paused (``pg_wal_replay_pause()``: a replica lagging as
   far behind as one can), an official renames a project through the API and reads it back at once (he must see
   the new name: primary), another official reads it (the old name: the replica), the writer reads again after
   READ_YOUR_WRITES_SECONDS (the old name again: the window is the guarantee, which is why it must exceed the
   replica's lag), replay resumes and the other official sees the new name. Then, replay running, a burst of
   write-then-read pairs: every read must see its own write, and the replica's replay lag after each write is
   measured (how long until the replica shows the new name), which is what READ_YOUR_WRITES_SECONDS must cover.

With the machine's own server instead: it would need ``host replication all 127.0.0.1/32 trust`` in its
pg_hba.conf (a reload, no restart) and ``wal_level = replica`` (a restart if it is ``minimal``); a base backup of
it copies every database on it. A cluster of its own keeps this benchmark off the other databases.

Run as root, the PostgreSQL commands run as the ``postgres`` user (initdb refuses root). Results go to
bench/results/replica-<time>.json; ``--keep`` leaves the clusters running (stop them with the printed command).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
DATABASE = "replica_bench"


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if not found:
        raise SystemExit("No PostgreSQL server binaries under /usr/lib/postgresql/*/bin.")
    return Path(found[-1])


def as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, text=True, capture_output=True, **kwargs)


def psql(port: int, sql: str, database: str = DATABASE) -> list[list[str]]:
    out = run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-XAtF", "\t", "-c", sql])
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def start_cluster(bindir: Path, datadir: Path, port: int) -> None:
    run(as_postgres([str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(datadir / "server.log"), "-w",
                     "-o", f"-p {port}", "start"]))  # fmt: skip


def stop_cluster(bindir: Path, datadir: Path) -> None:
    if (datadir / "postmaster.pid").exists():
        subprocess.run(as_postgres([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "-w", "stop"]),
                       capture_output=True)  # fmt: skip


def make_primary(bindir: Path, workdir: Path, port: int) -> Path:
    datadir = workdir / "primary"
    run(as_postgres([str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--locale=C.UTF-8"]))  # fmt: skip
    with open(datadir / "postgresql.conf", "a") as conf:
        conf.write(
            "\n# bench/replica.py\nlisten_addresses = '127.0.0.1'\nwal_level = replica\nmax_wal_senders = 4\n"
            "hot_standby = on\nshared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n"
            "shared_buffers = 256MB\nsynchronous_commit = on\n"
        )
    with open(datadir / "pg_hba.conf", "a") as hba:
        hba.write("host replication all 127.0.0.1/32 trust\n")
    start_cluster(bindir, datadir, port)
    return datadir


def make_replica(bindir: Path, workdir: Path, primary_port: int, port: int) -> Path:
    datadir = workdir / "replica"
    started = time.perf_counter()
    run(as_postgres([str(bindir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
                     "-D", str(datadir), "-R", "-X", "stream", "-c", "fast"]))  # fmt: skip
    seconds = time.perf_counter() - started
    start_cluster(bindir, datadir, port)
    print(f"replica: base backup {seconds:.1f} s, started on port {port}", flush=True)
    return datadir


def wait_streaming(primary_port: int, replica_port: int) -> dict:
    for _ in range(100):
        rows = psql(primary_port, "SELECT state, sync_state FROM pg_stat_replication", "postgres")
        if rows and rows[0][0] == "streaming":
            recovery = psql(replica_port, "SELECT pg_is_in_recovery()", "postgres")[0][0]
            return {"state": rows[0][0], "sync_state": rows[0][1], "replica_in_recovery": recovery == "t"}
        time.sleep(0.2)
    raise SystemExit("The replica is not streaming (see its server.log).")


def manage(env: dict, *arguments: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env={**os.environ, **env}, check=True)
    return time.perf_counter() - started


def server_stats(port: int) -> dict:
    """What the server did since the statistics were reset: transactions and rows read in the bench database, and
    statements by kind (pg_stat_statements)."""
    commits, returned, fetched = psql(
        port, f"SELECT xact_commit, tup_returned, tup_fetched FROM pg_stat_database WHERE datname = '{DATABASE}'"
    )[0]
    kinds = psql(
        port,
        "SELECT upper(split_part(ltrim(query), ' ', 1)) AS kind, sum(calls)::bigint FROM pg_stat_statements s "
        f"JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '{DATABASE}' GROUP BY 1 ORDER BY 2 DESC",
    )
    top = psql(
        port,
        "SELECT calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) FROM pg_stat_statements s "
        f"JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '{DATABASE}' AND query ILIKE 'SELECT%' "
        "ORDER BY calls DESC LIMIT 6",
    )
    return {
        "transactions": int(commits),
        "rows_read": int(returned) + int(fetched),
        "statements_by_kind": {kind: int(calls) for kind, calls in kinds},
        "top_selects": [{"calls": int(calls), "query": query} for calls, query in top],
    }


def process_tree(root: int) -> list[int]:
    parents = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(Path(stat).parent.name)] = int(fields[1])
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) of a process, its live children, and the children it has reaped."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if pid == root else 0)
    return total / ticks


def postmaster_pid(datadir: Path) -> int:
    return int((datadir / "postmaster.pid").read_text().split()[0])


def reset_stats(port: int) -> None:
    for sql in ("SELECT pg_stat_reset()", "SELECT pg_stat_statements_reset()"):
        psql(port, sql)


def login(base: str, username: str, password: str):
    import requests

    session = requests.Session()
    page = session.get(f"{base}/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = session.post(
        f"{base}/login/",
        {"csrfmiddlewaretoken": token, "username": username, "password": password},
        headers={"Referer": f"{base}/login/"},
        allow_redirects=False,
    )
    if response.status_code != 302:
        raise SystemExit(f"Could not log in as {username} (status {response.status_code}).")
    return session


def read_your_writes(base: str, writer_token: str, other_token: str, project_id: int, args) -> dict:
    import requests

    writer, other = requests.Session(), requests.Session()
    writer.headers["Authorization"], other.headers["Authorization"] = f"Token {writer_token}", f"Token {other_token}"
    url = f"{base}/api/v1/projects/{project_id}/"
    window = float(os.environ.get("READ_YOUR_WRITES_SECONDS", "5"))

    def rename(name: str) -> float:
        etag = writer.get(url).headers["ETag"]
        response = writer.patch(url, json={"name": name}, headers={"If-Match": etag})
        assert response.status_code == 200, (response.status_code, response.text[:300])
        return time.perf_counter()  # committed: the response came after the commit

    from django.db import connections

    def replica_name() -> str:
        with connections["replica"].cursor() as cursor:  # autocommit: each read sees what has been replayed
            cursor.execute("SELECT name FROM projects_project WHERE id = %s", [project_id])
            return cursor.fetchone()[0]

    # 1. The replica as far behind as it can be: replay paused.
    before = writer.get(url).json()["name"]
    psql(args.replica_port, "SELECT pg_wal_replay_pause()")
    new = f"读写一致-{secrets.token_hex(3)}"
    rename(new)
    paused = {
        "name_before": before,
        "name_written": new,
        "writer_reads_at_once": writer.get(url).json()["name"],
        "other_official_reads": other.get(url).json()["name"],
        "replica_row": replica_name(),
    }
    time.sleep(window + 0.5)
    paused["writer_reads_after_the_window"] = writer.get(url).json()["name"]
    psql(args.replica_port, "SELECT pg_wal_replay_resume()")
    for _ in range(100):
        if replica_name() == new:
            break
        time.sleep(0.05)
    paused["other_official_reads_after_replay_resumed"] = other.get(url).json()["name"]
    paused["holds"] = (
        paused["writer_reads_at_once"] == new
        and paused["other_official_reads"] == before
        and paused["other_official_reads_after_replay_resumed"] == new
    )

    # 2. Replay running: write, read back at once, and time how long the replica takes to show the write.
    lags, seen = [], 0
    time.sleep(window + 0.5)
    for n in range(args.burst):
        name = f"读写一致-{n}-{secrets.token_hex(2)}"
        started = rename(name)
        seen += writer.get(url).json()["name"] == name
        while replica_name() != name:
            if time.perf_counter() - started > 30:
                break
            time.sleep(0.001)
        lags.append((time.perf_counter() - started) * 1000)
    lags.sort()
    return {
        "replay_paused": paused,
        "burst": {
            "writes": args.burst,
            "reads_that_saw_their_own_write": seen,
            "response_to_visible_on_replica_ms": {
                "p50": round(statistics.median(lags), 1),
                "p95": round(lags[int(len(lags) * 0.95) - 1], 1),
                "max": round(lags[-1], 1),
            },
            "read_your_writes_seconds": window,
        },
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default="/tmp/portal-replica-bench")
    parser.add_argument("--primary-port", type=int, default=5441)
    parser.add_argument("--replica-port", type=int, default=5442)
    parser.add_argument("--scale", default="district", help="generate_data --scale (district, city, province, nation)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"))
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=5, help="seconds per endpoint")
    parser.add_argument("--burst", type=int, default=50, help="write-then-read pairs with replay running")
    parser.add_argument("--keep", action="store_true", help="leave both clusters running and the workdir in place")
    args = parser.parse_args()

    bindir, workdir = pg_bin(), Path(args.workdir)
    primary_url = f"postgres://postgres@127.0.0.1:{args.primary_port}/{DATABASE}"
    replica_url = f"postgres://postgres@127.0.0.1:{args.replica_port}/{DATABASE}"
    if workdir.exists():
        for name in ("replica", "primary"):
            stop_cluster(bindir, workdir / name)
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    result: dict = {"when": datetime.now().isoformat(timespec="seconds"), "postgresql": str(bindir), "args": vars(args)}
    server = None
    try:
        make_primary(bindir, workdir, args.primary_port)
        psql(args.primary_port, f"CREATE DATABASE {DATABASE}", "postgres")
        psql(args.primary_port, "CREATE EXTENSION pg_stat_statements")
        data_env = {"DATABASE_URL": primary_url, "DEBUG": "1", "REDIS_URL": ""}
        manage(data_env, "migrate", "--no-input", "-v", "0")
        result["generate_seconds"] = round(
            manage(data_env, "generate_data", "--scale", args.scale, "--rollups-after"), 1
        )
        make_replica(bindir, workdir, args.primary_port, args.replica_port)
        result["replication"] = wait_streaming(args.primary_port, args.replica_port)
        print(f"replication: {result['replication']}", flush=True)

        os.environ["DATABASE_REPLICA_URL"] = replica_url
        os.environ["STATIC_ROOT"] = str(workdir / "static")  # production settings: WhiteNoise's manifest
        from bench.run import actors, configure, make_token, start_gunicorn

        env = configure(primary_url, args.redis_url)
        from django.conf import settings

        assert settings.READ_REPLICA == "replica"
        from communities.choices import RoleKind
        from communities.models import Role, User
        from projects.models import Project

        district, national, official = actors()
        other, created = User.objects.get_or_create(username="bench_district_2")
        if created:
            Role.objects.create(user=other, kind=RoleKind.DISTRICT_OFFICIAL, district=district)
        password = secrets.token_urlsafe(16)
        official.set_password(password)
        official.save(update_fields=["password"])
        national_token, official_token, other_token = make_token(national), make_token(official), make_token(other)
        project = Project.objects.visible_to(official).order_by("id").first()
        result["data"] = {
            "scale": args.scale,
            "compounds": Project.objects.count(),
            "districts": type(district).objects.count(),
        }
        subdistrict = district.subdistricts.order_by("id").first()
        plan = [
            ("projects list (API)", "/api/v1/projects/", national_token),
            ("issues list (API)", "/api/v1/issues/", national_token),
            ("inspections list (API)", "/api/v1/inspections/", national_token),
            ("compounds list (API)", "/api/v1/compounds/", national_token),
            ("issues, district official (API)", "/api/v1/issues/", official_token),
            ("district dashboard (API)", f"/api/v1/dashboard/district/{district.pk}/", official_token),
            ("subdistrict dashboard (API)", f"/api/v1/dashboard/subdistrict/{subdistrict.pk}/", official_token),
        ]
        manage(env, "collectstatic", "--no-input", "-v", "0")
        server = start_gunicorn(env, args.port, args.workers)
        base = f"http://127.0.0.1:{args.port}"
        browser = login(base, official.username, password)  # a write (the session): pins him for the window
        import requests

        for token in (national_token, official_token, other_token):
            # A token's first use stamps its last_used_at (at most every 5 minutes): a write, which pins the token to
            # the primary for the window, as it would a phone's. Outside the measurement.
            requests.get(f"{base}/api/v1/projects/", headers={"Authorization": f"Token {token}"})
        time.sleep(float(os.environ.get("READ_YOUR_WRITES_SECONDS", "5")) + 0.5)

        # A. Where the reads go.
        for port in (args.primary_port, args.replica_port):
            reset_stats(port)
        processes = {
            "web (gunicorn)": server.pid,
            "primary": postmaster_pid(workdir / "primary"),
            "replica": postmaster_pid(workdir / "replica"),
        }
        cpu_before = {name: cpu_seconds(pid) for name, pid in processes.items()}
        load = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "load.py"),
                "--base",
                base,
                "--concurrency",
                str(args.concurrency),
                "--duration",
                str(args.duration),
                "--warmup",
                "0",
            ],
            input=json.dumps([{"name": n, "path": p, "token": t} for n, p, t in plan]),
            text=True,
            capture_output=True,
            check=True,
        )
        result["endpoints"] = [json.loads(line) for line in load.stdout.splitlines() if line.startswith("{")]
        requests_served = sum(row["requests"] for row in result["endpoints"])
        result["cpu_ms_per_request"] = {
            name: round((cpu_seconds(pid) - cpu_before[name]) * 1000 / requests_served, 2)
            for name, pid in processes.items()
        }
        result["requests_served"] = requests_served
        exports = []
        for _ in range(5):
            started = time.perf_counter()
            response = browser.get(f"{base}/inspections/issues/", params={"export": "csv"})
            assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
            exports.append({"ms": round((time.perf_counter() - started) * 1000, 1), "bytes": len(response.content)})
        result["csv_exports"] = exports
        time.sleep(1)  # the statistics collector
        result["primary"] = server_stats(args.primary_port)
        result["replica"] = server_stats(args.replica_port)

        # B. Read-your-writes.
        result["read_your_writes"] = read_your_writes(base, official_token, other_token, project.pk, args)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if not args.keep:
            for name in ("replica", "primary"):
                stop_cluster(bindir, workdir / name)
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept: {bindir}/pg_ctl -D {workdir}/replica stop; {bindir}/pg_ctl -D {workdir}/primary stop")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"replica-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(markdown(result))
    print(f"\n(full result: {out})")


def markdown(result: dict) -> str:
    lines = [
        f"Data: generate_data --scale {result['data']['scale']} ({result['data']['compounds']:,} projects); "
        f"replication {result['replication']['state']} ({result['replication']['sync_state']}).",
        "",
        "| endpoint | req/s | p50 ms | p95 ms | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in result["endpoints"]:
        lines.append(f"| {row['name']} | {row['rps']} | {row['p50_ms']} | {row['p95_ms']} | {row['errors']} |")
    lines += ["", "| server | transactions | rows read | SELECT | INSERT | UPDATE | DELETE |", "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for name in ("primary", "replica"):
        s, kinds = result[name], result[name]["statements_by_kind"]
        lines.append(
            f"| {name} | {s['transactions']:,} | {s['rows_read']:,} | {kinds.get('SELECT', 0):,} | "
            f"{kinds.get('INSERT', 0):,} | {kinds.get('UPDATE', 0):,} | {kinds.get('DELETE', 0):,} |"
        )
    cpu = result["cpu_ms_per_request"]
    lines += [
        "",
        f"CPU per request over the {result['requests_served']:,} requests: "
        + ", ".join(f"{name} {ms} ms" for name, ms in cpu.items()),
    ]
    p = result["read_your_writes"]["replay_paused"]
    b = result["read_your_writes"]["burst"]
    lag = b["response_to_visible_on_replica_ms"]
    lines += [
        "",
        f"CSV export (issues, signed-in official), 5 runs: {[e['ms'] for e in result['csv_exports']]} ms, "
        f"{result['csv_exports'][0]['bytes']:,} bytes",
        f"Replay paused: wrote {p['name_written']!r} (was {p['name_before']!r}); the writer read "
        f"{p['writer_reads_at_once']!r} at once, another official {p['other_official_reads']!r} (replica row: "
        f"{p['replica_row']!r}); after the window the writer read {p['writer_reads_after_the_window']!r}; after "
        f"replay resumed the other official read {p['other_official_reads_after_replay_resumed']!r}. "
        f"Holds: {p['holds']}.",
        f"Replay running: {b['reads_that_saw_their_own_write']}/{b['writes']} reads right after their own write saw "
        f"it; after the write's response the replica showed it within p50 {lag['p50']} ms, p95 {lag['p95']} ms, max {lag['max']} ms "
        f"(window {b['read_your_writes_seconds']} s).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
