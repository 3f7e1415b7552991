"""The root URLconf: every app's pages and API are included by dotted string (the core imports no app)."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from renovation_portal import views

api_v1 = [
    # The dashboards first: their paths start with dashboard/ or programme-targets/, which no other app's API
    # has, and a board is resolved without trying every router's patterns before it.
    path("", include("dashboards.api_urls")),
    path("", include("communities.api.urls")),
    path("", include("projects.api.urls")),
    path("", include("consultations.api.urls")),
    path("", include("inspections.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("planning.api.urls")),
    path("", include("aftercare.api.urls")),
    path("", include("reports.api.urls")),
]

urlpatterns = [
    # The API first: the mobile client's and the dashboards' requests are resolved without trying every page's
    # pattern before them (no page's path starts with api/).
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("", include("communities.site_urls")),  # home, login/, logout/, account/..., audit/
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("uploads/photos/", views.pending_photo_upload, name="pending-photo-upload"),
    path("uploads/photos/<int:pk>/", views.pending_photo, name="pending-photo"),
    path("places/", include("communities.urls")),
    path("planning/", include("planning.urls")),
    path("projects/", include("projects.urls")),
    path("consultations/", include("consultations.urls")),
    path("", include("consultations.public_urls")),  # public/compounds/...
    path("inspections/", include("inspections.urls")),
    path("aftercare/", include("aftercare.urls")),
    path("", include("aftercare.public_urls")),  # public/compounds/<code>/service-form/
    path("notifications/", include("notifications.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Anything else under /api/ is a JSON 404, with DEBUG on or off.
    re_path(r"^api/", views.not_found),
]

handler404 = "renovation_portal.views.not_found"
handler500 = "renovation_portal.views.server_failure"
