"""Choices of the projects app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    SURVEY_DESIGN = "survey_design", _("Survey and design")
    PLAN_CONFIRMATION = "plan_confirmation", _("Plan confirmation")
    CONSTRUCTION = "construction", _("Construction")
    COMPLETION_ACCEPTANCE = "completion_acceptance", _("Completion acceptance")
    HANDED_OVER = "handed_over", _("Handed over to long-term management")
    SUSPENDED = "suspended", _("Suspended")


# A project is "not yet accepted" (still inspected weekly) in these states.
UNACCEPTED_STATUSES = (
    ProjectStatus.PLANNING, ProjectStatus.SURVEY_DESIGN, ProjectStatus.PLAN_CONFIRMATION,
    ProjectStatus.CONSTRUCTION, ProjectStatus.SUSPENDED,
)
