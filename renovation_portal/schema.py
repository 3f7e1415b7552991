"""The OpenAPI description of the portal's own contract on top of drf-spectacular and drf-standardized-errors:
the error bodies of 403/404/409/412/413/422/428/429, the codes of the DomainErrors each operation's services can
raise, and the headers of safe retries and concurrency control."""

import ast
import functools
import inspect
import textwrap
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from renovation_portal.errors import DomainError


class ClientErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. precondition_failed.")
    detail = serializers.CharField(help_text="A message for the user, in the request's language.")
    attr = serializers.CharField(allow_null=True, help_text="The field the error is about, or null.")


class ClientErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["client_error"])
    errors = ClientErrorSerializer(many=True)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID) per intended request. A retry with the same key and body gets the "
    "original response and creates nothing; kept 48 hours.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag of your last GET of this record. Missing: 428; stale: 412.",
)


# --- Which DomainErrors an operation can answer with: read from the source of its view method and of the portal's
# functions that method calls (services and their helpers), so that a code added to a service is documented
# without anyone declaring it again. ---

# The view methods behind an action whose DRF mixin method (in site-packages, not read) calls back into the view.
ACTION_HANDLERS = {
    "create": ("create", "perform_create"),
    "update": ("update", "perform_update"),
    "partial_update": ("partial_update", "update", "perform_update"),
    "destroy": ("destroy", "perform_destroy"),
}


@functools.cache
def _is_portal_function(obj) -> bool:
    if not inspect.isfunction(obj):
        return False
    try:
        path = Path(inspect.getsourcefile(obj) or "").resolve()
    except TypeError:
        return False
    return path.is_relative_to(Path(settings.BASE_DIR).resolve()) and "site-packages" not in path.parts


def _source_tree(func):
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return None


def _call_target(node, namespace, owner):
    """What a call's ``name(...)``, ``module.name(...)`` or ``self.name(...)`` refers to, if it can be told."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if node.value.id == "self":
            return getattr(owner, node.attr, None) if owner is not None else None
        module = namespace.get(node.value.id)
        if inspect.ismodule(module):
            return getattr(module, node.attr, None)
    return None


_READING = set()  # functions being read: a recursive call adds nothing (the portal's services do not recurse)


@functools.cache
def raised_errors(func, owner=None) -> frozenset[tuple[type, str, str | None]]:
    """(exception class, code, field) of each DomainError, and each Django ValidationError with a code, that
    ``func`` raises itself or through the portal functions it calls, directly or from a dict of functions
    (``owner``: the class ``self`` is).

    A DomainError whose code is not a literal (``except ValidationError as error: raise DomainError(...,
    code=error.code or "photo_invalid")``) has the literal codes of its expression and those of the
    ValidationErrors raised in the ``try`` body it handles."""
    func = inspect.unwrap(func)
    if func in _READING or not _is_portal_function(func):
        return frozenset()
    tree = _source_tree(func)
    if tree is None:
        return frozenset()
    namespace = func.__globals__

    def from_call(node, handled=frozenset()):
        target = _call_target(node.func, namespace, owner)
        if isinstance(target, type) and issubclass(target, (DomainError, DjangoValidationError)):
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            field = keywords.get("field")
            field = field.value if isinstance(field, ast.Constant) else None
            code = keywords.get("code")
            if code is None:
                codes = {"invalid"} if issubclass(target, DomainError) else set()
            elif isinstance(code, ast.Constant):
                codes = {code.value}
            else:
                codes = {n.value for n in ast.walk(code) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
                codes |= handled
            return {(target, c, field) for c in codes}
        if inspect.isfunction(target) or inspect.ismethod(target):  # not a callable instance: it may be unhashable
            is_method = isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") == "self"
            return raised_errors(target, owner if is_method else None)
        return set()

    _READING.add(func)
    try:
        handled_by = {}  # a call in an ``except`` clause → the ValidationError codes of its ``try`` body
        for node in ast.walk(tree):
            if isinstance(node, ast.Try):
                in_body = set()
                for statement in node.body:
                    for inner in ast.walk(statement):
                        if isinstance(inner, ast.Call):
                            in_body |= from_call(inner)
                codes = frozenset(code for cls, code, _ in in_body if issubclass(cls, DjangoValidationError))
                for handler in node.handlers:
                    for inner in ast.walk(handler):
                        if isinstance(inner, ast.Call):
                            handled_by[inner] = codes
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                found |= from_call(node, handled_by.get(node, frozenset()))
            elif isinstance(node, ast.Subscript):
                # A dispatch table (``services.TRANSITION_SERVICES[name](...)``): any of its functions may run.
                table = _call_target(node.value, namespace, owner)
                if isinstance(table, dict):
                    for value in table.values():
                        if callable(value):
                            found |= raised_errors(value)
    finally:
        _READING.discard(func)
    return frozenset(found)


class PortalAutoSchema(AutoSchema):
    def _domain_error_codes(self) -> dict[str, set[str]]:
        """The codes of the 400 DomainErrors this operation can answer with, by the field (``attr``) they name."""
        view_class = type(self.view)
        action = getattr(self.view, "action", None) or self.method.lower()
        errors = set()
        for name in ACTION_HANDLERS.get(action, (action,)):
            handler = getattr(view_class, name, None)
            if handler is not None:
                errors |= raised_errors(handler, view_class)
        codes = defaultdict(set)
        for error_class, code, field in errors:
            if issubclass(error_class, DomainError) and error_class.status == 400:
                codes[field or "non_field_errors"].add(code)
        return codes

    def _get_extra_validation_errors(self):
        extra = {field: set(codes) for field, codes in super()._get_extra_validation_errors().items()}
        for field, codes in self._domain_error_codes().items():
            extra.setdefault(field, set()).update(codes)
        return extra

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        # A field that falls back to ``default=None`` (``source="company.name"`` when there is no company) is
        # null in a response although it does not say ``allow_null``.
        if direction == "response" and isinstance(field, serializers.Field) and field.default is None:
            meta["nullable"] = True
        return meta

    def _is_conditional_update(self) -> bool:
        from renovation_portal.api import ConcurrencyControlMixin

        return self.method in ("PUT", "PATCH") and isinstance(self.view, ConcurrencyControlMixin)

    def _should_add_error_response(self, responses, status_code):
        if status_code == "403":
            # drf-standardized-errors assumes IsAuthenticated alone only ever answers 401; here a signed-in user
            # gets 403 for what their role may see but not do (get_object_for, services, a role's permission
            # class), and a session without its CSRF token gets 403 on any write.
            permissions = self.view.get_permissions()
            allow_any = len(permissions) == 1 and type(permissions[0]) is AllowAny
            return status_code not in responses and not allow_any
        if status_code == "404" and self.method in ("POST", "PUT", "PATCH", "DELETE"):
            # A body names records by id (a project, a topic) that get_object_for answers with 404 if not visible.
            return status_code not in responses
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
        "type": "object",
        "required": ["attr", "code", "detail"],
        "properties": {
            "attr": {"type": "string"},
            "code": {"type": "string", "enum": ["unknown_field"]},
            "detail": {"type": "string"},
        },
    }
    for name, component in list(schemas.items()):
        if (
            name.endswith("Error")
            and "oneOf" in component
            and component.get("discriminator", {}).get("propertyName") == "attr"
        ):
            component.pop("discriminator")
            component["oneOf"].append({"$ref": "#/components/schemas/UnknownFieldErrorComponent"})
    return result
