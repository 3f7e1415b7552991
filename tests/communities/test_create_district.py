"""First start: ``create_district`` makes a district and its first district official; everything else is in the
portal."""

import pytest
from django.core.management import CommandError, call_command

from communities.choices import RoleKind
from communities.models import District, User

pytestmark = pytest.mark.django_db


def _run(tmp_path, password="Siming-renovation-2026", **overrides):
    secret = tmp_path / "pw"
    secret.write_text(password + "\n", encoding="utf-8")
    options = {"code": "350203", "name": "思明区", "city": "厦门市", "official": "siming.admin", **overrides}
    call_command("create_district", password_file=str(secret), **options)


def test_creates_the_district_and_its_official(tmp_path):
    _run(tmp_path)
    district = District.objects.get(code="350203")
    assert (district.name, district.city) == ("思明区", "厦门市")
    official = User.objects.get(username="siming.admin")
    assert official.check_password("Siming-renovation-2026") and not official.is_superuser
    assert list(official.roles.values_list("kind", "district_id")) == [(RoleKind.DISTRICT_OFFICIAL, district.pk)]


def test_an_existing_code_or_username_is_a_clear_error_and_writes_nothing(tmp_path):
    _run(tmp_path)
    with pytest.raises(CommandError, match="district_exists"):
        _run(tmp_path, official="other")
    with pytest.raises(CommandError, match="username_taken"):
        _run(tmp_path, code="350206", name="湖里区")
    assert District.objects.count() == 1 and User.objects.count() == 1


def test_a_weak_password_is_refused_by_the_password_validators(tmp_path):
    with pytest.raises(CommandError, match="bad_password"):
        _run(tmp_path, password="12345678")
    assert not District.objects.exists() and not User.objects.exists()


def test_password_from_the_prompt(monkeypatch):
    answers = iter(["Siming-renovation-2026", "Siming-renovation-2026"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("create_district", code="350203", name="思明区", city="厦门市", official="siming.admin")
    assert User.objects.get(username="siming.admin").roles.get().district.code == "350203"


def test_mismatched_prompt_answers_are_refused(monkeypatch):
    answers = iter(["Siming-renovation-2026", "typo"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="match"):
        call_command("create_district", code="350203", name="思明区", official="siming.admin")
    assert not District.objects.exists()
