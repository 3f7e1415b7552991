"""Pages of the monthly report: the list of submitted reports, a district's month (live figures and the submit
form), and one submitted version."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.choices import RoleKind
from communities.models import District
from communities.scoping import get_object_for
from renovation_portal.errors import DomainError
from renovation_portal.exports import requested_format, table_response
from reports import selectors, services
from reports.filtersets import MonthlyReportFilterSet
from reports.models import MonthlyReport
from reports.permissions import can_submit, can_view_live, may_see_reports


class SubmitForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Correction note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
        help_text=gettext_lazy("Needed when the month was already submitted: what the new version corrects."),
    )


def _require_reader(user):
    if not may_see_reports(user):
        raise PermissionDenied


def _period(year: int, month: int) -> tuple[int, int]:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise Http404
    return year, month


@login_required
def report_list(request):
    """The latest version of each submitted report in scope, and, for district officials, their districts' months
    to prepare."""
    _require_reader(request.user)
    reports = MonthlyReportFilterSet(request.GET, queryset=selectors.latest_reports(request.user))
    rows = reports.qs.order_by("-year", "-month", "district__code")
    fmt = requested_format(request)
    if fmt and reports.is_valid():
        return table_response(
            _("monthly reports"),
            fmt,
            [
                (
                    _("Monthly reports"),
                    [_("District"), _("Period"), _("Version"), _("Submitted by"), _("Submitted at")],
                    [
                        [r.district.name, r.period, r.version, str(r.submitted_by), timezone.localtime(r.submitted_at)]
                        for r in rows[:5000]
                    ],
                )
            ],
        )
    today = timezone.localdate()
    own = District.objects.filter(
        pk__in=request.user.roles.filter(kind=RoleKind.DISTRICT_OFFICIAL).values("district_id")
    ).order_by("code")
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(
        request,
        "reports/list.html",
        {
            "filter": reports,
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
            "own_districts": own,
            "today": today,
            "query": query.urlencode(),
        },
    )


@login_required
def report_month(request, district_pk: int, year: int, month: int):
    """A district's month: the live figures (district officials, and the city and province above), the submitted
    versions, and the submit form (district officials). Another city's district is a 404."""
    _require_reader(request.user)
    year, month = _period(year, month)
    district = get_object_for(request.user, District.objects.select_related("city"), district_pk)
    if not can_view_live(request.user, district):
        raise PermissionDenied
    may_submit = can_submit(request.user, district)
    form = SubmitForm(request.POST or None)
    if request.method == "POST":
        if not may_submit:
            raise PermissionDenied
        if form.is_valid():
            try:
                report = services.report_submit(
                    actor=request.user, district=district, year=year, month=month, note=form.cleaned_data["note"]
                )
            except DomainError as error:
                form.add_error(None if error.field not in form.fields else error.field, error.message)
            else:
                messages.success(request, _("Report submitted (version %(version)s).") % {"version": report.version})
                return redirect("reports:detail", report.pk)
    figures = selectors.monthly_figures(district, year, month)
    fmt = requested_format(request)
    if fmt:
        return table_response(
            f"{_('monthly report')}-{district.name}-{year}-{month:02d}", fmt, selectors.report_sheets(figures)
        )
    return render(
        request,
        "reports/month.html",
        {
            "district": district,
            "year": year,
            "month": month,
            "figures": figures,
            "versions": list(selectors.period_versions(district, year, month)),
            "may_submit": may_submit,
            "form": form,
            "future": (year, month) > (timezone.localdate().year, timezone.localdate().month),
        },
        status=400 if form.errors else 200,
    )


@login_required
def report_detail(request, pk: int):
    """One submitted version, exactly as frozen, with the period's other versions."""
    _require_reader(request.user)
    report = get_object_for(request.user, MonthlyReport.objects.select_related("district", "submitted_by"), pk)
    fmt = requested_format(request)
    if fmt:
        name = f"{_('monthly report')}-{report.district.name}-{report.period}-v{report.version}"
        return table_response(name, fmt, selectors.report_sheets(report.figures))
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "figures": report.figures,
            "versions": list(selectors.period_versions(report.district, report.year, report.month)),
            "may_submit": can_submit(request.user, report.district),
        },
    )
