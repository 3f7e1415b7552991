from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from communities import audit_views
from communities import views as community_views
from consultations import views as consultation_views
from renovation_portal import views

api_v1 = [
    path("", include("communities.api.urls")),
    path("", include("projects.api.urls")),
    path("", include("consultations.api.urls")),
    path("", include("inspections.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("renovation_portal.dashboard.api_urls")),
]

urlpatterns = [
    path("", community_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/2fa/verify/", community_views.two_factor_verify, name="account-2fa-verify"),
    path("account/2fa/setup/", community_views.two_factor_setup, name="account-2fa-setup"),
    path("account/security-policy/", community_views.security_policy, name="account-security-policy"),
    path("audit/", audit_views.audit_log, name="audit-log"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("places/", include("communities.urls")),
    path("projects/", include("projects.urls")),
    path("consultations/", include("consultations.urls")),
    path("public/compounds/<str:code>/", consultation_views.public_compound, name="public-compound"),
    path("public/compounds/<str:code>/buildings/<int:building_pk>/plate/", consultation_views.building_plate,
         name="building-plate"),
    path("inspections/", include("inspections.urls")),
    path("notifications/", include("notifications.urls")),
    path("dashboard/", include("renovation_portal.dashboard.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Anything else under /api/ is a JSON 404, with DEBUG on or off.
    re_path(r"^api/", views.not_found),
]

handler404 = "renovation_portal.views.not_found"
handler500 = "renovation_portal.views.server_failure"

