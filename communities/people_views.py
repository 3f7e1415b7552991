"""Web pages for people and roles (人员与角色) and the register of companies (单位), for officials."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities import selectors, services
from communities.filtersets import UserFilterSet
from communities.forms import CompanyForm, RoleGrantForm, UserForm, UserInviteForm
from communities.models import Company, Role, User
from communities.permissions import (
    can_grant_role,
    can_manage_user,
    may_manage_companies,
    may_manage_people,
)
from communities.scoping import get_object_for
from renovation_portal.errors import DomainError


def _people_manager(request):
    if not may_manage_people(request.user):
        raise PermissionDenied


def _add_error(form, error: DomainError):
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


@login_required
def people_list(request):
    _people_manager(request)
    base = selectors.people(request.user)
    filterset = UserFilterSet(request.GET or None, queryset=base, user=request.user)
    invalid = filterset.is_bound and not filterset.is_valid()
    queryset = base.none() if invalid else filterset.qs
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "communities/people_list.html", {"filter": filterset, "page": page, "query": query.urlencode()}
    )


@login_required
def person_invite(request):
    _people_manager(request)
    form = UserInviteForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_invite(
                actor=request.user,
                username=data["username"],
                email=data["email"],
                display_name=data["display_name"],
                phone=data["phone"],
                role=form.role_data(),
                base_url=request.build_absolute_uri("/"),
            )
        except DomainError as error:
            _add_error(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error) or _("You may not grant this role."))
        else:
            messages.success(request, _("The user was created and the invitation e-mailed."))
            return redirect("communities:person-detail", pk=user.pk)
    return render(request, "communities/person_invite.html", {"form": form})


def _person(request, pk, action="view"):
    _people_manager(request)
    return get_object_for(request.user, selectors.people(request.user), pk, action, can=can_manage_user)


@login_required
def person_detail(request, pk):
    person = _person(request, pk)
    can_manage = can_manage_user(request.user, person)
    user_form = UserForm(instance=person, prefix="user")
    role_form = RoleGrantForm(actor=request.user, prefix="role")
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if "save_user" in request.POST:
            user_form = UserForm(request.POST, instance=User.objects.get(pk=person.pk), prefix="user")
            if user_form.is_valid():
                try:
                    services.user_update(actor=request.user, user=person, **user_form.cleaned_data)
                except DomainError as error:
                    _add_error(user_form, error)
                else:
                    messages.success(request, _("Saved."))
                    return redirect("communities:person-detail", pk=person.pk)
        else:
            role_form = RoleGrantForm(request.POST, actor=request.user, prefix="role")
            if role_form.is_valid():
                try:
                    services.role_grant(actor=request.user, user=person, **role_form.role_data())
                except DomainError as error:
                    _add_error(role_form, error)
                except PermissionDenied as error:
                    role_form.add_error(None, str(error) or _("You may not grant this role."))
                else:
                    messages.success(request, _("The role was granted."))
                    return redirect("communities:person-detail", pk=person.pk)
    roles = [(role, can_manage and can_grant_role(request.user, role)) for role in person.roles.all()]
    return render(
        request,
        "communities/person_detail.html",
        {"person": person, "roles": roles, "can_manage": can_manage, "user_form": user_form, "role_form": role_form},
    )


@login_required
@require_POST
def role_revoke(request, pk):
    _people_manager(request)
    role = get_object_for(
        request.user,
        Role.objects.filter(user__in=User.objects.visible_to(request.user)).select_related("user"),
        pk,
        "change",
        can=lambda actor, role: can_manage_user(actor, role.user) and can_grant_role(actor, role),
    )
    try:
        services.role_revoke(actor=request.user, role=role)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The role was revoked."))
    return redirect("communities:person-detail", pk=role.user_id)


@login_required
@require_POST
def person_switch(request, pk, state):
    person = _person(request, pk, "change")
    if state == "deactivate":
        services.user_deactivate(actor=request.user, user=person)
        messages.success(request, _("The account was deactivated and its devices logged out."))
    elif state == "reactivate":
        services.user_reactivate(actor=request.user, user=person)
        messages.success(request, _("The account was reactivated."))
    else:
        try:
            services.user_send_invitation(actor=request.user, user=person, base_url=request.build_absolute_uri("/"))
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The invitation was e-mailed again."))
    return redirect("communities:person-detail", pk=person.pk)


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The one-time link of an invitation (or a new link an official sent): choose a password, then sign in."""

    template_name = "communities/set_password.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        messages.success(self.request, _("Your password is set. Sign in with it."))
        return super().form_valid(form)


# --- Companies ---


def _company_manager(request):
    if not may_manage_companies(request.user):
        raise PermissionDenied


@login_required
def company_list(request):
    _company_manager(request)
    companies = Company.objects.visible_to(request.user).order_by("kind", "name")
    kind = request.GET.get("kind", "")
    if kind:
        companies = companies.filter(kind=kind)
    page = Paginator(companies, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "communities/company_list.html",
        {"page": page, "kind": kind, "kinds": Company._meta.get_field("kind").choices, "query": f"kind={kind}"},
    )


@login_required
def company_edit(request, pk=None):
    _company_manager(request)
    company = None
    if pk is not None:
        company = get_object_for(
            request.user, Company.objects.all(), pk, "change", can=lambda user, obj: may_manage_companies(user)
        )
    form = CompanyForm(request.POST or None, instance=Company.objects.get(pk=pk) if pk else None)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in CompanyForm._meta.fields}
        try:
            if company is None:
                services.company_create(actor=request.user, **data)
            else:
                services.company_update(actor=request.user, company=company, **data)
        except DomainError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("communities:company-list")
    return render(request, "communities/company_form.html", {"form": form, "object": company})
