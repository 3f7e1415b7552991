from django.urls import path

from planning import views

app_name = "planning"
urlpatterns = [
    path("declarations/", views.declaration_list, name="declaration-list"),
    path("declarations/new/", views.declaration_create, name="declaration-create"),
    path("declarations/<int:pk>/", views.declaration_detail, name="declaration-detail"),
    path("declarations/<int:pk>/edit/", views.declaration_edit, name="declaration-edit"),
    path("declarations/<int:pk>/submit/", views.declaration_submit, name="declaration-submit"),
    path("declarations/<int:pk>/review/<slug:action>/", views.declaration_review, name="declaration-review"),
    path("declarations/<int:pk>/attachments/", views.attachment_add, name="attachment-add"),
    path("attachments/<int:pk>/", views.attachment_file, name="attachment-file"),
    path("attachments/<int:pk>/thumbnail/", views.attachment_file, {"thumbnail": True}, name="attachment-thumbnail"),
    path("attachments/<int:pk>/remove/", views.attachment_remove, name="attachment-remove"),
    path("library/", views.library, name="library"),
    path("plans/", views.plan_list, name="plan-list"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/targets/", views.plan_targets, name="plan-targets"),
    path("plans/<int:pk>/batches/", views.plan_batch_add, name="plan-batch-add"),
    path("plans/<int:pk>/items/", views.plan_item_add, name="plan-item-add"),
    path("items/<int:pk>/remove/", views.plan_item_remove, name="plan-item-remove"),
    path("items/<int:pk>/project/", views.plan_item_project, name="plan-item-project"),
]
