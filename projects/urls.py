from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("<int:pk>/", views.project_detail, name="project-detail"),
    path("<int:pk>/edit/", views.project_edit, name="project-edit"),
    path("<int:pk>/liaisons/", views.project_liaisons, name="project-liaisons"),
    path("<int:pk>/transitions/<slug:name>/", views.project_transition, name="project-transition"),
    path("<int:pk>/plans/new/", views.plan_create, name="plan-create"),
    path("<int:pk>/plans/<int:plan_pk>/confirm/", views.plan_confirm, name="plan-confirm"),
    path("<int:pk>/scope/new/", views.scope_item_edit, name="scope-item-create"),
    path("<int:pk>/scope/<int:item_pk>/", views.scope_item_edit, name="scope-item-edit"),
    path("<int:pk>/funding/new/", views.funding_entry_create, name="funding-entry-create"),
    path("funding/", views.funding_entry_list, name="funding-entry-list"),
    path("funding/<int:pk>/void/", views.funding_entry_void, name="funding-entry-void"),
    path("<int:pk>/reports/new/", views.report_create, name="report-create"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("photos/<int:pk>/thumbnail/", views.photo, {"thumbnail": True}, name="photo-thumbnail"),
]
