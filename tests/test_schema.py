"""The OpenAPI schema tells the truth where a client relies on it: fields that can be null say so, each
operation's 400 lists the codes of the DomainErrors its services raise (under the field they name), and 403/404
are documented wherever they can happen. (tests/test_schemathesis.py checks real responses against it.)"""

import json

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.renderers import JSONRenderer

from consultations import services as consultation_services
from renovation_portal.errors import DomainError
from renovation_portal.schema import raised_errors


@pytest.fixture(scope="module")
def spec():
    return json.loads(JSONRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


def _resolve(spec, node):
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _codes_by_attr(spec, method, path) -> dict[str, set[str]]:
    """The error codes the 400 response of an operation lists, by ``attr``."""
    response = spec["paths"][path][method]["responses"]["400"]["content"]["application/json"]["schema"]
    codes = {}
    for body in _resolve(spec, response).get("oneOf", []):
        errors = _resolve(spec, _resolve(spec, body)["properties"]["errors"])["items"]
        for error in _resolve(spec, errors).get("oneOf", [errors]):
            properties = _resolve(spec, error)["properties"]
            for attr in properties["attr"].get("enum") or ["*"]:
                codes.setdefault(attr, set()).update(_resolve(spec, properties["code"]).get("enum", []))
    return codes


@pytest.mark.parametrize(
    "component, field", [("PropertyService", "company_name"), ("Voter", "choice"), ("Project", "contractor_name")]
)
def test_fields_that_fall_back_to_null_are_declared_nullable(spec, component, field):
    assert spec["components"]["schemas"][component]["properties"][field]["nullable"] is True


@pytest.mark.parametrize(
    "method, path, attr, code",
    [
        ("post", "/api/v1/meetings/", "minutes", "minutes_required"),
        ("post", "/api/v1/meetings/{id}/publish/", "minutes", "minutes_required"),
        ("post", "/api/v1/meetings/", "held_at", "bad_date"),
        ("post", "/api/v1/plan-versions/{id}/confirmations/", "party", "already_confirmed"),
        ("post", "/api/v1/plan-versions/{id}/confirmations/", "non_field_errors", "plan_superseded"),
        ("post", "/api/v1/inspections/{id}/file/", "results", "incomplete_checklist"),
        ("post", "/api/v1/inspections/{id}/file/", "findings", "foreign_item"),
        ("post", "/api/v1/inspections/{id}/file/", "non_field_errors", "already_filed"),
        # A code that is not a literal: the codes of the photo validation the service turns into DomainErrors.
        ("post", "/api/v1/meetings/", "photos", "photo_too_large"),
        ("post", "/api/v1/projects/{id}/transitions/", "non_field_errors", "invalid_transition"),
        ("post", "/api/v1/projects/{id}/transitions/", "note", "note_required"),  # through a dispatch table
        ("post", "/api/v1/votes/{id}/open/", "non_field_errors", "empty_electorate"),
        ("post", "/api/v1/surveys/", "non_field_errors", "not_handed_over"),
        ("post", "/api/v1/surveys/", "non_field_errors", "no_units"),
        ("post", "/api/v1/surveys/", "compound", "not_found"),
        ("post", "/api/v1/surveys/{id}/close/", "non_field_errors", "already_closed"),
    ],
)
def test_each_operation_lists_the_domain_error_codes_its_services_raise(spec, method, path, attr, code):
    assert code in _codes_by_attr(spec, method, path).get(attr, set())


def test_the_codes_are_read_from_the_services_and_their_helpers():
    found = {
        (code, field)
        for error, code, field in raised_errors(consultation_services.meeting_log)
        if issubclass(error, DomainError)
    }
    assert {
        ("bad_date", "held_at"),
        ("minutes_required", "minutes"),
        ("foreign_topic", "topics"),
        ("photo_type", "photos"),
        ("too_many_photos", "photos"),
    } <= found


def test_403_and_404_are_documented_wherever_they_can_happen(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if {} in operation.get("security", []):
                continue  # open to anyone (signing in): nothing is forbidden
            assert "403" in responses, f"{method} {path}"
            if method in ("post", "put", "patch", "delete") or "{" in path:
                assert "404" in responses, f"{method} {path}"


def test_a_service_calling_an_unhashable_callable_does_not_break_the_schema():
    """A service may call an instance such as ``EmailValidator()(value)`` (unhashable: it defines __eq__); the
    error-code reader skips it instead of failing the whole schema."""
    from django.core.validators import EmailValidator

    from renovation_portal.errors import DomainError
    from renovation_portal.schema import raised_errors

    validate = EmailValidator()

    def service(value):
        validate(value)
        raise DomainError("no", code="refused_here", field="email")

    assert ("refused_here", "email") in {(code, field) for _cls, code, field in raised_errors(service)}
