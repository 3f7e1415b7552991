"""Safe retries for the API: a POST with an ``Idempotency-Key`` header is carried out once.

A repeat with the same key and the same body gets the original status and body back (with
``Idempotent-Replayed: true``) and creates nothing; the same key with a different body is refused (422).
Concurrent repeats wait for the first to finish and then replay it; the unique (user, key) row decides which
request runs. Keys are kept 48 hours (a daily task purges older ones); a request that ended in a server error
releases its key so that it can be retried.
"""

import hashlib
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from renovation_portal.api import api_error_response
from renovation_portal.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=48)
WAIT_SECONDS = 15  # how long a concurrent repeat waits for the first request before answering 409


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
    response = HttpResponse(bytes(record.response_body), status=record.status_code,
                            content_type=record.response_content_type or "application/json")
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not key or len(key) > 100 or not key.isprintable():
            return api_error_response(422, "invalid_idempotency_key",
                                      _("The Idempotency-Key header must be 1 to 100 printable characters."))
        user = _request_user(request)
        if user is None:  # DRF answers 401; there is nothing to remember for an anonymous request
            return self.get_response(request)
        try:
            body = request.body
        except Exception:  # too large: Django's own limit answers below
            return self.get_response(request)
        digest = hashlib.sha256(request.method.encode() + b" " + request.get_full_path().encode() + b"\n"
                                + request.content_type.encode() + b"\n" + body).hexdigest()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(user=user, key=key, method=request.method,
                                                       path=request.path[:300], request_hash=digest)
        except IntegrityError:
            return self._repeat(user, key, digest)
        try:
            response = self.get_response(request)
        except Exception:
            IdempotencyKey.objects.filter(pk=record.pk).delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            IdempotencyKey.objects.filter(pk=record.pk).delete()
            return response
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        IdempotencyKey.objects.filter(pk=record.pk).update(
            status_code=response.status_code, response_body=response.content,
            response_content_type=response.get("Content-Type", ""))
        return response

    def _repeat(self, user, key, digest):
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            record = IdempotencyKey.objects.filter(user=user, key=key).first()
            if record is None:  # the first request failed and released the key: tell the client to retry
                break
            if record.request_hash != digest:
                return api_error_response(
                    422, "idempotency_key_reused",
                    _("This Idempotency-Key was already used for a different request. Use a new key for a new "
                      "request."))
            if record.status_code is not None:
                return _replay(record)
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        return api_error_response(409, "idempotency_request_in_progress",
                                  _("A request with this Idempotency-Key is still being processed. Retry shortly."))


def purge_old_keys(now=None) -> int:
    """Delete keys older than KEEP_FOR; returns how many."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
