"""First start: ``create_district`` makes a district and its first district official; everything else is in the
portal."""

import pytest
from django.core.management import CommandError, call_command

from communities.choices import RoleKind
from communities.models import City, District, Province, User

pytestmark = pytest.mark.django_db


def _run(tmp_path, password="Siming-renovation-2026", **overrides):
    secret = tmp_path / "pw"
    secret.write_text(password + "\n", encoding="utf-8")
    options = {
        "code": "350203",
        "name": "思明区",
        "city": "厦门市",
        "province": "福建省",
        "official": "siming.admin",
        **overrides,
    }
    call_command("create_district", password_file=str(secret), **options)


def test_creates_the_district_and_its_official(tmp_path):
    _run(tmp_path)
    district = District.objects.get(code="350203")
    assert (district.name, district.city.code, district.city.name) == ("思明区", "350200", "厦门市")
    assert (district.city.province.code, district.city.province.name) == ("350000", "福建省")
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
    call_command(
        "create_district", code="350203", name="思明区", city="厦门市", province="福建省", official="siming.admin"
    )
    assert User.objects.get(username="siming.admin").roles.get().district.code == "350203"


def test_mismatched_prompt_answers_are_refused(monkeypatch):
    answers = iter(["Siming-renovation-2026", "typo"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="match"):
        call_command("create_district", code="350203", name="思明区", official="siming.admin")
    assert not District.objects.exists()


def test_a_second_district_of_the_city_joins_the_existing_city_and_province(tmp_path):
    _run(tmp_path)
    _run(tmp_path, code="350206", name="湖里区", city="", province="", official="huli.admin")
    huli = District.objects.get(code="350206")
    assert huli.city == District.objects.get(code="350203").city
    assert City.objects.count() == 1 and Province.objects.count() == 1


def test_a_city_name_contradicting_the_existing_city_is_refused_and_writes_nothing(tmp_path):
    _run(tmp_path)
    with pytest.raises(CommandError, match="city_mismatch"):
        _run(tmp_path, code="350206", name="湖里区", city="福州市", official="huli.admin")
    with pytest.raises(CommandError, match="province_mismatch"):
        _run(tmp_path, code="350206", name="湖里区", province="广东省", official="huli.admin")
    assert District.objects.count() == 1 and User.objects.count() == 1


def test_a_new_city_in_a_new_province_needs_the_province_name(tmp_path):
    with pytest.raises(CommandError, match="province_required"):
        _run(tmp_path, code="440305", name="南山区", city="深圳市", province="")
    assert not City.objects.exists() and not Province.objects.exists()


def test_a_district_without_a_city_is_allowed(tmp_path):
    _run(tmp_path, city="", province="")
    assert District.objects.get().city is None
