"""Every write to place-tree data, to API tokens and to users' second factors."""

import logging
import re
from functools import partial

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, ProtectedError, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from communities.choices import (
    BoardRole,
    CompanyKind,
    InspectionTier,
    LeadChoice,
    PropertyMode,
    RoleKind,
    TaskForceLevel,
    WorkingGroup,
)
from communities.models import (
    BINDING_FIELDS,
    ROLE_BINDINGS,
    ROLE_COMPANY_KINDS,
    ApiToken,
    BoardContact,
    Building,
    BuildingLead,
    City,
    Community,
    Company,
    Compound,
    District,
    OwnersBody,
    PartyBranch,
    PropertyService,
    Province,
    Role,
    SecurityPolicy,
    Subdistrict,
    TaskForce,
    TaskForceMember,
    User,
)
from communities.permissions import (
    can_add_building_to,
    can_add_community_to,
    can_add_compound_to,
    can_add_subdistrict_to,
    can_change_building,
    can_change_community,
    can_change_compound,
    can_change_subdistrict,
    can_grant_role,
    can_manage_user,
    may_manage_companies,
    may_manage_people,
)
from communities.scoping import get_scope
from communities.security import (
    confirmed_device,
    forget_cached_policy,
    has_passed_second_factor,
    is_official_or_admin,
    is_verified,
    may_reset_second_factor,
    may_set_security_policy,
    officials_must_use_2fa,
    two_factor_required,
)
from communities.validators import validate_credit_code
from renovation_portal.errors import DomainError

logger = logging.getLogger(__name__)


# building_count is not entered: it is the number of the compound's buildings, kept by compound_count_buildings.
COMPOUND_EDITABLE_FIELDS = (
    "address",
    "year_built",
    "household_count",
    "resident_count",
    "floor_area",
)
BUILDING_EDITABLE_FIELDS = ("floors", "stairwells", "household_count")


def _apply(obj, allowed: tuple[str, ...], changes: dict) -> list[str]:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise DomainError(
            _("Fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    changed = [name for name, value in changes.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, changes[name])
    return changed


@transaction.atomic
def compound_update(*, actor: User, compound: Compound, **changes) -> Compound:
    """Change a compound's basic data (only editors whose scope covers it)."""
    if not can_change_compound(actor, compound):
        raise PermissionDenied
    changed = _apply(compound, COMPOUND_EDITABLE_FIELDS, changes)
    if changed:
        compound.full_clean(exclude=["community", "code"])
        compound.save(update_fields=[*changed, "updated_at"])
    return compound


@transaction.atomic
def building_update(*, actor: User, building: Building, **changes) -> Building:
    """Change a building's basic data (its lead and contact board have their own services below)."""
    if not can_change_building(actor, building):
        raise PermissionDenied
    changed = _apply(building, BUILDING_EDITABLE_FIELDS, changes)
    if changed:
        building.full_clean(exclude=["compound", "number"])
        building.save(update_fields=[*changed, "updated_at"])
    return building


# --- Setting up the place tree: subdistricts and communities (district officials), compounds and buildings
# (subdistrict officials and the district officials above them). Codes are unique; every refusal is a DomainError
# on its field, and a code taken at the same moment by someone else is one too (never a 500).

SUBDISTRICT_EDITABLE_FIELDS = ("code", "name")
COMMUNITY_EDITABLE_FIELDS = ("code", "name", "party_secretary_name")


def _clean_text(model, name: str, value, *, required: bool) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    field = model._meta.get_field(name)
    if required and not value:
        raise DomainError(
            _("Enter the %(field)s.") % {"field": field.verbose_name}, code=f"{name}_required", field=name
        )
    if len(value) > field.max_length:
        raise DomainError(
            _("At most %(count)d characters.") % {"count": field.max_length}, code=f"{name}_too_long", field=name
        )
    return value


def _clean_code(model, obj, code) -> str:
    code = _clean_text(model, "code", code, required=True)
    others = model.objects.filter(code=code)
    if obj is not None and obj.pk:
        others = others.exclude(pk=obj.pk)
    if others.exists():
        raise DomainError(
            _("A %(model)s with this code exists.") % {"model": model._meta.verbose_name},
            code="code_taken",
            field="code",
        )
    return code


def _save_place(obj, fields: list[str] | None = None):
    try:
        with transaction.atomic():
            obj.save(update_fields=fields)
    except IntegrityError:  # the same code (or building number) entered at the same moment
        field = "number" if isinstance(obj, Building) else "code"
        raise DomainError(_("This code is taken."), code=f"{field}_taken", field=field) from None
    return obj


def _place_changes(obj, allowed: tuple[str, ...], changes: dict) -> list[str]:
    model = type(obj)
    unknown = set(changes) - set(allowed)
    if unknown:
        raise DomainError(
            _("Fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    cleaned = {}
    for name, value in changes.items():
        if name == "code":
            cleaned[name] = _clean_code(model, obj, value)
        else:
            cleaned[name] = _clean_text(model, name, value, required=name == "name")
    return _apply(obj, allowed, cleaned)


@transaction.atomic
def subdistrict_create(*, actor: User, district: District, code: str, name: str) -> Subdistrict:
    """A district official adds a subdistrict (街道) to their district."""
    if not can_add_subdistrict_to(actor, district):
        raise PermissionDenied
    subdistrict = Subdistrict(district=district)
    _place_changes(subdistrict, SUBDISTRICT_EDITABLE_FIELDS, {"code": code, "name": name})
    return _save_place(subdistrict)


@transaction.atomic
def subdistrict_update(*, actor: User, subdistrict: Subdistrict, **changes) -> Subdistrict:
    if not can_change_subdistrict(actor, subdistrict):
        raise PermissionDenied
    changed = _place_changes(subdistrict, SUBDISTRICT_EDITABLE_FIELDS, changes)
    return _save_place(subdistrict, changed) if changed else subdistrict


@transaction.atomic
def community_create(
    *, actor: User, subdistrict: Subdistrict, code: str, name: str, party_secretary_name: str = ""
) -> Community:
    """A district official adds a community (社区) to a subdistrict of their district."""
    if not can_add_community_to(actor, subdistrict):
        raise PermissionDenied
    community = Community(subdistrict=subdistrict)
    _place_changes(
        community,
        COMMUNITY_EDITABLE_FIELDS,
        {"code": code, "name": name, "party_secretary_name": party_secretary_name},
    )
    return _save_place(community)


@transaction.atomic
def community_update(*, actor: User, community: Community, **changes) -> Community:
    if not can_change_community(actor, community):
        raise PermissionDenied
    changed = _place_changes(community, COMMUNITY_EDITABLE_FIELDS, changes)
    return _save_place(community, changed) if changed else community


@transaction.atomic
def compound_create(*, actor: User, community: Community, code: str, name: str, **fields) -> Compound:
    """A subdistrict official (or a district official above) adds a compound (小区) to a community."""
    if not can_add_compound_to(actor, community):
        raise PermissionDenied
    compound = Compound(community=community)
    _place_changes(compound, ("code", "name"), {"code": code, "name": name})
    _apply(compound, COMPOUND_EDITABLE_FIELDS, {k: v for k, v in fields.items() if v is not None or k == "year_built"})
    compound.full_clean(exclude=["community", "code"], validate_unique=False)
    return _save_place(compound)


@transaction.atomic
def building_create(*, actor: User, compound: Compound, number: str, **fields) -> Building:
    """A subdistrict official (or a district official above) adds a building (楼栋) to a compound."""
    if not can_add_building_to(actor, compound):
        raise PermissionDenied
    number = _clean_text(Building, "number", number, required=True)
    if Building.objects.filter(compound=compound, number=number).exists():
        raise DomainError(
            _("This compound already has a building with this number."), code="number_taken", field="number"
        )
    building = Building(compound=compound, number=number)
    _apply(building, BUILDING_EDITABLE_FIELDS, {k: v for k, v in fields.items() if v is not None or k == "floors"})
    building.full_clean(exclude=["compound", "number"], validate_constraints=False, validate_unique=False)
    _save_place(building)
    compound_count_buildings(compound_ids=[compound.pk])
    return building


@transaction.atomic
def building_delete(*, actor: User, building: Building) -> None:
    """Remove a building entered by mistake (the people who may add one). A building that records hang on (units
    of the owners' roll, residents' problems, ...) is refused: those records must not lose their building."""
    compound = building.compound
    if not can_add_building_to(actor, compound):
        raise PermissionDenied
    try:
        with transaction.atomic():
            Building.objects.filter(pk=building.pk).delete()
    except ProtectedError:
        raise DomainError(
            _("Records of this building (units of the owners' roll, problems, ...) keep it: it cannot be removed."),
            code="building_in_use",
        ) from None
    compound_count_buildings(compound_ids=[compound.pk])


def compound_count_buildings(*, compound_ids) -> None:
    """Set each compound's building_count to the number of its buildings (one UPDATE): every path that adds or
    removes buildings (the web, the API, the import, the admin) ends here, so the count is never entered by hand."""
    buildings = Building.objects.filter(compound=OuterRef("pk")).order_by().values("compound").annotate(n=Count("id"))
    Compound.objects.filter(pk__in=list(compound_ids)).update(
        building_count=Coalesce(Subquery(buildings.values("n")), 0), updated_at=timezone.now()
    )


def api_token_create(
    *, request, username: str, password: str, device_name: str, otp_token: str = ""
) -> tuple[ApiToken, str]:
    """Log a device in: check the password (and the second factor when the user owes one) and issue a new
    token. Returns the token row and its key, which is shown this once and never stored."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise LockedOut()
        raise DomainError(_("Wrong username or password."), code="invalid_credentials")
    otp_verified = False
    if two_factor_required(user):
        device = confirmed_device(user)
        if device is None:
            raise DomainError(
                _("Set up two-factor login in the web portal before logging in on a phone."),
                code="two_factor_setup_required",
            )
        if not otp_token:
            raise DomainError(
                _("Enter the 6-digit code from your authenticator app."), code="otp_required", field="otp_token"
            )
        if not device.verify_token(otp_token):
            raise DomainError(_("The code is wrong or has expired."), code="otp_invalid", field="otp_token")
        otp_verified = True
    # Only a token issued with a passed second factor keeps working once the user owes one.
    return ApiToken.issue(user=user, device_name=device_name.strip(), otp_verified=otp_verified)


class LockedOut(DomainError):
    """Too many failed logins for this account from this address."""

    status = 429

    def __init__(self):
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        super().__init__(
            _("Too many failed logins. Try again in %(minutes)d minutes.") % {"minutes": minutes}, code="locked_out"
        )


@transaction.atomic
def security_policy_update(*, actor: User, require_2fa_for_officials: bool) -> SecurityPolicy:
    """District administrators switch mandatory two-factor login for officials on or off."""
    if not may_set_security_policy(actor):
        raise PermissionDenied
    policy = SecurityPolicy.objects.select_for_update().get_or_create(pk=1)[0]
    policy.require_2fa_for_officials = require_2fa_for_officials
    policy.updated_by = actor
    policy.save(update_fields=["require_2fa_for_officials", "updated_by", "updated_at"])
    forget_cached_policy()
    transaction.on_commit(forget_cached_policy)  # and again, once other readers see the row
    return policy


# --- Second factors. The otp_totp tables are not tracked by django-auditlog (they change on every login), so
# each change of a user's authenticator app is written to the audit trail here, on the user, and the user is
# told by e-mail: someone who took over an account cannot quietly swap its second factor.

DEVICE_CHANGE_SUBJECTS = {
    "set_up": lambda: _("Two-factor login was set up on your account"),
    "replaced": lambda: _("The authenticator app of your account was replaced"),
    "removed": lambda: _("Two-factor login was removed from your account"),
    "reset": lambda: _("The two-factor login of your account was reset by an official"),
}


def _user_place_ids(user: User) -> dict:
    """The place ids of the user's first place-bound role, so that officials see the entry in /audit/."""
    role = (
        Role.objects.filter(user=user)
        .exclude(district=None, subdistrict=None, community=None)
        .select_related("subdistrict", "community__subdistrict")
        .order_by("pk")
        .first()
    )
    if role is None:
        return {}
    if role.district_id:
        return {"district": role.district_id}
    if role.subdistrict_id:
        return {"district": role.subdistrict.district_id, "subdistrict": role.subdistrict_id}
    return {
        "district": role.community.subdistrict.district_id,
        "subdistrict": role.community.subdistrict_id,
        "community": role.community_id,
    }


def _device_label(device: TOTPDevice | None) -> str | None:
    return None if device is None else f"TOTP #{device.pk}"


def _record_device_change(
    *, actor: User, user: User, change: str, before: TOTPDevice | None, after: TOTPDevice | None
) -> None:
    """Audit a change of ``user``'s second factor and e-mail the user once the change is committed."""
    LogEntry.objects.log_create(
        user,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        actor=actor,
        changes={"two_factor": [_device_label(before), _device_label(after)]},
        additional_data={**_user_place_ids(user), "two_factor": change},
    )
    transaction.on_commit(partial(_send_device_change_notice, user_id=user.pk, actor_id=actor.pk, change=change))


def _send_device_change_notice(*, user_id: int, actor_id: int, change: str) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return
    actor = User.objects.filter(pk=actor_id).first()
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    body = _("%(subject)s at %(when)s.") % {"subject": DEVICE_CHANGE_SUBJECTS[change](), "when": when}
    if actor is not None and actor.pk != user.pk:
        body += "\n" + _("Done by: %(actor)s.") % {"actor": actor}
    body += "\n\n" + _(
        "If this was not you, tell your district's administrator at once: someone may have your password."
    )
    try:
        send_mail(DEVICE_CHANGE_SUBJECTS[change](), body, None, [user.email])
    except Exception:  # the change is made and audited; a mail server that is down must not turn it into a 500
        logger.exception("Could not e-mail user %s about a change of their second factor.", user_id)


def _require_passed_second_factor(actor: User) -> None:
    """Setting up, replacing or removing an authenticator app needs the one the user has, if any."""
    if not has_passed_second_factor(actor):
        raise PermissionDenied(_("Enter the code of your current authenticator app first."))


@transaction.atomic
def totp_device_start(*, actor: User) -> TOTPDevice:
    """Begin setting up an authenticator app: one unconfirmed device per user, reused until confirmed."""
    _require_passed_second_factor(actor)
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name=_("Authenticator app"), confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, actor: User, device: TOTPDevice, token: str) -> TOTPDevice:
    """Confirm the authenticator app with a first code; older devices of the user are removed."""
    if device.user_id != actor.pk:
        raise PermissionDenied
    _require_passed_second_factor(actor)
    if not device.verify_token(token):
        raise DomainError(_("The code is wrong or has expired."), code="otp_invalid", field="token")
    previous = confirmed_device(actor)
    TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _record_device_change(
        actor=actor, user=actor, change="replaced" if previous else "set_up", before=previous, after=device
    )
    return device


@transaction.atomic
def totp_device_remove(*, actor: User) -> None:
    """A user switches their own two-factor login off (not while the policy makes them use it)."""
    _require_passed_second_factor(actor)
    previous = confirmed_device(actor)
    if previous is None:
        raise DomainError(_("Two-factor login is not set up for your account."), code="no_device")
    if is_official_or_admin(actor) and officials_must_use_2fa():
        raise DomainError(
            _("Your account must use two-factor login: replace the authenticator app instead of removing it."),
            code="two_factor_mandatory",
        )
    TOTPDevice.objects.filter(user=actor).delete()
    _record_device_change(actor=actor, user=actor, change="removed", before=previous, after=None)


@transaction.atomic
def totp_device_reset(*, actor: User, user: User) -> None:
    """An official resets the second factor of a user in their district who lost their phone: the user sets up
    a new authenticator app at their next login. The user's API tokens go too (the lost phone usually holds
    one)."""
    if not may_reset_second_factor(actor, user):
        raise PermissionDenied
    if not is_verified(actor):
        raise DomainError(
            _("Only an official who logged in with two-factor login may reset another user's."),
            code="two_factor_required",
        )
    previous = confirmed_device(user)
    if previous is None:
        raise DomainError(_("This user has no authenticator app set up."), code="no_device")
    TOTPDevice.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user).delete()
    _record_device_change(actor=actor, user=user, change="reset", before=previous, after=None)


def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    """Log a device out. Users revoke their own tokens only."""
    if token.user_id != actor.pk:
        raise PermissionDenied
    token.delete()


@transaction.atomic
def api_tokens_revoke_all(*, user: User) -> int:
    """Log every device of a user out (a deactivated account). Returns how many tokens there were."""
    return ApiToken.objects.filter(user=user).delete()[1].get(ApiToken._meta.label, 0)


# --- People, roles and companies (the people page and /api/v1/users/, /roles/, /companies/). ---

USER_EDITABLE_FIELDS = ("display_name", "email", "phone")
COMPANY_EDITABLE_FIELDS = ("name", "kind", "credit_code", "contact_name", "contact_phone")


def _validate_email(email: str) -> str:
    email = (email or "").strip()
    try:
        EmailValidator()(email)  # the class, not its validate_email instance: the schema reader hashes call targets
    except ValidationError:
        raise DomainError(
            _("Enter a valid e-mail address: the invitation is sent there."), code="bad_email", field="email"
        ) from None
    return email


def _role_binding_check(*, kind: str, tier, binding: dict) -> None:
    """A role is bound to exactly the kind of node its kind needs; inspectors have a tier that fits the node:
    tier 1 (site patrol) a subdistrict or community, tiers 2 and 3 the district."""
    if kind not in RoleKind.values:
        raise DomainError(_("Choose a role."), code="bad_role", field="kind")
    allowed = ROLE_BINDINGS[kind]
    given = [name for name in BINDING_FIELDS if binding.get(name) is not None]
    if len(given) != 1 or given[0] not in allowed:
        names = {
            "province": _("province"),
            "city": _("city"),
            "district": _("district"),
            "subdistrict": _("subdistrict"),
            "community": _("community"),
            "company": _("company"),
        }
        raise DomainError(
            _("This role is bound to exactly one of: %(places)s.")
            % {"places": "、".join(str(names[a]) for a in allowed)},
            code="bad_binding",
            field="non_field_errors",
        )
    if given[0] == "company":
        _role_company_check(kind=kind, company=binding["company"])
    if kind != RoleKind.INSPECTOR:
        if tier is not None:
            raise DomainError(_("Only inspectors have an inspection tier."), code="bad_tier", field="tier")
        return
    if tier not in InspectionTier.values:
        raise DomainError(_("Choose the inspector's tier."), code="bad_tier", field="tier")
    if (tier == InspectionTier.SITE) == (given[0] == "district"):
        raise DomainError(
            _(
                "Tier-1 inspectors patrol a subdistrict or community; tier-2 and tier-3 inspectors work for the district."
            ),
            code="bad_tier",
            field="tier",
        )


def _role_company_check(*, kind: str, company) -> None:
    """A property service company's people hold the property-staff role, an EPC contractor's the contractor role:
    the role decides what they reach (patrols and their findings, or projects) and whom the reminders go to."""
    if isinstance(company, Company):
        company_kind = company.kind
    else:
        company_kind = Company.objects.filter(pk=company).values_list("kind", flat=True).first()
    if company_kind in ROLE_COMPANY_KINDS[kind]:
        return
    if kind == RoleKind.PROPERTY_STAFF:
        message = _("Property service staff are bound to a property service company.")
    else:
        message = _("A contractor's role is bound to a contracting company, not a property service company.")
    raise DomainError(message, code="wrong_company_kind", field="company")


def _role_add(*, actor: User, user: User, kind: str, tier=None, title: str = "", **binding) -> Role:
    _role_binding_check(kind=kind, tier=tier, binding=binding)
    binding = {name: binding.get(name) for name in BINDING_FIELDS}
    if Role.objects.filter(user=user, kind=kind, tier=tier, **binding).exists():
        raise DomainError(_("The user already holds this role."), code="duplicate_role", field="non_field_errors")
    role = Role.objects.create(user=user, kind=kind, tier=tier, title=(title or "").strip(), **binding)
    # The same filter as the people list decides: a role outside the granter's scope is refused (and rolled back).
    if not can_grant_role(actor, role):
        raise PermissionDenied(_("You may not grant a role outside your own part of the place tree."))
    return role


@transaction.atomic
def user_invite(
    *,
    actor: User,
    username: str,
    email: str,
    role: dict,
    base_url: str,
    display_name: str = "",
    phone: str = "",
) -> User:
    """Create an account with a first role and e-mail the person a one-time link to set their password. The account
    has no usable password until then."""
    if not may_manage_people(actor):
        raise PermissionDenied
    username = (username or "").strip()
    try:
        User.username_validator(username)
    except ValidationError:
        raise DomainError(
            _("A username has letters, digits and @/./+/-/_ only."), code="bad_username", field="username"
        ) from None
    if not username or len(username) > 150:
        raise DomainError(_("A username has 1 to 150 characters."), code="bad_username", field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("This username is taken."), code="username_taken", field="username")
    user = User(
        username=username,
        email=_validate_email(email),
        display_name=(display_name or "").strip(),
        phone=(phone or "").strip(),
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the same username, invited at the same moment
        raise DomainError(_("This username is taken."), code="username_taken", field="username") from None
    _role_add(actor=actor, user=user, **role)
    transaction.on_commit(partial(_send_invitation, user_id=user.pk, actor_id=actor.pk, base_url=base_url))
    return user


def invitation_link(user: User, base_url: str) -> str:
    path = reverse(
        "account-set-password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return base_url.rstrip("/") + path


def _send_invitation(*, user_id: int, actor_id: int, base_url: str) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return
    actor = User.objects.filter(pk=actor_id).first()
    subject = _("Your account on the renovation portal")
    body = _(
        "%(actor)s has created an account for you on the renovation portal.\n\nUsername: %(username)s\n\n"
        "Set your password with this link (it works once, for %(days)d days):\n%(link)s"
    ) % {
        "actor": actor or _("An official"),
        "username": user.username,
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        "link": invitation_link(user, base_url),
    }
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:  # the account exists; the official can send the invitation again
        logger.exception("Could not e-mail the invitation to user %s.", user_id)


def _require_manageable(actor: User, user: User) -> None:
    if not can_manage_user(actor, user):
        raise PermissionDenied(_("You may not change this user."))


@transaction.atomic
def user_send_invitation(*, actor: User, user: User, base_url: str) -> None:
    """Send the set-password link again (the first mail was lost, or the link expired)."""
    _require_manageable(actor, user)
    if not user.is_active:
        raise DomainError(_("Reactivate the user first."), code="inactive_user", field="non_field_errors")
    transaction.on_commit(partial(_send_invitation, user_id=user.pk, actor_id=actor.pk, base_url=base_url))


@transaction.atomic
def user_update(*, actor: User, user: User, **changes) -> User:
    """Change a user's name, e-mail address or phone."""
    _require_manageable(actor, user)
    if "email" in changes:
        changes["email"] = _validate_email(changes["email"])
    changed = _apply(user, USER_EDITABLE_FIELDS, changes)
    if changed:
        user.save(update_fields=changed)
    return user


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> User:
    """Switch an account off instead of deleting it (its records keep their author): it can no longer sign in,
    its sessions end, and every API token of its devices is revoked at once."""
    _require_manageable(actor, user)
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    api_tokens_revoke_all(user=user)
    return user


@transaction.atomic
def user_reactivate(*, actor: User, user: User) -> User:
    _require_manageable(actor, user)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def role_grant(*, actor: User, user: User, kind: str, tier=None, title: str = "", **binding) -> Role:
    """Give a user another role, inside the granter's scope."""
    _require_manageable(actor, user)
    return _role_add(actor=actor, user=user, kind=kind, tier=tier, title=title, **binding)


@transaction.atomic
def role_revoke(*, actor: User, role: Role) -> None:
    """Take a role away. The last one stays: deactivate the account instead (an account with no role would drop
    out of every official's reach)."""
    _require_manageable(actor, role.user)
    if not can_grant_role(actor, role):
        raise PermissionDenied(_("You may not revoke a role outside your own part of the place tree."))
    if not Role.objects.filter(user_id=role.user_id).exclude(pk=role.pk).exists():
        raise DomainError(
            _("This is the user's only role: deactivate the account instead."),
            code="last_role",
            field="non_field_errors",
        )
    role.delete()


def _company_clean(*, company: Company | None, name=None, credit_code=None) -> dict:
    cleaned = {}
    if name is not None:
        name = name.strip()
        if not name:
            raise DomainError(_("Enter the company's name."), code="name_required", field="name")
        others = Company.objects.filter(name=name)
        if company is not None:
            others = others.exclude(pk=company.pk)
        if others.exists():
            raise DomainError(_("A company with this name exists."), code="name_taken", field="name")
        cleaned["name"] = name
    if credit_code is not None:
        credit_code = credit_code.strip().upper()
        try:
            validate_credit_code(credit_code)
        except ValidationError as error:
            raise DomainError(error.messages[0], code="invalid_credit_code", field="credit_code") from None
        others = Company.objects.filter(credit_code=credit_code)
        if company is not None:
            others = others.exclude(pk=company.pk)
        if others.exists():
            raise DomainError(
                _("A company with this unified social credit code exists."),
                code="credit_code_taken",
                field="credit_code",
            )
        cleaned["credit_code"] = credit_code
    return cleaned


def _company_save(company: Company, fields: list[str] | None) -> Company:
    try:
        with transaction.atomic():
            company.save(update_fields=fields)
    except IntegrityError:  # the same company entered twice at the same moment
        raise DomainError(
            _("A company with this name or unified social credit code exists."),
            code="credit_code_taken",
            field="credit_code",
        ) from None
    return company


@transaction.atomic
def company_create(
    *, actor: User, name: str, kind: str, credit_code: str, contact_name: str = "", contact_phone: str = ""
) -> Company:
    """Register a company (EPC contractor, designer, supervisor, property company) with its checked code."""
    if not may_manage_companies(actor):
        raise PermissionDenied
    if kind not in CompanyKind.values:
        raise DomainError(_("Choose the kind of company."), code="bad_kind", field="kind")
    cleaned = _company_clean(company=None, name=name, credit_code=credit_code)
    company = Company(kind=kind, contact_name=contact_name.strip(), contact_phone=contact_phone.strip(), **cleaned)
    return _company_save(company, None)


@transaction.atomic
def company_update(*, actor: User, company: Company, **changes) -> Company:
    if not may_manage_companies(actor):
        raise PermissionDenied
    if "kind" in changes and changes["kind"] not in CompanyKind.values:
        raise DomainError(_("Choose the kind of company."), code="bad_kind", field="kind")
    if "kind" in changes and changes["kind"] != company.kind:
        # Its people's roles go with the kind (a contractor's people, a property company's staff): no role is left
        # bound to the wrong kind of company.
        misfit = [kind for kind, kinds in ROLE_COMPANY_KINDS.items() if changes["kind"] not in kinds]
        if Role.objects.filter(company=company, kind__in=misfit).exists():
            raise DomainError(
                _("People of this company hold roles that need its present kind: revoke them first."),
                code="kind_has_members",
                field="kind",
            )
    changes.update(_company_clean(company=company, name=changes.get("name"), credit_code=changes.get("credit_code")))
    changed = _apply(company, COMPANY_EDITABLE_FIELDS, changes)
    if changed:
        _company_save(company, changed)
    return company


def _city_for_district(*, code: str, city: str, province: str) -> City | None:
    """The city above a new district, found or created by the GB/T 2260 code prefixes (district 350203 → city
    350200 → province 350000). A name given for an existing city or province must be its name; a new city or
    province needs its name. No city name and no city of that code: the district has no city (yet)."""
    city_code, province_code = code[:4] + "00", code[:2] + "0000"
    found = City.objects.select_related("province").filter(code=city_code).first()
    if found is not None:
        if city and found.name != city:
            raise DomainError(
                _("The city with code %(code)s is %(name)s.") % {"code": city_code, "name": found.name},
                code="city_mismatch",
                field="city",
            )
        if province and found.province.name != province:
            raise DomainError(
                _("The province with code %(code)s is %(name)s.")
                % {"code": found.province.code, "name": found.province.name},
                code="province_mismatch",
                field="province",
            )
        return found
    if not city:
        if province:
            raise DomainError(_("Enter the city's name too."), code="city_required", field="city")
        return None
    parent = Province.objects.filter(code=province_code).first()
    if parent is None:
        if not province:
            raise DomainError(
                _("Province %(code)s is new: enter its name.") % {"code": province_code},
                code="province_required",
                field="province",
            )
        parent = Province.objects.create(code=province_code, name=province)
    elif province and parent.name != province:
        raise DomainError(
            _("The province with code %(code)s is %(name)s.") % {"code": province_code, "name": parent.name},
            code="province_mismatch",
            field="province",
        )
    return City.objects.create(code=city_code, name=city, province=parent)


@transaction.atomic
def district_set_up(
    *,
    code: str,
    name: str,
    city: str,
    official_username: str,
    official_password: str,
    official_email: str = "",
    province: str = "",
) -> tuple[District, User]:
    """First start of a district (the create_district command): the district (under its city and province, found
    or created by code) and its first district official, who does everything else in the portal. Refuses an
    existing district code or username, a weak password, and a city or province name that contradicts the
    existing one."""
    code, name, city, official_username = code.strip(), name.strip(), city.strip(), official_username.strip()
    province = (province or "").strip()
    if not (code.isdigit() and 6 <= len(code) <= 12):
        raise DomainError(_("A division code has 6 to 12 digits."), code="bad_code", field="code")
    if not name:
        raise DomainError(_("Enter the district's name."), code="name_required", field="name")
    if District.objects.filter(code=code).exists():
        raise DomainError(_("A district with this code exists."), code="district_exists", field="code")
    if not official_username or User.objects.filter(username__iexact=official_username).exists():
        raise DomainError(_("This username is taken."), code="username_taken", field="username")
    official = User(username=official_username, email=(official_email or "").strip())
    try:
        User.username_validator(official_username)
        validate_password(official_password, official)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), code="bad_password", field="password") from None
    parent = _city_for_district(code=code, city=city, province=province)
    district = District.objects.create(code=code, name=name, city=parent)
    official.set_password(official_password)
    official.save()
    Role.objects.create(user=official, kind=RoleKind.DISTRICT_OFFICIAL, district=district)
    return district, official


# --- task forces (专班) ---


def _place_ids(level: str, place) -> dict:
    """The district, subdistrict and community ids at and above a place."""
    if level == TaskForceLevel.DISTRICT:
        return {"district": place.pk}
    if level == TaskForceLevel.SUBDISTRICT:
        return {"district": place.district_id, "subdistrict": place.pk}
    community = place if level == TaskForceLevel.COMMUNITY else place.community
    return {
        "district": community.subdistrict.district_id,
        "subdistrict": community.subdistrict_id,
        "community": community.pk,
    }


def can_manage_task_force(user: User, level: str, place) -> bool:
    """Officials of the place's scope: district officials for every level of their district, subdistrict officials
    below the district, community secretaries for their community and its compounds."""
    scope = get_scope(user)
    if scope.is_global:
        return True
    ids = _place_ids(level, place)
    q = Q(kind=RoleKind.DISTRICT_OFFICIAL, district_id=ids["district"])
    if "subdistrict" in ids:
        q |= Q(kind=RoleKind.SUBDISTRICT_OFFICIAL, subdistrict_id=ids["subdistrict"])
    if "community" in ids:
        q |= Q(kind=RoleKind.COMMUNITY_SECRETARY, community_id=ids["community"])
    return user.roles.filter(q).exists()


@transaction.atomic
def task_force_create(*, actor: User, level: str, place, name: str) -> TaskForce:
    if level not in TaskForceLevel.values or place is None:
        raise DomainError(_("Choose the level and the place of the task force."), code="invalid_place", field="level")
    if not can_manage_task_force(actor, level, place):
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the task force a name."), code="required", field="name")
    return TaskForce.objects.create(level=level, name=name, **{level: place})


@transaction.atomic
def task_force_rename(*, actor: User, task_force: TaskForce, name: str) -> TaskForce:
    locked = TaskForce.objects.select_for_update().get(pk=task_force.pk)
    if not can_manage_task_force(actor, locked.level, locked.place):
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the task force a name."), code="required", field="name")
    locked.name = name
    locked.save(update_fields=["name", "updated_at"])
    return locked


@transaction.atomic
def task_force_add_member(
    *,
    actor: User,
    task_force: TaskForce,
    user: User | None = None,
    name: str = "",
    role: str = "",
    working_group: str = "",
) -> TaskForceMember:
    """Add a portal user or a named person (with the role they hold and the working group they serve in)."""
    locked = TaskForce.objects.select_for_update().get(pk=task_force.pk)
    if not can_manage_task_force(actor, locked.level, locked.place):
        raise PermissionDenied
    name, role = (name or "").strip(), (role or "").strip()
    if user is None and not name:
        raise DomainError(_("Choose a user or give the member's name."), code="member_required", field="name")
    if working_group and working_group not in WorkingGroup.values:
        raise DomainError(_("Choose a working group."), code="invalid_working_group", field="working_group")
    if user is not None and locked.members.filter(user=user).exists():
        raise DomainError(_("This user is already a member."), code="already_member", field="user")
    member = TaskForceMember.objects.create(
        task_force=locked, user=user, name=name[:50], role=role[:60], working_group=working_group
    )
    locked.save(update_fields=["updated_at"])
    return member


@transaction.atomic
def task_force_remove_member(*, actor: User, member: TaskForceMember) -> None:
    locked = TaskForce.objects.select_for_update().get(pk=member.task_force_id)
    if not can_manage_task_force(actor, locked.level, locked.place):
        raise PermissionDenied
    member.delete()
    locked.save(update_fields=["updated_at"])


# Governance bodies: every change is a new record; the earlier one is ended, never overwritten.

# The apps that keep a copy of a compound's current body (aftercare: its record's property service) are told of each
# new one in the writer's transaction, ``listener(compound, record)``, registered in their AppConfig.ready().
_GOVERNANCE_LISTENERS: list = []


def register_governance_listener(listener) -> None:
    if listener not in _GOVERNANCE_LISTENERS:
        _GOVERNANCE_LISTENERS.append(listener)


def _governance_replace(*, actor: User, compound: Compound, model, starts_on, dated_start: str | None = None, **fields):
    """Record a new body of the compound: end the current record on ``starts_on`` (today if unknown), save the
    new one, and point the compound at it. The pointer (``Compound.party_branch``, ``owners_body``,
    ``property_service``) is written here only; the compound's property mode is read through it.

    With ``dated_start`` (the records' field holding the day they start, as ``PropertyService.contract_starts_on``),
    the history stays one record a day: every earlier record still running on ``starts_on`` ends that day too (a
    backdated record replaces them from its start), and a start before that of a record whose start day is on record
    is refused (``starts_before_current``) — that record would be erased, not ended."""
    if not can_change_compound(actor, compound):
        raise PermissionDenied
    # One change of a compound's body at a time: the compound row is the lock.
    Compound.objects.select_for_update().filter(pk=compound.pk).first()
    start = starts_on or timezone.localdate()
    if dated_start is None:
        ending = list(model.objects.filter(compound=compound, ended_on__isnull=True)[:1])
    else:
        ending = _running_on(model, compound, start, dated_start)
    record = model(compound=compound, **fields)
    record.full_clean(exclude=["compound"])
    for earlier in ending:
        earlier.ended_on = start
        earlier.save(update_fields=["ended_on"])
    record.save()
    Compound.objects.filter(pk=compound.pk).update(**{model.pointer: record}, updated_at=timezone.now())
    setattr(compound, model.pointer, record)  # a compound held in memory must not undo it on its next save
    for listener in _GOVERNANCE_LISTENERS:
        listener(compound, record)
    return record


def _running_on(model, compound: Compound, start, dated_start: str) -> list:
    """The compound's records still running on ``start`` (not ended by then), which a record starting that day
    ends; a ``DomainError`` if one of them starts, by its recorded day, after ``start`` (and was ever in force)."""
    running = list(
        model.objects.filter(compound=compound).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=start)).order_by("id")
    )
    ending = []
    for earlier in running:
        day = getattr(earlier, dated_start)
        if day is not None and earlier.ended_on is not None and earlier.ended_on <= day:
            continue  # ended before it started: never in force, nothing to end
        ending.append(earlier)
        if day is not None and day > start:
            raise DomainError(
                _(
                    "A service starting on %(day)s is on record: the new one cannot start before it (%(start)s). "
                    "Give a start date on or after %(day)s."
                )
                % {"day": day, "start": start},
                code="starts_before_current",
                field=dated_start,
            )
    return ending


@transaction.atomic
def party_branch_set(
    *,
    actor: User,
    compound: Compound,
    name: str,
    secretary_name: str,
    secretary_phone: str = "",
    member_count: int = 0,
    established_on=None,
) -> PartyBranch:
    """Record the compound's party branch (a new branch or a new secretary); the earlier record is ended."""
    return _governance_replace(
        actor=actor,
        compound=compound,
        model=PartyBranch,
        starts_on=established_on,
        name=name,
        secretary_name=secretary_name,
        secretary_phone=secretary_phone,
        member_count=member_count,
        established_on=established_on,
    )


@transaction.atomic
def owners_body_elect(
    *,
    actor: User,
    compound: Compound,
    kind: str,
    director_name: str,
    director_phone: str = "",
    member_count: int = 0,
    established_on=None,
    term_starts_on=None,
    term_ends_on=None,
) -> OwnersBody:
    """Record an election of the owners' committee or self-governance group; the earlier term is ended."""
    if term_starts_on and term_ends_on and term_ends_on < term_starts_on:
        raise DomainError(_("The term cannot end before it starts."), code="invalid_term", field="term_ends_on")
    return _governance_replace(
        actor=actor,
        compound=compound,
        model=OwnersBody,
        starts_on=term_starts_on or established_on,
        kind=kind,
        director_name=director_name,
        director_phone=director_phone,
        member_count=member_count,
        established_on=established_on,
        term_starts_on=term_starts_on,
        term_ends_on=term_ends_on,
    )


@transaction.atomic
def property_service_change(
    *,
    actor: User,
    compound: Compound,
    mode: str,
    company: Company | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    contract_starts_on=None,
    contract_ends_on=None,
) -> PropertyService:
    """Record the compound's property service (a new mode or company) from its contract's start (today if not
    given); the earlier service is ended that day and the compound's property mode follows the new one. Backdated,
    it ends on its start every earlier record still running then, so that one record is in force on any day (the
    dashboards' coverage counts a compound once); it cannot start before a service whose contract start is on record
    (``starts_before_current``): correct that one instead."""
    if company is not None and company.kind != CompanyKind.PROPERTY:
        raise DomainError(_("Choose a property service company."), code="not_a_property_company", field="company")
    if mode == PropertyMode.PROFESSIONAL and company is None:
        raise DomainError(
            _("A professional property service needs its company."), code="company_required", field="company"
        )
    if contract_starts_on and contract_ends_on and contract_ends_on < contract_starts_on:
        raise DomainError(
            _("The contract cannot end before it starts."), code="invalid_contract", field="contract_ends_on"
        )
    return _governance_replace(
        actor=actor,
        compound=compound,
        model=PropertyService,
        starts_on=contract_starts_on,
        dated_start="contract_starts_on",
        mode=mode,
        company=company,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contract_starts_on=contract_starts_on,
        contract_ends_on=contract_ends_on,
    )


# --- Building leads (楼栋长) and contact boards (亮牌). A new lead ends the earlier record (history is kept, as
# for the governance bodies); the board's entries are kept current (the audit trail keeps their changes). Secretaries
# for the buildings of their community, officials for their scope (can_change_building / can_change_compound).

PHONE_PATTERN = re.compile(r"^(?=.{3,20}$)\+?[0-9][0-9 ()\-]*$")


def _clean_phone(value, field: str) -> str:
    value = (value or "").strip()
    if value and not PHONE_PATTERN.match(value):
        message = _("Enter a phone number (digits, spaces, + ( ) -; at most 20 characters).")
        if field == "phone":
            raise DomainError(message, code="bad_phone", field="phone")
        raise DomainError(message, code="bad_phone", field="service_phone")
    return value


def _clean_candidates(candidates, *, name: str, chosen_by: str) -> list[dict]:
    cleaned = []
    for item in candidates or []:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            raise DomainError(_("Each candidate needs a name."), code="bad_candidates", field="candidates")
        votes = item.get("votes")
        if votes is not None and (isinstance(votes, bool) or not isinstance(votes, int) or votes < 0):
            raise DomainError(
                _("A candidate's votes are a whole number, 0 or more."), code="bad_candidates", field="candidates"
            )
        cleaned.append({"name": item["name"].strip()[:50], "votes": votes})
    if len(cleaned) > 50:
        raise DomainError(_("At most 50 candidates."), code="bad_candidates", field="candidates")
    if len({c["name"] for c in cleaned}) != len(cleaned):
        raise DomainError(_("A candidate is named twice."), code="bad_candidates", field="candidates")
    if chosen_by == LeadChoice.ELECTED:
        if not cleaned:
            cleaned = [{"name": name, "votes": None}]
        elif name not in {c["name"] for c in cleaned}:
            raise DomainError(
                _("The elected lead must be one of the candidates."), code="lead_not_a_candidate", field="candidates"
            )
    elif cleaned:
        raise DomainError(
            _("An appointed lead has no candidates: choose “elected” to record an election."),
            code="candidates_without_election",
            field="candidates",
        )
    return cleaned


@transaction.atomic
def building_lead_record(
    *,
    actor: User,
    building: Building,
    name: str,
    chosen_by: str,
    chosen_on=None,
    phone: str = "",
    service_phone: str = "",
    term_starts_on=None,
    term_ends_on=None,
    candidates=None,
    basis: str = "",
) -> BuildingLead:
    """Record the building's lead, appointed or elected (with the candidates and, if known, their votes). The
    current lead's record is ended the day the new term starts; it stays as history."""
    if not can_change_building(actor, building):
        raise PermissionDenied
    name = _clean_text(BuildingLead, "name", name, required=True)
    if chosen_by not in LeadChoice.values:
        raise DomainError(_("Choose how the lead was chosen."), code="bad_chosen_by", field="chosen_by")
    chosen_on = chosen_on or timezone.localdate()
    if term_starts_on and term_ends_on and term_ends_on < term_starts_on:
        raise DomainError(_("The term cannot end before it starts."), code="invalid_term", field="term_ends_on")
    record = BuildingLead(
        building=building,
        name=name,
        phone=_clean_phone(phone, "phone"),
        service_phone=_clean_phone(service_phone, "service_phone"),
        chosen_by=chosen_by,
        chosen_on=chosen_on,
        term_starts_on=term_starts_on,
        term_ends_on=term_ends_on,
        candidates=_clean_candidates(candidates, name=name, chosen_by=chosen_by),
        basis=_clean_text(BuildingLead, "basis", basis, required=False),
        recorded_by=actor,
    )
    # One change of a building's lead at a time: the building row is the lock.
    Building.objects.select_for_update().filter(pk=building.pk).first()
    current = BuildingLead.objects.filter(building=building, ended_on__isnull=True).first()
    if current is not None:
        current.ended_on = max(term_starts_on or chosen_on, current.chosen_on)
        current.save(update_fields=["ended_on"])
    record.save()
    Building.objects.filter(pk=building.pk).update(updated_at=timezone.now())
    return record


@transaction.atomic
def building_lead_end(*, actor: User, lead: BuildingLead, ended_on=None) -> BuildingLead:
    """End a lead's term without a successor yet (moved away, stepped down): the board shows no lead until one
    is recorded."""
    if not can_change_building(actor, lead.building):
        raise PermissionDenied
    locked = BuildingLead.objects.select_for_update().get(pk=lead.pk)
    if locked.ended_on is not None:
        raise DomainError(_("This lead's term has already ended."), code="already_ended")
    locked.ended_on = max(ended_on or timezone.localdate(), locked.chosen_on)
    locked.save(update_fields=["ended_on"])
    Building.objects.filter(pk=locked.building_id).update(updated_at=timezone.now())
    return locked


BOARD_CONTACT_ROLES = (BoardRole.GRID_WORKER, BoardRole.PARTY_BRANCH, BoardRole.OWNERS_BODY, BoardRole.PROPERTY_SERVICE)


@transaction.atomic
def board_contact_set(
    *,
    actor: User,
    compound: Compound,
    role: str,
    building: Building | None = None,
    name: str = "",
    service_phone: str = "",
) -> tuple[BoardContact, bool]:
    """Post a role on the contact board of the compound's buildings (``building`` None: all of them) with the
    phone the role publishes. Replaces the entry of the same role and place. Returns the entry and whether it is
    new. The building lead is not set here: record the lead (building_lead_record)."""
    if not can_change_compound(actor, compound):
        raise PermissionDenied
    if role not in BOARD_CONTACT_ROLES:
        raise DomainError(
            _(
                "Choose the grid worker, party branch, owners' body or property service (a building lead is recorded "
                "as a lead)."
            ),
            code="bad_role",
            field="role",
        )
    if building is not None and building.compound_id != compound.pk:
        raise DomainError(_("Choose a building of this compound."), code="building_not_in_compound", field="building")
    name = _clean_text(BoardContact, "name", name, required=role == BoardRole.GRID_WORKER)
    service_phone = _clean_phone(service_phone, "service_phone")
    Compound.objects.select_for_update().filter(pk=compound.pk).first()
    entry = BoardContact.objects.filter(compound=compound, building=building, role=role).first()
    created = entry is None
    if created:
        entry = BoardContact(compound=compound, building=building, role=role)
    entry.name, entry.service_phone, entry.updated_by = name, service_phone, actor
    entry.save()
    return entry, created


@transaction.atomic
def board_contact_remove(*, actor: User, entry: BoardContact) -> None:
    """Take an entry off the board (a building's own entry: the compound's shows again)."""
    if not can_change_compound(actor, entry.compound):
        raise PermissionDenied
    entry.delete()
