from django.urls import path

from communities import views

app_name = "communities"
urlpatterns = [
    path("compounds/", views.compound_list, name="compound-list"),
    path("compounds/<int:pk>/", views.compound_detail, name="compound-detail"),
    path("compounds/<int:pk>/edit/", views.compound_edit, name="compound-edit"),
    path("buildings/<int:pk>/edit/", views.building_edit, name="building-edit"),
]
