"""Two-factor login rules: who must use it, and whether a user has it set up."""

import logging

from django.core.cache import cache
from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from communities.choices import RoleKind
from communities.models import Role, SecurityPolicy, User
from communities.scoping import get_scope

OFFICIAL_ROLES = (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL)


def is_official_or_admin(user) -> bool:
    """Officials and administrators: the accounts the two-factor policy applies to."""
    return user.is_superuser or user.is_staff or bool(get_scope(user).role_kinds.intersection(OFFICIAL_ROLES))


def may_set_security_policy(user) -> bool:
    return user.is_superuser or RoleKind.DISTRICT_OFFICIAL in get_scope(user).role_kinds


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_verified(user) -> bool:
    """Whether this request's user passed a second factor in this session (django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def has_passed_second_factor(user) -> bool:
    """Whether the user may change their own second factor: they have none yet, or passed it in this session.
    A password alone must not replace the authenticator app it is meant to be paired with."""
    return is_verified(user) or confirmed_device(user) is None


def second_factor_resettable_users(actor):
    """The users whose second factor ``actor`` may reset: anyone else for superusers; for district officials,
    other users whose every role is bound to a place in the official's districts (no staff or superusers)."""
    if actor.is_superuser:
        return User.objects.exclude(pk=actor.pk)
    districts = sorted(
        Role.objects.filter(user=actor, kind=RoleKind.DISTRICT_OFFICIAL).values_list("district_id", flat=True)
    )
    if not districts:
        return User.objects.none()
    in_district = (
        Q(district_id__in=districts)
        | Q(subdistrict__district_id__in=districts)
        | Q(community__subdistrict__district_id__in=districts)
    )
    return (
        User.objects.filter(is_superuser=False, is_staff=False)
        .exclude(pk=actor.pk)
        .filter(pk__in=Role.objects.filter(in_district).values("user_id"))
        .exclude(pk__in=Role.objects.exclude(in_district).values("user_id"))
    )


def may_reset_second_factors(user) -> bool:
    return user.is_superuser or RoleKind.DISTRICT_OFFICIAL in get_scope(user).role_kinds


def may_reset_second_factor(actor, user) -> bool:
    return may_reset_second_factors(actor) and second_factor_resettable_users(actor).filter(pk=user.pk).exists()


POLICY_CACHE_KEY = "portal:security-policy:require-2fa"

logger = logging.getLogger(__name__)


def officials_must_use_2fa() -> bool:
    """The policy switch, cached (the service that changes it clears the cache).

    Every page and API call of an official reads it, so the cache is only a shortcut: when Redis cannot be
    reached the switch is read from the database, and the portal keeps answering."""
    try:
        value = cache.get(POLICY_CACHE_KEY)
    except Exception:
        logger.warning("Cache unavailable: reading the two-factor policy from the database.", exc_info=True)
        return SecurityPolicy.current().require_2fa_for_officials
    if value is None:
        value = SecurityPolicy.current().require_2fa_for_officials
        try:
            cache.set(POLICY_CACHE_KEY, value, timeout=300)
        except Exception:
            logger.warning("Cache unavailable: the two-factor policy is not cached.", exc_info=True)
    return value


def forget_cached_policy() -> None:
    """Drop the cached switch after a change. If the cache cannot be reached now, what it holds expires within
    the five minutes it is kept."""
    try:
        cache.delete(POLICY_CACHE_KEY)
    except Exception:
        logger.warning("Cache unavailable: could not drop the cached two-factor policy.", exc_info=True)


def two_factor_required(user, has_device: bool | None = None, policy: bool | None = None) -> bool:
    """Whether this user must pass a second factor: they set one up, or the policy makes officials use it.
    ``has_device`` and ``policy``: already read with the user (``ApiToken.find``), so not asked again."""
    cached = getattr(user, "_portal_2fa_required", None)
    if cached is None:
        if has_device is None:
            has_device = confirmed_device(user) is not None
        cached = has_device or (is_official_or_admin(user) and (officials_must_use_2fa() if policy is None else policy))
        user._portal_2fa_required = cached
    return cached
