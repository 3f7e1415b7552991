"""Page weight on a phone's first visit (a benchmark, not a test): ``make bench-weight``.

1. Builds the demo in a temporary directory (SQLite, ``migrate`` + ``load_demo``: the data of ``make demo``) and
   collects the static files as production does (WhiteNoise's compressed manifest storage writes a ``.gz`` next
   to each file);
2. serves it under gunicorn with production settings (DEBUG off); both in bench/demo_server.py;
3. logs in as each demo role through the login form and measures its home page, every page of its navigation,
   and the first detail page of each kind linked from those (project, issue, inspection, meeting, compound,
   lower dashboard), and the public compound page and a building plate without login. Each page is fetched as on
   a first visit (empty cache) with ``Accept-Encoding: gzip, br``, with every style sheet, script and icon it
   loads (images that load lazily are not counted: a phone fetches them when they scroll into view); the
   figure is the bytes that cross the wire: response headers plus the body as sent (compressed);
4. checks the budgets (dashboards ≤ 500 KB, every other page ≤ 150 KB), writes
   bench/results/page-weight-<time>.json and prints the Markdown table for BENCHMARKS.md. Exits 1 when a page
   is over its budget.

``--base http://127.0.0.1:8000`` measures a running portal instead (e.g. ``make demo``) and skips 1-2.
"""

from __future__ import annotations

import argparse
import gzip
import http.cookiejar
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

if __package__ in (None, ""):  # run as a script (`make bench-weight`): the repository root is not on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.demo_server import DEMO_PASSWORD, PUBLIC_START, ROLES, demo_portal

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
KB = 1024
DASHBOARD_BUDGET = 500 * KB
FIELD_BUDGET = 150 * KB
# The first link of each kind found on a role's pages is measured too.
DETAIL_KINDS = {
    "project": re.compile(r"^/projects/\d+/$"),
    "issue": re.compile(r"^/inspections/issues/\d+/$"),
    "inspection": re.compile(r"^/inspections/\d+/$"),
    "meeting": re.compile(r"^/consultations/meetings/\d+/$"),
    "compound": re.compile(r"^/places/compounds/\d+/$"),
    "lower dashboard": re.compile(r"^/dashboard/(subdistrict|community|compound)/\d+/$"),
    "building plate": re.compile(r"^/public/compounds/[\w-]+/buildings/\d+/plate/$"),
}


def budget_for(path: str) -> int:
    """Dashboards carry the charts; their printable weekly report is an ordinary page."""
    return DASHBOARD_BUDGET if path.startswith("/dashboard/") and "/weekly/" not in path else FIELD_BUDGET


class PageAssets(HTMLParser):
    """What a browser fetches for a page on a first visit: style sheets, scripts, the icon, eager images; and the
    page's links (navigation items marked)."""

    def __init__(self):
        super().__init__()
        self.assets: list[str] = []
        self.icons: list[tuple[str, str]] = []
        self.links: list[str] = []
        self.nav_links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        rel = (a.get("rel") or "").lower().split()
        if tag == "link" and "stylesheet" in rel and a.get("href"):
            self.assets.append(a["href"])
        elif tag == "link" and "icon" in rel and a.get("href"):
            self.icons.append((a["href"], a.get("type") or ""))
        elif tag == "script" and a.get("src"):
            self.assets.append(a["src"])
        elif tag == "img" and a.get("src") and a.get("loading") != "lazy" and not a["src"].startswith("data:"):
            self.assets.append(a["src"])
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if "nav-link" in (a.get("class") or "").split():
                self.nav_links.append(a["href"])

    def fetched(self) -> list[str]:
        """Chromium takes the SVG icon when a page offers one, else the first icon, else asks for /favicon.ico."""
        svg = [href for href, kind in self.icons if kind == "image/svg+xml"]
        icon = svg[0] if svg else self.icons[0][0] if self.icons else "/favicon.ico"
        return list(dict.fromkeys([*self.assets, icon]))


@dataclass
class Weight:
    user: str
    path: str
    status: int
    html_bytes: int
    asset_bytes: int
    assets: dict[str, int] = field(default_factory=dict)
    uncompressed_bytes: int = 0

    @property
    def total(self) -> int:
        return self.html_bytes + self.asset_bytes

    @property
    def budget(self) -> int:
        return budget_for(self.path)


class Browser:
    """A cookie jar and a client that keeps the body as sent (urllib never decompresses)."""

    ACCEPT = {"Accept-Encoding": "gzip, br", "Accept-Language": "zh-CN,zh;q=0.9", "User-Agent": "page-weight"}

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str, data: dict | None = None, referer: str | None = None):
        """(status, bytes on the wire, decoded body, final path)."""
        headers = dict(self.ACCEPT)
        if referer:
            headers["Referer"] = self.base + referer
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        raw = response.read()
        header_bytes = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + len(str(response.headers))
        encoding = response.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            decoded = gzip.decompress(raw)
        elif encoding == "br":
            import brotli  # only when a server sends brotli (WhiteNoise does when the brotli package is installed)

            decoded = brotli.decompress(raw)
        else:
            decoded = raw
        final = urllib.parse.urlsplit(response.geturl()).path
        return response.status, header_bytes + len(raw), decoded, final

    def login(self, username: str, password: str) -> None:
        _status, _size, page, _final = self.get("/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        status, _size, _page, final = self.get(
            "/login/", {"csrfmiddlewaretoken": token, "username": username, "password": password}, referer="/login/"
        )
        if final.startswith("/login/"):
            raise SystemExit(f"Could not log in as {username} (status {status}).")

    def weigh(self, user: str, path: str) -> tuple[Weight, PageAssets]:
        status, size, html, _final = self.get(path)
        parser = PageAssets()
        parser.feed(html.decode("utf-8", "replace"))
        weight = Weight(user=user, path=path, status=status, html_bytes=size, asset_bytes=0)
        weight.uncompressed_bytes = len(html)
        for asset in parser.fetched():
            asset_path = urllib.parse.urlsplit(urllib.parse.urljoin(path, asset)).path
            _status, asset_size, body, _final = self.get(asset_path)
            weight.assets[asset_path] = asset_size
            weight.asset_bytes += asset_size
            weight.uncompressed_bytes += len(body)
        return weight, parser


def local(href: str, base_path: str) -> str | None:
    parts = urllib.parse.urlsplit(urllib.parse.urljoin(base_path, href))
    if parts.netloc or parts.scheme not in ("", "http", "https"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def measure_user(base: str, user: str | None, password: str) -> list[Weight]:
    browser = Browser(base)
    if user:
        browser.login(user, password)
        start = ["/"]
    else:
        start = [PUBLIC_START]
    name = user or "anonymous"
    results: list[Weight] = []
    seen: set[str] = set()
    kinds_found: set[str] = set()
    queue = list(start)
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        weight, parser = browser.weigh(name, path)
        results.append(weight)
        if path in start:
            queue.extend(p for p in (local(h, path) for h in parser.nav_links) if p and p not in seen)
        for href in parser.links:
            target = local(href, path)
            if not target or target in seen:
                continue
            for kind, pattern in DETAIL_KINDS.items():
                if kind not in kinds_found and pattern.match(target):
                    kinds_found.add(kind)
                    queue.append(target)
    return results


def table(rows: list[Weight]) -> str:
    lines = [
        "| user | page | HTML KB | assets KB | total KB | uncompressed KB | budget KB | |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        verdict = "ok" if r.total <= r.budget else "**over**"
        lines.append(
            f"| {r.user} | `{r.path}` | {r.html_bytes / KB:.1f} | {r.asset_bytes / KB:.1f} | {r.total / KB:.1f} | "
            f"{r.uncompressed_bytes / KB:.0f} | {r.budget // KB} | {verdict} |"
        )
    return "\n".join(lines)


def summary(rows: list[Weight]) -> str:
    """One line per kind of page (ids taken out), over every role that reaches it: for BENCHMARKS.md."""
    kinds: dict[str, list[Weight]] = {}
    for r in rows:
        kinds.setdefault(re.sub(r"\d+", "N", r.path.split("?")[0]), []).append(r)

    def span(values, digits=0):
        low, high = min(values) / KB, max(values) / KB
        return (
            f"{low:.{digits}f}" if round(low, digits) == round(high, digits) else f"{low:.{digits}f}–{high:.{digits}f}"
        )

    lines = [
        "| page | measured as | first visit KB | of which HTML KB | uncompressed KB | budget KB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for kind, group in kinds.items():
        users = ", ".join(dict.fromkeys(r.user for r in group))
        lines.append(
            f"| `{kind}` | {users} | {span([r.total for r in group])} | {span([r.html_bytes for r in group], 1)} | "
            f"{span([r.uncompressed_bytes for r in group])} | {group[0].budget // KB} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="measure this running portal (default: build the demo and serve it)")
    parser.add_argument("--users", default=",".join(ROLES))
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    with demo_portal(args.port, args.base) as base:
        rows: list[Weight] = []
        for user in [u for u in args.users.split(",") if u]:
            rows += measure_user(base, user, args.password)
        rows += measure_user(base, None, "")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"page-weight-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps([{**asdict(r), "total": r.total, "budget": r.budget} for r in rows], indent=1))
    print(table(rows))
    print("\nBy kind of page:\n")
    print(summary(rows))
    over = [r for r in rows if r.total > r.budget]
    dashboards = [r.total for r in rows if r.budget == DASHBOARD_BUDGET]
    others = [r.total for r in rows if r.budget == FIELD_BUDGET]
    print(
        f"\n{len(rows)} pages; dashboards {min(dashboards, default=0) / KB:.0f}–{max(dashboards, default=0) / KB:.0f}"
        f" KB (budget 500), other pages {min(others, default=0) / KB:.0f}–{max(others, default=0) / KB:.0f} KB"
        f" (budget 150); over budget: {len(over)}. Results: {out.relative_to(ROOT)}"
    )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
