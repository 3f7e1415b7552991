"""Portal-wide views: health check and error pages that answer JSON under /api/."""

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found, server_error

from renovation_portal.api import api_error_response, api_not_found
from renovation_portal.cache import redis_recovered
from renovation_portal.tasks import HEARTBEAT_CACHE_KEY


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
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
                                      socket_timeout=settings.REDIS_SOCKET_TIMEOUT)
        client.ping()
        redis_recovered(settings.REDIS_URL)  # the cache need not wait out its retry interval
        return {"ok": True, "mode": "redis", "last_worker_heartbeat": cache.get(HEARTBEAT_CACHE_KEY)}
    except Exception as error:
        return {"ok": False, "mode": "redis", "error": error.__class__.__name__}


@never_cache
def healthz(request):
    """Database and broker status: 200 when both answer, 503 otherwise (for load balancers and monitors)."""
    database, broker = _check_database(), _check_broker()
    ok = database["ok"] and broker["ok"]
    return JsonResponse({"status": "ok" if ok else "error", "database": database, "broker": broker},
                        status=200 if ok else 503)


@csrf_exempt  # an unknown API path is a 404 whatever the method, never a CSRF failure page
def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found()
    return page_not_found(request, exception)


def server_failure(request):
    if request.path.startswith("/api/"):
        return api_error_response(500, "error", "Server Error (500)")
    return server_error(request)
