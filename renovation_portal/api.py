"""API building blocks shared by every app: pagination and the JSON 404/500 for unknown API paths."""

import hashlib
import json

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, transaction
from django.db.models import Q
from django.http import JsonResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_standardized_errors.handler import ExceptionHandler as StandardExceptionHandler
from rest_framework.exceptions import APIException, ErrorDetail, NotFound, ParseError, ValidationError
from rest_framework.fields import ListField
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from renovation_portal.errors import DomainError


class PagePagination(PageNumberPagination):
    """Numbered pages: ``?page=2&page_size=100`` (at most 200 rows a page), for lists that stay small."""

    page_size_query_param = "page_size"
    max_page_size = 200


class KeysetPagination(CursorPagination):
    """Keyset (cursor) pages for lists that grow large: as fast at row 500,000 as on page one, and stable
    while rows change. Oldest change first, so that a syncing client pages forward with ``updated_since``
    and follows ``next`` until it is null.

    The cursor holds the last row's ``updated_at`` *and* id, and a page starts strictly after that pair. DRF's
    cursor holds the first ordering field only and steps over rows sharing its value with an OFFSET, which it caps
    at 1000: once more than a thousand rows share one ``updated_at`` (a bulk update stamps them all with one
    time) its ``next`` link repeats for ever and rows are skipped. A cursor without the id (made before) is still
    read the old way."""

    ordering = ("updated_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if len(ordering) == 1 and ordering[0].lstrip("-") == "updated_at":  # ?ordering=±updated_at: ties by id
            ordering = (ordering[0], "-id" if ordering[0].startswith("-") else "id")
        return ordering

    def _pair(self) -> bool:
        """Whether the ordering is ``(±updated_at, ±id)`` in one direction: then positions are pairs."""
        first, *rest = self.ordering
        return len(rest) == 1 and rest[0].lstrip("-") == "id" and first.startswith("-") == rest[0].startswith("-")

    def _get_position_from_instance(self, instance, ordering):
        position = super()._get_position_from_instance(instance, ordering)
        if not self._pair():
            return position
        pk = instance["id"] if isinstance(instance, dict) else instance.pk
        return f"{position}|{pk}"

    def paginate_queryset(self, queryset, request, view=None):
        self.ordering = self.get_ordering(request, queryset, view)
        cursor = CursorPagination.decode_cursor(self, request)  # as given, the pair included
        self._pair_position = None
        if cursor is not None and cursor.position and "|" in cursor.position and self._pair():
            value, _, pk = cursor.position.rpartition("|")
            moment = parse_datetime(value)
            if moment is None or not pk.isdecimal():
                raise NotFound(self.invalid_cursor_message)
            first = self.ordering[0]
            order_attr = first.lstrip("-")
            after = cursor.reverse == first.startswith("-")  # rows after the pair in the query's own order
            op = "gt" if after else "lt"
            # ``updated_at >= t`` first, so that the index on (updated_at, id) starts the scan at the pair.
            queryset = queryset.filter(
                Q(**{f"{order_attr}__{op}e": moment})
                & (Q(**{f"{order_attr}__{op}": moment}) | Q(**{f"id__{op}": int(pk)}))
            )
            self._pair_position = cursor.position
        page = super().paginate_queryset(queryset, request, view)
        if self._pair_position is not None:
            # DRF filtered by the first field alone were its cursor given; the page knows it came after a position.
            if self.cursor.reverse:
                self.has_next, self.next_position = True, self._pair_position
            else:
                self.has_previous, self.previous_position = True, self._pair_position
        return page

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position and "|" in cursor.position:
            # DRF's own filter is skipped (no position); the pair's filter is applied above.
            return Cursor(offset=cursor.offset, reverse=cursor.reverse, position=None)
        return cursor


def api_error_response(status: int, code: str, detail: str) -> JsonResponse:
    """The portal's one error shape (drf-standardized-errors), for responses made outside DRF views."""
    error_type = "server_error" if status >= 500 else "client_error"
    return JsonResponse(
        {"type": error_type, "errors": [{"code": code, "detail": detail, "attr": None}]},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


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
        if isinstance(exc, RequestDataTooBig):
            return PayloadTooLarge()
        if isinstance(exc, DataError):
            # The database refused a value the client sent (a number or date out of its range): the client's
            # error, and the transaction is rolled back by the handler.
            return ParseError(gettext_lazy("A value in the request is out of range."))
        if isinstance(exc, DjangoValidationError):
            # A model's own validation (full_clean in a service) is the client's error, never a 500.
            if hasattr(exc, "error_dict"):
                detail = {
                    ("non_field_errors" if field == NON_FIELD_ERRORS else field): messages
                    for field, messages in exc.message_dict.items()
                }
            else:
                detail = {"non_field_errors": exc.messages}
            return ValidationError(detail)
        if isinstance(exc, DomainError):
            if exc.status == 400:
                detail = {exc.field or "non_field_errors": [ErrorDetail(str(exc.message), code=exc.code)]}
                return ValidationError(detail)
            return DomainErrorException(exc)
        return super().convert_known_exceptions(exc)


class PreconditionRequired(APIException):
    status_code = 428
    default_code = "precondition_required"
    default_detail = gettext_lazy(
        "Send the If-Match header with the ETag of your last GET of this record, so that "
        "newer changes are not overwritten."
    )


class PreconditionFailed(APIException):
    status_code = 412
    default_code = "precondition_failed"
    default_detail = gettext_lazy(
        "This record was changed since you loaded it. GET it again, re-apply your change and send it with the new ETag."
    )


class PayloadTooLarge(APIException):
    status_code = 413
    default_code = "payload_too_large"
    default_detail = gettext_lazy("The request body is too large.")


def representation_etag(data) -> str:
    """A strong ETag of a record as this user sees it."""
    payload = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    return '"' + hashlib.sha256(payload).hexdigest()[:32] + '"'


def _if_match_values(header: str) -> set[str]:
    return {value.strip() for value in header.split(",") if value.strip()}


class ConcurrencyControlMixin:
    """No lost updates: GET returns an ETag; PATCH/PUT must send it back in If-Match.

    A missing If-Match is 428, and so is ``If-Match: *`` (it would match any version); a stale one is 412. The check and the write happen under a row lock, so of
    several concurrent PATCHes with the same ETag exactly one succeeds and the rest get 412.
    """

    _lock_for_update = False

    def locked_queryset(self, queryset):
        return queryset.select_for_update(of=("self",)) if self._lock_for_update else queryset

    def representation(self, instance) -> dict:
        """The record as GET shows it: the ETag is always computed from this one representation."""
        action = self.action
        self.action = "retrieve"
        try:
            return self.get_serializer(instance).data
        finally:
            self.action = action

    def etag_for(self, instance) -> str:
        return representation_etag(self.representation(instance))

    def retrieve(self, request, *args, **kwargs):
        data = self.representation(self.get_object())
        return Response(data, headers={"ETag": representation_etag(data)})

    def update(self, request, *args, **kwargs):
        if_match = request.headers.get("If-Match")
        with transaction.atomic():
            self._lock_for_update = True
            try:
                instance = self.get_object()  # 404 / 403 come before any precondition
            finally:
                self._lock_for_update = False
            if not if_match:
                raise PreconditionRequired()
            if "*" in _if_match_values(if_match):  # "any version" would overwrite changes the client never saw
                raise PreconditionRequired(
                    gettext_lazy(
                        "If-Match: * is not accepted. Send the ETag of your last GET of this record, so that newer "
                        "changes are not overwritten."
                    )
                )
            if self.etag_for(instance) not in _if_match_values(if_match):
                raise PreconditionFailed()
            partial = kwargs.pop("partial", False)
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            self.perform_update(serializer)
        data = self.representation(serializer.instance)
        return Response(data, headers={"ETag": representation_etag(data)})


class PortalRouter(DefaultRouter):
    """The API router: ids in URLs are numbers unless a viewset says otherwise, so ``/compounds/abc/`` is a
    plain 404 and never reaches the database; no API root view (the schema documents the API)."""

    include_root_view = False

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if not hasattr(viewset, "lookup_value_regex"):
            viewset.lookup_value_regex = "[0-9]+"
        return super().get_lookup_regex(viewset, lookup_prefix)


def _flat_messages(detail):
    """The messages of a nested error detail (an element that is itself a serializer reports a dict per field),
    in order, each as the text a person reads: never the repr of a dict or list."""
    if isinstance(detail, dict):
        for value in detail.values():
            yield from _flat_messages(value)
    elif isinstance(detail, list):
        for value in detail:
            yield from _flat_messages(value)
    else:
        yield detail


class WholeListField(ListField):
    """A list whose element errors are reported against the list itself (``attr`` is the field name, never
    ``name.3``), so that every error the API can return is one its schema lists."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except ValidationError as error:
            first = next(_flat_messages(error.detail), gettext_lazy("Invalid list."))
            raise ValidationError([ErrorDetail(str(first), code=self.ITEM_ERROR_CODE)]) from None

    ITEM_ERROR_CODE = "invalid_item"
