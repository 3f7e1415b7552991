"""The OpenAPI description of the portal's own contract on top of drf-spectacular and drf-standardized-errors:
the error bodies of 409/412/413/422/428/429 and the headers of safe retries and concurrency control."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema
from rest_framework import serializers


class ClientErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. precondition_failed.")
    detail = serializers.CharField(help_text="A message for the user, in the request's language.")
    attr = serializers.CharField(allow_null=True, help_text="The field the error is about, or null.")


class ClientErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["client_error"])
    errors = ClientErrorSerializer(many=True)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Any unique string (a UUID) per intended request. A retry with the same key and body gets the "
                "original response and creates nothing; kept 48 hours.")
IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="The ETag of your last GET of this record. Missing: 428; stale: 412.")


class PortalAutoSchema(AutoSchema):
    def _is_conditional_update(self) -> bool:
        from renovation_portal.api import ConcurrencyControlMixin

        return self.method in ("PUT", "PATCH") and isinstance(self.view, ConcurrencyControlMixin)

    def _should_add_error_response(self, responses, status_code):
        if status_code in ("412", "428"):
            return self._is_conditional_update() and status_code not in responses
        if status_code == "422":
            return self.method == "POST" and status_code not in responses
        if status_code in ("409", "413"):
            return self.method in ("POST", "PUT", "PATCH") and status_code not in responses
        return super()._should_add_error_response(responses, status_code)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_KEY)
        if self._is_conditional_update():
            parameters.append(IF_MATCH)
        return parameters

    def _get_validation_error_codes_by_field(self, data_fields):
        codes = super()._get_validation_error_codes_by_field(data_fields)
        from renovation_portal.api import WholeListField

        if self.method in ("POST", "PUT", "PATCH"):
            serializer = self.get_request_serializer()
            if isinstance(serializer, type):
                serializer = serializer()
            fields = getattr(serializer, "fields", None) if serializer is not None else None
            for name, field in (fields or {}).items():
                if isinstance(field, WholeListField):
                    codes[name].add(WholeListField.ITEM_ERROR_CODE)
        return codes


def closed_request_bodies(result, generator, request, public):
    """drf-spectacular postprocessing hook: request bodies accept only their listed properties (the API refuses
    an unknown field with 400 ``unknown_field``; see renovation_portal/serializers.py)."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, component in schemas.items():
        if name.endswith("Request") and component.get("type") == "object" and "properties" in component:
            component["additionalProperties"] = False
    # Each operation's field errors may also name a field it does not have: {"attr": <that name>,
    # "code": "unknown_field"}. The discriminator on ``attr`` cannot map unknown names, so it goes.
    schemas["UnknownFieldErrorComponent"] = {
        "type": "object", "required": ["attr", "code", "detail"],
        "properties": {"attr": {"type": "string"}, "code": {"type": "string", "enum": ["unknown_field"]},
                       "detail": {"type": "string"}}}
    for name, component in list(schemas.items()):
        if (name.endswith("Error") and "oneOf" in component
                and component.get("discriminator", {}).get("propertyName") == "attr"):
            component.pop("discriminator")
            component["oneOf"].append({"$ref": "#/components/schemas/UnknownFieldErrorComponent"})
    return result
