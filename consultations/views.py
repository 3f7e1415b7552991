"""Web pages of resident consultation, and the public compound page. Writes go through services."""

from decimal import Decimal
from functools import wraps

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities import selectors as community_selectors
from communities.models import Compound
from communities.privacy import mask_phone, may_see_personal_data
from communities.scoping import get_object_for
from consultations import selectors, services
from consultations.choices import STEP_ORDER, BallotChannel, Electorate, Step
from consultations.forms import (
    AnswerForm,
    BallotForm,
    MeetingForm,
    NeedForm,
    OwnerForm,
    OwnerUnitEditForm,
    OwnerUnitForm,
    ProblemForm,
    RetireForm,
    RollImportForm,
    TopicForm,
    VoteForm,
)
from consultations.models import LeadElection, MeetingPhoto, Owner, OwnerUnit, RollImportJob, Topic, UnitChange, Voter
from consultations.tally import percent
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
                        if plan_id and plan_id.isdigit()
                        else None
                    )
                    ids = [i for i in request.POST.getlist("scope_items") if i.isdigit()]
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
                ids = [i for i in request.POST.getlist("needs") if i.isdigit()]
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


@login_required
def meeting_create(request):
    form = MeetingForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_log(
                actor=request.user,
                compound=data["compound"],
                kind=data["kind"],
                held_at=data["held_at"],
                place=data["place"],
                attendance=data["attendance"] or 0,
                representatives=data["representatives"],
                topics=list(data["topics"]),
                new_topic_titles=form.new_topic_titles(),
                minutes=data["minutes"],
                decisions=data["decisions"],
                publish=data["publish"],
                photos=data["photos"],
            )
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Meeting logged."))
            return redirect("consultations:meeting-detail", pk=meeting.pk)
    return render(request, "consultations/meeting_form.html", {"form": form})


@login_required
def meeting_detail(request, pk):
    meeting = get_object_for(request.user, selectors.meetings(request.user).prefetch_related("topics", "photos"), pk)
    if request.method == "POST":
        try:
            services.meeting_publish_minutes(
                actor=request.user,
                meeting=meeting,
                minutes=request.POST.get("minutes"),
                decisions=request.POST.get("decisions"),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Minutes published."))
        return redirect("consultations:meeting-detail", pk=meeting.pk)
    return render(
        request,
        "consultations/meeting_detail.html",
        {"meeting": meeting, "can_manage": services.can_manage(request.user, meeting.compound)},
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
    return render(
        request,
        "consultations/problem_list.html",
        {"form": form, "problems": selectors.problems(request.user).order_by("status", "-created_at")[:100]},
    )


@login_required
def problem_detail(request, pk):
    problem = get_object_for(request.user, selectors.problems(request.user), pk)
    form = AnswerForm(request.POST or None, initial={"answer": problem.answer})
    if request.method == "POST" and form.is_valid():
        try:
            services.problem_answer(actor=request.user, problem=problem, **form.cleaned_data)
        except DomainError as error:
            _error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("consultations:problem-list")
    return render(request, "consultations/problem_detail.html", {"problem": problem, "form": form})


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
    context = {"compound": compound, **selectors.public_compound(compound)}
    context["sections"] = community_selectors.public_sections(compound)  # the apps above (aftercare)
    return render(request, "consultations/public_compound.html", context)


def _plate_url(request, compound) -> tuple[str, str]:
    url = request.build_absolute_uri(reverse("public-compound", args=[compound.code]))
    return url, segno.make(url, error="m").svg_data_uri(scale=6)


@public_lookup_limited
def building_plate(request, code, building_pk):
    """A printable plate for a building's door: the contact board and a QR code of the public page."""
    compound = get_object_or_404(Compound.objects.only("pk", "code"), code=code)
    building = get_object_or_404(community_selectors.board_buildings(compound), pk=building_pk)
    url, qr = _plate_url(request, building.compound)
    return render(
        request,
        "consultations/building_plate.html",
        {
            "compound": building.compound,
            "plates": [(building, community_selectors.building_boards([building])[building.pk])],
            "url": url,
            "qr": qr,
        },
    )


@public_lookup_limited
def compound_plates(request, code):
    """Every plate of a compound on one print page, one plate a page (A4 or A5), each with the QR code of the
    public page; a fixed number of queries however many buildings."""
    compound = get_object_or_404(
        Compound.objects.select_related("party_branch", "owners_body", "property_service__company"), code=code
    )
    url, qr = _plate_url(request, compound)
    return render(
        request,
        "consultations/building_plate.html",
        {"compound": compound, "plates": community_selectors.compound_boards(compound), "url": url, "qr": qr},
    )
