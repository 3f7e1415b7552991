"""The owners' roll import: one building however it is spelt, every field's length checked per row, all or nothing
(web and API); large files imported by a background job with progress, scoped to those who may import; the
import's queries do not grow with the rows."""

import io
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from communities.choices import RoleKind
from consultations import services
from consultations.choices import RollImportStatus
from consultations.models import OwnerUnit, RollImportJob
from tests import factories as f

pytestmark = pytest.mark.django_db
HEADER = "楼栋,单元,房号,业主,电话,专有部分面积"


@pytest.fixture
def secretary(actors):
    return actors["community_secretary"]


def _csv(rows, name="roll.csv"):
    return SimpleUploadedFile(name, ("\n".join([HEADER, *rows]) + "\n").encode(), "text/csv")


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("roll.xlsx", buffer.getvalue())


# --- A: one building however it is spelt; every field's length; no 500, nothing written ---


def test_the_same_unit_as_1_and_1haolou_is_reported_as_a_duplicate_row(tree, secretary):
    """The building is named "1号楼"; "1" is the same building, so the second row repeats the unit (it was a
    unique violation and a 500)."""
    report = services.owner_roll_import(
        actor=secretary, compound=tree["compound_a"], upload=_csv(["1,1,101,张三,,80", "1号楼,1,101,李四,,70"])
    )
    assert report.errors and [row for row, _ in report.errors] == [3]
    assert "2" in report.errors[0][1]  # names the first row of the unit
    assert not OwnerUnit.objects.exists()


@pytest.mark.parametrize("spelling", ["1", "1号楼", "１号楼", " 1 号楼 ", "1栋", "1幢", "1#", "1#楼"])
def test_every_spelling_of_the_building_matches_it(tree, secretary, spelling):
    report = services.owner_roll_import(
        actor=secretary, compound=tree["compound_a"], upload=_csv([f"{spelling},1,101,张三,,80"])
    )
    assert report.ok and report.created == 1
    assert OwnerUnit.objects.get().building == tree["building_a"]


def test_a_spelling_matching_two_buildings_is_refused_not_guessed(tree, secretary):
    f.BuildingFactory(compound=tree["compound_a"], number="1栋")
    report = services.owner_roll_import(
        actor=secretary,
        compound=tree["compound_a"],
        upload=_csv(["1,1,101,张三,,80", "1栋,1,102,李四,,70", "1号楼,1,103,王五,,60"]),
    )
    assert [row for row, _ in report.errors] == [2]
    assert "1号楼" in report.errors[0][1] and "1栋" in report.errors[0][1]
    assert not OwnerUnit.objects.exists()


def test_an_existing_unit_spelt_otherwise_is_updated_not_duplicated(tree, secretary):
    services.owner_roll_import(actor=secretary, compound=tree["compound_a"], upload=_csv(["1号楼,1,101,张三,,80"]))
    report = services.owner_roll_import(
        actor=secretary, compound=tree["compound_a"], upload=_csv(["1,1,１０１,张三,13900000000,81"])
    )
    assert (report.ok, report.created, report.updated) == (True, 0, 1)
    assert OwnerUnit.objects.get().owner_phone == "13900000000"


def test_every_field_is_checked_per_row_with_its_row_number(tree, secretary):
    report = services.owner_roll_import(
        actor=secretary,
        compound=tree["compound_a"],
        upload=_csv(
            [
                "1号楼,1,101,张三,,80",
                f"1号楼,1,102,{'张' * 51},,80",  # owner: 50 at most
                f"1号楼,1,{'1' * 21},李四,,80",  # unit: 20 at most
                f"1号楼,1,104,王五,{'1' * 21},80",  # phone: 20 at most (it was cut silently)
                "1号楼,1,105,赵六,,80.125",  # area: two decimals
                "1号楼,1,106,钱七,,NaN",
                "1号楼,100,107,孙八,,80",  # stairwell 1–99
                "1号楼,1,108,周\x00九,,80",  # PostgreSQL cannot store NUL
                f"{'1' * 40},1,109,吴十,,80",
            ]
        ),
    )
    rows = dict(report.errors)
    assert sorted(rows) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "50" in rows[3] and "20" in rows[4] and "20" in rows[5] and "80.125" in rows[6]
    assert not OwnerUnit.objects.exists()


def test_a_row_at_the_limits_is_imported(tree, secretary):
    report = services.owner_roll_import(
        actor=secretary,
        compound=tree["compound_a"],
        upload=_xlsx([["1号楼", 1.0, "1" * 20, "张" * 50, "1" * 20, 9999999.99]]),
    )
    assert report.ok and report.created == 1
    unit = OwnerUnit.objects.get()
    assert (unit.unit, unit.owner_name, unit.stairwell) == ("1" * 20, "张" * 50, 1)


def test_unreadable_csv_is_a_file_error_not_a_500(tree, secretary, api_as):
    huge = SimpleUploadedFile("roll.csv", (HEADER + '\n1号楼,1,101,"' + "x" * 200_000 + '",,80\n').encode())
    response = api_as(secretary).post(
        "/api/v1/owner-units/import/", {"compound": tree["compound_a"].pk, "file": huge}, format="multipart"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "bad_file"


def test_api_reports_duplicate_and_overlong_rows_and_writes_nothing(tree, secretary, api_as):
    response = api_as(secretary).post(
        "/api/v1/owner-units/import/",
        {
            "compound": tree["compound_a"].pk,
            "file": _csv(["1,1,101,张三,,80", "1号楼,1,101,李四,,70", f"1号楼,1,102,{'张' * 60},,70"]),
        },
        format="multipart",
    )
    assert response.status_code == 400
    details = [error["detail"] for error in response.json()["errors"]]
    assert details[0].startswith("Row 3") and details[1].startswith("Row 4")
    assert not OwnerUnit.objects.exists()


def test_web_page_reports_duplicate_and_overlong_rows_and_writes_nothing(tree, secretary, client):
    client.force_login(secretary)
    response = client.post(
        reverse("consultations:owner-roll", args=[tree["compound_a"].pk]),
        {"file": _csv(["1,1,101,张三,,80", "1号楼,1,101,李四,,70", f"1号楼,1,102,{'张' * 60},,70"])},
    )
    assert response.status_code == 200
    errors = response.content.decode().split('data-testid="import-errors"')[1].split("</div>")[0]
    assert "3" in errors and "4" in errors and "50" in errors
    assert not OwnerUnit.objects.exists()


def test_the_import_costs_the_same_queries_for_10_and_300_rows(tree, secretary):
    def queries(count, unit_prefix):
        with CaptureQueriesContext(connection) as captured:
            report = services.owner_roll_import(
                actor=secretary,
                compound=tree["compound_a"],
                upload=_csv([f"1号楼,1,{unit_prefix}{i},业主{i},,80" for i in range(count)]),
            )
        assert report.ok and report.created == count
        return len(captured)

    queries(1, "w")  # the user's scope is read once and kept on the user
    assert queries(10, "a") == queries(300, "b")
    updated = services.owner_roll_import(
        actor=secretary, compound=tree["compound_a"], upload=_csv([f"1号楼,2,b{i},业主{i},,80" for i in range(300)])
    )
    assert (updated.created, updated.updated) == (0, 300)


# --- C: large files as a background job ---


@pytest.fixture
def small_inline(settings):
    """Files of more than 3 rows go to a job (in production: 2,000)."""
    settings.ROLL_IMPORT_INLINE_MAX_ROWS = 3


GOOD_ROWS = [f"1号楼,1,{100 + i},业主{i},,80" for i in range(6)]


def test_a_large_file_is_imported_by_a_job_that_succeeds(
    tree, secretary, api_as, small_inline, django_capture_on_commit_callbacks
):
    api = api_as(secretary)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/owner-units/import/",
            {"compound": tree["compound_a"].pk, "file": _csv(GOOD_ROWS)},
            format="multipart",
        )
    assert response.status_code == 202
    job_url = response["Location"]
    assert response.json()["url"] == job_url and job_url.endswith(f"/api/v1/roll-imports/{response.json()['id']}/")
    job = api.get(job_url).json()
    assert (job["status"], job["finished"], job["rows_total"], job["rows_done"]) == ("succeeded", True, 6, 6)
    assert (job["created"], job["updated"], job["errors"]) == (6, 0, [])
    assert job["created_by"] == secretary.pk
    assert OwnerUnit.objects.filter(compound=tree["compound_a"]).count() == 6
    stored = RollImportJob.objects.get()
    assert not stored.file  # the owners' data is not kept once imported


def test_a_job_with_wrong_rows_fails_with_the_report_and_writes_nothing(
    tree, secretary, api_as, small_inline, django_capture_on_commit_callbacks
):
    rows = [*GOOD_ROWS, "1,1,100,重复,,80", "99号楼,1,200,某人,,80", f"1号楼,1,201,{'张' * 51},,80"]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(secretary).post(
            "/api/v1/owner-units/import/", {"compound": tree["compound_a"].pk, "file": _csv(rows)}, format="multipart"
        )
    assert response.status_code == 202
    job = api_as(secretary).get(response["Location"]).json()
    assert job["status"] == "failed" and job["created"] == 0
    assert [error["row"] for error in job["errors"]] == [8, 9, 10]
    assert "99号楼" in job["errors"][1]["message"]
    assert not OwnerUnit.objects.exists()
    assert not RollImportJob.objects.get().file


def test_a_job_whose_file_is_unreadable_fails_with_the_reason(tree, secretary):
    upload = SimpleUploadedFile("roll.xlsx", b"not a workbook")
    job = RollImportJob.objects.create(compound=tree["compound_a"], created_by=secretary, file_format="xlsx")
    job.file.save("roll.xlsx", upload)
    services.roll_import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == RollImportStatus.FAILED and "XLSX" in job.failure and not OwnerUnit.objects.exists()


def test_a_finished_job_run_again_changes_nothing(tree, secretary, small_inline, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.owner_roll_submit(actor=secretary, compound=tree["compound_a"], upload=_csv(GOOD_ROWS))
    assert isinstance(job, RollImportJob)
    OwnerUnit.objects.all().delete()
    services.roll_import_job_run(job_id=job.pk)  # a redelivered task
    assert not OwnerUnit.objects.exists()


def test_a_large_xlsx_file_goes_to_a_job_too(tree, secretary, small_inline, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.owner_roll_submit(
            actor=secretary,
            compound=tree["compound_a"],
            upload=_xlsx([["1号楼", 1, str(100 + i), f"业主{i}", None, 80] for i in range(6)]),
        )
    assert isinstance(job, RollImportJob)
    job.refresh_from_db()
    assert (job.status, job.created_count) == (RollImportStatus.SUCCEEDED, 6)


def test_web_page_follows_the_job_with_htmx(tree, secretary, client, small_inline, django_capture_on_commit_callbacks):
    client.force_login(secretary)
    url = reverse("consultations:owner-roll", args=[tree["compound_a"].pk])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(url, {"file": _csv(GOOD_ROWS)})
    job = RollImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("consultations:roll-import", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="queued"' in page and 'hx-trigger="every 2s"' in page  # polls while queued
    for callback in queued:
        callback()  # the worker runs it
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="succeeded"' in partial
    assert "hx-trigger" not in partial and "<html" not in partial  # finished: polling stops
    assert OwnerUnit.objects.count() == 6
    assert 'data-testid="roll-import-jobs"' in client.get(url).content.decode()


@pytest.mark.parametrize(
    "role,sees",
    [
        ("community_secretary", True),
        ("district_official", True),
        ("subdistrict_official", True),
        ("contractor", False),
        ("inspector", False),
        ("outsider", False),
        ("other_secretary", False),
    ],
)
def test_only_people_who_may_import_for_the_compound_see_the_job(role, sees, tree, actors, api_as, client):
    actors = {**actors, "other_secretary": f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_b"])}
    job = RollImportJob.objects.create(
        compound=tree["compound_a"],
        created_by=actors["community_secretary"],
        file_format="csv",
        status=RollImportStatus.FAILED,
        errors=[{"row": 2, "message": "13912345678"}],
    )
    api = api_as(actors[role])
    assert api.get(f"/api/v1/roll-imports/{job.pk}/").status_code == (200 if sees else 404)
    assert api.get("/api/v1/roll-imports/").json()["count"] == (1 if sees else 0)
    client.force_login(actors[role])
    assert client.get(reverse("consultations:roll-import", args=[job.pk])).status_code == (200 if sees else 404)


def test_the_import_refuses_a_secretary_of_another_community(tree, api_as, small_inline):
    other = f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_b"])
    response = api_as(other).post(
        "/api/v1/owner-units/import/", {"compound": tree["compound_a"].pk, "file": _csv(GOOD_ROWS)}, format="multipart"
    )
    assert response.status_code == 404 and not RollImportJob.objects.exists()


# --- C: the same job through a real Celery worker on the real Redis ---


def _route(app, routes):
    """Celery caches its router on first send: a test that sent any task before this one would route by the old table."""
    app.conf.task_routes = routes
    app.amqp._rtable = None
    del app.amqp.router


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_job_runs_in_a_real_worker(tree, secretary, small_inline):
    from renovation_portal.celery import app
    from tests.inspections.test_reminders import Worker, wait_for

    queue = f"test-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_always_eager, app.conf.task_routes
    app.conf.task_always_eager = False
    _route(app, {"consultations.run_roll_import": {"queue": queue}})
    worker = Worker(queue, MEDIA_ROOT=django_settings.MEDIA_ROOT)  # the worker reads the file the web stored
    try:
        good = services.owner_roll_submit(actor=secretary, compound=tree["compound_a"], upload=_csv(GOOD_ROWS))
        stored = Path(good.file.path)
        assert isinstance(good, RollImportJob) and stored.exists()
        assert wait_for(lambda: RollImportJob.objects.get(pk=good.pk).finished)
        bad = services.owner_roll_submit(
            actor=secretary,
            compound=tree["compound_a"],
            upload=_csv([*GOOD_ROWS, "1,1,500,甲,,80", "1号楼,1,500,乙,,80"]),
        )
        assert wait_for(lambda: RollImportJob.objects.get(pk=bad.pk).finished)
    finally:
        app.conf.task_always_eager = previous[0]
        _route(app, previous[1])
        worker.stop()
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, good.created_count, good.rows_done) == (RollImportStatus.SUCCEEDED, 6, 6)
    assert bad.status == RollImportStatus.FAILED and [e["row"] for e in bad.errors] == [9]
    assert bad.errors[0]["message"] and OwnerUnit.objects.count() == 6  # the failed job wrote nothing
    assert not stored.exists()
