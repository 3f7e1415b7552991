from django.urls import path
from django.views.generic import RedirectView

from inspections import setup_views, views

app_name = "inspections"
urlpatterns = [
    path("", views.my_inspections, name="my-inspections"),
    path("start/", views.inspection_start, name="inspection-start"),
    path("<int:pk>/", views.inspection_detail, name="inspection-detail"),
    path("issues/", views.issue_list, name="issue-list"),
    path("issues/<int:pk>/", views.issue_detail, name="issue-detail"),
    path("issue-photos/<int:pk>/", views.issue_photo, name="issue-photo"),
    path("issue-photos/<int:pk>/full/", views.issue_photo, {"full": True}, name="issue-photo-full"),
    path("overdue/", views.overdue_board, name="overdue-board"),
    path("ranking/", setup_views.ranking, name="ranking"),
    path("setup/groups/", setup_views.group_list, name="group-list"),
    path("setup/groups/<int:pk>/", setup_views.group_detail, name="group-detail"),
    path("setup/checklists/", setup_views.checklist_list, name="checklist-list"),
    path("setup/checklists/new/", setup_views.checklist_create, name="checklist-create"),
    path("setup/checklists/seed-aftercare/", setup_views.checklist_seed_aftercare, name="checklist-seed-aftercare"),
    path("setup/checklists/item-row/", setup_views.checklist_item_row, name="checklist-item-row"),
    path("setup/checklists/<int:pk>/", setup_views.checklist_edit, name="checklist-edit"),
    path("setup/checklists/<int:pk>/publish/", setup_views.checklist_publish, name="checklist-publish"),
    path("setup/checklists/<int:pk>/new-version/", setup_views.checklist_new_version, name="checklist-new-version"),
    # The inbox moved to the notifications app; the old address and URL name lead there.
    path("inbox/", RedirectView.as_view(pattern_name="notifications:inbox", permanent=True), name="inbox"),
]
