"""Writes of the monthly report: a submission freezes the month's figures as a new version."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import District, User
from renovation_portal.errors import DomainError
from reports.models import MonthlyReport
from reports.permissions import can_submit
from reports.selectors import monthly_figures


@transaction.atomic
def report_submit(*, actor: User, district: District, year: int, month: int, note: str = "") -> MonthlyReport:
    """A district official submits the district's report for a month: the figures as they stand now are frozen in
    a new version. The first submission of a month is version 1; a later one is a correction (its note says what
    was corrected) and keeps every earlier version. A month not yet begun cannot be reported."""
    if not can_submit(actor, district):
        raise PermissionDenied
    if not (2000 <= year <= 2100):
        raise DomainError(_("Enter a year between 2000 and 2100."), code="bad_year", field="year")
    if not (1 <= month <= 12):
        raise DomainError(_("Enter a month from 1 to 12."), code="bad_month", field="month")
    today = timezone.localdate()
    if (year, month) > (today.year, today.month):
        raise DomainError(_("A month that has not begun cannot be reported."), code="future_month", field="month")
    note = (note or "").strip()
    # One submitter at a time per district: two clicks cannot both become version 2.
    District.objects.select_for_update().filter(pk=district.pk).first()
    previous = MonthlyReport.objects.filter(district=district, year=year, month=month).order_by("-version").first()
    if previous is not None and not note:
        raise DomainError(
            _("This month was already submitted: say what the correction changes."),
            code="correction_note_required",
            field="note",
        )
    return MonthlyReport.objects.create(
        district=district,
        year=year,
        month=month,
        version=previous.version + 1 if previous else 1,
        figures=monthly_figures(district, year, month, today=today),
        note=note,
        submitted_by=actor,
        submitted_at=timezone.now(),
    )
