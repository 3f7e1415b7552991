"""The public pages of a compound (no sign-in; names outside any namespace), included at the root by
renovation_portal.urls."""

from django.urls import path, register_converter
from django.urls.converters import StringConverter

from consultations import views as consultation_views


class CodeConverter(StringConverter):
    """A record's code in a URL: no NUL byte, which no stored code can hold (PostgreSQL refuses it in a query,
    so ``/public/compounds/A%00/`` would be a 500 instead of a 404)."""

    regex = r"[^/\x00]+"


register_converter(CodeConverter, "code")


urlpatterns = [
    path("public/compounds/<code:code>/", consultation_views.public_compound, name="public-compound"),
    path(
        "public/compounds/<code:code>/buildings/<int:building_pk>/plate/",
        consultation_views.building_plate,
        name="building-plate",
    ),
    path("public/compounds/<code:code>/plates/", consultation_views.compound_plates, name="compound-plates"),
    path(
        "public/compounds/<code:code>/report/", consultation_views.public_problem_report, name="public-problem-report"
    ),
    path("public/problems/<code:code>/", consultation_views.public_problem, name="public-problem"),
    path("public/survey/", consultation_views.public_survey, name="public-survey"),
    path("public/survey/<code:code>/", consultation_views.public_survey_answer, name="public-survey-answer"),
    # A meeting's sign-in from its QR code: the code is the meeting's secret sign-in token.
    path("public/meetings/<code:code>/", consultation_views.meeting_public_sign_in, name="meeting-public-sign-in"),
]
