"""Portal-wide records of the API contract: idempotency keys of retried POSTs and tombstones of deletions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from renovation_portal.uploads import private_upload_to


class IdempotencyKey(models.Model):
    """A POST's ``Idempotency-Key`` and the response it got: a retry is answered again, not redone.

    ``status_code`` is null while the first request with the key is still running.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(default=b"")
    response_content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)  # the daily purge filters on it

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self):
        return f"{self.user_id}:{self.key}"


class Tombstone(models.Model):
    """A deleted or withdrawn record, so that an offline client learns to drop it when it syncs.

    The place ids are copied, not foreign keys: the compound itself may be gone. Scoping uses them.
    """

    model = models.CharField(_("record type"), max_length=60)  # "app_label.model"
    object_pk = models.CharField(_("record id"), max_length=40)
    district_id = models.BigIntegerField(null=True)
    subdistrict_id = models.BigIntegerField(null=True)
    community_id = models.BigIntegerField(null=True)
    compound_id = models.BigIntegerField(null=True)
    company_id = models.BigIntegerField(null=True)  # the contractor whose project the record belonged to
    deleted_at = models.DateTimeField(_("deleted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tombstone")
        verbose_name_plural = _("tombstones")
        indexes = [
            # GET /api/v1/sync/deletions/?model=…&since=… : one model's deletions after a time.
            models.Index(fields=["model", "deleted_at"], name="tombstone_model_since"),
        ]

    def __str__(self):
        return f"{self.model}#{self.object_pk}"


class ScheduledRun(models.Model):
    """When a beat schedule entry's task last succeeded, and when a missed run of it was last sent again.

    Celery beat sends each run once: one sent while the broker was down is lost. The frequent heartbeat task
    compares this record with the schedule and sends a missed run again (``renovation_portal.tasks``); the
    sweeps claim their work per period, so a run sent twice does nothing twice.
    """

    entry = models.CharField(_("schedule entry"), max_length=100, unique=True)  # a key of BEAT_SCHEDULE
    last_success_at = models.DateTimeField(_("last succeeded at"), null=True, blank=True)
    caught_up_at = models.DateTimeField(_("missed run last sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")

    def __str__(self):
        return self.entry


class PendingPhoto(models.Model):
    """A photo uploaded the moment it was chosen, before its form is sent (``renovation_portal.uploads``): the
    form refers to it by id, so a form sent back with an error, reloaded, or sent again after a lost connection
    keeps it. Stored as ``store_photo`` left it (checked, re-encoded without metadata). Only its uploader may see
    or use it; the record that takes it copies it and deletes it, and one left unused is purged after 48 hours."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    image = models.ImageField(upload_to=private_upload_to("pending"))
    thumbnail = models.ImageField(upload_to=private_upload_to("pending/thumbs"))
    taken_at = models.DateTimeField(null=True, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)  # the daily purge filters on it

    class Meta:
        verbose_name = _("photo being uploaded")
        verbose_name_plural = _("photos being uploaded")

    def __str__(self):
        return f"{self.owner_id}:{self.pk}"
