"""The upgrade that turns the district's free-text city into City and Province rows (GB/T 2260 code prefixes), run
with Django's MigrationExecutor on the real PostgreSQL."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def migrator(transactional_db):
    executor = MigrationExecutor(connection)

    def migrate(targets):
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    yield migrate
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def test_free_text_cities_become_cities_under_their_provinces(migrator):
    old = migrator([("communities", "0008_governance_bodies_history")])
    District = old.get_model("communities", "District")
    District.objects.create(code="350203", name="思明区", city="厦门市")
    District.objects.create(code="350206", name="湖里区", city="厦门市")
    District.objects.create(code="440305", name="南山区", city="深圳市")
    District.objects.create(code="G123", name="生成区", city="生成市")  # not a division code: left without a city

    new = migrator([("communities", "0009_city_and_province")])
    District = new.get_model("communities", "District")
    rows = {
        d.code: (d.city.code, d.city.name, d.city.province.code, d.city.province.name) if d.city else None
        for d in District.objects.select_related("city__province")
    }
    assert rows == {
        "350203": ("350200", "厦门市", "350000", "福建省"),
        "350206": ("350200", "厦门市", "350000", "福建省"),
        "440305": ("440300", "深圳市", "440000", "广东省"),
        "G123": None,
    }
    assert new.get_model("communities", "City").objects.count() == 2
