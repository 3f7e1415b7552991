"""Web pages of the task forces (专班): the list in scope with a form to set one up, and one task force with its
members and their working groups. Officials of the place's scope manage them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from communities import services
from communities.choices import TaskForceLevel, WorkingGroup
from communities.models import User
from communities.scoping import get_object_for
from communities.selectors import PLACE_MODELS, task_forces
from renovation_portal.errors import DomainError


def _places(user) -> list[tuple[str, str]]:
    """The places the user may set up a task force for, as ``level:id`` choices (bounded: the first 300 each)."""
    choices = []
    for level, model in PLACE_MODELS.items():
        for place in model.objects.visible_to(user).order_by("name")[:300]:
            if services.can_manage_task_force(user, level, place):
                choices.append((f"{level}:{place.pk}", f"{TaskForceLevel(level).label} · {place.name}"))
    return choices


def _place_from(user, value: str):
    level, _sep, pk = (value or "").partition(":")
    if level not in PLACE_MODELS or not pk.isdecimal():
        return None, None
    return level, PLACE_MODELS[level].objects.visible_to(user).filter(pk=int(pk)).first()


@login_required
def task_force_list(request):
    error = None
    if request.method == "POST":
        level, place = _place_from(request.user, request.POST.get("place", ""))
        try:
            task_force = services.task_force_create(
                actor=request.user, level=level, place=place, name=request.POST.get("name", "")
            )
        except DomainError as refused:
            error = refused.message
        else:
            messages.success(request, _("Saved."))
            return redirect("communities:task-force-detail", pk=task_force.pk)
    places = _places(request.user)
    return render(
        request,
        "communities/task_force_list.html",
        {
            "task_forces": task_forces(request.user),
            "places": places,
            "error": error,
            "name": request.POST.get("name", ""),
        },
        status=400 if error else 200,
    )


def _member_candidates(task_force):
    """Users with a role bound inside the task force's district (officials, secretaries, inspectors)."""
    ids = services._place_ids(task_force.level, task_force.place)
    district = ids["district"]
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(roles__district_id=district)
            | Q(roles__subdistrict__district_id=district)
            | Q(roles__community__subdistrict__district_id=district)
        )
        .distinct()
        .order_by("display_name", "username")
    )


@login_required
def task_force_detail(request, pk):
    task_force = get_object_for(request.user, task_forces(request.user), pk)
    may_manage = services.can_manage_task_force(request.user, task_force.level, task_force.place)
    error = None
    if request.method == "POST":
        task_force = get_object_for(
            request.user,
            task_forces(request.user),
            pk,
            action="change",
            can=lambda user, obj: services.can_manage_task_force(user, obj.level, obj.place),
        )
        try:
            if request.POST.get("action") == "remove":
                member_id = request.POST.get("member", "")
                member = task_force.members.filter(pk=int(member_id)).first() if member_id.isdecimal() else None
                if member is not None:
                    services.task_force_remove_member(actor=request.user, member=member)
            else:
                user_id = request.POST.get("user", "")
                user = _member_candidates(task_force).filter(pk=int(user_id)).first() if user_id.isdecimal() else None
                if user_id and user is None:
                    raise DomainError(_("Choose a user of this district."), code="invalid_user", field="user")
                services.task_force_add_member(
                    actor=request.user,
                    task_force=task_force,
                    user=user,
                    name=request.POST.get("name", ""),
                    role=request.POST.get("role", ""),
                    working_group=request.POST.get("working_group", ""),
                )
        except DomainError as refused:
            error = refused.message
        else:
            messages.success(request, _("Saved."))
            return redirect("communities:task-force-detail", pk=task_force.pk)
    return render(
        request,
        "communities/task_force_detail.html",
        {
            "task_force": task_force,
            "members": task_force.members.all(),
            "may_manage": may_manage,
            "candidates": _member_candidates(task_force)[:500] if may_manage else [],
            "working_groups": WorkingGroup.choices,
            "error": error,
        },
        status=400 if error else 200,
    )
