"""Web pages of resident consultation, and the public compound page. Writes go through services."""

from decimal import Decimal
from functools import wraps

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from communities import selectors as community_selectors
from communities.models import Compound
from communities.privacy import mask_phone, may_see_personal_data
from communities.scoping import get_object_for
from consultations import selectors, services
from consultations.choices import STEP_ORDER, BallotChannel, Electorate, Step
from consultations.filtersets import ProblemFilterSet
from consultations.forms import (
    AnswerForm,
    BallotForm,
    MeetingCancelForm,
    MeetingDraftForm,
    MeetingForm,
    MeetingPhotoForm,
    MinutesCorrectionForm,
    NeedForm,
    OwnerForm,
    OwnerUnitEditForm,
    OwnerUnitForm,
    PlateReportForm,
    ProblemForm,
    PublicSignInForm,
    PublishForm,
    RetireForm,
    RollImportForm,
    SurveyAnswerForm,
    SurveyCodeForm,
    SurveyOpenForm,
    TopicForm,
    VoteForm,
)
from consultations.models import (
    LeadElection,
    Meeting,
    MeetingPhoto,
    Owner,
    OwnerUnit,
    ResidentProblem,
    RollImportJob,
    Topic,
    UnitChange,
    Voter,
)
from consultations.tally import percent
from projects.choices import ProjectStatus
from projects.models import PlanVersion, ScopeItem
from renovation_portal.errors import DomainError
from renovation_portal.throttling import client_address, over_limit
from renovation_portal.uploads import serve_private_image


def _error(form, error):
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
def workspace(request):
    """The consultation workspace: topics, meetings, votes, problems and needs of the user's compounds."""
    user = request.user
    return render(
        request,
        "consultations/workspace.html",
        {
            "topics": selectors.topics(user).order_by("-updated_at")[:30],
            "meetings": selectors.meetings(user).order_by("-held_at")[:20],
            "votes": selectors.votes(user).order_by("-created_at")[:20],
            "problems": selectors.problems(user).order_by("status", "-created_at")[:20],
            "needs": selectors.needs(user).order_by("-created_at")[:20],
            "stats": selectors.problem_stats(user),
        },
    )


@login_required
def need_create(request):
    form = NeedForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.need_record(actor=request.user, **data)
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Need recorded."))
            return redirect("consultations:workspace")
    return render(request, "consultations/form.html", {"form": form, "title": _("Record a resident need")})


@login_required
def topic_create(request):
    form = TopicForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.topic_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _error(form, error)
        else:
            return redirect("consultations:topic-detail", pk=topic.pk)
    return render(request, "consultations/form.html", {"form": form, "title": _("New topic")})


@login_required
def topic_detail(request, pk):
    topic = get_object_for(
        request.user,
        selectors.topics(request.user).prefetch_related("needs", "events__actor", "votes", "meetings", "scope_items"),
        pk,
    )
    can_manage = services.can_manage(request.user, topic.compound)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "record":
                record = {
                    name: request.POST.get(name, "")
                    for name in services.STEP_RECORD_FIELDS.get(topic.step, ())
                    if name not in ("plan_version", "scope_items")
                }
                if topic.step == Step.APPLY_RESULT:
                    plan_id = request.POST.get("plan_version") or None
                    record["plan_version"] = (
                        PlanVersion.objects.visible_to(request.user).filter(pk=plan_id).first()
                        if plan_id and plan_id.isdecimal()
                        else None
                    )
                    ids = [i for i in request.POST.getlist("scope_items") if i.isdecimal()]
                    record["scope_items"] = list(ScopeItem.objects.visible_to(request.user).filter(pk__in=ids))
                if topic.step == Step.PUBLIC_FEEDBACK:
                    services.topic_publish_feedback(
                        actor=request.user, topic=topic, feedback=request.POST.get("feedback", "")
                    )
                else:
                    services.topic_record(actor=request.user, topic=topic, **record)
                messages.success(request, _("Saved."))
            elif action == "advance":
                services.topic_advance(actor=request.user, topic=topic, note=request.POST.get("note", ""))
                messages.success(request, _("The topic moved to the next step."))
            elif action == "attach_needs":
                ids = [i for i in request.POST.getlist("needs") if i.isdecimal()]
                chosen = selectors.needs(request.user).filter(pk__in=ids, compound=topic.compound, topic__isnull=True)
                chosen.update(topic=topic)
                messages.success(request, _("Needs attached."))
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("consultations:topic-detail", pk=topic.pk)
    step_index = STEP_ORDER.index(topic.step)
    return render(
        request,
        "consultations/topic_detail.html",
        {
            "topic": topic,
            "can_manage": can_manage,
            "steps": [(value, label, i < step_index, i == step_index) for i, (value, label) in enumerate(Step.choices)],
            "free_needs": selectors.needs(request.user).filter(compound=topic.compound, topic__isnull=True)[:50],
            "plans": PlanVersion.objects.filter(project__compound=topic.compound)
            .select_related("project")
            .order_by("-project__batch", "-number"),
            "scope_items": ScopeItem.objects.filter(project__compound=topic.compound).order_by("category", "id"),
            "vote_form": VoteForm(compound=topic.compound),
            "chosen_items": {item.pk for item in topic.scope_items.all()},
        },
    )


def _meeting_for(request, pk, *, change=False):
    """The meeting as the user may read it (404 otherwise); with ``change``, 403 unless they run it."""
    meeting = get_object_for(request.user, selectors.meetings(request.user), pk)
    if change and not services.can_manage(request.user, meeting.compound):
        raise PermissionDenied
    return meeting


def _schedule_data(form):
    data = form.cleaned_data
    return {
        "kind": data["kind"],
        "held_at": data["held_at"],
        "place": data["place"],
        "buildings": list(data["buildings"]),
        "topics": list(data["topics"]),
        "new_topic_titles": form.new_topic_titles(),
    }


@login_required
def meeting_create(request):
    """Schedule a meeting: date and time, place, the whole compound or some buildings, the agenda."""
    form = MeetingForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_schedule(
                actor=request.user, compound=form.cleaned_data["compound"], **_schedule_data(form)
            )
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Meeting scheduled; its invitations are listed on its page."))
            return redirect("consultations:meeting-detail", pk=meeting.pk)
    return render(request, "consultations/meeting_form.html", {"form": form, "title": _("Schedule a meeting")})


@login_required
def meeting_edit(request, pk):
    meeting = _meeting_for(request, pk, change=True)
    initial = {
        "kind": meeting.kind,
        "held_at": timezone.localtime(meeting.held_at),
        "place": meeting.place,
        "buildings": list(meeting.buildings.all()),
        "topics": list(meeting.topics.all()),
    }
    form = MeetingForm(request.POST or None, user=request.user, meeting=meeting, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(actor=request.user, meeting=meeting, **_schedule_data(form))
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("consultations:meeting-detail", pk=meeting.pk)
    return render(
        request,
        "consultations/meeting_form.html",
        {"form": form, "meeting": meeting, "title": _("Change the meeting")},
    )


@login_required
def meeting_choices(request):
    """The schedule form's buildings and topics of the compound just chosen (htmx swaps them in)."""
    form = MeetingForm(request.GET or None, user=request.user)
    return render(request, "consultations/meeting_choices.html", {"form": form})


def _sign_in_url(request, meeting) -> tuple[str, str]:
    url = request.build_absolute_uri(reverse("meeting-public-sign-in", args=[meeting.sign_in_token]))
    return url, segno.make(url, error="m").svg_data_uri(scale=6)


MEETING_FORMS = {
    "draft": MeetingDraftForm,
    "publish": MeetingDraftForm,
    "correct": MinutesCorrectionForm,
    "cancel": MeetingCancelForm,
    "photos": MeetingPhotoForm,
}


def _meeting_action(request, meeting, action):
    """One POST of the meeting's page (the draft, publishing, a correction, cancelling, photos): the message of
    what was done, or the bound form with its errors (nothing of it is lost)."""
    user = request.user
    if action == "remove_photo":
        photo = get_object_or_404(MeetingPhoto, pk=_int(request.POST.get("photo")), meeting=meeting)
        services.meeting_remove_photo(actor=user, photo=photo)
        return None, _("Photo removed.")
    if action not in MEETING_FORMS:
        raise DomainError(_("Unknown action."), code="unknown_action")
    form = MEETING_FORMS[action](request.POST, request.FILES)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    try:
        if action in ("draft", "publish"):
            services.meeting_record(actor=user, meeting=meeting, **data)  # the draft is kept even if publishing fails
            if action == "draft":
                return None, _("Draft saved.")
            services.meeting_publish_minutes(actor=user, meeting=meeting)
            return None, _("Minutes published.")
        if action == "correct":
            version = services.meeting_correct_minutes(actor=user, meeting=meeting, **data)
            return None, _("Correction published as version %(n)d.") % {"n": version.number}
        if action == "cancel":
            services.meeting_cancel(actor=user, meeting=meeting, reason=data["reason"])
            return None, _("The meeting is cancelled; those concerned are told.")
        added = services.meeting_add_photos(actor=user, meeting=meeting, photos=data["photos"])
        return None, ngettext("%(n)d photo added.", "%(n)d photos added.", len(added)) % {"n": len(added)}
    except DomainError as error:
        _error(form, error)
        return form, None


def _int(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isdecimal() and len(value) < 19 else None


@login_required
def meeting_detail(request, pk):
    """The meeting's page, from its schedule to its minutes: what is due now, and each part as it is recorded."""
    meeting = _meeting_for(request, pk)
    can_manage = services.can_manage(request.user, meeting.compound)
    failed, action = None, None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            failed, done = _meeting_action(request, meeting, action)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("consultations:meeting-detail", pk=meeting.pk)
        if failed is None:
            messages.success(request, done)
            return redirect("consultations:meeting-detail", pk=meeting.pk)
        meeting = _meeting_for(request, pk)  # as saved (a draft is kept even when publishing it failed)
    draft = MeetingDraftForm(
        initial={
            "decisions": meeting.decisions,
            "minutes": meeting.minutes,
            "guests": meeting.guests,
            "representatives": meeting.representatives,
        }
    )
    correction = MinutesCorrectionForm(initial={"decisions": meeting.decisions, "minutes": meeting.minutes})
    context = {
        "meeting": meeting,
        "can_manage": can_manage,
        "topics": meeting.topics.all(),
        "buildings": meeting.buildings.order_by("number"),
        "photos": meeting.photos.order_by("uploaded_at", "id"),
        "versions": meeting.minutes_versions.select_related("published_by").order_by("-number"),
        "invited": meeting.invitations.count(),
        "signed_in": meeting.attendances.count(),
        "draft_form": failed if action in ("draft", "publish") else draft,
        "correction_form": failed if action == "correct" else correction,
        "cancel_form": failed if action == "cancel" else MeetingCancelForm(),
        "photo_form": failed if action == "photos" else MeetingPhotoForm(),
        "open_part": action,
    }
    return render(request, "consultations/meeting_detail.html", context)


@login_required
def meeting_sign_in(request, pk):
    """At the meeting: staff tick the invitees present (a tap each, again to undo) or any unit of the compound;
    residents scan the QR code shown here to sign in on their own phones."""
    meeting = _meeting_for(request, pk, change=request.method == "POST")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "sign_in":
                invitation = get_object_or_404(meeting.invitations, pk=_int(request.POST.get("invitation")))
                attendance = services.meeting_sign_in(actor=request.user, meeting=meeting, invitation=invitation)
                messages.success(request, _("%(name)s signed in.") % {"name": attendance.name})
            elif action == "sign_in_unit":
                unit = OwnerUnit.objects.filter(
                    pk=_int(request.POST.get("owner_unit")), compound_id=meeting.compound_id
                ).first()
                if unit is None:
                    raise DomainError(_("Choose a current unit of this compound."), code="unknown_unit")
                attendance = services.meeting_sign_in(actor=request.user, meeting=meeting, owner_unit=unit)
                messages.success(request, _("%(unit)s signed in.") % {"unit": attendance.unit_label})
            elif action == "sign_out":
                attendance = get_object_or_404(meeting.attendances, pk=_int(request.POST.get("attendance")))
                services.meeting_sign_out(actor=request.user, meeting=meeting, attendance=attendance)
                messages.success(request, _("Sign-in undone."))
            else:
                raise DomainError(_("Unknown action."), code="unknown_action")
        except DomainError as error:
            messages.error(request, error.message)
        anchor = request.POST.get("invitation") or ""
        return redirect(
            reverse("consultations:meeting-sign-in", args=[meeting.pk]) + (f"#i{anchor}" if anchor.isdecimal() else "")
        )
    invitations = list(
        meeting.invitations.select_related("building").order_by("building__number", "kind", "name", "id")
    )
    attendances = list(meeting.attendances.order_by("signed_in_at", "id"))
    by_invitation = {a.invitation_id: a for a in attendances if a.invitation_id}
    for invitation in invitations:
        invitation.attendance = by_invitation.get(invitation.pk)
    url, qr = _sign_in_url(request, meeting)
    return render(
        request,
        "consultations/meeting_sign_in.html",
        {
            "meeting": meeting,
            "can_manage": services.can_manage(request.user, meeting.compound),
            "invitations": invitations,
            "others": [a for a in attendances if a.invitation_id is None],
            "signed_in": len(attendances),
            "unit_form": PublicSignInForm(compound=meeting.compound),
            "url": url,
            "qr": qr,
        },
    )


@login_required
def meeting_invitations(request, pk):
    """The invitation list, printable: who is invited (building leads, owners with their units), who signed in,
    and the QR code residents scan to sign in."""
    meeting = _meeting_for(request, pk)
    signed = set(meeting.attendances.exclude(invitation=None).values_list("invitation_id", flat=True))
    invitations = list(
        meeting.invitations.select_related("building").order_by("building__number", "kind", "name", "id")
    )
    for invitation in invitations:
        invitation.signed_in = invitation.pk in signed
    url, qr = _sign_in_url(request, meeting)
    return render(
        request,
        "consultations/meeting_invitations.html",
        {
            "meeting": meeting,
            "invitations": invitations,
            "buildings": meeting.buildings.order_by("number"),
            "url": url,
            "qr": qr,
        },
    )


@login_required
def meeting_photo(request, pk, full=False):
    """A meeting's photo: its thumbnail, or with ``full`` the photo as stored."""
    photo = get_object_for(request.user, MeetingPhoto.objects.all(), pk)
    return serve_private_image(photo.image if full else photo.thumbnail or photo.image)


@login_required
def owner_roll(request, compound_pk):
    compound = get_object_for(request.user, Compound.objects.all(), compound_pk)
    if not services.can_manage(request.user, compound):
        raise PermissionDenied
    form = RollImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.owner_roll_submit(actor=request.user, compound=compound, upload=form.cleaned_data["file"])
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            if isinstance(result, RollImportJob):  # a large file: a worker imports it; its page shows the progress
                return redirect("consultations:roll-import", pk=result.pk)
            report = result
            if report.ok:
                messages.success(
                    request,
                    _("Imported: %(created)d new units, %(updated)d updated.")
                    % {"created": report.created, "updated": report.updated},
                )
                return redirect("consultations:owner-roll", compound_pk=compound.pk)
    units = OwnerUnit.objects.filter(compound=compound, retired_at__isnull=True).select_related("building", "owner")
    return render(
        request,
        "consultations/owner_roll.html",
        {
            "compound": compound,
            "form": form,
            "report": report,
            "units": units[:500],
            "unit_count": units.count(),
            "owners": _owners_with_units(request.user, compound),
            "jobs": RollImportJob.objects.visible_to(request.user).filter(compound=compound)[:5],
        },
    )


def _owners_with_units(user, compound, limit=500):
    """The compound's owners, each with their current units and total area (phones masked for roles that may
    not see them). Two queries."""
    owners = list(Owner.objects.filter(compound=compound).order_by("name", "id")[:limit])
    by_owner = {owner.pk: [] for owner in owners}
    for unit in (
        OwnerUnit.objects.filter(owner_id__in=by_owner, retired_at__isnull=True)
        .select_related("building")
        .order_by("building_id", "stairwell", "unit")
    ):
        by_owner[unit.owner_id].append(unit)
    full = may_see_personal_data(user)
    return [
        {
            "owner": owner,
            "phone": owner.phone if full else mask_phone(owner.phone),
            "id_tail": owner.id_tail if full else mask_phone(owner.id_tail),
            "units": by_owner[owner.pk],
            "area": sum((unit.area for unit in by_owner[owner.pk]), Decimal(0)),
        }
        for owner in owners
    ]


def _roll_compound(request, compound_pk):
    compound = get_object_for(request.user, Compound.objects.all(), compound_pk)
    if not services.can_manage(request.user, compound):
        raise PermissionDenied
    return compound


@login_required
def owner_unit_add(request, compound_pk):
    compound = _roll_compound(request, compound_pk)
    form = OwnerUnitForm(request.POST or None, compound=compound, prefix="unit")
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.owner_unit_add(actor=request.user, compound=compound, **form.cleaned_data)
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Unit %(unit)s added to the roll.") % {"unit": unit})
            return redirect("consultations:owner-roll", compound_pk=compound.pk)
    return render(
        request,
        "consultations/roll_form.html",
        {"form": form, "compound": compound, "title": _("Add a unit"), "testid": "unit-add"},
    )


@login_required
def owner_add(request, compound_pk):
    compound = _roll_compound(request, compound_pk)
    form = OwnerForm(request.POST or None, prefix="owner")
    if request.method == "POST" and form.is_valid():
        try:
            owner = services.owner_create(actor=request.user, compound=compound, **form.cleaned_data)
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Owner %(name)s added.") % {"name": owner.name})
            return redirect("consultations:owner-roll", compound_pk=compound.pk)
    return render(
        request,
        "consultations/roll_form.html",
        {"form": form, "compound": compound, "title": _("Add an owner"), "testid": "owner-add"},
    )


@login_required
def owner_edit(request, pk):
    """Change an owner's name, phone, ID tail or kind (their units show the new name and phone)."""
    owner = get_object_for(
        request.user,
        Owner.objects.select_related("compound"),
        pk,
        action="change",
        can=lambda user, obj: services.can_manage(user, obj.compound),
    )
    initial = {"kind": owner.kind, "name": owner.name, "phone": owner.phone, "id_tail": owner.id_tail}
    form = OwnerForm(request.POST or None, prefix="owner", initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            owner = services.owner_update(actor=request.user, owner=owner, **form.cleaned_data)
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Owner %(name)s saved.") % {"name": owner.name})
            return redirect("consultations:owner-roll", compound_pk=owner.compound_id)
    return render(
        request,
        "consultations/roll_form.html",
        {"form": form, "compound": owner.compound, "title": _("Edit the owner"), "testid": "owner-edit"},
    )


@login_required
def owner_unit_edit(request, pk):
    """Change a unit's area, owner or stairwell, or retire it; its history below."""
    unit = get_object_for(
        request.user,
        OwnerUnit.objects.select_related("compound", "building", "owner"),
        pk,
        action="view" if request.method == "GET" else "change",
        can=lambda user, obj: services.can_manage(user, obj.compound),
    )
    if not services.can_manage(request.user, unit.compound):
        raise PermissionDenied
    initial = {"stairwell": unit.stairwell, "area": unit.area, "owner": unit.owner_id}
    form = OwnerUnitEditForm(request.POST or None, compound=unit.compound, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.owner_unit_update(actor=request.user, owner_unit=unit, **form.cleaned_data)
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Unit %(unit)s saved.") % {"unit": unit})
            return redirect("consultations:owner-roll", compound_pk=unit.compound_id)
    return render(
        request,
        "consultations/owner_unit.html",
        {
            "unit": unit,
            "compound": unit.compound,
            "form": form,
            "retire_form": RetireForm(),
            "changes": _unit_history(unit),
        },
    )


def _unit_history(unit):
    labels = {
        "unit": _("Unit"),
        "stairwell": _("Stairwell"),
        "area": _("Area (m²)"),
        "owner": _("Owner"),
        "owner_name": _("Owner"),
        "owner_phone": _("Phone"),
        "retired_at": _("Retired"),
    }
    changes = list(UnitChange.objects.filter(owner_unit=unit).select_related("actor"))
    for change in changes:
        change.rows = [(labels.get(name, name), values[0], values[1]) for name, values in change.changes.items()]
    return changes


@login_required
@require_POST
def owner_unit_retire(request, pk):
    unit = get_object_for(
        request.user,
        OwnerUnit.objects.select_related("compound", "building"),
        pk,
        action="change",
        can=lambda user, obj: services.can_manage(user, obj.compound),
    )
    form = RetireForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.owner_unit_retire(actor=request.user, owner_unit=unit, note=note)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("consultations:owner-unit", pk=unit.pk)
    messages.success(request, _("Unit %(unit)s retired from the roll.") % {"unit": unit})
    return redirect("consultations:owner-roll", compound_pk=unit.compound_id)


@login_required
def roll_import(request, pk):
    """A roll import run by a worker. While it runs, htmx reloads the status part every two seconds."""
    job = get_object_for(request.user, RollImportJob.objects.select_related("compound", "created_by"), pk)
    context = {"job": job, "compound": job.compound}
    if request.headers.get("HX-Request"):
        return render(request, "consultations/roll_import_status.html", context)
    return render(request, "consultations/roll_import.html", context)


@login_required
@require_POST
def vote_create(request, topic_pk):
    topic = get_object_for(request.user, Topic.objects.all(), topic_pk)
    form = VoteForm(request.POST, compound=topic.compound)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("consultations:topic-detail", pk=topic.pk)
    data = dict(form.cleaned_data)
    candidate = data.pop("lead_candidate").strip()
    candidate_phone, service_phone = data.pop("lead_candidate_phone"), data.pop("lead_service_phone")
    try:
        if not candidate:
            vote = services.vote_create(actor=request.user, topic=topic, **data)
        elif data["electorate"] != Electorate.BUILDING or data["building"] is None:
            raise DomainError(
                _("A building lead is elected by the owners of one building: choose “One building” and the building.")
            )
        else:
            vote = services.lead_election_create(
                actor=request.user,
                topic=topic,
                building=data["building"],
                candidate_name=candidate,
                candidate_phone=candidate_phone,
                service_phone=service_phone,
                title=data["title"],
            ).vote
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("consultations:topic-detail", pk=topic.pk)
    return redirect("consultations:vote-detail", pk=vote.pk)


def _tally_lines(result):
    """The result in plain words: each figure against its threshold."""
    threshold = _("at least three quarters") if result.major else _("more than half")
    return [
        (
            _("Area taking part: %(a)s m² of %(t)s m² (%(p)s); needs at least two thirds.")
            % {"a": result.voted_area, "t": result.total_area, "p": percent(result.area_participation)},
            result.area_participation_met,
        ),
        (
            _("Owners taking part: %(v)d of %(t)d (%(p)s); needs at least two thirds.")
            % {"v": result.voted_owners, "t": result.total_owners, "p": percent(result.owner_participation)},
            result.owner_participation_met,
        ),
        (
            _("Area in favour: %(f)s m² of the %(v)s m² taking part (%(p)s); needs %(threshold)s.")
            % {
                "f": result.for_area,
                "v": result.voted_area,
                "p": percent(result.area_approval),
                "threshold": threshold,
            },
            result.area_approval_met,
        ),
        (
            _("Owners in favour: %(f)d of the %(v)d taking part (%(p)s); needs %(threshold)s.")
            % {
                "f": result.for_owners,
                "v": result.voted_owners,
                "p": percent(result.owner_approval),
                "threshold": threshold,
            },
            result.owner_approval_met,
        ),
    ]


@login_required
def vote_detail(request, pk):
    vote = get_object_for(request.user, selectors.votes(request.user), pk)
    can_manage = services.can_manage(request.user, vote.topic.compound)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "open":
                services.vote_open(actor=request.user, vote=vote)
            elif action == "close":
                vote = services.vote_close(actor=request.user, vote=vote)
            elif action == "ballot":
                form = BallotForm(request.POST, request.FILES)
                if not form.is_valid():
                    raise DomainError(" ".join(str(e) for errors in form.errors.values() for e in errors))
                voter = get_object_or_404(vote.voters, pk=form.cleaned_data["voter"])
                services.ballot_record(
                    actor=request.user,
                    vote=vote,
                    voter=voter,
                    choice=form.cleaned_data["choice"],
                    channel=form.cleaned_data["channel"],
                    scan=form.cleaned_data.get("scan"),
                    confirmation_ref=form.cleaned_data["confirmation_ref"],
                )
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("consultations:vote-detail", pk=vote.pk)
    result = services.vote_tally(vote)
    see_ballots = services.may_see_ballots(request.user, vote)
    # Not vote.voters: that is the selector's prefetch, which loads only what the tally needs.
    voters = (
        Voter.objects.filter(vote=vote).select_related("ballot__entered_by").order_by("unit_label")
        if see_ballots
        else []
    )
    return render(
        request,
        "consultations/vote_detail.html",
        {
            "vote": vote,
            "election": LeadElection.objects.filter(vote=vote).select_related("lead").first(),
            "result": result,
            "lines": _tally_lines(result),
            "can_manage": can_manage,
            "see_ballots": see_ballots,
            "voters": voters,
            "ballot_form": BallotForm(),
            "channels": BallotChannel.choices,
        },
    )


@login_required
def problem_list(request):
    form = ProblemForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.problem_record(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Problem recorded."))
            return redirect("consultations:problem-list")
    base = selectors.problems(request.user)
    # Filtered by place, status and the days resolved (the dashboards' figures link here); a filter that does not
    # validate lists nothing and shows its error, never the whole list under its name.
    filterset = ProblemFilterSet(request.GET or None, queryset=base)
    invalid = filterset.is_bound and not filterset.is_valid()
    problems = (base.none() if invalid else filterset.qs).order_by("status", "-created_at", "-pk")
    page = Paginator(problems, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "consultations/problem_list.html",
        {
            "form": form,
            "problems": page,
            "page": page,
            "filter": filterset,
            "query": query.urlencode(),
            # The place the list is filtered to (from a dashboard), kept when the status or days change.
            "places": [
                (key, request.GET[key])
                for key in ("province", "city", "district", "subdistrict", "community", "compound")
                if request.GET.get(key)
            ],
        },
    )


@login_required
def problem_detail(request, pk):
    problem = get_object_for(request.user, selectors.problems(request.user).select_related("building"), pk)
    can_manage = services.can_manage(request.user, problem.compound)
    form = AnswerForm(
        request.POST or None,
        initial={"answer": problem.answer, "published": problem.published_at is not None},
    )
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            data = dict(form.cleaned_data)
            published = data.pop("published")
            try:
                with transaction.atomic():
                    services.problem_answer(actor=request.user, problem=problem, **data)
                    services.problem_publish(actor=request.user, problem=problem, published=published)
            except DomainError as error:
                _error(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("consultations:problem-detail", pk=problem.pk)
    return render(
        request,
        "consultations/problem_detail.html",
        {
            "problem": problem,
            "form": form,
            "can_manage": can_manage,
            "show_personal": may_see_personal_data(request.user),
        },
    )


@login_required
@require_POST
def problem_publish(request, pk):
    """Publish the problem and its answer on the public page, or take them off (also once it is resolved)."""
    problem = get_object_for(
        request.user,
        selectors.problems(request.user),
        pk,
        "change",
        lambda user, obj: services.can_manage(user, obj.compound),
    )
    form = PublishForm(request.POST)
    form.is_valid()  # a boolean: a missing box is False
    services.problem_publish(actor=request.user, problem=problem, published=form.cleaned_data.get("published", False))
    messages.success(request, _("Saved."))
    return redirect("consultations:problem-detail", pk=problem.pk)


@login_required
def problem_photo(request, pk, full=False):
    """A reported problem's photo: its thumbnail, or with ``full`` the photo as stored."""
    problem = get_object_for(request.user, selectors.problems(request.user), pk)
    if not problem.photo:
        raise Http404
    return serve_private_image(problem.photo if full else problem.thumbnail or problem.photo)


# --- satisfaction survey (staff) ---


def _survey_compounds(user):
    """The compounds where the user may open a survey: handed over, and theirs to manage."""
    compounds = (
        Compound.objects.visible_to(user)
        .filter(projects__status=ProjectStatus.HANDED_OVER)
        .select_related("community__subdistrict")
        .distinct()
        .order_by("code")
    )
    return [compound for compound in compounds[:200] if services.can_manage(user, compound)]


@login_required
def survey_list(request):
    """The satisfaction surveys of the user's compounds, and opening one for a handed-over compound."""
    compounds = _survey_compounds(request.user)
    form = SurveyOpenForm(
        request.POST or None, compounds=Compound.objects.filter(pk__in=[compound.pk for compound in compounds])
    )
    if request.method == "POST":
        if not compounds:
            raise PermissionDenied
        if form.is_valid():
            try:
                survey = services.survey_open(actor=request.user, compound=form.cleaned_data["compound"])
            except DomainError as error:
                _error(form, error)
            else:
                messages.success(request, _("Survey opened: print the slips for the households."))
                return redirect("consultations:survey-detail", pk=survey.pk)
    return render(
        request,
        "consultations/survey_list.html",
        {
            "form": form if compounds else None,
            "surveys": list(selectors.surveys(request.user).order_by("-opened_at")[:100]),
        },
    )


@login_required
def survey_detail(request, pk):
    survey = get_object_for(request.user, selectors.surveys(request.user), pk)
    can_manage = services.can_manage(request.user, survey.compound)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        try:
            services.survey_close(actor=request.user, survey=survey)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Survey closed."))
        return redirect("consultations:survey-detail", pk=survey.pk)
    comments = list(
        survey.responses.exclude(comment="").order_by("-created_at").values_list("comment", "created_at")[:50]
    )
    return render(
        request,
        "consultations/survey_detail.html",
        {
            "survey": survey,
            "results": selectors.survey_results(survey),
            "comments": comments,
            "can_manage": can_manage,
        },
    )


@login_required
def survey_slips(request, pk):
    """The slips to print, one per household: its unit, its code and a QR code that opens the survey with it."""
    survey = get_object_for(request.user, selectors.surveys(request.user), pk)
    if not services.can_manage(request.user, survey.compound):
        raise PermissionDenied
    slips = []
    for code in survey.codes.filter(used_at__isnull=True).order_by("id").only("unit_label", "code")[:2000]:
        url = request.build_absolute_uri(reverse("public-survey-answer", args=[code.code]))
        slips.append((code, url, segno.make(url, error="m").svg_data_uri(scale=3)))
    return render(request, "consultations/survey_slips.html", {"survey": survey, "slips": slips})


# --- public pages: no login ---


def public_lookup_limited(view):
    """Anonymous lookups of a compound's public pages, limited per client address (``PUBLIC_PAGE_RATE``), and
    unknown codes more tightly (``PUBLIC_MISS_RATE``): the pages are public, the list of compounds is not meant
    to be harvested by guessing codes. Over either limit: 429 with a plain page. Fails open without Redis."""

    @wraps(view)
    def limited(request, code, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, code, *args, **kwargs)
        address = client_address(request)
        wait = over_limit(f"public-page:{address}", settings.PUBLIC_PAGE_RATE) or over_limit(
            f"public-miss:{address}", settings.PUBLIC_MISS_RATE, count=False
        )
        if wait:
            response = render(request, "consultations/public_throttled.html", {"wait": wait}, status=429)
            response["Retry-After"] = str(wait)
            return response
        try:
            return view(request, code, *args, **kwargs)
        except Http404:
            over_limit(f"public-miss:{address}", settings.PUBLIC_MISS_RATE)  # an unknown code: count the miss
            raise

    return limited


@public_lookup_limited
def public_compound(request, code):
    compound = get_object_or_404(
        Compound.objects.select_related(
            "community__subdistrict", "party_branch", "owners_body", "property_service__company"
        ),
        code=code,
    )
    building = request.GET.get("building", "")
    context = {
        "compound": compound,
        "building": int(building) if building.isdecimal() and len(building) < 12 else None,
        **selectors.public_compound(compound),
        "sections": community_selectors.public_sections(compound),  # the apps above (aftercare)
    }
    return render(request, "consultations/public_compound.html", context)


def _plate_qrs(request, compound, plates) -> list[tuple]:
    """Each plate with the address its QR code opens: the compound's public page with the building chosen, so
    that a resident's report from it names the building."""
    base = request.build_absolute_uri(reverse("public-compound", args=[compound.code]))
    rows = []
    for building, lines in plates:
        url = f"{base}?building={building.pk}"
        rows.append((building, lines, url, segno.make(url, error="m").svg_data_uri(scale=6)))
    return rows


@public_lookup_limited
def building_plate(request, code, building_pk):
    """A printable plate for a building's door: the contact board and a QR code of the public page."""
    compound = get_object_or_404(Compound.objects.only("pk", "code"), code=code)
    building = get_object_or_404(community_selectors.board_buildings(compound), pk=building_pk)
    plates = [(building, community_selectors.building_boards([building])[building.pk])]
    return render(
        request,
        "consultations/building_plate.html",
        {"compound": building.compound, "plates": _plate_qrs(request, building.compound, plates)},
    )


@public_lookup_limited
def compound_plates(request, code):
    """Every plate of a compound on one print page, one plate a page (A4 or A5), each with the QR code of the
    public page; a fixed number of queries however many buildings."""
    compound = get_object_or_404(
        Compound.objects.select_related("party_branch", "owners_body", "property_service__company"), code=code
    )
    plates = community_selectors.compound_boards(compound)
    return render(
        request,
        "consultations/building_plate.html",
        {"compound": compound, "plates": _plate_qrs(request, compound, plates)},
    )


# --- residents from the plate's QR code: report, track, answer the survey (no login) ---


def _report_limited(request, compound) -> int | None:
    """Seconds to wait when this address, or this compound, has sent too many reports (counted per report)."""
    return over_limit(f"problem-report:{client_address(request)}", settings.PUBLIC_REPORT_RATE) or over_limit(
        f"problem-report-compound:{compound.pk}", settings.PUBLIC_REPORT_COMPOUND_RATE
    )


@public_lookup_limited
def public_problem_report(request, code):
    """A resident reports a problem from the plate's QR code: building preselected (``?building=``), description,
    an optional photo, name and phone (never published). A refused form keeps what was typed; a browser cannot
    be given the chosen file back, so the page says to choose the photo again."""
    compound = get_object_or_404(Compound.objects.select_related("community"), code=code)
    building = request.GET.get("building", "")
    form = PlateReportForm(
        request.POST or None,
        request.FILES or None,
        compound=compound,
        initial={"building": building} if building.isdecimal() else {},
    )
    status = 200  # a refused form is shown again with its messages (a 4xx would be a console error)
    wait = None
    if request.method == "POST" and form.is_valid():
        wait = _report_limited(request, compound)
        if wait:
            status = 429
        else:
            data = dict(form.cleaned_data)
            data.pop("website", None)
            try:
                problem = services.problem_report_from_plate(compound=compound, **data)
            except DomainError as error:
                _error(form, error)
            else:
                return redirect(f"{reverse('public-problem', args=[problem.tracking_code])}?new=1")
    photo_lost = request.method == "POST" and bool(request.FILES.get("photo"))
    response = render(
        request,
        "consultations/public_report.html",
        {"compound": compound, "form": form, "wait": wait, "photo_lost": photo_lost},
        status=status,
    )
    if wait:
        response["Retry-After"] = str(wait)
    return response


@public_lookup_limited
def public_problem(request, code):
    """The tracking page of a reported problem: status, dates, and the answer once published. Never the
    reporter's name or phone."""
    problem = get_object_or_404(
        ResidentProblem.objects.select_related("compound", "building").only(
            "tracking_code",
            "description",
            "status",
            "answer",
            "answered_at",
            "resolved_at",
            "created_at",
            "published_at",
            "photo",
            "compound__name",
            "compound__code",
            "building__number",
        ),
        tracking_code=services.normalize_code(code),
    )
    return render(
        request, "consultations/public_problem.html", {"problem": problem, "new": request.GET.get("new") == "1"}
    )


def public_survey(request):
    """The survey's door: a resident types the code of their slip (or scans the slip's QR code instead)."""
    form = SurveyCodeForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("public-survey-answer", code=services.normalize_code(form.cleaned_data["code"]))
    return render(request, "consultations/public_survey_code.html", {"form": form})


@public_lookup_limited
def public_survey_answer(request, code):
    """A household answers the satisfaction survey with its slip's code, once."""
    slip = services.survey_code_lookup(code)
    if slip is None:
        raise Http404
    form = SurveyAnswerForm(request.POST or None)
    refused = None  # a used code or a closed survey: said on the page (not a 4xx: no console error on the phone)
    if slip.used_at is not None:
        refused = _("This code has already been used: each household answers once.")
    elif slip.survey.closed_at is not None:
        refused = _("This survey is closed.")
    elif request.method == "POST" and form.is_valid():
        try:
            services.survey_answer(code=slip.code, **form.cleaned_data)
        except DomainError as error:
            if error.field == "code":
                refused = error.message
            else:
                _error(form, error)
        else:
            return render(request, "consultations/public_survey_done.html", {"compound": slip.survey.compound})
    return render(
        request,
        "consultations/public_survey_answer.html",
        {"slip": slip, "compound": slip.survey.compound, "form": form, "refused": refused},
    )


@public_lookup_limited
def meeting_public_sign_in(request, code):
    """A resident signs in to a meeting on their own phone, from its QR code (no login): their unit, once per
    unit, while the meeting is on. ``code`` is the meeting's sign-in token; limited per address like every public
    page (an unknown token counts as a miss)."""
    meeting = get_object_or_404(
        Meeting.objects.select_related("compound").exclude(sign_in_token=None), sign_in_token=code
    )
    form = PublicSignInForm(request.POST or None, compound=meeting.compound)
    done = None
    # A refused sign-in is the form again with its message (200, as every form page: a phone's browser would
    # log a 400 as a console error).
    if request.method == "POST" and form.is_valid():
        try:
            done = services.meeting_public_sign_in(
                meeting=meeting, owner_unit_id=form.cleaned_data["owner_unit"], name=form.cleaned_data["name"]
            )
        except DomainError as error:
            _error(form, error)
    return render(
        request,
        "consultations/meeting_public_sign_in.html",
        {"meeting": meeting, "form": form, "done": done, "open": meeting.sign_in_open},
    )
