"""Choices of the planning app: the declaration's states, the review actions, batches and attachments."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeclarationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for review")
    RETURNED = "returned", _("Returned for amendment")
    APPROVED = "approved", _("Approved into the library")
    REJECTED = "rejected", _("Rejected")


# The declarer may edit (and submit) a declaration in these states.
EDITABLE_STATUSES = (DeclarationStatus.DRAFT, DeclarationStatus.RETURNED)
# A compound has at most one declaration in progress (these states).
IN_PROGRESS_STATUSES = (DeclarationStatus.DRAFT, DeclarationStatus.SUBMITTED, DeclarationStatus.RETURNED)


class ReviewAction(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned with reasons")
    APPROVED = "approved", _("Approved into the library")
    REJECTED = "rejected", _("Rejected")


class BatchKind(models.TextChoices):
    """ "成熟一批、推动一批": projects start in batches as they become ready."""

    MATURE = "mature", _("Ready now (成熟一批)")
    PUSH = "push", _("To be pushed forward (推动一批)")


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Survey photo")
    PDF = "pdf", _("PDF document")


class NotificationKind(models.TextChoices):
    """What the declarer hears about a review (stored values: at most 20 characters, never changed)."""

    DECLARATION_RETURNED = "decl_returned", _("Declaration returned")
    DECLARATION_APPROVED = "decl_approved", _("Declaration approved")
    DECLARATION_REJECTED = "decl_rejected", _("Declaration rejected")
