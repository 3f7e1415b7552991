"""Request middleware of the portal."""

from django.conf import settings
from django.http import HttpResponse
from django.middleware.gzip import GZipMiddleware
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _

from renovation_portal.api import api_error_response


class ChineseByDefaultMiddleware:
    """Web pages are Chinese unless the user picked English with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an English-language browser on a
    district office PC would get English pages. Pages ignore that header; the choice is the language cookie set
    by the switch. The API keeps honouring Accept-Language for its error messages (a mobile client sets it).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose declared body is larger than ``MAX_REQUEST_BYTES``, without reading it.

    Django's own limits (DATA_UPLOAD_MAX_MEMORY_SIZE) count only the non-file fields, and only while parsing: an
    oversized multipart upload was read in full and only then refused. This runs first in the stack, before
    anything can touch ``request.body`` or ``request.POST``. The API gets the standard JSON error body; web
    pages a plain page (this runs before sessions and language selection, so it needs neither).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads such a body as empty
        limit = settings.MAX_REQUEST_BYTES
        if length <= limit:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            with translation.override(translation.get_language_from_request(request)):
                return api_error_response(
                    413,
                    "request_too_large",
                    _("The request is too large: at most %(size)s (photos: 10 MB each).")
                    % {"size": filesizeformat(limit)},
                )
        with translation.override(settings.LANGUAGE_CODE):
            return HttpResponse(
                _(
                    "The upload is too large: at most %(size)s at a time (photos: 10 MB each). Go back and send "
                    "fewer or smaller photos."
                )
                % {"size": filesizeformat(limit)},
                status=413,
                content_type="text/plain; charset=utf-8",
            )


class CompressTextMiddleware(GZipMiddleware):
    """Gzip pages, scripts and style sheets (a field page: ~75 KB instead of ~370 KB on a phone's first visit).

    Django's GZipMiddleware, limited to text: photos, spreadsheets and other binary files are compressed already.
    JSON is compressed only when it carries no ETag (lists, sync pages: a district inspector's first sync is
    ≈ 0.2 MB instead of 2.9 MB): the middleware weakens ETags (``W/"…"``), which would break a record's If-Match.
    In production WhiteNoise serves the static files pre-compressed at build time (``.gz`` next to
    each file, Content-Encoding set, so nothing is compressed again here); with DEBUG on, this compresses them
    on the fly so that the demo weighs what production does.

    BREACH (guessing a secret in a compressed page from its length): Django masks the CSRF token afresh in every
    response, and this middleware adds 0-100 random bytes to each gzip header ("Heal the BREACH", Django 4.2+),
    so a page's length reveals nothing to an attacker who can reflect text into it.
    """

    COMPRESSIBLE = ("text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml", "text/csv")

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "")
        if content_type.startswith("application/json"):
            if response.has_header("ETag"):
                return response
        elif not content_type.startswith(self.COMPRESSIBLE):
            return response
        return super().process_response(request, response)


class ApiJsonPolicyMiddleware:
    """The API's JSON answers carry the short policy a document that loads nothing needs (``default-src 'none';
    frame-ancestors 'none'``, as OWASP advises for APIs) instead of the pages' ≈ 290-byte one: stricter, and a
    phone's delta sync makes several requests that each return little more than their headers. Listed after
    django-csp's middleware, so that it sees the response first; the browsable API's HTML keeps the pages' policy."""

    POLICY = {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/") and response.get("Content-Type", "").startswith("application/json"):
            if getattr(response, "_csp_config", None) is None:
                response._csp_config = self.POLICY
        return response
