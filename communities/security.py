"""Two-factor login rules: who must use it, and whether a user has it set up."""

from django.core.cache import cache
from django_otp.plugins.otp_totp.models import TOTPDevice

from communities.choices import RoleKind
from communities.models import SecurityPolicy
from communities.scoping import get_scope

OFFICIAL_ROLES = (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL)


def is_official_or_admin(user) -> bool:
    """Officials and administrators: the accounts the two-factor policy applies to."""
    return user.is_superuser or user.is_staff or bool(get_scope(user).role_kinds.intersection(OFFICIAL_ROLES))


def may_set_security_policy(user) -> bool:
    return user.is_superuser or RoleKind.DISTRICT_OFFICIAL in get_scope(user).role_kinds


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


POLICY_CACHE_KEY = "portal:security-policy:require-2fa"


def officials_must_use_2fa() -> bool:
    """The policy switch, cached (the service that changes it clears the cache)."""
    value = cache.get(POLICY_CACHE_KEY)
    if value is None:
        value = SecurityPolicy.current().require_2fa_for_officials
        cache.set(POLICY_CACHE_KEY, value, timeout=300)
    return value


def two_factor_required(user) -> bool:
    """Whether this user must pass a second factor: they set one up, or the policy makes officials use it."""
    cached = getattr(user, "_portal_2fa_required", None)
    if cached is None:
        cached = (confirmed_device(user) is not None
                  or (is_official_or_admin(user) and officials_must_use_2fa()))
        user._portal_2fa_required = cached
    return cached
