"""What a phone downloads on a first visit: pages and their static files are compressed, ECharts (a build with only
the charts drawn) loads on dashboards only, and a field page and a dashboard stay within their budgets (150 KB,
500 KB). bench/page_weight.py measures every page of every role against a served demo; this pins the budgets at
the byte level, which is deterministic. Also the base template's polish: a favicon, and htmx configured so that it
inserts no inline style the CSP would refuse."""

import gzip
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from bench.page_weight import DASHBOARD_BUDGET, FIELD_BUDGET, PageAssets, budget_for
from projects.models import Project

pytestmark = pytest.mark.django_db
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def static_file(url: str) -> Path:
    found = finders.find(url.removeprefix(settings.STATIC_URL))
    assert found, f"{url} is not a static file"
    return Path(found)


def first_visit_bytes(client, path: str) -> tuple[int, list[str]]:
    """The page as sent (gzip) plus each static file it loads gzipped as WhiteNoise stores it (level 9), and the
    list of those files."""
    response = client.get(path, **GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip" and "Accept-Encoding" in response["Vary"]
    parser = PageAssets()
    parser.feed(gzip.decompress(response.content).decode())
    assets = parser.fetched()
    total = len(response.content)
    for url in assets:
        total += len(gzip.compress(static_file(url).read_bytes(), compresslevel=9, mtime=0))
    return total, assets


def test_a_field_page_weighs_under_150_kb_and_loads_no_charts(tree, actors, client):
    client.force_login(actors["contractor"])
    project = Project.objects.get(compound=tree["compound_a"])
    for path in (
        reverse("home"),
        reverse("projects:project-list"),
        reverse("projects:project-detail", args=[project.pk]),
    ):
        total, assets = first_visit_bytes(client, path)
        assert budget_for(path) == FIELD_BUDGET and total <= FIELD_BUDGET, (path, total)
        assert not any("echarts" in url for url in assets), path


def test_a_dashboard_weighs_under_500_kb_with_the_portal_build_of_echarts(tree, actors, client):
    client.force_login(actors["district_official"])
    path = reverse("dashboard:place", args=["district", tree["district"].pk])
    total, assets = first_visit_bytes(client, path)
    assert budget_for(path) == DASHBOARD_BUDGET and total <= DASHBOARD_BUDGET, total
    charts = [url for url in assets if "echarts" in url]
    assert charts == [f"{settings.STATIC_URL}vendor/echarts/echarts.portal.min.js"]
    # The build holds only what dashboard.js draws: far below the full library (1.0 MB, 330 KB gzipped).
    assert len(gzip.compress(static_file(charts[0]).read_bytes(), compresslevel=9)) < 200 * 1024


def test_every_chart_type_the_dashboards_draw_is_in_the_build():
    drawn = set(re.findall(r'type: "(\w+)"', static_file("/static/js/dashboard.js").read_text()))
    drawn -= {"value", "category"}  # axis types
    build = static_file("/static/vendor/echarts/echarts.portal.min.js").read_text()
    assert drawn and drawn <= {"bar", "line", "pie"}, drawn
    for series in drawn:
        assert f'type="series.{series}"' in build, series  # each chart registers its series type by this name
    assert 'type="series.scatter"' not in build  # and nothing else is in it


def test_binary_files_and_the_api_are_not_gzipped_again(tree, actors, client, api_as):
    client.force_login(actors["contractor"])
    # JSON keeps its strong ETag (GZipMiddleware would weaken it to W/"…" and break If-Match).
    project = Project.objects.get(compound=tree["compound_a"])
    response = client.get(f"/api/v1/projects/{project.pk}/", **GZIP)
    assert response.status_code == 200 and "Content-Encoding" not in response
    assert response["ETag"].startswith('"')
    response = client.get("/favicon.ico", **GZIP, follow=False)
    assert "Content-Encoding" not in response


def test_api_lists_without_an_etag_are_gzipped(tree, actors, client):
    """A list (a sync page) has no ETag to weaken: it crosses a phone's slow link compressed."""
    client.force_login(actors["contractor"])
    response = client.get("/api/v1/projects/?page_size=200", **GZIP)
    assert response.status_code == 200 and "ETag" not in response
    assert response["Content-Encoding"] == "gzip" and "Accept-Encoding" in response["Vary"]
    assert json.loads(gzip.decompress(response.content))["results"]
    response = client.get("/api/v1/projects/")
    assert "Content-Encoding" not in response and json.loads(response.content)["results"]
    assert "Content-Encoding" not in response


def test_the_favicon_is_linked_and_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == f"{settings.STATIC_URL}favicon.ico"
    assert "max-age=86400" in response["Cache-Control"]
    assert static_file(response["Location"]).read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get(reverse("login")).content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    assert static_file("/static/favicon.svg").read_text().startswith("<svg")


def test_htmx_inserts_no_inline_style_the_csp_would_refuse(client):
    """htmx adds a <style> for its indicator unless told not to; the CSP (style-src 'self') refuses it with a
    console error on every page. The rules live in portal.css instead."""
    response = client.get(reverse("login"))
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles":false}'>""" in response.content.decode()
    css = static_file("/static/css/portal.css").read_text()
    assert ".htmx-request .htmx-indicator" in css and ".htmx-indicator { opacity: 0;" in css
