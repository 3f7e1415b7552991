"""Web pages of the inspections app: built for a phone on site."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from communities.scoping import get_object_for
from inspections import selectors, services
from inspections.choices import InspectionStatus, IssueStatus, Outcome, Severity
from inspections.filtersets import IssueFilterSet
from inspections.models import IssuePhoto
from projects.models import Project
from renovation_portal.errors import DomainError
from renovation_portal.exports import Column, export_response, requested_format
from renovation_portal.uploads import serve_private_image


@login_required
def my_inspections(request):
    """Today's and upcoming inspections of the user's groups and scope, and recent filed ones."""
    today = timezone.localdate()
    visible = selectors.inspections(request.user)
    return render(
        request,
        "inspections/my_inspections.html",
        {
            "due": visible.filter(
                status=InspectionStatus.PLANNED, planned_date__lte=today + timezone.timedelta(days=7)
            ).order_by("planned_date")[:50],
            "filed": visible.filter(status=InspectionStatus.FILED).order_by("-filed_at")[:20],
            "projects": Project.objects.visible_to(request.user)
            .unaccepted()
            .select_related("compound")
            .order_by("compound__name")[:200],
            "tiers": services.InspectionTier.choices,
            "today": today,
        },
    )


@login_required
@require_POST
def inspection_start(request):
    project = get_object_for(request.user, Project.objects.all(), request.POST.get("project"))
    try:
        inspection = services.inspection_start(
            actor=request.user, project=project, tier=int(request.POST.get("tier", "1"))
        )
    except (DomainError, ValueError) as error:
        messages.error(request, getattr(error, "message", _("Choose a tier.")))
        return redirect("inspections:my-inspections")
    return redirect("inspections:inspection-detail", pk=inspection.pk)


def _results_and_findings(request, inspection):
    results, findings = [], []
    for item in inspection.template.items.all():
        outcome = request.POST.get(f"outcome_{item.pk}", "")
        score_text = request.POST.get(f"score_{item.pk}", "").strip()
        score = int(score_text) if score_text.isdigit() else None
        if outcome not in Outcome.values:
            outcome = ""
        results.append(
            services.ResultInput(item=item, outcome=outcome, score=score, note=request.POST.get(f"note_{item.pk}", ""))
        )
        description = request.POST.get(f"finding_{item.pk}", "").strip()
        if description or outcome == Outcome.FAIL:
            findings.append(
                services.FindingInput(
                    item=item,
                    description=description,
                    location=request.POST.get(f"location_{item.pk}", ""),
                    severity=request.POST.get(f"severity_{item.pk}", ""),
                    photos=request.FILES.getlist(f"photos_{item.pk}"),
                )
            )
    return results, findings


def _form_rows(inspection, posted):
    """One row per checklist item with what was posted, so a form sent back with an error keeps every answer."""
    return [
        {
            "item": item,
            "outcome": posted.get(f"outcome_{item.pk}", ""),
            "score": posted.get(f"score_{item.pk}", ""),
            "finding": posted.get(f"finding_{item.pk}", ""),
            "location": posted.get(f"location_{item.pk}", ""),
            "severity": posted.get(f"severity_{item.pk}", ""),
        }
        for item in inspection.template.items.all()
    ]


@login_required
def inspection_detail(request, pk):
    inspection = get_object_for(request.user, selectors.inspections(request.user).select_related("template"), pk)
    may_file = inspection.status == InspectionStatus.PLANNED and services.can_inspect(
        request.user, inspection.project, inspection.tier
    )
    context = {
        "inspection": inspection,
        "may_file": may_file,
        "severities": Severity.choices,
        "items": inspection.template.items.all(),
    }
    if request.method == "POST":
        if not may_file:
            raise PermissionDenied
        results, findings = _results_and_findings(request, inspection)
        try:
            services.inspection_file(
                actor=request.user,
                inspection=inspection,
                results=results,
                findings=findings,
                summary=request.POST.get("summary", ""),
            )
        except DomainError as error:
            return render(
                request,
                "inspections/inspection_detail.html",
                {
                    **context,
                    "error": error.message,
                    "rows": _form_rows(inspection, request.POST),
                    "summary": request.POST.get("summary", ""),
                },
                status=400,
            )
        messages.success(request, _("Inspection filed."))
        return redirect("inspections:inspection-detail", pk=inspection.pk)
    return render(
        request,
        "inspections/inspection_detail.html",
        {**context, "rows": _form_rows(inspection, {}), "issues": inspection.issues.all()},
    )


ISSUE_COLUMNS = [
    Column(gettext_lazy("Rectification issue"), "description"),
    Column(gettext_lazy("Compound"), "project__compound__name"),
    Column(gettext_lazy("Location"), "location"),
    Column(gettext_lazy("Tier"), "tier"),
    Column(gettext_lazy("Severity"), "severity", dict(Severity.choices)),
    Column(gettext_lazy("Status"), "status", dict(IssueStatus.choices)),
    Column(gettext_lazy("Contractor"), "contractor__name"),
    Column(gettext_lazy("Found at"), "created_at"),
    Column(gettext_lazy("Deadline"), "deadline"),
    Column(gettext_lazy("Submitted at"), "submitted_at"),
    Column(gettext_lazy("Closed at"), "closed_at"),
    Column(gettext_lazy("Escalated to tier"), "escalated_to"),
]


@login_required
def issue_list(request):
    """Contractors: their company's issues; inspectors and officials: the issues in their scope. Filters are
    the API's (status, overdue, tier, severity, contractor, place); ``?export=csv|xlsx`` downloads them."""
    filterset = IssueFilterSet(request.GET or None, queryset=selectors.issues(request.user))
    if filterset.is_bound and not filterset.is_valid():
        issues = filterset.queryset.none()
    else:
        issues = filterset.qs
    issues = issues.order_by("status", "deadline", "pk")
    fmt = requested_format(request)
    if fmt:
        return export_response(issues, ISSUE_COLUMNS, _("rectification-issues"), fmt)
    query = request.GET.copy()
    query.pop("page", None)
    status_query = query.copy()
    status_query.pop("status", None)
    return render(
        request,
        "inspections/issue_list.html",
        {
            "page": Paginator(issues, 50).get_page(request.GET.get("page")),
            "filter": filterset,
            "status": request.GET.get("status", ""),
            "query": query.urlencode(),
            "status_query": status_query.urlencode(),
            "today": timezone.localdate(),
        },
    )


@login_required
def issue_detail(request, pk):
    issue = get_object_for(request.user, selectors.issues(request.user).prefetch_related("photos", "events__actor"), pk)
    context = {
        "issue": issue,
        "is_contractor": services.is_issue_contractor(request.user, issue),
        "can_verify": services.can_verify(request.user, issue),
    }
    if request.method == "POST":
        action = request.POST.get("action")
        note = request.POST.get("note", "")
        try:
            if action == "submit":
                services.issue_submit_rectification(
                    actor=request.user, issue=issue, note=note, photos=request.FILES.getlist("photos")
                )
                messages.success(request, _("Rectification submitted for verification."))
            elif action == "verify":
                services.issue_verify(actor=request.user, issue=issue, note=note)
                messages.success(request, _("Issue verified and closed."))
            elif action == "send_back":
                services.issue_send_back(actor=request.user, issue=issue, note=note)
                messages.success(request, _("Issue sent back to the contractor."))
            else:
                raise DomainError(_("Unknown action."), code="unknown_action")
        except DomainError as error:
            return render(
                request, "inspections/issue_detail.html", {**context, "error": error.message, "note": note}, status=400
            )
        return redirect("inspections:issue-detail", pk=issue.pk)
    return render(request, "inspections/issue_detail.html", context)


@login_required
def issue_photo(request, pk, full=False):
    """An issue's photo: its thumbnail, or with ``full`` the photo as stored."""
    photo = get_object_for(request.user, IssuePhoto.objects.all(), pk)
    return serve_private_image(photo.image if full else photo.thumbnail or photo.image)


@login_required
def overdue_board(request):
    """Officials: overdue issues, escalations and repeat findings in their scope."""
    return render(request, "inspections/overdue_board.html", selectors.overdue_board(request.user))
