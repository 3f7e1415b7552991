"""Property-based contract test: schemathesis generates requests for every operation of /api/schema/, signed in
as each role in turn, and checks that no response is a server error and every response matches the schema
(status code documented, content type, headers, body).

Every role: what a role may not do is a 403 or 404 the schema must document, and what it sees (masked phone
numbers, a contractor's own projects) is a body the schema must describe. The number of generated examples per
operation and role is bounded (SCHEMATHESIS_MAX_EXAMPLES, default 4) and schemathesis' coverage phase (every
boundary value of every parameter, ≈ 50 requests an operation) is left to a deliberate deeper run
(SCHEMATHESIS_COVERAGE=1), so that the test takes a few minutes for all roles together.
"""

import json
import os

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.renderers import JSONRenderer
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from communities.models import (
    ApiToken,
    BoardContact,
    Building,
    BuildingLead,
    Community,
    Compound,
    District,
    Subdistrict,
)
from planning.models import AnnualPlan, Declaration, PlanItem
from projects.models import PlanVersion, Project, ScopeItem
from renovation_portal.wsgi import application
from tests import factories as f

# What the contract promises: no server error, and every response — status, content type, headers, body —
# as the schema says. (Schemathesis's positive/negative data heuristics are left out: a schema cannot say
# that an id must exist, and lenient parsing of e.g. page_size is intended.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "4"))
COVERAGE = os.environ.get("SCHEMATHESIS_COVERAGE", "") == "1"
ROLES = ["district_official", "subdistrict_official", "community_secretary", "contractor", "inspector"]


def _load_schema():
    # Generated in-process, as /api/schema/ serves it; no database is needed for it.
    spec = json.loads(JSONRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": COVERAGE}}})
    loaded = schemathesis.openapi.from_dict(spec, config=config)
    loaded.app = application
    return loaded


schema = _load_schema()


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI app directly would close the test's database connection at the end of each request
    (Django's own test client switches that off the same way)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(tree):
    """The ids of rows on both sides of the tree by the list they are under, so that most generated path ids name
    a real record: one the role may see and change, see only (403), or not see (404). A property service without
    a company answers ``company_name: null``; plan versions and scope items are there to be confirmed and
    edited."""
    f.PropertyServiceFactory(compound=tree["compound_a"])
    for side in ("a", "b"):
        BuildingLead.objects.create(
            building=tree[f"building_{side}"],
            name="楼长",
            phone="13900000000",
            chosen_by="appointed",
            chosen_on="2024-01-01",
        )
        BoardContact.objects.create(compound=tree[f"compound_{side}"], role="grid_worker", name="网格员")
    for project in Project.objects.all():
        f.PlanVersionFactory(project=project)
        f.ScopeItemFactory(project=project)
    # A declaration on each side (one approved into the library and planned), so that planning paths name real rows.
    from communities.choices import RoleKind
    from planning import services as planning

    district_official = f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=tree["district"])
    for side in ("a", "b"):
        declarer = f.user_with_role(RoleKind.SUBDISTRICT_OFFICIAL, subdistrict=tree[f"sub_{side}"])
        declaration = f.declaration(tree[f"compound_{side}"], declarer)
        if side == "a":
            planning.declaration_submit(actor=declarer, declaration=declaration)
            planning.declaration_approve(actor=district_official, declaration=declaration)
            plan = planning.annual_plan_create(actor=district_official, district=tree["district"], year=2026)
            planning.plan_item_add(
                actor=district_official, plan=plan, batch=plan.batches.get(), declaration=declaration
            )
    models = {
        "districts": District,
        "subdistricts": Subdistrict,
        "communities": Community,
        "compounds": Compound,
        "buildings": Building,
        "building-leads": BuildingLead,
        "board-contacts": BoardContact,
        "projects": Project,
        "plan-versions": PlanVersion,
        "scope-items": ScopeItem,
        "declarations": Declaration,
        "annual-plans": AnnualPlan,
        "plan-items": PlanItem,
    }
    return {prefix: sorted(model.objects.values_list("pk", flat=True)) for prefix, model in models.items()}


def _name_real_rows(case, real_ids):
    """Four generated path ids in five become one of a real row of the list the path is under."""
    resource = case.path.removeprefix("/api/v1/").split("/", 1)[0]
    ids = real_ids.get(resource)
    value = str((case.path_parameters or {}).get("id", ""))
    if ids and value.isascii() and value.isdigit() and int(value) % 5:
        case.path_parameters["id"] = ids[int(value) % len(ids)]


@pytest.fixture(params=ROLES)
def role_token(request, actors):
    return ApiToken.issue(user=actors[request.param], device_name="schemathesis")[1]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_matches_its_schema_and_never_fails(case, db, real_ids, role_token, keep_test_connection):
    _name_real_rows(case, real_ids)
    # identity: schemathesis's WSGI transport does not decode the gzip the API sends to clients that accept it.
    case.call_and_validate(
        headers={"Authorization": f"Token {role_token}", "Accept-Encoding": "identity"}, checks=CHECKS
    )
