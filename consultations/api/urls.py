from consultations.api import views
from renovation_portal.api import PortalRouter

router = PortalRouter()
router.register("needs", views.NeedViewSet, basename="need")
router.register("topics", views.TopicViewSet, basename="topic")
router.register("meetings", views.MeetingViewSet, basename="meeting")
router.register("owners", views.OwnerViewSet, basename="owner")
router.register("owner-units", views.OwnerUnitViewSet, basename="owner-unit")
router.register("roll-imports", views.RollImportJobViewSet, basename="roll-import")
router.register("votes", views.VoteViewSet, basename="vote")
router.register("lead-elections", views.LeadElectionViewSet, basename="lead-election")
router.register("ballots", views.BallotViewSet, basename="ballot")
router.register("resident-problems", views.ProblemViewSet, basename="resident-problem")
router.register("surveys", views.SurveyViewSet, basename="survey")

urlpatterns = router.urls
