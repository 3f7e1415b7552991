from django.urls import path

from communities import task_force_views, views

app_name = "communities"
urlpatterns = [
    path("compounds/", views.compound_list, name="compound-list"),
    path("compounds/<int:pk>/", views.compound_detail, name="compound-detail"),
    path("compounds/<int:pk>/edit/", views.compound_edit, name="compound-edit"),
    path("buildings/<int:pk>/edit/", views.building_edit, name="building-edit"),
    path("task-forces/", task_force_views.task_force_list, name="task-force-list"),
    path("task-forces/<int:pk>/", task_force_views.task_force_detail, name="task-force-detail"),
]
