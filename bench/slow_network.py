"""Phones on a slow network (a benchmark, not a test): ``make bench-slow``.

Serves the demo as production does (bench/demo_server.py: SQLite demo, collected static files, gunicorn with
DEBUG off and compression on) and drives Debian's Chromium through Playwright at 390×844, each run in a new
browser context (a cold cache, no open connection), with the network throttled through the DevTools protocol as
Lighthouse's "slow 4G" (150 ms round trip, 1.6 Mbps down, 750 kbps up) and the CPU slowed ×4. For the today page
(inspector and contractor), a checklist (the inspector's inspection form), an issue (the contractor's), a meeting
(the secretary's), the public compound page (no login) and the district dashboard it records:

- bytes: the sum of ``encodedDataLength`` of every ``Network.loadingFinished`` (headers and bodies as sent);
- requests: the http(s) requests the page made;
- LCP: the last ``largest-contentful-paint`` entry (a buffered PerformanceObserver read after ``load``);
- usable: from navigation start until the page's main control is visible and enabled, and painted (not before
  the first contentful paint): each page names a selector below; the dashboard's is its first chart drawn.

Each page is measured ``--runs`` times (3); the figures are the medians. Targets (Core Web Vitals "good"): field
pages ≤ 150 KB and LCP ≤ 2.5 s, dashboards ≤ 500 KB and LCP ≤ 4 s. Writes bench/results/slow-network-<time>.json,
prints the Markdown table for BENCHMARKS.md and exits 1 when a target is missed (``--no-fail``: exit 0 anyway).

Logging in and finding each page's object (the first one on the role's list whose page shows the main form) are
done unthrottled, in a context of their own; only the session cookie passes to the measured contexts.
``--base http://127.0.0.1:8000`` measures a running portal instead (e.g. ``make demo``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script (`make bench-slow`): the repository root is not on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.demo_server import DEMO_PASSWORD, PUBLIC_START, demo_portal, free_port

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
KB = 1024
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 390, "height": 844}
# Lighthouse's "slow 4G" (the figures of its simulated throttling), applied by DevTools to every request: the
# latency is added to each request, not to connection set-up (loopback, no TLS), so a real 150 ms network costs
# a few round trips more. ``--latency 562.5 --down-kbps 1474.56 --up-kbps 675`` is Lighthouse's DevTools-throttling
# preset, which makes up for that.
LATENCY_MS = 150
DOWN_KBPS = 1600
UP_KBPS = 750
CPU_SLOWDOWN = 4


def network(latency_ms: float, down_kbps: float, up_kbps: float) -> dict:
    """Network.emulateNetworkConditions' parameters (throughputs in bytes per second)."""
    return {
        "offline": False,
        "latency": latency_ms,
        "downloadThroughput": down_kbps * 1000 / 8,
        "uploadThroughput": up_kbps * 1000 / 8,
        "connectionType": "cellular4g",
    }


FIELD = {"kind": "field", "bytes": 150 * KB, "lcp_ms": 2500}
DASHBOARD = {"kind": "dashboard", "bytes": 500 * KB, "lcp_ms": 4000}


@dataclass
class Page:
    """A page to measure: who, where (a path, or the first link on ``list_path`` matching ``link`` whose page shows
    ``selector``), and the main control that makes it usable."""

    name: str
    role: str | None
    selector: str
    target: dict
    path: str | None = None
    list_path: str | None = None
    link: str | None = None


PAGES = [
    Page("today", "inspector", "[data-testid=today-item], [data-testid=today-empty]", FIELD, path="/"),
    Page("today", "contractor", "[data-testid=today-item], [data-testid=today-empty]", FIELD, path="/"),
    # The first answer of the checklist: a pass/fail/n.a. button (the radio itself is visually hidden) or a score.
    Page(
        "checklist",
        "inspector",
        "[data-testid=inspection-form] .checklist-item label.btn, [data-testid=inspection-form] .checklist-item input.form-control",
        FIELD,
        list_path="/inspections/",
        link=r"^/inspections/\d+/$",
    ),
    Page(
        "issue",
        "contractor",
        "[data-testid=rectify-form] textarea",
        FIELD,
        list_path="/inspections/issues/",
        link=r"^/inspections/issues/\d+/$",
    ),
    Page(
        "meeting",
        "secretary",
        "[data-testid=draft-form] textarea, [data-testid=draft-form] input:not([type=hidden])",
        FIELD,
        list_path="/consultations/",
        link=r"^/consultations/meetings/\d+/$",
    ),
    Page("public compound", None, "[data-testid=report-link]", FIELD, path=PUBLIC_START),
    # /dashboard/ redirects to the user's top place: its final address is measured. ECharts draws SVG.
    Page("dashboard", "district", "#chart-status svg path", DASHBOARD, list_path="/dashboard/"),
]

# Set before the page's own scripts: notes when the main control is first visible and enabled in a frame.
WATCH = """
(selector) => {
  const bench = (window.__bench = {usable: null, fcp: null});
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === "first-contentful-paint") bench.fcp = e.startTime;
  }).observe({type: "paint", buffered: true});
  // A chart's line has no height: an SVG shape counts when it has any extent.
  const ready = (el) => {
    const box = el.getBoundingClientRect();
    const drawn = el instanceof SVGElement ? box.width > 0 || box.height > 0 : box.width > 0 && box.height > 0;
    return drawn && getComputedStyle(el).visibility !== "hidden" && !el.matches(":disabled");
  };
  const check = (now) => {
    const found = [...document.querySelectorAll(selector)].some(ready);
    if (found && bench.fcp !== null) { bench.usable = Math.max(now, bench.fcp); return; }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}
"""

# Read after load: the last LCP candidate, paint timings, and the resources that held the first render.
READ = """
() => new Promise((resolve) => {
  const out = {lcp: null, lcp_element: null};
  const nav = performance.getEntriesByType("navigation")[0];
  out.dom_content_loaded = nav.domContentLoadedEventEnd;
  out.load = nav.loadEventEnd;
  out.ttfb = nav.responseStart;
  out.usable = window.__bench.usable;
  out.fcp = window.__bench.fcp;
  // Each style sheet or script that held the first render, and when it had arrived.
  out.render_blocking = Object.fromEntries(performance.getEntriesByType("resource")
    .filter((r) => r.renderBlockingStatus === "blocking")
    .map((r) => [new URL(r.name).pathname, Math.round(r.responseEnd)]));
  new PerformanceObserver((list) => {
    const entries = list.getEntries();
    const last = entries[entries.length - 1];
    out.lcp = last.renderTime || last.loadTime || last.startTime;
    const el = last.element;
    out.lcp_element = el ? el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : "") : null;
    resolve(out);
  }).observe({type: "largest-contentful-paint", buffered: true});
  setTimeout(() => resolve(out), 1000);
})
"""


@dataclass
class Run:
    bytes: int
    requests: int
    lcp_ms: float | None
    usable_ms: float | None
    fcp_ms: float | None
    ttfb_ms: float
    load_ms: float
    lcp_element: str | None
    render_blocking: dict[str, int]
    largest: dict[str, int]


@dataclass
class Result:
    name: str
    role: str
    path: str
    kind: str
    budget_bytes: int
    target_lcp_ms: int
    runs: list[Run] = field(default_factory=list)

    def median(self, attribute: str) -> float | None:
        values = [getattr(r, attribute) for r in self.runs if getattr(r, attribute) is not None]
        return statistics.median(values) if values else None

    @property
    def misses(self) -> list[str]:
        out = []
        if self.median("bytes") > self.budget_bytes:
            out.append(f"{self.median('bytes') / KB:.0f} KB > {self.budget_bytes // KB} KB")
        lcp = self.median("lcp_ms")
        if lcp is None or lcp > self.target_lcp_ms:
            out.append(f"LCP {'none' if lcp is None else f'{lcp / 1000:.2f} s'} > {self.target_lcp_ms / 1000:g} s")
        return out


def login_state(browser, base: str, role: str | None, password: str) -> dict | None:
    """The cookies of a logged-in session (logged in through the form, unthrottled)."""
    if role is None:
        return None
    context = browser.new_context(base_url=base, locale="zh-CN", viewport=VIEWPORT)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", role)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url, timeout=30000)
    state = context.storage_state()
    context.close()
    return state


def find_path(browser, base: str, state: dict | None, spec: Page) -> str:
    """The page to measure: its path, or the final address of ``list_path`` (a redirect), or the first object on the
    list whose page shows the main control."""
    if spec.path:
        return spec.path
    context = browser.new_context(base_url=base, locale="zh-CN", viewport=VIEWPORT, storage_state=state)
    page = context.new_page()
    try:
        page.goto(spec.list_path)
        if not spec.link:
            return re.sub(r"^https?://[^/]+", "", page.url)
        pattern = re.compile(spec.link)
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
        candidates = list(dict.fromkeys(h.split("#")[0] for h in hrefs if pattern.match(h.split("#")[0])))
        for href in candidates:
            page.goto(href)
            if page.locator(spec.selector).count():
                return href
        raise SystemExit(f"{spec.name}: no page linked from {spec.list_path} for {spec.role} shows {spec.selector}")
    finally:
        context.close()


def measure(browser, base: str, state: dict | None, path: str, selector: str, conditions: dict, cpu: float) -> Run:
    """One first visit on a slow phone: a new context (cold cache), throttled, until loaded and usable."""
    context = browser.new_context(
        base_url=base, locale="zh-CN", viewport=VIEWPORT, storage_state=state, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(60000)
    page = context.new_page()
    page.add_init_script(f"({WATCH})({json.dumps(selector)})")
    cdp = context.new_cdp_session(page)
    requests: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.requestWillBeSent", lambda e: requests.setdefault(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", conditions)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
    try:
        response = page.goto(path, wait_until="load")
        if not response or response.status != 200:
            raise SystemExit(f"{path}: status {response.status if response else 'none'}")
        page.wait_for_function("() => window.__bench && window.__bench.usable !== null")
        page.wait_for_load_state("networkidle")
        timings = page.evaluate(READ)
    finally:
        context.close()
    web = {rid: url for rid, url in requests.items() if url.startswith(("http:", "https:"))}
    by_path: dict[str, int] = {}
    for rid, url in web.items():
        key = re.sub(r"^https?://[^/]+", "", url)
        by_path[key] = by_path.get(key, 0) + sizes.get(rid, 0)
    largest = dict(sorted(by_path.items(), key=lambda item: -item[1])[:5])
    return Run(
        bytes=sum(sizes.get(rid, 0) for rid in web),
        requests=len(web),
        lcp_ms=timings["lcp"],
        usable_ms=timings["usable"],
        fcp_ms=timings["fcp"],
        ttfb_ms=timings["ttfb"],
        load_ms=timings["load"],
        lcp_element=timings["lcp_element"],
        render_blocking=timings["render_blocking"],
        largest=largest,
    )


def seconds(ms: float | None) -> str:
    return "—" if ms is None else f"{ms / 1000:.2f}"


def table(results: list[Result]) -> str:
    lines = [
        "| page | as | KB | requests | FCP s | LCP s | usable s | target | |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        target = f"≤ {r.budget_bytes // KB} KB, LCP ≤ {r.target_lcp_ms / 1000:g} s"
        verdict = "ok" if not r.misses else "**missed**: " + "; ".join(r.misses)
        path = re.sub(r"/\d+/", "/N/", r.path)
        lines.append(
            f"| {r.name} `{path}` | {r.role} | {r.median('bytes') / KB:.0f} | "
            f"{r.median('requests'):.0f} | {seconds(r.median('fcp_ms'))} | {seconds(r.median('lcp_ms'))} | "
            f"{seconds(r.median('usable_ms'))} | {target} | {verdict} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="measure this running portal (default: build the demo and serve it)")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--port", type=int, default=0, help="for the demo's gunicorn (default: a free port)")
    parser.add_argument("--runs", type=int, default=3, help="runs per page; the figures are their medians")
    parser.add_argument("--pages", help="only these page names, comma-separated (e.g. today,dashboard)")
    parser.add_argument("--latency", type=float, default=LATENCY_MS, help="ms added to each request (150)")
    parser.add_argument("--down-kbps", type=float, default=DOWN_KBPS, help="download kbit/s (1600)")
    parser.add_argument("--up-kbps", type=float, default=UP_KBPS, help="upload kbit/s (750)")
    parser.add_argument("--cpu", type=float, default=CPU_SLOWDOWN, help="CPU slowdown factor (4)")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a target is missed")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium).")
    wanted = set(args.pages.split(",")) if args.pages else None
    specs = [p for p in PAGES if wanted is None or p.name in wanted]
    conditions = network(args.latency, args.down_kbps, args.up_kbps)
    load_before = os.getloadavg()
    results: list[Result] = []
    with demo_portal(args.port or free_port(), args.base) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        states: dict[str | None, dict | None] = {}
        for spec in specs:
            if spec.role not in states:
                states[spec.role] = login_state(browser, base, spec.role, args.password)
            path = find_path(browser, base, states[spec.role], spec)
            result = Result(
                spec.name,
                spec.role or "anonymous",
                path,
                spec.target["kind"],
                spec.target["bytes"],
                spec.target["lcp_ms"],
            )
            for _ in range(args.runs):
                result.runs.append(measure(browser, base, states[spec.role], path, spec.selector, conditions, args.cpu))
            print(
                f"{spec.name} ({result.role}) {path}: {result.median('bytes') / KB:.0f} KB, "
                f"LCP {seconds(result.median('lcp_ms'))} s, usable {seconds(result.median('usable_ms'))} s",
                file=sys.stderr,
            )
            results.append(result)
        browser.close()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"slow-network-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(
        json.dumps(
            {
                "conditions": {
                    "viewport": VIEWPORT,
                    "network": conditions,
                    "cpu_slowdown": args.cpu,
                    "runs": args.runs,
                    # The machine's other work slows the emulated phone too: the load average before and after.
                    "load_average": [load_before, os.getloadavg()],
                },
                "pages": [
                    {
                        **asdict(r),
                        "median": {
                            a: r.median(a)
                            for a in ("bytes", "requests", "ttfb_ms", "fcp_ms", "lcp_ms", "usable_ms", "load_ms")
                        },
                        "misses": r.misses,
                    }
                    for r in results
                ],
            },
            indent=1,
        )
    )
    print(table(results))
    missed = [r for r in results if r.misses]
    print(
        f"\n{len(results)} pages, medians of {args.runs} runs at {args.latency:g} ms, {args.down_kbps:g}/{args.up_kbps:g}"
        f" kbit/s, CPU ×{args.cpu:g}; load average {load_before[0]:.1f} → {os.getloadavg()[0]:.1f}; targets missed:"
        f" {len(missed)}. Results: {out.relative_to(ROOT)}"
    )
    return 1 if missed and not args.no_fail else 0


if __name__ == "__main__":
    sys.exit(main())
