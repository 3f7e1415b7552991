from planning.api import views
from renovation_portal.api import PortalRouter

router = PortalRouter()
router.register("declarations", views.DeclarationViewSet, basename="declaration")
router.register("declaration-attachments", views.DeclarationAttachmentViewSet, basename="declaration-attachment")
router.register("annual-plans", views.AnnualPlanViewSet, basename="annual-plan")
router.register("plan-items", views.PlanItemViewSet, basename="plan-item")

urlpatterns = router.urls
