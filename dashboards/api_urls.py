from django.urls import path

from dashboards import api
from renovation_portal.api import PortalRouter

router = PortalRouter()
router.register("programme-targets", api.TargetViewSet, basename="programme-target")

urlpatterns = [
    path("dashboard/<str:level>/<int:id>/", api.DashboardView.as_view(), name="dashboard"),
    *router.urls,
]
