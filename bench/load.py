"""The load driver: run in its own process (bench/run.py starts it), so that the client's work does not
share the server's interpreter. For each endpoint in turn, ``--concurrency`` threads send requests
back-to-back for ``--duration`` seconds; prints one JSON object per endpoint with requests/s, latency
percentiles (ms) and errors (any status other than 200, or a failed connection)."""

import argparse
import json
import statistics
import sys
import threading
import time

import requests


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def drive(base, token, path, concurrency, duration):
    latencies, errors, lock = [], [0], threading.Lock()
    stop_at = time.monotonic() + duration

    def worker():
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        mine, bad = [], 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                response = session.get(base + path, timeout=30)
                ok = response.status_code == 200
            except requests.RequestException:
                ok = False
            mine.append(time.perf_counter() - started)
            bad += not ok
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "mean_ms": round(statistics.mean(latencies) * 1000, 1) if latencies else None,
        "errors": errors[0],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=2)
    args = parser.parse_args()
    plan = json.load(sys.stdin)  # [{"name", "path", "token"}]
    for target in plan:
        drive(args.base, target["token"], target["path"], 2, args.warmup)
        result = drive(args.base, target["token"], target["path"], args.concurrency, args.duration)
        print(json.dumps({"name": target["name"], "path": target["path"], **result}), flush=True)


if __name__ == "__main__":
    main()
