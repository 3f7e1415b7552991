"""Web pages of the aftercare patrols, built for a phone: the compounds the user patrols and the recent patrols, the
patrol form (the inspections' checklist UI: pass / fail / not applicable, a failed item opens its finding, photos;
plus whom each finding goes to) and a filed patrol with its findings' issues. Filing calls
``services.patrol_file``; a refusal (a warranty defect out of its warranty, a missing answer) is shown on the form
with the item marked and writes nothing."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from aftercare import selectors, services
from aftercare.choices import FindingResponsible, WarrantyCategory
from aftercare.models import Patrol
from aftercare.permissions import may_use_patrols
from communities.scoping import get_object_for
from inspections.choices import Outcome, Severity
from inspections.models import ChecklistTemplate
from inspections.views import checklist_rows, posted_photos, submit_checklist
from renovation_portal import pending_photos
from renovation_portal.idempotency import form_key, replayed_address


@login_required
def patrol_home(request):
    """The compounds the user patrols (each with its standards) and the patrols in scope; refused (403) to those who
    neither patrol nor read the aftercare (an EPC contractor: its warranty defects are on the issue pages)."""
    if not may_use_patrols(request.user):
        raise PermissionDenied
    records = list(selectors.patrol_records(request.user)[:200])
    page = Paginator(selectors.patrols(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "aftercare/patrol_home.html", {"records": records, "page": page})


def _answers(request, items, photo_ids, *, load_photos=False):
    results, findings = [], []
    for item in items:
        outcome = request.POST.get(f"outcome_{item.pk}", "")
        if outcome not in Outcome.values:
            outcome = ""
        results.append(services.ResultInput(item=item, outcome=outcome, note=request.POST.get(f"note_{item.pk}", "")))
        description = request.POST.get(f"finding_{item.pk}", "").strip()
        if description or outcome == Outcome.FAIL:
            findings.append(
                services.PatrolFindingInput(
                    item=item,
                    description=description,
                    location=request.POST.get(f"location_{item.pk}", ""),
                    severity=request.POST.get(f"severity_{item.pk}", ""),
                    responsible=request.POST.get(f"responsible_{item.pk}", ""),
                    warranty_category=request.POST.get(f"category_{item.pk}", ""),
                    photos=posted_photos(request.user, photo_ids.get(item.pk, [])) if load_photos else [],
                )
            )
    return results, findings


# The patrol form's fields per item: the checklist's, less the score, plus whom a finding goes to and its warranty.
PATROL_FIELDS = ("outcome", "finding", "location", "severity", "responsible", "category")


def _rows(items, posted, user, photo_ids=None, item_errors=None):
    return checklist_rows(items, posted, user, photo_ids, item_errors, fields=PATROL_FIELDS)


@login_required
def patrol_new(request, record_pk):
    """Patrol a compound against one of its standards (``?standard=<id>``; without it, the standards to choose)."""
    record = selectors.patrol_records(request.user).filter(pk=record_pk).first()
    if record is None:
        raise Http404
    if request.method == "POST" and (address := replayed_address(request)):
        return redirect(address)  # sent twice (a double tap, a resend): filed once
    standards = list(services.patrol_standards(record))
    chosen = request.POST.get("standard") or request.GET.get("standard") or ""
    template = next((t for t in standards if str(t.pk) == chosen), None)
    context = {
        "record": record,
        "standards": standards,
        "template": template,
        "severities": Severity.choices,
        "responsibles": FindingResponsible.choices,
        "categories": WarrantyCategory.choices,
        "finding_extra": "aftercare/_patrol_finding_extra.html",
        "form_key": form_key(request),
        "draft_key": f"u{request.user.pk}-patrol-{record.pk}-{chosen}",
    }
    if template is None:
        if request.method == "POST":
            raise Http404
        return render(request, "aftercare/patrol_form.html", context)
    items = list(ChecklistTemplate.objects.get(pk=template.pk).items.all())
    if request.method != "POST":
        return render(request, "aftercare/patrol_form.html", {**context, "rows": _rows(items, {}, request.user)})
    photo_ids, item_errors = {}, {}
    for item in items:
        photo_ids[item.pk], refused = pending_photos.collect(request, f"photos_{item.pk}")
        if refused:
            item_errors[item.pk] = refused[0]
    error = _("A photo could not be used: see the marked item.") if item_errors else ""

    def file():
        results, findings = _answers(request, items, photo_ids, load_photos=True)
        patrol = services.patrol_file(
            actor=request.user,
            record=record,
            template=template,
            results=results,
            findings=findings,
            summary=request.POST.get("summary", ""),
        )
        pending_photos.discard(request.user, [pk for ids in photo_ids.values() for pk in ids])
        return reverse("aftercare:patrol-detail", args=[patrol.pk])

    if not error:
        filed, error = submit_checklist(request, file, item_errors, _("Patrol filed."))
        if filed:
            return filed
    return render(
        request,
        "aftercare/patrol_form.html",
        {
            **context,
            "error": error,
            "bound": True,
            "rows": _rows(items, request.POST, request.user, photo_ids, item_errors),
            "invalid_items": [item for item in items if item.pk in item_errors],
            "summary": request.POST.get("summary", ""),
        },
        # 200, as the inspections' form answers: a 400 document logs a console error in the browser.
    )


@login_required
def patrol_detail(request, pk):
    patrol = get_object_for(request.user, Patrol.objects.select_related("record__compound", "template"), pk)
    results = list(patrol.results.select_related("item").order_by("item__position"))
    return render(
        request,
        "aftercare/patrol_detail.html",
        {"patrol": patrol, "results": results, "findings": selectors.patrol_findings(patrol)},
    )
