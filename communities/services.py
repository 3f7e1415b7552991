"""Every write to place-tree data and to API tokens."""

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from communities.models import ApiToken, Building, Compound, User
from communities.permissions import can_change_building, can_change_compound
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


def api_token_create(*, request, username: str, password: str, device_name: str) -> tuple[ApiToken, str]:
    """Log a device in: check the password and issue a new token. Returns the token row and its key,
    which is shown this once and never stored."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise DomainError(_("Wrong username or password."), code="invalid_credentials")
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=user, key_digest=ApiToken.digest(key), prefix=key[:8],
                                    device_name=device_name.strip())
    return token, key


def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    """Log a device out. Users revoke their own tokens only."""
    if token.user_id != actor.pk:
        raise PermissionDenied
    token.delete()
