"""Every write to place-tree data and to API tokens."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from communities.models import ApiToken, Building, Compound, SecurityPolicy, User
from communities.permissions import can_change_building, can_change_compound
from communities.security import POLICY_CACHE_KEY, confirmed_device, may_set_security_policy, two_factor_required
from renovation_portal.errors import DomainError


COMPOUND_EDITABLE_FIELDS = ("address", "year_built", "building_count", "household_count", "resident_count",
                            "floor_area", "property_mode")
BUILDING_EDITABLE_FIELDS = ("floors", "stairwells", "household_count", "lead_name", "lead_phone",
                            "grid_worker_name", "grid_worker_phone")


def _apply(obj, allowed: tuple[str, ...], changes: dict) -> list[str]:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise DomainError(_("Fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))}, code="unknown_field")
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
    """Change a building's data and its contact board (亮牌)."""
    if not can_change_building(actor, building):
        raise PermissionDenied
    changed = _apply(building, BUILDING_EDITABLE_FIELDS, changes)
    if changed:
        building.full_clean(exclude=["compound", "number"])
        building.save(update_fields=[*changed, "updated_at"])
    return building


def api_token_create(*, request, username: str, password: str, device_name: str,
                     otp_token: str = "") -> tuple[ApiToken, str]:
    """Log a device in: check the password (and the second factor when the user owes one) and issue a new
    token. Returns the token row and its key, which is shown this once and never stored."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise LockedOut()
        raise DomainError(_("Wrong username or password."), code="invalid_credentials")
    if two_factor_required(user):
        device = confirmed_device(user)
        if device is None:
            raise DomainError(_("Set up two-factor login in the web portal before logging in on a phone."),
                              code="two_factor_setup_required")
        if not otp_token:
            raise DomainError(_("Enter the 6-digit code from your authenticator app."),
                              code="otp_required", field="otp_token")
        if not device.verify_token(otp_token):
            raise DomainError(_("The code is wrong or has expired."), code="otp_invalid", field="otp_token")
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=user, key_digest=ApiToken.digest(key), prefix=key[:8],
                                    device_name=device_name.strip())
    return token, key


class LockedOut(DomainError):
    """Too many failed logins for this account from this address."""

    status = 429

    def __init__(self):
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        super().__init__(_("Too many failed logins. Try again in %(minutes)d minutes.") % {"minutes": minutes},
                         code="locked_out")


@transaction.atomic
def security_policy_update(*, actor: User, require_2fa_for_officials: bool) -> SecurityPolicy:
    """District administrators switch mandatory two-factor login for officials on or off."""
    if not may_set_security_policy(actor):
        raise PermissionDenied
    policy = SecurityPolicy.objects.select_for_update().get_or_create(pk=1)[0]
    policy.require_2fa_for_officials = require_2fa_for_officials
    policy.updated_by = actor
    policy.save(update_fields=["require_2fa_for_officials", "updated_by", "updated_at"])
    cache.delete(POLICY_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(POLICY_CACHE_KEY))  # and again, once other readers see the row
    return policy


@transaction.atomic
def totp_device_start(*, actor: User) -> TOTPDevice:
    """Begin setting up an authenticator app: one unconfirmed device per user, reused until confirmed."""
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name=_("Authenticator app"), confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, actor: User, device: TOTPDevice, token: str) -> TOTPDevice:
    """Confirm the authenticator app with a first code; older devices of the user are removed."""
    if device.user_id != actor.pk:
        raise PermissionDenied
    if not device.verify_token(token):
        raise DomainError(_("The code is wrong or has expired."), code="otp_invalid", field="token")
    TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    """Log a device out. Users revoke their own tokens only."""
    if token.user_id != actor.pk:
        raise PermissionDenied
    token.delete()
