"""Columns of the projects app's list exports (web lists and the API's export actions alike)."""

from django.utils.translation import gettext_lazy

from projects.choices import FundingSource, FundingStage
from renovation_portal.exports import Column

FUNDING_COLUMNS = [
    Column(gettext_lazy("Date"), "date"),
    Column(gettext_lazy("Project"), "project__name"),
    Column(gettext_lazy("Compound"), "project__compound__name"),
    Column(gettext_lazy("Subdistrict"), "project__compound__community__subdistrict__name"),
    Column(gettext_lazy("Funding source"), "source", dict(FundingSource.choices)),
    Column(gettext_lazy("Stage"), "stage", dict(FundingStage.choices)),
    Column(gettext_lazy("Amount (yuan)"), "amount"),
    Column(gettext_lazy("Document number"), "document_number"),
    Column(gettext_lazy("Note"), "note"),
    Column(gettext_lazy("Recorded by"), "recorded_by__display_name"),
    Column(gettext_lazy("Voided at"), "voided_at"),
    Column(gettext_lazy("Reason for voiding"), "void_reason"),
]
