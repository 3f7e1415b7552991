from django.urls import path

from consultations import views

app_name = "consultations"
urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("needs/new/", views.need_create, name="need-create"),
    path("topics/new/", views.topic_create, name="topic-create"),
    path("topics/<int:pk>/", views.topic_detail, name="topic-detail"),
    path("topics/<int:topic_pk>/votes/new/", views.vote_create, name="vote-create"),
    path("meetings/new/", views.meeting_create, name="meeting-create"),
    path("meetings/choices/", views.meeting_choices, name="meeting-choices"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting-edit"),
    path("meetings/<int:pk>/sign-in/", views.meeting_sign_in, name="meeting-sign-in"),
    path("meetings/<int:pk>/invitations/", views.meeting_invitations, name="meeting-invitations"),
    path("meeting-photos/<int:pk>/", views.meeting_photo, name="meeting-photo"),
    path("meeting-photos/<int:pk>/full/", views.meeting_photo, {"full": True}, name="meeting-photo-full"),
    path("compounds/<int:compound_pk>/owners/", views.owner_roll, name="owner-roll"),
    path("compounds/<int:compound_pk>/owners/units/new/", views.owner_unit_add, name="owner-unit-add"),
    path("compounds/<int:compound_pk>/owners/new/", views.owner_add, name="owner-add"),
    path("roll-owners/<int:pk>/", views.owner_edit, name="owner-edit"),
    path("roll-units/<int:pk>/", views.owner_unit_edit, name="owner-unit"),
    path("roll-units/<int:pk>/retire/", views.owner_unit_retire, name="owner-unit-retire"),
    path("roll-imports/<int:pk>/", views.roll_import, name="roll-import"),
    path("votes/<int:pk>/", views.vote_detail, name="vote-detail"),
    path("problems/", views.problem_list, name="problem-list"),
    path("problems/<int:pk>/", views.problem_detail, name="problem-detail"),
    path("problems/<int:pk>/publish/", views.problem_publish, name="problem-publish"),
    path("problems/<int:pk>/photo/", views.problem_photo, name="problem-photo"),
    path("problems/<int:pk>/photo/full/", views.problem_photo, {"full": True}, name="problem-photo-full"),
    path("surveys/", views.survey_list, name="survey-list"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey-detail"),
    path("surveys/<int:pk>/slips/", views.survey_slips, name="survey-slips"),
]
