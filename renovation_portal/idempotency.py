"""Safe retries for the API: a POST with an ``Idempotency-Key`` header is carried out once.

A repeat with the same key and the same request gets the original status and body back (with
``Idempotent-Replayed: true``) and creates nothing; the same key with a different request is refused (422). "The
same request" is the same method, path and body — for a multipart upload, the same fields and the same files'
contents, whatever boundary the client's retry chose. The unique (user, key) row decides which request runs; a
repeat that meets it still running gets 409 at once with ``Retry-After`` (it does not hold a worker waiting).
A request that ended in a server error releases its key so that it can be retried; one that never finished (its
worker killed, timed out, or the database gone when it wanted to release the key) leaves it "in progress" for
at most ``IDEMPOTENCY_IN_PROGRESS_SECONDS`` (2 minutes; longer than gunicorn's 60-second timeout), after which a
retry claims it and runs. Keys are kept 48 hours (a daily task purges older ones).
"""

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from renovation_portal.api import api_error_response
from renovation_portal.errors import DomainError
from renovation_portal.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=48)
RETRY_AFTER_SECONDS = 2  # what a repeat that meets its first request still running is told to wait


def in_progress_timeout() -> timedelta:
    """How long a request may hold its key before a retry may take it over (it must have died by then)."""
    return timedelta(seconds=getattr(settings, "IDEMPOTENCY_IN_PROGRESS_SECONDS", 120))


def _request_user(request):
    """The API user of this request, resolved the way DRF will: token first, then the session."""
    from rest_framework.exceptions import AuthenticationFailed

    token_authentication = import_string(settings.IDEMPOTENCY_TOKEN_AUTHENTICATION)
    try:
        result = token_authentication().authenticate(request)
    except AuthenticationFailed:
        return None
    if result is not None:
        return result[0]
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body),
        status=record.status_code,
        content_type=record.response_content_type or "application/json",
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _file_digest(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def request_digest(request, body: bytes) -> str:
    """What makes two requests "the same": method, path with query, and the body — for multipart/form-data the
    parsed fields and each file's SHA-256 (the raw body holds a random boundary that every retry changes)."""
    head = request.method.encode() + b" " + request.get_full_path().encode() + b"\n"
    if request.content_type == "multipart/form-data":
        try:
            fields = sorted([name, value] for name in request.POST for value in request.POST.getlist(name))
            files = sorted(
                [name, _file_digest(upload)] for name in request.FILES for upload in request.FILES.getlist(name)
            )
        except Exception:  # a malformed body: the view answers 400; compare it as bytes meanwhile
            pass
        else:
            parsed = json.dumps({"fields": fields, "files": files}, ensure_ascii=False).encode()
            return hashlib.sha256(head + b"multipart/form-data\n" + parsed).hexdigest()
    return hashlib.sha256(head + request.content_type.encode() + b"\n" + body).hexdigest()


def _release(record_id, started) -> None:
    """Give the key back (the request failed), unless another request has taken it over meanwhile. With the
    database away the key stays in progress until it expires (``in_progress_timeout``)."""
    try:
        IdempotencyKey.objects.filter(pk=record_id, status_code__isnull=True, created_at=started).delete()
    except DatabaseError:
        pass


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not key or len(key) > 100 or not key.isprintable():
            return api_error_response(
                422, "invalid_idempotency_key", _("The Idempotency-Key header must be 1 to 100 printable characters.")
            )
        user = _request_user(request)
        if user is None:  # DRF answers 401; there is nothing to remember for an anonymous request
            return self.get_response(request)
        try:
            body = request.body
        except Exception:  # too large: Django's own limit answers below
            return self.get_response(request)
        digest = request_digest(request, body)
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user, key=key, method=request.method, path=request.path[:300], request_hash=digest
                )
        except IntegrityError:
            record, refusal = self._repeat(user, key, digest)
            if refusal is not None:
                return refusal
        started = record.created_at
        try:
            response = self.get_response(request)
        except Exception:
            _release(record.pk, started)
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            _release(record.pk, started)
            return response
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        IdempotencyKey.objects.filter(pk=record.pk, created_at=started).update(
            status_code=response.status_code,
            response_body=response.content,
            response_content_type=response.get("Content-Type", ""),
        )
        return response

    def _repeat(self, user, key, digest):
        """A repeat of a key in use: (the record this request now owns, None) when it takes over a key whose
        request died, else (None, the answer): the first response replayed, 422 or 409."""
        record = IdempotencyKey.objects.filter(user=user, key=key).first()
        if record is None:  # the first request failed and released the key just now
            return None, self._in_progress()
        if record.request_hash != digest:
            return None, api_error_response(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was already used for a different request. Use a new key for a new request."),
            )
        if record.status_code is not None:
            return None, _replay(record)
        now = timezone.now()
        if record.created_at > now - in_progress_timeout():
            return None, self._in_progress()
        # The request holding the key died without an answer (killed, timed out, or unable to release it): take
        # the key over. The condition on created_at lets only one of several retries win it.
        if IdempotencyKey.objects.filter(pk=record.pk, status_code__isnull=True, created_at=record.created_at).update(
            created_at=now
        ):
            record.created_at = now
            return record, None
        return None, self._in_progress()

    @staticmethod
    def _in_progress():
        response = api_error_response(
            409,
            "idempotency_request_in_progress",
            _("A request with this Idempotency-Key is still being processed. Retry shortly."),
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


# --- the web forms' double submit ---
#
# A field form carries a key in a hidden field (``FORM_FIELD``), made when the form is first shown and kept in
# the browser's draft of it. Sent twice — a double tap, a resend after a lost connection, the draft sent again
# after a reload — it does its work once: the second request is redirected to what the first one made.

FORM_FIELD = "idempotency_key"
FORM_PREFIX = "form:"  # web keys share the table with the API's, never a key of theirs
SENT_FORMS_KEPT = 5


def new_form_key() -> str:
    return uuid.uuid4().hex


def form_key(request) -> str:
    """The form's key as posted, or a new one (a form shown again after an error keeps its key)."""
    key = request.POST.get(FORM_FIELD, "") if request.method == "POST" else ""
    return key if _valid_form_key(key) else new_form_key()


def _valid_form_key(key: str) -> bool:
    return 0 < len(key) <= 100 - len(FORM_PREFIX) and key.isprintable()


def replayed_address(request) -> str | None:
    """The address the form's key already led to (it was sent before and did its work), or None. Checked first,
    before the view reads any photo, so a resend neither stores nor checks anything again."""
    key = request.POST.get(FORM_FIELD, "")
    if not _valid_form_key(key) or not request.user.is_authenticated:
        return None
    record = IdempotencyKey.objects.filter(
        user=request.user, key=FORM_PREFIX + key, path=request.path[:300], status_code__isnull=False
    ).first()
    if record is None:
        return None
    _remember_sent(request, key)
    return bytes(record.response_body).decode()


def submit_once(request, action: Callable[[], str]) -> tuple[str, bool]:
    """Run ``action`` — which does the form's work and returns the address of what it made — once per form key,
    in one transaction with the key's record: (that address, False). A repeat of the key gets the first
    request's address without running anything: (address, True). Two requests racing meet at the key's unique
    row: the second waits for the first to commit (or to roll back, when it then runs itself). A form posted
    without a valid key runs as before. A ``DomainError`` from the action rolls the key back with everything
    else, so the form corrected and sent again with the same key runs."""
    key = request.POST.get(FORM_FIELD, "")
    if not _valid_form_key(key):
        return action(), False
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=request.user,
                    key=FORM_PREFIX + key,
                    method="POST",
                    path=request.path[:300],
                    request_hash=hashlib.sha256(request.path.encode()).hexdigest(),
                )
        except IntegrityError:
            record = IdempotencyKey.objects.get(user=request.user, key=FORM_PREFIX + key)
            if record.path != request.path[:300] or record.status_code is None:
                raise DomainError(
                    _("This form was already sent. Reload the page to start again."), code="idempotency_key_reused"
                ) from None
            _remember_sent(request, key)
            return bytes(record.response_body).decode(), True
        address = action()
        record.status_code, record.response_body = 303, address.encode()
        record.save(update_fields=["status_code", "response_body"])
    _remember_sent(request, key)
    return address, False


def _remember_sent(request, key: str) -> None:
    """The next page tells the browser to drop its draft of this form (base.html, static/js/forms.js)."""
    if hasattr(request, "session"):
        request.session["sent_forms"] = [key, *request.session.get("sent_forms", [])][:SENT_FORMS_KEPT]


def purge_old_keys(now=None) -> int:
    """Delete keys older than KEEP_FOR; returns how many."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
