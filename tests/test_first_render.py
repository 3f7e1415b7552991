"""What a phone on a slow network waits for before it paints anything: bench/slow_network.py measures the Largest
Contentful Paint on slow 4G (BENCHMARKS.md); this pins what that figure rests on. The first render waits for the
two style sheets in <head> and nothing else: no script in <head> that is neither deferred nor async, no third style
sheet, no web font; the scripts come at the end of <body>, after the content."""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db
STYLE_SHEETS = [f"{settings.STATIC_URL}vendor/bootstrap/bootstrap.min.css", f"{settings.STATIC_URL}css/portal.css"]


class Head(HTMLParser):
    """The style sheets and scripts of <head>, and where the first script of <body> stands."""

    def __init__(self):
        super().__init__()
        self.in_head = False
        self.style_sheets: list[str] = []
        self.blocking_scripts: list[str] = []
        self.text_before_first_script = 0
        self.body_scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head = False
        elif self.in_head and tag == "link" and "stylesheet" in (a.get("rel") or "").split():
            self.style_sheets.append(a["href"])
        elif self.in_head and tag == "script" and (a.get("type") or "text/javascript") != "application/json":
            if "defer" not in a and "async" not in a and a.get("type") != "module":
                self.blocking_scripts.append(a.get("src") or "inline")
        elif tag == "script" and a.get("src"):
            self.body_scripts += 1

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False

    def handle_data(self, data):
        if not self.in_head and not self.body_scripts:
            self.text_before_first_script += len(data.strip())


def first_render(client, path: str) -> Head:
    response = client.get(path)
    assert response.status_code == 200, path
    parser = Head()
    parser.feed(response.content.decode())
    return parser


def test_field_pages_wait_for_the_two_style_sheets_only(tree, actors, client):
    pages = [reverse("login"), reverse("public-compound", args=[tree["compound_a"].code])]
    for path in pages:
        head = first_render(client, path)
        assert head.style_sheets == STYLE_SHEETS and head.blocking_scripts == [], path
    client.force_login(actors["contractor"])
    for path in (reverse("home"), reverse("inspections:issue-list")):
        head = first_render(client, path)
        assert head.style_sheets == STYLE_SHEETS and head.blocking_scripts == [], path
        # htmx and Bootstrap's script come after the content, so the page paints while they download.
        assert head.body_scripts >= 2 and head.text_before_first_script > 0, path


def test_the_dashboard_loads_its_charts_after_the_content(tree, actors, client):
    client.force_login(actors["district_official"])
    head = first_render(client, reverse("dashboard:place", args=["district", tree["district"].pk]))
    assert head.style_sheets == STYLE_SHEETS and head.blocking_scripts == []
    assert head.text_before_first_script > 0


def test_the_style_sheets_load_no_font_and_import_nothing():
    from django.contrib.staticfiles import finders

    for url in STYLE_SHEETS:
        css = open(finders.find(url.removeprefix(settings.STATIC_URL)), encoding="utf-8").read()
        assert "@font-face" not in css and "@import" not in css, url
