"""Property-based contract test: schemathesis generates requests for every operation of /api/schema/ and
checks that no response is a server error and every response matches the schema (status, headers, body).

The number of examples per operation is bounded (SCHEMATHESIS_MAX_EXAMPLES, default 15) so that CI stays
within minutes.
"""

import json
import os

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.renderers import JSONRenderer
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from communities.models import ApiToken
from renovation_portal.wsgi import application

# What the contract promises: no server error, and every response — status, content type, headers, body —
# as the schema says. (Schemathesis's positive/negative data heuristics are left out: a schema cannot say
# that an id must exist, and lenient parsing of e.g. page_size is intended.)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))


def _load_schema():
    # Generated in-process, as /api/schema/ serves it; no database is needed for it.
    spec = json.loads(JSONRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(spec)
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
def district_token(actors):
    return ApiToken.issue(user=actors["district_official"], device_name="schemathesis")[1]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_matches_its_schema_and_never_fails(case, db, tree, district_token, keep_test_connection):
    case.call_and_validate(headers={"Authorization": f"Token {district_token}"}, checks=CHECKS)
