"""Login protection: lockout and its expiry, two-factor login and its enforcement, security headers."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from communities import services
from communities.models import SecurityPolicy
from tests import factories as f

pytestmark = pytest.mark.django_db


def _fail(client, username, times, ip="10.0.0.1"):
    for _ in range(times):
        client.post(reverse("login"), {"username": username, "password": "wrong-password"}, REMOTE_ADDR=ip)


def _login(client, username, password=f.PASSWORD, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def _code(device) -> str:
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(device.digits)


def test_five_failures_lock_the_account_out_with_a_clear_message(tree, actors, client):
    user = actors["district_official"]
    _fail(client, user.username, 5)
    response = _login(client, user.username)  # even the right password is refused now
    assert response.status_code == 429
    assert "15 分钟后再试" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_expires_and_failures_during_it_do_not_extend_it(tree, actors, client):
    user = actors["district_official"]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _fail(client, user.username, 5)
        clock.shift(timedelta(minutes=10))
        _fail(client, user.username, 3)  # the attacker keeps trying
        assert _login(client, user.username).status_code == 429
        clock.shift(timedelta(minutes=6))  # 16 minutes after the lockout began
        response = _login(client, user.username)
        assert response.status_code == 302 and response["Location"] == reverse("home")


def test_attacker_elsewhere_cannot_lock_the_victim_out(tree, actors, client):
    user = actors["district_official"]
    _fail(client, user.username, 8, ip="203.0.113.9")
    assert _login(client, user.username, ip="10.0.0.1").status_code == 302


def test_api_login_lockout_is_429_json(tree, actors, api):
    user = actors["contractor"]
    for _ in range(5):
        api.post("/api/v1/auth/token/", {"username": user.username, "password": "x", "device_name": "p"}, format="json")
    response = api.post(
        "/api/v1/auth/token/", {"username": user.username, "password": f.PASSWORD, "device_name": "p"}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "locked_out"


def test_weak_passwords_are_refused(tree, actors):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("12345678901", "password123", actors["inspector"].username):
        with pytest.raises(ValidationError):
            validate_password(weak, actors["inspector"])


def test_only_district_officials_set_the_policy(tree, actors, client):
    client.force_login(actors["subdistrict_official"])
    assert client.post(reverse("account-security-policy"), {"require_2fa": "on"}).status_code == 403
    assert SecurityPolicy.current().require_2fa_for_officials is False
    client.force_login(actors["district_official"])
    assert client.post(reverse("account-security-policy"), {"require_2fa": "on"}).status_code == 302
    policy = SecurityPolicy.current()
    assert policy.require_2fa_for_officials is True and policy.updated_by == actors["district_official"]


def test_mandatory_2fa_sends_officials_to_setup_but_not_contractors(tree, actors, client):
    services.security_policy_update(actor=actors["district_official"], require_2fa_for_officials=True)
    assert _login(client, actors["subdistrict_official"].username).status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account-2fa-setup"))
    client.logout()
    _login(client, actors["contractor"].username)
    assert client.get(reverse("home")).status_code == 200


def test_2fa_setup_then_every_login_asks_for_the_code(tree, actors, client):
    official = actors["subdistrict_official"]
    services.security_policy_update(actor=actors["district_official"], require_2fa_for_officials=True)
    _login(client, official.username)
    page = client.get(reverse("account-2fa-setup")).content.decode()
    assert re.search(r'data-testid="totp-secret">[A-Z2-7]{16,}<', page)
    device = TOTPDevice.objects.get(user=official, confirmed=False)
    bad = client.post(reverse("account-2fa-setup"), {"token": "000000"})
    assert "验证码错误或已过期" in bad.content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=3)):  # past django-otp's throttle after a miss
        assert client.post(reverse("account-2fa-setup"), {"token": _code(device)}).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.logout()

    _login(client, official.username)
    response = client.get(reverse("home"))
    assert response["Location"].startswith(reverse("account-2fa-verify"))
    device.refresh_from_db()
    # Two TOTP steps past the setup (which was 3 s ahead), so the code is not a replay of the setup's step.
    with time_machine.travel(timezone.now() + timedelta(seconds=65)):
        client.post(reverse("account-2fa-verify"), {"token": _code(device), "next": "/"})
        assert client.get(reverse("home")).status_code == 200


def test_unverified_session_cannot_use_the_api_when_2fa_is_owed(tree, actors, client):
    services.security_policy_update(actor=actors["district_official"], require_2fa_for_officials=True)
    _login(client, actors["district_official"].username)
    response = client.get("/api/v1/compounds/")
    assert response.status_code in (401, 403)
    assert response.json()["errors"][0]["code"] == "authentication_failed"


def test_token_login_asks_for_the_code_when_the_user_has_2fa(tree, actors, api):
    user = actors["inspector"]
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    body = {"username": user.username, "password": f.PASSWORD, "device_name": "巡检手机"}
    missing = api.post("/api/v1/auth/token/", body, format="json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["attr"] == "otp_token"
    wrong = api.post("/api/v1/auth/token/", {**body, "otp_token": "000000"}, format="json")
    assert wrong.json()["errors"][0]["code"] == "otp_invalid"
    with time_machine.travel(timezone.now() + timedelta(seconds=3)):  # past django-otp's throttle after a miss
        assert api.post("/api/v1/auth/token/", {**body, "otp_token": _code(device)}, format="json").status_code == 201


def test_pages_send_a_strict_content_security_policy(tree, actors, client):
    client.force_login(actors["district_official"])
    for url in (reverse("home"), reverse("login"), "/api/docs/"):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())
        assert inline_scripts == [], url


def test_api_json_sends_the_short_policy_and_the_browsable_api_the_pages_one(tree, actors, client):
    client.force_login(actors["district_official"])
    listed = client.get("/api/v1/compounds/", HTTP_ACCEPT="application/json")
    assert listed.status_code == 200
    short = {"default-src 'none'", "frame-ancestors 'none'"}
    assert set(listed["Content-Security-Policy"].split("; ")) == short
    assert set(client.get("/api/v1/no-such-list/")["Content-Security-Policy"].split("; ")) == short
    page = client.get("/api/v1/compounds/", HTTP_ACCEPT="text/html")
    assert page["Content-Type"].startswith("text/html") and "script-src 'self'" in page["Content-Security-Policy"]
