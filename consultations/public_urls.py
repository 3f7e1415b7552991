"""The public pages of a compound (no sign-in; names outside any namespace), included at the root by
renovation_portal.urls."""

from django.urls import path

from consultations import views as consultation_views

urlpatterns = [
    path("public/compounds/<str:code>/", consultation_views.public_compound, name="public-compound"),
    path("public/compounds/<str:code>/buildings/<int:building_pk>/plate/", consultation_views.building_plate,
         name="building-plate"),
]
