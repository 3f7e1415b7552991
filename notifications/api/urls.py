from notifications.api import views
from renovation_portal.api import PortalRouter

router = PortalRouter()
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = router.urls
