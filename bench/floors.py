"""The floors the API is measured against (mounted only when BENCH_FLOORS=1; see bench/urls.py).

Each floor is a plain Django view returning the same rows as the DRF list endpoint — same scope, same order,
same page size — as JSON straight from ``values()``: no serializer, no DRF view machinery, no pagination
class. The DRF endpoint's requests/s over the floor's is the cost of the API layer.
"""

from django.http import JsonResponse
from rest_framework.exceptions import AuthenticationFailed

from communities.authentication import DeviceTokenAuthentication
from communities.models import Compound
from inspections.models import Inspection, RectificationIssue
from projects.models import Project

PAGE = 50
FLOORS = {
    "projects": (Project, ["id", "compound_id", "contractor_id", "name", "batch", "status", "budget", "planned_start",
                           "planned_finish", "actual_start", "actual_finish", "progress_percent", "updated_at"]),
    "issues": (RectificationIssue, ["id", "inspection_id", "project_id", "contractor_id", "kind", "description",
                                    "location", "severity", "deadline", "status", "tier", "created_at", "updated_at"]),
    "inspections": (Inspection, ["id", "project_id", "tier", "group_id", "template_id", "planned_date", "status",
                                 "score", "filed_at", "updated_at"]),
    "compounds": (Compound, ["id", "community_id", "code", "name", "address", "year_built", "building_count",
                             "household_count", "property_mode", "updated_at"]),
}


def floor(request, name):
    try:
        user, _token = DeviceTokenAuthentication().authenticate(request) or (None, None)
    except AuthenticationFailed:
        user = None
    if user is None:
        return JsonResponse({"detail": "no token"}, status=401)
    model, fields = FLOORS[name]
    rows = list(model.objects.visible_to(user).order_by("updated_at", "id").values(*fields)[:PAGE])
    return JsonResponse({"results": rows})
