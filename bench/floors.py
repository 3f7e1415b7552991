"""The floors the API is measured against (mounted only when BENCH_FLOORS=1; see bench/urls.py).

Each floor is a plain Django view returning the same rows as the DRF list endpoint — same scope, same order,
same page size, the same fields (joined names, nested objects and the issues' photos included) — as JSON
straight from ``values()``, written by hand: no serializer, no DRF view machinery, no pagination class, no
filters. The DRF endpoint's requests/s over the floor's is the cost of the API layer.
``tests/test_bench_floors.py`` checks that each floor returns the API list's rows and fields.
"""

from django.http import JsonResponse
from rest_framework.exceptions import AuthenticationFailed

from communities.authentication import DeviceTokenAuthentication
from communities.models import Compound
from communities.selectors import with_property_mode
from inspections.models import Inspection, IssuePhoto, RectificationIssue
from projects.models import Project
from projects.selectors import project_is_overdue

PAGE = 50


FLOORS = {
    "projects": (
        Project,
        {
            "id": "id",
            "name": "name",
            "compound": "compound",
            "compound_name": "compound__name",
            "community": "compound__community",
            "subdistrict": "compound__community__subdistrict",
            "batch": "batch",
            "status": "status",
            "contractor": "contractor",
            "contractor_name": "contractor__name",
            "contract_number": "contract_number",
            "contract_amount": "contract_amount",
            "awarded_on": "awarded_on",
            "designer": "designer",
            "supervisor": "supervisor",
            "budget": "budget",
            "engineering_coordinator": "engineering_coordinator",
            "masses_coordinator": "masses_coordinator",
            "planned_start": "planned_start",
            "planned_finish": "planned_finish",
            "actual_start": "actual_start",
            "actual_finish": "actual_finish",
            "progress_percent": "progress_percent",
            "is_overdue": "is_overdue",
            "updated_at": "updated_at",
        },
    ),
    "issues": (
        RectificationIssue,
        {
            "id": "id",
            "inspection": "inspection",
            "origin": "origin",
            "project": "project",
            "compound_name": "project__compound__name",
            "contractor": "contractor",
            "property_company": "property_company",
            "community": "community",
            "warranty_category": "warranty_category",
            "found_by": "found_by",
            "kind": "kind",
            "description": "description",
            "location": "location",
            "severity": "severity",
            "deadline": "deadline",
            "status": "status",
            "tier": "tier",
            "escalated_to": "escalated_to",
            "escalated_at": "escalated_at",
            "rectification_note": "rectification_note",
            "submitted_at": "submitted_at",
            "closed_at": "closed_at",
            "created_at": "created_at",
            "updated_at": "updated_at",
        },
    ),
    "inspections": (
        Inspection,
        {
            "id": "id",
            "project": "project",
            "compound_name": "project__compound__name",
            "tier": "tier",
            "group": "group",
            "template": "template",
            "planned_date": "planned_date",
            "unannounced": "unannounced",
            "status": "status",
            "inspector": "inspector",
            "summary": "summary",
            "score": "score",
            "filed_at": "filed_at",
            "updated_at": "updated_at",
        },
    ),
    "compounds": (
        Compound,
        {
            "id": "id",
            "code": "code",
            "name": "name",
            "community": "community",
            "community_name": "community__name",
            "subdistrict": "community__subdistrict",
            "subdistrict_name": "community__subdistrict__name",
            "address": "address",
            "year_built": "year_built",
            "building_count": "building_count",
            "household_count": "household_count",
            "resident_count": "resident_count",
            "floor_area": "floor_area",
            "property_mode": "property_mode_value",
            "is_synthetic": "is_synthetic",
            "updated_at": "updated_at",
        },
    ),
}
# The compound's nested one-to-one objects: (output name, their columns)
COMPOUND_NESTED = {
    "party_branch": ["name", "secretary_name", "member_count", "established_on"],
    "owners_body": ["kind", "director_name", "established_on"],
    "property_service": ["mode", "company__name", "contact_name", "contract_starts_on"],
}


def floor(request, name):
    try:
        user, _token = DeviceTokenAuthentication().authenticate(request) or (None, None)
    except AuthenticationFailed:
        user = None
    if user is None:
        return JsonResponse({"detail": "no token"}, status=401)
    if name == "hello":
        # The floor under every request: gunicorn, the middleware, the token's lookup and a tiny JSON body, no
        # query of the portal's data. No endpoint can be faster than this on the same machine and load.
        return JsonResponse({"user": user.pk})
    model, fields = FLOORS[name]
    queryset = model.objects.visible_to(user).order_by("updated_at", "id")
    columns = list(fields.values())
    if name == "projects":
        queryset = queryset.annotate(is_overdue=project_is_overdue())
    if name == "compounds":
        queryset = with_property_mode(queryset)
        for nested, names in COMPOUND_NESTED.items():
            columns += [f"{nested}__{column}" for column in names] + [f"{nested}__pk"]
    rows = list(queryset.values(*columns)[:PAGE])
    results = [{out: row[column] for out, column in fields.items()} for row in rows]
    if name == "compounds":
        for row, result in zip(rows, results):
            for nested, names in COMPOUND_NESTED.items():
                result[nested] = (
                    None
                    if row[f"{nested}__pk"] is None
                    else {
                        ("company_name" if column == "company__name" else column): row[f"{nested}__{column}"]
                        for column in names
                    }
                )
    if name == "issues":
        photos: dict[int, list] = {row["id"]: [] for row in results}
        for photo in (
            IssuePhoto.objects.filter(issue_id__in=list(photos))
            .order_by("pk")
            .values("issue_id", "id", "kind", "taken_at", "latitude", "longitude", "uploaded_at")
        ):
            photos[photo.pop("issue_id")].append(photo)
        for result in results:
            result["photos"] = photos[result["id"]]
    return JsonResponse({"results": results}, json_dumps_params={"ensure_ascii": False})
