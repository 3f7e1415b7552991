from django.urls import path

from aftercare import patrol_views, views

app_name = "aftercare"
urlpatterns = [
    path("", views.record_list, name="record-list"),
    path("<int:pk>/", views.record_detail, name="record-detail"),
    path("<int:pk>/edit/", views.record_edit, name="record-edit"),
    path("<int:pk>/documents/", views.document_add, name="document-add"),
    path("<int:pk>/service-form/", views.service_form, name="service-form"),
    path("<int:pk>/ledger/", views.ledger, name="ledger"),
    path("<int:pk>/ledger/publish/", views.quarter_publish, name="quarter-publish"),
    path("<int:pk>/spaces/", views.spaces, name="spaces"),
    path("spaces/", views.space_list, name="space-list"),
    path("patrols/", patrol_views.patrol_home, name="patrol-home"),
    path("patrols/new/<int:record_pk>/", patrol_views.patrol_new, name="patrol-new"),
    path("patrols/<int:pk>/", patrol_views.patrol_detail, name="patrol-detail"),
    path("warranties/<int:pk>/", views.warranty_edit, name="warranty-edit"),
    path("documents/<int:pk>/", views.document_file, name="document-file"),
    path("documents/<int:pk>/thumbnail/", views.document_file, {"thumbnail": True}, name="document-thumbnail"),
    path("activities/<int:pk>/", views.activity_detail, name="activity-detail"),
    path("activity-photos/<int:pk>/", views.activity_photo, name="activity-photo"),
    path("activity-photos/<int:pk>/thumbnail/", views.activity_photo, {"thumbnail": True}, name="activity-thumbnail"),
]
