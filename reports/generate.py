"""Generated monthly reports for benchmarks: every generated district's report for December of the busiest
generated year (2024), with the figures computed from the generated projects exactly as a submission computes
them; every tenth district also has a correction (version 2). A generated district official submits them."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.utils import timezone

from communities.choices import RoleKind
from communities.models import District, Role, User
from reports.models import MonthlyReport
from reports.selectors import monthly_figures

YEAR, MONTH = 2024, 12


def generate(ctx) -> None:
    district_ids = list(getattr(ctx, "district_ids", []))
    if not district_ids:
        return
    submitter, _created = User.objects.get_or_create(
        username=f"gen_reporter_{ctx.run:05d}", defaults={"display_name": "生成区月报员"}
    )
    Role.objects.bulk_create(
        [Role(user=submitter, kind=RoleKind.DISTRICT_OFFICIAL, district_id=pk) for pk in district_ids],
        batch_size=2000,
    )
    if connection.vendor == "postgresql":
        # The ledger and the projects were just copied in, with no statistics yet: without them the funding sums
        # are planned as scans (nation scale: ≈ 4 s a district, 24 min in all, against seconds).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE projects_fundingentry, projects_project, communities_compound")
    now = timezone.now()
    report = ctx.progress("monthly reports", len(district_ids))
    rows = []
    for index, district in enumerate(District.objects.filter(pk__in=district_ids).order_by("pk").iterator()):
        figures = monthly_figures(district, YEAR, MONTH, today=date(YEAR + 1, 1, 5))
        common = {"district": district, "year": YEAR, "month": MONTH, "figures": figures, "submitted_by": submitter}
        rows.append(MonthlyReport(version=1, submitted_at=now, **common))
        if index % 10 == 0:
            rows.append(MonthlyReport(version=2, note="更正：补录一个小区", submitted_at=now, **common))
        report(index + 1)
        if len(rows) >= 1000:
            MonthlyReport.objects.bulk_create(rows)
            rows = []
    MonthlyReport.objects.bulk_create(rows)
