from renovation_portal.api import PortalRouter
from reports.api import views

router = PortalRouter()
router.register("monthly-reports", views.MonthlyReportViewSet, basename="monthly-report")

urlpatterns = router.urls
