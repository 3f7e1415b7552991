"""The public printable service form of a compound (no sign-in; a name outside any namespace), included at the root
by renovation_portal.urls next to the compound's public page."""

from django.urls import path

import consultations.public_urls  # noqa: F401 (registers the "code" path converter of the public pages)
from aftercare import views

urlpatterns = [
    path("public/compounds/<code:code>/service-form/", views.service_form_print, name="public-service-form"),
]
