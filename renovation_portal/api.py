"""API building blocks shared by every app: pagination and the JSON 404/500 for unknown API paths."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_standardized_errors.handler import ExceptionHandler as StandardExceptionHandler
from rest_framework.exceptions import APIException, ErrorDetail, ValidationError
from rest_framework.pagination import PageNumberPagination

from renovation_portal.errors import DomainError


class PagePagination(PageNumberPagination):
    """Numbered pages: ``?page=2&page_size=100`` (at most 200 rows a page)."""

    page_size_query_param = "page_size"
    max_page_size = 200


def api_error_response(status: int, code: str, detail: str) -> JsonResponse:
    """The portal's one error shape (drf-standardized-errors), for responses made outside DRF views."""
    error_type = "server_error" if status >= 500 else "client_error"
    return JsonResponse({"type": error_type, "errors": [{"code": code, "detail": detail, "attr": None}]},
                        status=status, json_dumps_params={"ensure_ascii": False})


def api_not_found() -> JsonResponse:
    return api_error_response(404, "not_found", _("No such API endpoint or object."))


class DomainErrorException(APIException):
    """A service's DomainError, carried through DRF's error formatting."""

    def __init__(self, error: DomainError):
        self.status_code = error.status
        if error.field:
            detail = {error.field: [ErrorDetail(str(error.message), code=error.code)]}
        else:
            detail = ErrorDetail(str(error.message), code=error.code)
        super().__init__(detail=detail, code=error.code)


class ExceptionHandler(StandardExceptionHandler):
    """drf-standardized-errors' handler, knowing the portal's DomainError too."""

    def convert_known_exceptions(self, exc):
        if isinstance(exc, DjangoValidationError):
            # A model's own validation (full_clean in a service) is the client's error, never a 500.
            if hasattr(exc, "error_dict"):
                detail = {("non_field_errors" if field == NON_FIELD_ERRORS else field): messages
                          for field, messages in exc.message_dict.items()}
            else:
                detail = exc.messages
            return ValidationError(detail)
        if isinstance(exc, DomainError):
            if exc.status == 400:
                detail = {exc.field: [ErrorDetail(str(exc.message), code=exc.code)]} if exc.field else \
                    [ErrorDetail(str(exc.message), code=exc.code)]
                return ValidationError(detail)
            return DomainErrorException(exc)
        return super().convert_known_exceptions(exc)
