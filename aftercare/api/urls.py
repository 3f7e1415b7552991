from aftercare.api import views
from renovation_portal.api import PortalRouter

router = PortalRouter()
router.register("aftercare/records", views.AftercareRecordViewSet, basename="aftercare-record")
router.register("aftercare/warranties", views.WarrantyViewSet, basename="aftercare-warranty")
router.register("aftercare/documents", views.HandoverDocumentViewSet, basename="aftercare-document")
router.register("aftercare/service-forms", views.ServiceFormViewSet, basename="aftercare-service-form")
router.register("aftercare/ledger-entries", views.LedgerEntryViewSet, basename="aftercare-ledger-entry")
router.register("aftercare/ledger-quarters", views.LedgerQuarterViewSet, basename="aftercare-ledger-quarter")
router.register("aftercare/spaces", views.SpaceViewSet, basename="aftercare-space")
router.register("aftercare/activities", views.ActivityViewSet, basename="aftercare-activity")
router.register("aftercare/activity-photos", views.ActivityPhotoViewSet, basename="aftercare-activity-photo")

router.register("aftercare/patrols", views.PatrolViewSet, basename="aftercare-patrol")

urlpatterns = router.urls
