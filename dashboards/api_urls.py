from django.urls import path

from dashboards import api
from renovation_portal.api import PortalRouter

router = PortalRouter()
router.register("programme-targets", api.TargetViewSet, basename="programme-target")

urlpatterns = [
    path("dashboard/nation/", api.NationDashboardView.as_view(), name="dashboard-nation"),
    path("dashboard/nation/contractors/", api.NationScorecardView.as_view(), name="dashboard-nation-contractors"),
    path("dashboard/<str:level>/<int:id>/", api.DashboardView.as_view(), name="dashboard"),
    path("dashboard/<str:level>/<int:id>/contractors/", api.ScorecardView.as_view(), name="dashboard-contractors"),
    *router.urls,
]
