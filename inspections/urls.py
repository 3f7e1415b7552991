from django.urls import path
from django.views.generic import RedirectView

from inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.my_inspections, name="my-inspections"),
    path("start/", views.inspection_start, name="inspection-start"),
    path("<int:pk>/", views.inspection_detail, name="inspection-detail"),
    path("issues/", views.issue_list, name="issue-list"),
    path("issues/<int:pk>/", views.issue_detail, name="issue-detail"),
    path("issue-photos/<int:pk>/", views.issue_photo, name="issue-photo"),
    path("overdue/", views.overdue_board, name="overdue-board"),
    # The inbox moved to the notifications app; the old address and URL name lead there.
    path("inbox/", RedirectView.as_view(pattern_name="notifications:inbox", permanent=True), name="inbox"),
]
