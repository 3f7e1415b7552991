"""Second factors and what ends a login: device changes need the current factor (or an official's audited reset),
API tokens die with a password change or a deactivation and obey the two-factor policy, and the policy is read
even when Redis is down."""

from datetime import timedelta

import pytest
import redis
import time_machine
from auditlog.models import LogEntry
from django.contrib.auth.forms import SetPasswordForm
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from communities import services
from communities.choices import RoleKind
from communities.models import ApiToken
from renovation_portal.errors import DomainError
from renovation_portal.prepared import statement_text
from tests import factories as f

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-passw0rd-2026"


def _code(device) -> str:
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(device.digits)


def _device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def _login(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": f.PASSWORD})
    assert response.status_code == 302
    return response


def _verify(client, device):
    response = client.post(reverse("account-2fa-verify"), {"token": _code(device), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/", response
    return response


def _token_login(api, user, **extra):
    return api.post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": f.PASSWORD, "device_name": "手机", **extra},
        format="json",
    )


def _get(api, key, url="/api/v1/me/"):
    return api.get(url, HTTP_AUTHORIZATION=f"Token {key}")


def _device_entries(user):
    return LogEntry.objects.get_for_object(user).filter(additional_data__has_key="two_factor").order_by("pk")


# --- 1. A password alone cannot set up a second authenticator over the first ---


def test_password_alone_cannot_replace_a_confirmed_authenticator(tree, actors, client):
    victim = actors["inspector"]
    old = _device(victim)
    _login(client, victim)  # the attacker has the password only

    response = client.get(reverse("account-2fa-setup"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account-2fa-verify"))
    assert not TOTPDevice.objects.filter(user=victim, confirmed=False).exists()  # no new secret was handed out
    assert client.post(reverse("account-2fa-setup"), {"token": "123456"}).status_code == 302
    assert client.post(reverse("account-2fa-remove")).status_code == 302
    assert list(TOTPDevice.objects.filter(user=victim)) == [old]
    assert not _device_entries(victim).exists() and mail.outbox == []
    # The services refuse it as well, whatever page calls them.
    with pytest.raises(PermissionDenied):
        services.totp_device_start(actor=victim)
    with pytest.raises(PermissionDenied):
        services.totp_device_remove(actor=victim)


def test_set_up_then_replace_after_passing_the_current_code_is_audited_and_mailed(
    tree, actors, client, django_capture_on_commit_callbacks
):
    user = actors["inspector"]
    user.email = "inspector@example.cn"
    user.save(update_fields=["email"])
    _login(client, user)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("account-2fa-setup"))
        first = TOTPDevice.objects.get(user=user, confirmed=False)
        assert client.post(reverse("account-2fa-setup"), {"token": _code(first)}).status_code == 302

    # A new login passes the first app, then replaces it with a second one.
    client.logout()
    with time_machine.travel(timezone.now() + timedelta(seconds=65)):  # a later TOTP step than the set-up's
        _login(client, user)
        _verify(client, first)
        page = client.get(reverse("account-2fa-setup"))
        assert page.status_code == 200 and 'data-testid="replacing-2fa"' in page.content.decode()
        second = TOTPDevice.objects.get(user=user, confirmed=False)
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(reverse("account-2fa-setup"), {"token": _code(second)}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=user)) == [second]

    set_up, replaced = _device_entries(user)
    assert (set_up.actor, set_up.cid, set_up.additional_data["two_factor"]) == (user, "web", "set_up")
    assert set_up.changes_dict["two_factor"] == [None, f"TOTP #{first.pk}"]
    assert replaced.additional_data["two_factor"] == "replaced"
    assert replaced.changes_dict["two_factor"] == [f"TOTP #{first.pk}", f"TOTP #{second.pk}"]
    assert replaced.additional_data["district"] == tree["district"].pk  # so district officials see it in /audit/
    assert [m.to for m in mail.outbox] == [["inspector@example.cn"], ["inspector@example.cn"]]
    assert mail.outbox[0].subject != mail.outbox[1].subject  # "set up", then "replaced"


def test_removing_needs_the_current_code_is_refused_when_mandatory_and_is_audited(
    tree, actors, client, django_capture_on_commit_callbacks
):
    official = actors["subdistrict_official"]
    official.email = "sub@example.cn"
    official.save(update_fields=["email"])
    device = _device(official)
    services.security_policy_update(actor=actors["district_official"], require_2fa_for_officials=True)
    _login(client, official)
    _verify(client, device)
    client.post(reverse("account-2fa-remove"))
    assert TOTPDevice.objects.filter(user=official, confirmed=True).exists()  # the policy makes them use it

    services.security_policy_update(actor=actors["district_official"], require_2fa_for_officials=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("account-2fa-remove"))["Location"] == reverse("home")
    assert not TOTPDevice.objects.filter(user=official).exists()
    assert _device_entries(official).get().additional_data["two_factor"] == "removed"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["sub@example.cn"]


# --- 1. An official's audited reset for a user who lost their phone ---


@pytest.fixture
def verified_district_official(actors, client):
    official = actors["district_official"]
    device = _device(official)
    _login(client, official)
    _verify(client, device)
    return official


def test_district_official_resets_a_users_second_factor_with_audit_mail_and_logout(
    tree, actors, client, api, verified_district_official, django_capture_on_commit_callbacks
):
    user = actors["subdistrict_official"]
    user.email = "sub@example.cn"
    user.save(update_fields=["email"])
    device = _device(user)
    _, key = ApiToken.issue(user=user, device_name="丢失的手机", otp_verified=True)
    assert _get(api, key).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account-2fa-reset"), {"username": user.username}, REMOTE_ADDR="192.0.2.8")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert _get(api, key).status_code == 401  # the lost phone is logged out too
    entry = _device_entries(user).get()
    assert (entry.actor, entry.remote_addr, entry.additional_data["two_factor"]) == (
        verified_district_official,
        "192.0.2.8",
        "reset",
    )
    assert entry.changes_dict["two_factor"] == [f"TOTP #{device.pk}", None]
    assert entry.additional_data["subdistrict"] == tree["sub_a"].pk
    assert entry in client.get(reverse("audit-log")).context["page"].object_list
    assert mail.outbox[0].to == ["sub@example.cn"] and str(verified_district_official) in mail.outbox[0].body

    # The user sets up a new app at the next login.
    client.logout()
    _login(client, user)
    assert client.get(reverse("account-2fa-verify"))["Location"] == reverse("account-2fa-setup")


def test_reset_is_limited_to_the_officials_district_and_to_verified_district_officials(
    tree, actors, client, verified_district_official
):
    elsewhere = f.user_with_role(RoleKind.SUBDISTRICT_OFFICIAL, subdistrict=f.SubdistrictFactory())
    admin = f.UserFactory(is_staff=True, is_superuser=True)
    for user in (elsewhere, admin, actors["contractor"], verified_district_official):
        _device(user)
        response = client.post(reverse("account-2fa-reset"), {"username": user.username})
        assert response.status_code == 200 and response.context["form"].errors["username"]
        assert TOTPDevice.objects.filter(user=user).exists()

    client.logout()
    client.force_login(actors["subdistrict_official"])
    assert client.get(reverse("account-2fa-reset")).status_code == 403

    # A district official who did not pass a second factor in this session resets nobody's.
    user = actors["community_secretary"]
    _device(user)
    client.force_login(actors["district_official"])
    page = client.post(reverse("account-2fa-reset"), {"username": user.username})
    assert page["Location"].startswith(reverse("account-2fa-verify"))  # the portal asks for their code first
    with pytest.raises(DomainError):
        services.totp_device_reset(actor=actors["district_official"], user=user)
    assert TOTPDevice.objects.filter(user=user).exists()
    assert not LogEntry.objects.filter(additional_data__has_key="two_factor").exists()


# --- 5. What ends an API token ---


def test_password_change_in_the_admin_revokes_the_users_tokens(tree, actors, client, api):
    user = actors["contractor"]
    _, key = ApiToken.issue(user=user, device_name="手机")
    client.force_login(f.UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        f"/admin/communities/user/{user.pk}/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    refused = _get(api, key)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["code"] == "token_revoked"
    assert not ApiToken.objects.filter(user=user).exists()


def test_password_reset_revokes_tokens_and_a_new_login_works(tree, actors, api):
    user = actors["contractor"]
    key = _token_login(api, user).json()["token"]
    assert _get(api, key).status_code == 200
    form = SetPasswordForm(user, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert form.is_valid()
    form.save()  # what the password reset page does
    assert _get(api, key).status_code == 401
    assert ApiToken.objects.filter(user=user).count() == 0
    fresh = api.post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": NEW_PASSWORD, "device_name": "手机"},
        format="json",
    )
    assert _get(api, fresh.json()["token"]).status_code == 200


def test_deactivation_revokes_tokens_for_good(tree, actors, client, api):
    user = actors["inspector"]
    _, via_admin = ApiToken.issue(user=user, device_name="平板")
    client.force_login(f.UserFactory(is_staff=True, is_superuser=True))
    data = {
        "username": user.username,
        "display_name": user.display_name,
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "roles-TOTAL_FORMS": "0",
        "roles-INITIAL_FORMS": "0",
    }  # is_active unticked
    response = client.post(f"/admin/communities/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.is_active is False
    assert not ApiToken.objects.filter(user=user).exists()

    # However the account is switched off, a token used meanwhile is deleted, so switching it on again does not
    # bring the device back.
    _, key = ApiToken.issue(user=user, device_name="手机")
    assert _get(api, key).status_code == 401
    user.is_active = True
    user.save(update_fields=["is_active"])
    assert _get(api, key).status_code == 401
    assert _get(api, via_admin).status_code == 401


def test_tokens_without_a_second_factor_stop_when_the_policy_requires_one(tree, actors, api, client):
    official = actors["subdistrict_official"]
    key = _token_login(api, official).json()["token"]  # no second factor owed yet
    assert _get(api, key).status_code == 200

    services.security_policy_update(actor=actors["district_official"], require_2fa_for_officials=True)
    for url in ("/api/v1/me/", "/api/v1/compounds/"):
        refused = _get(api, key, url)
        assert refused.status_code == 401
        body = refused.json()
        assert body["type"] == "client_error" and body["errors"][0]["code"] == "two_factor_required"
        assert "otp_token" in body["errors"][0]["detail"]

    # Set up in the web portal, then a token login with the code: that token works under the policy.
    device = _device(official)
    assert _token_login(api, official).json()["errors"][0]["code"] == "otp_required"
    with_otp = _token_login(api, official, otp_token=_code(device))
    assert with_otp.status_code == 201
    assert _get(api, with_otp.json()["token"], "/api/v1/compounds/").status_code == 200
    assert _get(api, key).status_code == 401


def test_a_token_without_otp_stops_once_its_user_sets_up_an_authenticator(tree, actors, api):
    user = actors["contractor"]
    key = _token_login(api, user).json()["token"]
    _device(user)  # from now on every login of this user needs the code
    assert _get(api, key).json()["errors"][0]["code"] == "two_factor_required"


# --- 7. Redis down: the two-factor policy is read from the database ---

UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def redis_down():
    from django.core.cache import cache

    with override_settings(CACHES=UNREACHABLE_CACHE):
        with pytest.raises(redis.exceptions.ConnectionError):
            cache.get("anything")  # really unreachable
        yield


def test_officials_pages_and_api_answer_when_redis_is_down(tree, actors, client, api, redis_down):
    official = actors["district_official"]
    _, key = ApiToken.issue(user=official, device_name="平板")
    client.force_login(official)
    for url in (reverse("home"), reverse("communities:compound-list"), reverse("account-security-policy")):
        assert client.get(url).status_code == 200, url
    assert client.get("/api/v1/compounds/").status_code == 200
    assert _get(api, key, "/api/v1/compounds/").status_code == 200
    client.force_login(actors["subdistrict_official"])
    assert client.get(reverse("home")).status_code == 200
    # And the switch still saves.
    client.force_login(official)
    assert client.post(reverse("account-security-policy"), {"require_2fa": "on"}).status_code == 302


def test_with_redis_down_the_policy_still_applies(tree, actors, client, api, redis_down):
    official = actors["subdistrict_official"]
    _, key = ApiToken.issue(user=official, device_name="手机")
    services.security_policy_update(actor=actors["district_official"], require_2fa_for_officials=True)
    client.force_login(official)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account-2fa-setup"))
    assert client.get("/api/v1/compounds/").status_code in (401, 403)
    assert _get(api, key).json()["errors"][0]["code"] == "two_factor_required"


def test_a_token_request_reads_token_user_roles_factor_and_policy_in_one_statement(tree, actors, api):
    """``ApiToken.find``: the token, its user, the user's roles (the scope), whether they confirmed an authenticator
    and the policy switch come in one statement, fresh on every request: a role granted, a device confirmed or the
    policy switched on shows on the next request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = actors["outsider"]
    _, key = ApiToken.issue(user=user, device_name="平板")
    url = f"/api/v1/dashboard/district/{tree['district'].pk}/"
    assert _get(api, key, url).status_code == 403  # no role yet
    f.RoleFactory(user=user, kind=RoleKind.DISTRICT_OFFICIAL, district=tree["district"])
    with CaptureQueriesContext(connection) as queries:
        assert _get(api, key, url).status_code == 200  # the role counts at once
    first = statement_text(queries.captured_queries[0]["sql"])
    assert all(table in first for table in ("communities_role", "otp_totp_totpdevice", "communities_securitypolicy"))
    later = " ".join(statement_text(q["sql"]) for q in queries.captured_queries[1:])
    assert "communities_role" not in later and "otp_totp_totpdevice" not in later and "securitypolicy" not in later
    services.security_policy_update(actor=actors["district_official"], require_2fa_for_officials=True)
    assert _get(api, key, url).json()["errors"][0]["code"] == "two_factor_required"


def test_reading_the_policy_before_anyone_saved_it_writes_nothing(tree, actors, client):
    """Until an administrator saves the policy it has no row, and reading it (every official's page) never creates
    one: a GET that wrote pinned its user's next reads to the primary (renovation_portal/db_router.py)."""
    from django.core.cache import cache

    from communities.models import SecurityPolicy
    from communities.security import POLICY_CACHE_KEY

    SecurityPolicy.objects.all().delete()
    cache.delete(POLICY_CACHE_KEY)
    client.force_login(actors["district_official"])
    for url in (reverse("home"), reverse("account-security-policy")):
        assert client.get(url).status_code == 200, url
    assert not SecurityPolicy.objects.exists()
    assert SecurityPolicy.current().require_2fa_for_officials is False
    assert client.post(reverse("account-security-policy"), {"require_2fa": "on"}).status_code == 302
    assert SecurityPolicy.objects.get().require_2fa_for_officials is True
