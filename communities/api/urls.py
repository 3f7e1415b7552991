from django.urls import path

from communities.api import views
from renovation_portal.api import PortalRouter
from renovation_portal.sync import DeletionViewSet

router = PortalRouter()
router.register("provinces", views.ProvinceViewSet, basename="province")
router.register("cities", views.CityViewSet, basename="city")
router.register("districts", views.DistrictViewSet, basename="district")
router.register("subdistricts", views.SubdistrictViewSet, basename="subdistrict")
router.register("communities", views.CommunityViewSet, basename="community")
router.register("compounds", views.CompoundViewSet, basename="compound")
router.register("buildings", views.BuildingViewSet, basename="building")
router.register("party-branches", views.PartyBranchViewSet, basename="party-branch")
router.register("owners-bodies", views.OwnersBodyViewSet, basename="owners-body")
router.register("property-services", views.PropertyServiceViewSet, basename="property-service")
router.register("building-leads", views.BuildingLeadViewSet, basename="building-lead")
router.register("board-contacts", views.BoardContactViewSet, basename="board-contact")
router.register("users", views.UserViewSet, basename="user")
router.register("roles", views.RoleViewSet, basename="role")
router.register("companies", views.CompanyViewSet, basename="company")
router.register("task-forces", views.TaskForceViewSet, basename="task-force")
router.register("auth/tokens", views.ApiTokenViewSet, basename="api-token")
router.register("sync/deletions", DeletionViewSet, basename="sync-deletion")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("today/", views.TodayView.as_view(), name="today"),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    *router.urls,
]
