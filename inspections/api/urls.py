from inspections.api import views
from renovation_portal.api import PortalRouter

router = PortalRouter()
router.register("checklists", views.ChecklistViewSet, basename="checklist")
router.register("inspection-groups", views.InspectionGroupViewSet, basename="inspection-group")
router.register("inspections", views.InspectionViewSet, basename="inspection")
router.register("issues", views.IssueViewSet, basename="issue")

urlpatterns = router.urls
