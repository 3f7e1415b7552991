"""Portal-wide views: health check and error pages that answer JSON under /api/."""

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.defaults import page_not_found, server_error

from renovation_portal import pending_photos
from renovation_portal.api import api_error_response, api_not_found
from renovation_portal.cache import redis_recovered
from renovation_portal.models import PendingPhoto
from renovation_portal.tasks import HEARTBEAT_CACHE_KEY
from renovation_portal.uploads import serve_private_image


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "engine": connection.vendor}
    except Exception as error:  # any failure is reported, not raised: this page must answer
        return {"ok": False, "engine": connection.vendor, "error": error.__class__.__name__}


def _check_broker() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "in-process (eager): no broker configured"}
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
            socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        )
        client.ping()
        redis_recovered(settings.REDIS_URL)  # the cache need not wait out its retry interval
        return {"ok": True, "mode": "redis", "last_worker_heartbeat": cache.get(HEARTBEAT_CACHE_KEY)}
    except Exception as error:
        return {"ok": False, "mode": "redis", "error": error.__class__.__name__}


# A file every page links to: if the static files storage cannot name it, no page renders.
HEALTH_STATIC_FILE = "css/portal.css"


def _check_static() -> dict:
    """Resolve a known static file through the storage, as every page does. With the production (manifest)
    storage a missing or stale manifest makes every page answer 500 ("Missing staticfiles manifest entry"),
    so the health check must fail with it."""
    try:
        url = staticfiles_storage.url(HEALTH_STATIC_FILE)
        stored_name = getattr(staticfiles_storage, "stored_name", None)
        if stored_name is not None and not staticfiles_storage.exists(stored_name(HEALTH_STATIC_FILE)):
            raise FileNotFoundError(HEALTH_STATIC_FILE)  # a manifest without the collected files
        return {"ok": True, "url": url}
    except Exception as error:
        return {"ok": False, "error": error.__class__.__name__}


@never_cache
def healthz(request):
    """Database, broker and static files status: 200 when all are usable, 503 otherwise (for load balancers,
    monitors and the compose health check)."""
    database, broker, static = _check_database(), _check_broker(), _check_static()
    ok = database["ok"] and broker["ok"] and static["ok"]
    return JsonResponse(
        {"status": "ok" if ok else "error", "database": database, "broker": broker, "static": static},
        status=200 if ok else 503,
    )


@csrf_exempt  # an unknown API path is a 404 whatever the method, never a CSRF failure page
def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found()
    return page_not_found(request, exception)


def server_failure(request):
    if request.path.startswith("/api/"):
        return api_error_response(500, "error", "Server Error (500)")
    return server_error(request)


@cache_control(public=True, max_age=24 * 3600)
def favicon(request):
    """Browsers ask for /favicon.ico whatever a page links to (a 404 there is a console error on every first
    visit): send them to the static file. A temporary redirect, cached for a day, because the static file's
    name changes with its content in production (the manifest storage)."""
    return HttpResponseRedirect(staticfiles_storage.url("favicon.ico"))


@login_required
@require_POST
def pending_photo_upload(request):
    """A photo chosen in a form, uploaded at once (``renovation_portal.pending_photos``): 201 with its id and
    thumbnail address; 400 in the portal's error shape with the reason it was refused (too large, too many pixels,
    not an image, too many waiting)."""
    upload = request.FILES.get("photo")
    if upload is None:
        return api_error_response(400, "required", _("Choose a photo."))
    try:
        photo = pending_photos.pending_photo_create(actor=request.user, upload=upload)
    except ValidationError as error:
        return api_error_response(400, error.code or "photo_invalid", error.messages[0])
    return JsonResponse({"id": photo.pk, "thumbnail_url": reverse("pending-photo", args=[photo.pk])}, status=201)


@login_required
def pending_photo(request, pk):
    """The thumbnail of a photo being uploaded: to its uploader only (404 to anyone else)."""
    photo = PendingPhoto.objects.filter(pk=pk, owner=request.user).first()
    if photo is None:
        raise Http404
    return serve_private_image(photo.thumbnail)
