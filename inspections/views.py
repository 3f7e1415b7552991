"""Web pages of the inspections app: built for a phone on site."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from communities.scoping import get_object_for
from inspections import selectors, services
from inspections.choices import InspectionStatus, IssueAction, IssueOrigin, IssueStatus, Outcome, PhotoKind, Severity
from inspections.filtersets import IssueFilterSet
from inspections.models import IssuePhoto
from projects.models import Project
from renovation_portal import pending_photos
from renovation_portal.errors import DomainError
from renovation_portal.exports import Column, export_response, requested_format
from renovation_portal.idempotency import form_key, replayed_address, submit_once
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
    if not request.POST.get("project", "").strip() or not request.POST.get("tier", "").strip():
        messages.error(request, _("Choose the project and the tier."))
        return redirect("inspections:my-inspections")
    project = get_object_for(request.user, Project.objects.all(), request.POST.get("project"))
    try:
        inspection = services.inspection_start(
            actor=request.user, project=project, tier=int(request.POST.get("tier", "1"))
        )
    except (DomainError, ValueError) as error:
        messages.error(request, getattr(error, "message", _("Choose a tier.")))
        return redirect("inspections:my-inspections")
    return redirect("inspections:inspection-detail", pk=inspection.pk)


def _results_and_findings(request, inspection, photo_ids: dict[int, list[int]], *, load_photos=False):
    """The posted answers as the service takes them; with ``load_photos`` each finding's pending photos are read
    (raises DomainError when one is gone)."""
    results, findings = [], []
    for item in inspection.template.items.all():
        outcome = request.POST.get(f"outcome_{item.pk}", "")
        score_text = request.POST.get(f"score_{item.pk}", "").strip()
        score = int(score_text) if score_text.isascii() and score_text.isdigit() and len(score_text) < 6 else None
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
                    photos=posted_photos(request.user, photo_ids.get(item.pk, [])) if load_photos else [],
                )
            )
    return results, findings


def posted_photos(user, ids):
    """The user's pending photos by id, for a service; one gone (expired, another's) is the form's error."""
    try:
        return pending_photos.load(user, ids)
    except ValidationError as error:
        raise DomainError(error.messages[0], code=error.code or "photo_gone", field="photos") from None


CHECKLIST_FIELDS = ("outcome", "score", "finding", "location", "severity")


def checklist_rows(items, posted, user, photo_ids=None, item_errors=None, *, fields=CHECKLIST_FIELDS):
    """One row per checklist item with what was posted for it (``<field>_<item id>``, the photos included) and what
    is wrong with it, so a form sent back with an error keeps every answer and marks each item to fix. The patrol
    form adds its own fields (whom a finding goes to, the warranty category)."""
    photo_ids, item_errors = photo_ids or {}, item_errors or {}
    photos = {p.pk: p for p in pending_photos.photos_of(user, [pk for ids in photo_ids.values() for pk in ids])}
    return [
        {
            "item": item,
            **{name: posted.get(f"{name}_{item.pk}", "") for name in fields},
            "photo_field": f"photos_{item.pk}",
            "photos": [photos[pk] for pk in photo_ids.get(item.pk, []) if pk in photos],
            "error": item_errors.get(item.pk, ""),
        }
        for item in items
    ]


@login_required
def inspection_detail(request, pk):
    inspection = get_object_for(
        request.user, selectors.inspections(request.user).select_related("template", "project__compound"), pk
    )
    if request.method == "POST" and (address := replayed_address(request)):
        return redirect(address)  # sent twice (a double tap, a resend after a lost connection): filed once
    may_file = inspection.status == InspectionStatus.PLANNED and services.can_inspect(
        request.user, inspection.project, inspection.tier
    )
    context = {
        "inspection": inspection,
        "may_file": may_file,
        "severities": Severity.choices,
        "items": inspection.template.items.all(),
        "form_key": form_key(request),
        "draft_key": f"u{request.user.pk}-inspection-{inspection.pk}",
    }
    if request.method == "POST":
        if not may_file:
            raise PermissionDenied
        items = list(inspection.template.items.all())
        photo_ids, item_errors = {}, {}
        for item in items:
            photo_ids[item.pk], refused = pending_photos.collect(request, f"photos_{item.pk}")
            if refused:
                item_errors[item.pk] = refused[0]
        error = _("A photo could not be used: see the marked item.") if item_errors else ""

        def file():
            results, findings = _results_and_findings(request, inspection, photo_ids, load_photos=True)
            services.inspection_file(
                actor=request.user,
                inspection=inspection,
                results=results,
                findings=findings,
                summary=request.POST.get("summary", ""),
            )
            pending_photos.discard(request.user, [pk for ids in photo_ids.values() for pk in ids])
            return reverse("inspections:inspection-detail", args=[inspection.pk])

        if not error:
            filed, error = submit_checklist(request, file, item_errors, _("Inspection filed."))
            if filed:
                return filed
        return render(
            request,
            "inspections/inspection_detail.html",
            {
                **context,
                "error": error,
                "bound": True,
                "rows": checklist_rows(
                    inspection.template.items.all(), request.POST, request.user, photo_ids, item_errors
                ),
                "invalid_items": [item for item in items if item.pk in item_errors],
                "summary": request.POST.get("summary", ""),
            },
            # 200, as Django's form views answer: a 400 document logs a console error in the browser.
        )
    return render(
        request,
        "inspections/inspection_detail.html",
        {
            **context,
            "rows": checklist_rows(inspection.template.items.all(), {}, request.user),
            "issues": inspection.issues.all(),
        },
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
    origin_query = query.copy()
    origin_query.pop("origin", None)
    return render(
        request,
        "inspections/issue_list.html",
        {
            "page": Paginator(issues, 50).get_page(request.GET.get("page")),
            "filter": filterset,
            "status": request.GET.get("status", ""),
            "query": query.urlencode(),
            "status_query": status_query.urlencode(),
            "origin": request.GET.get("origin", ""),
            "origin_query": origin_query.urlencode(),
            "origins": IssueOrigin.choices,
            "today": timezone.localdate(),
        },
    )


def _rounds(issue) -> list[dict]:
    """Each submission of evidence (第 N 轮), newest first: its photos beside the finding's, its note, and how it
    ended (sent back with the reason, or closed)."""
    photos = list(issue.photos.all())
    events = list(issue.events.all())
    rounds = []
    for index, event in enumerate(events):
        if event.action != IssueAction.SUBMITTED:
            continue
        number = len(rounds) + 1
        outcome = next(
            (e for e in events[index + 1 :] if e.action in (IssueAction.SENT_BACK, IssueAction.CLOSED)), None
        )
        rounds.append(
            {
                "number": number,
                "submitted": event,
                "photos": [p for p in photos if p.kind == PhotoKind.EVIDENCE and p.round == number],
                "outcome": outcome,
            }
        )
    for round in rounds:  # the finding's photos beside each round: ids unique on the page (their lightboxes)
        round["finding_kind"] = "issue-photo" if round is rounds[-1] else f"issue-photo-before{round['number']}"
    return rounds[::-1]


@login_required
def issue_detail(request, pk):
    issue = get_object_for(
        request.user,
        selectors.issues(request.user).select_related("project__compound").prefetch_related("photos", "events__actor"),
        pk,
    )
    if request.method == "POST" and (address := replayed_address(request)):
        return redirect(address)  # sent twice: done once
    events = list(issue.events.all())
    last = events[-1] if events else None
    context = {
        "issue": issue,
        "is_contractor": services.is_issue_contractor(request.user, issue),
        "can_verify": services.can_verify(request.user, issue),
        "finding_photos": [p for p in issue.photos.all() if p.kind == PhotoKind.FINDING],
        "rounds": _rounds(issue),
        "history": events[::-1],
        "sent_back": last
        if issue.status == IssueStatus.OPEN and last and last.action == IssueAction.SENT_BACK
        else None,
        "form_key": form_key(request),
        "draft_key": f"u{request.user.pk}-issue-{issue.pk}",
    }
    if request.method == "POST":
        action = request.POST.get("action")
        note = request.POST.get("note", "")
        if action == "close":
            # 销号 asks to confirm: the page again with the confirmation in place of the buttons (no script needed).
            if not (context["can_verify"] and issue.status == IssueStatus.SUBMITTED):
                raise PermissionDenied
            return render(request, "inspections/issue_detail.html", {**context, "confirm_close": True, "note": note})
        photo_ids, refused = pending_photos.collect(request, "photos") if action == "submit" else ([], [])
        done = {
            "submit": _("Rectification submitted for verification."),
            "verify": _("Issue verified and closed."),
            "send_back": _("Issue sent back to the contractor."),
        }

        def act():
            if action == "submit":
                services.issue_submit_rectification(
                    actor=request.user, issue=issue, note=note, photos=posted_photos(request.user, photo_ids)
                )
                pending_photos.discard(request.user, photo_ids)
            elif action == "verify":
                services.issue_verify(actor=request.user, issue=issue, note=note)
            elif action == "send_back":
                services.issue_send_back(actor=request.user, issue=issue, note=note)
            else:
                raise DomainError(_("Unknown action."), code="unknown_action")
            return reverse("inspections:issue-detail", args=[issue.pk])

        try:
            if refused:
                raise DomainError(refused[0], code="photo_invalid", field="photos")
            address, _replayed = submit_once(request, act)
        except DomainError as error:
            return render(
                request,
                "inspections/issue_detail.html",
                {
                    **context,
                    "error": error.message,
                    "error_action": action,
                    "note": note,
                    "bound": True,
                    "pending": pending_photos.photos_of(request.user, photo_ids),
                },
            )
        if action in done:
            messages.success(request, done[action])
        return redirect(address)
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


def submit_checklist(request, file, item_errors: dict, filed_message: str):
    """File a checklist form once per idempotency key (an inspection's or an aftercare patrol's): the redirect to
    what was filed, or None with the refusal's message, the refused items added to ``item_errors``."""
    try:
        address, _replayed = submit_once(request, file)
    except services.ChecklistError as refusal:
        item_errors.update(refusal.item_errors)
        return None, refusal.message
    except DomainError as refusal:
        return None, refusal.message
    messages.success(request, filed_message)
    return redirect(address), ""
