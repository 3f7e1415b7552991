from projects.api import views
from renovation_portal.api import PortalRouter

router = PortalRouter()
router.register("projects", views.ProjectViewSet, basename="project")
router.register("plan-versions", views.PlanVersionViewSet, basename="plan-version")
router.register("scope-items", views.ScopeItemViewSet, basename="scope-item")
router.register("progress-reports", views.ProgressReportViewSet, basename="progress-report")
router.register("funding-entries", views.FundingEntryViewSet, basename="funding-entry")
router.register("progress-photos", views.ProgressPhotoViewSet, basename="progress-photo")

urlpatterns = router.urls
