"""Web pages of the aftercare app: the list of compounds in aftercare, a compound's record (responsible party,
standards, warranties, handover documents), its service form (versions), its income ledger (entries, corrections,
quarterly publication, XLSX), its spaces and activities, and the printable service form for the notice board.
Every write calls a service; a refusal is shown on the form and writes nothing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aftercare import permissions as perms
from aftercare import selectors, services
from aftercare.choices import ApprovalKind, LedgerDirection, LedgerKind
from aftercare.filtersets import SpaceFilterSet
from aftercare.forms import (
    ActivityForm,
    ActivityPhotoForm,
    AttendanceForm,
    DocumentForm,
    LedgerEntryForm,
    QuarterForm,
    RecordForm,
    ServiceFormForm,
    ServiceItemFormSet,
    SignupForm,
    SpaceForm,
    WarrantyForm,
)
from aftercare.models import ActivityPhoto, AftercareRecord, HandoverDocument, LedgerEntry, Space, WarrantyPeriod
from communities.models import Compound
from communities.scoping import get_object_for
from consultations.choices import VoteResult, VoteStatus
from consultations.models import Vote
from consultations.views import public_lookup_limited
from renovation_portal.errors import DomainError
from renovation_portal.exports import Column, export_response, requested_format
from renovation_portal.uploads import serve_private_document, serve_private_image


def _form_error(form, error: DomainError):
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _record(request, pk, action="view") -> AftercareRecord:
    return get_object_for(
        request.user, selectors.record_detail_queryset(request.user), pk, action, perms.can_keep_record
    )


@login_required
def record_list(request):
    page = Paginator(selectors.record_list(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "aftercare/record_list.html", {"page": page})


def _record_context(request, record, **forms):
    warranties = list(record.warranties.select_related("project").order_by("project_id", "id"))
    today = timezone.localdate()
    for warranty in warranties:
        warranty.running = warranty.covers(today)
    context = {
        "record": record,
        "warranties": warranties,
        "documents": record.documents.all(),
        "can_keep": perms.can_keep(request.user, record.compound),
        "can_set_warranty": bool(warranties) and perms.can_set_warranty(request.user, warranties[0]),
        "form": RecordForm(
            initial={
                "responsible_kind": record.responsible_kind,
                "responsible_note": record.responsible_note,
                "standards": record.standards,
            }
        ),
        "warranty_form": WarrantyForm(),
        "document_form": DocumentForm(),
        "balance": selectors.ledger_balance(record),
        "service_form": selectors.current_service_form(record),
    }
    context.update(forms)
    return context


@login_required
def record_detail(request, pk):
    record = _record(request, pk)
    return render(request, "aftercare/record_detail.html", _record_context(request, record))


@login_required
@require_POST
def record_edit(request, pk):
    record = _record(request, pk, "change")
    form = RecordForm(request.POST)
    if form.is_valid():
        try:
            services.record_update(actor=request.user, record=record, **form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("aftercare:record-detail", record.pk)
    return render(request, "aftercare/record_detail.html", _record_context(request, record, form=form), status=400)


@login_required
@require_POST
def warranty_edit(request, pk):
    warranty = get_object_for(
        request.user,
        WarrantyPeriod.objects.select_related("record__compound__community__subdistrict"),
        pk,
        "change",
        perms.can_set_warranty,
    )
    form = WarrantyForm(request.POST)
    if form.is_valid():
        try:
            services.warranty_set(actor=request.user, warranty=warranty, **form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
    if form.errors:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        messages.success(request, _("Warranty saved."))
    return redirect("aftercare:record-detail", warranty.record_id)


@login_required
@require_POST
def document_add(request, pk):
    record = _record(request, pk, "change")
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.document_add(
                actor=request.user, record=record, upload=form.cleaned_data["file"], title=form.cleaned_data["title"]
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Document added."))
            return redirect("aftercare:record-detail", record.pk)
    return render(
        request, "aftercare/record_detail.html", _record_context(request, record, document_form=form), status=400
    )


@login_required
def document_file(request, pk, thumbnail=False):
    document = get_object_for(request.user, HandoverDocument.objects.all(), pk)
    if document.kind == "pdf":
        return serve_private_document(document.file, f"handover-{document.record_id}-{document.pk}.pdf")
    return serve_private_image(document.thumbnail if thumbnail and document.thumbnail else document.file)


# --- the service form ---


@login_required
def service_form(request, pk):
    record = _record(request, pk)
    current = selectors.current_service_form(record)
    can_keep = perms.can_keep(request.user, record.compound)
    initial = [
        {
            "service": i.service,
            "provider": i.provider,
            "frequency": i.frequency,
            "price": i.price,
            "price_unit": i.price_unit,
        }
        for i in (current.items.all() if current else [])
    ]
    if request.method == "POST":
        if not can_keep:
            raise PermissionDenied
        formset = ServiceItemFormSet(request.POST, prefix="items")
        meta = ServiceFormForm(request.POST)
        if formset.is_valid() and meta.is_valid():
            items = [row for form in formset.forms if (row := form.item()) is not None]
            try:
                services.service_form_publish(actor=request.user, record=record, items=items, **meta.cleaned_data)
            except DomainError as error:
                if error.field == "items":
                    formset._non_form_errors = formset.error_class([error.message])
                else:
                    _form_error(meta, error)
            else:
                messages.success(request, _("The new service form is published; the earlier version is kept."))
                return redirect("aftercare:service-form", record.pk)
        status = 400
    else:
        formset = ServiceItemFormSet(initial=initial, prefix="items")
        meta = ServiceFormForm()
        status = 200
    return render(
        request,
        "aftercare/service_form.html",
        {
            "record": record,
            "current": current,
            "versions": selectors.service_form_versions(record),
            "formset": formset,
            "meta": meta,
            "can_keep": can_keep,
        },
        status=status,
    )


@public_lookup_limited
def service_form_print(request, code):
    """The service form in force, printable for the notice board (public, like the compound's page)."""
    compound = get_object_or_404(Compound.objects.select_related("community"), code=code)
    record = get_object_or_404(AftercareRecord.objects.only("pk", "compound_id"), compound=compound)
    form = selectors.current_service_form(record)
    if form is None:
        raise Http404
    return render(request, "aftercare/service_form_print.html", {"compound": compound, "form": form})


# --- the income ledger ---

LEDGER_COLUMNS = [
    Column(gettext_lazy("Date"), "entry_date"),
    Column(gettext_lazy("Direction"), "direction", dict(LedgerDirection.choices)),
    Column(gettext_lazy("Kind"), "kind", dict(LedgerKind.choices)),
    Column(gettext_lazy("Amount (yuan)"), "amount"),
    Column(gettext_lazy("Purpose"), "purpose"),
    Column(gettext_lazy("Approval"), "approval_kind", dict(ApprovalKind.choices)),
    Column(gettext_lazy("Committee decision"), "decision"),
    Column(gettext_lazy("Decided on"), "decided_on"),
    Column(gettext_lazy("Owners' vote"), "vote__title"),
    Column(gettext_lazy("Corrects entry"), "corrects_id"),
    Column(gettext_lazy("Entry"), "id"),
    Column(gettext_lazy("Recorded by"), "recorded_by__display_name"),
    Column(gettext_lazy("Recorded at"), "created_at"),
]


def _passed_votes(record):
    return Vote.objects.filter(
        topic__compound_id=record.compound_id, status=VoteStatus.CLOSED, result=VoteResult.PASSED
    ).order_by("-closed_at", "-id")


def _entry_form(record, data=None, initial=None):
    return LedgerEntryForm(
        data,
        initial=initial,
        votes=_passed_votes(record),
        entries=LedgerEntry.objects.filter(record=record, corrects__isnull=True),
    )


@login_required
def ledger(request, pk):
    record = _record(request, pk)
    fmt = requested_format(request)
    if fmt:
        rows = selectors.ledger_entries(record).order_by("entry_date", "id")
        return export_response(rows, LEDGER_COLUMNS, f"{record.compound.code}-ledger", fmt)
    can_keep = perms.can_keep(request.user, record.compound)
    form = None
    status = 200
    if request.method == "POST":
        if not can_keep:
            raise PermissionDenied
        form = _entry_form(record, request.POST)
        if form.is_valid():
            try:
                services.ledger_entry_record(actor=request.user, record=record, **form.cleaned_data)
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Entry recorded."))
                return redirect("aftercare:ledger", record.pk)
        status = 400
    corrects = request.GET.get("corrects")
    if form is None:
        initial = {"entry_date": timezone.localdate()}
        original = (
            LedgerEntry.objects.filter(record=record, pk=corrects, corrects__isnull=True).first()
            if str(corrects or "").isdecimal()
            else None
        )
        if original is not None:
            initial.update(
                corrects=original.pk, kind=original.kind, purpose=_("Correction of entry %(n)d") % {"n": original.pk}
            )
        form = _entry_form(record, initial=initial)
    year, quarter, _starts, _ends = services.quarter_of(timezone.localdate())
    year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)  # the last finished quarter
    quarter_form = QuarterForm(initial={"year": year, "quarter": quarter})
    page = Paginator(selectors.ledger_entries(record), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "aftercare/ledger.html",
        {
            "record": record,
            "page": page,
            "form": form,
            "quarter_form": quarter_form,
            "quarters": selectors.published_quarters(record),
            "balance": selectors.ledger_balance(record),
            "can_keep": can_keep,
            "correcting": form.initial.get("corrects") or form.data.get("corrects"),
        },
        status=status,
    )


@login_required
@require_POST
def quarter_publish(request, pk):
    record = _record(request, pk, "change")
    form = QuarterForm(request.POST)
    if form.is_valid():
        try:
            published = services.ledger_quarter_publish(actor=request.user, record=record, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(year)d Q%(quarter)d is published to residents.")
                % {"year": published.year, "quarter": published.quarter},
            )
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("aftercare:ledger", record.pk)


# --- spaces and activities ---


@login_required
def spaces(request, pk):
    record = _record(request, pk)
    can_keep = perms.can_keep(request.user, record.compound)
    space_form = SpaceForm()
    activity_form = ActivityForm(spaces=Space.objects.filter(record=record), initial={"held_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if not can_keep:
            raise PermissionDenied
        status = 400
        if request.POST.get("form") == "space":
            space_form = SpaceForm(request.POST)
            if space_form.is_valid():
                try:
                    services.space_create(actor=request.user, record=record, **space_form.cleaned_data)
                except DomainError as error:
                    _form_error(space_form, error)
                else:
                    messages.success(request, _("Space added."))
                    return redirect("aftercare:spaces", record.pk)
        else:
            activity_form = ActivityForm(request.POST, spaces=Space.objects.filter(record=record))
            if activity_form.is_valid():
                try:
                    activity = services.activity_create(actor=request.user, **activity_form.cleaned_data)
                except DomainError as error:
                    _form_error(activity_form, error)
                else:
                    messages.success(request, _("Activity added."))
                    return redirect("aftercare:activity-detail", activity.pk)
    return render(
        request,
        "aftercare/spaces.html",
        {
            "record": record,
            "spaces": selectors.spaces_with_activities(record, recent=10),
            "space_form": space_form,
            "activity_form": activity_form,
            "can_keep": can_keep,
        },
        status=status,
    )


@login_required
def space_list(request):
    """The spaces across the compounds in scope, filtered by place, kind and the days opened on; their count and
    total area (the dashboards' "community service space added" and "culture facilities" link here)."""
    base = selectors.space_list(request.user)
    filterset = SpaceFilterSet(request.GET or None, queryset=base)
    invalid = filterset.is_bound and not filterset.is_valid()
    spaces = (base.none() if invalid else filterset.qs).order_by("-opened_on", "record__compound__name", "name")
    totals = spaces.aggregate(count=Count("id"), area=Sum("area"))
    page = Paginator(spaces, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "aftercare/space_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "count": totals["count"],
            "area": totals["area"] or 0,
            "places": [
                (key, request.GET[key])
                for key in ("province", "city", "district", "subdistrict", "community", "compound")
                if request.GET.get(key)
            ],
        },
    )


@login_required
def activity_detail(request, pk):
    activity = get_object_for(request.user, selectors.activity_detail_queryset(request.user), pk)
    can_keep = perms.can_keep_activity(request.user, activity)
    forms = {"signup_form": SignupForm(), "attendance_form": AttendanceForm(), "photo_form": ActivityPhotoForm()}
    status = 200
    if request.method == "POST":
        if not can_keep:
            raise PermissionDenied
        status = 400
        which = request.POST.get("form")
        form_class, key = {
            "signups": (SignupForm, "signup_form"),
            "attendance": (AttendanceForm, "attendance_form"),
            "photos": (ActivityPhotoForm, "photo_form"),
        }.get(which, (SignupForm, "signup_form"))
        form = form_class(request.POST, request.FILES)
        forms[key] = form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if form_class is SignupForm:
                    services.activity_add_signups(actor=request.user, activity=activity, count=data["count"])
                elif form_class is AttendanceForm:
                    services.activity_record_attendance(
                        actor=request.user, activity=activity, attendance=data["attendance"]
                    )
                else:
                    services.activity_add_photos(actor=request.user, activity=activity, uploads=data["photos"])
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("aftercare:activity-detail", activity.pk)
    return render(
        request,
        "aftercare/activity_detail.html",
        {"activity": activity, "photos": activity.photos.all(), "can_keep": can_keep, **forms},
        status=status,
    )


@login_required
def activity_photo(request, pk, thumbnail=False):
    photo = get_object_for(request.user, ActivityPhoto.objects.all(), pk)
    return serve_private_image(photo.thumbnail if thumbnail else photo.image)
