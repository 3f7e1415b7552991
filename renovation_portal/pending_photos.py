"""Photos that upload the moment they are chosen, so that no form loses them.

A field form's photo picker (``templates/includes/photo_picker.html`` with ``static/js/forms.js``) sends each
chosen photo at once to ``pending_photo_upload``, which checks and stores it (``prepare_photo``: the same checks
as any photo) as a ``PendingPhoto`` of the user and answers its id; the picker puts the id in a hidden field
(``<name>_pending``) and shows the thumbnail. Without JavaScript the photos travel with the form as before, and
the view keeps them the same way (``collect``) before it validates anything. Either way a form sent back with an
error renders the photos again by id, and the browser's draft of the form keeps the ids across a reload.

When the form is sent, the view takes the pending photos as ``StoredPhoto``s (``load``), which the services accept
in place of uploads (``prepare_photos`` passes them through), and discards them (``discard``) in the same
transaction as the record that copied them. Only the uploader can see or use a pending photo; those left unused
are purged after 48 hours, by the daily task that purges the idempotency keys.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from renovation_portal.models import PendingPhoto
from renovation_portal.uploads import MAX_PHOTOS_PER_UPLOAD, StoredPhoto, prepare_photo

KEEP_FOR = timedelta(hours=48)
# A user's unsent photos at a time: enough for a long checklist, not a free photo store.
MAX_PENDING_PER_USER = 60
SUFFIX = "_pending"


def pending_photo_create(*, actor, upload) -> PendingPhoto:
    """Check and store one chosen photo for the user. Raises ValidationError (the photo's own message, or the
    limit)."""
    if PendingPhoto.objects.filter(owner=actor).count() >= MAX_PENDING_PER_USER:
        raise ValidationError(
            _("Too many photos are waiting to be sent: send or leave the forms you started first."),
            code="too_many_pending_photos",
        )
    stored = prepare_photo(upload)
    return PendingPhoto.objects.create(
        owner=actor,
        image=stored.image,
        thumbnail=stored.thumbnail,
        taken_at=stored.taken_at,
        latitude=stored.latitude,
        longitude=stored.longitude,
    )


def posted_ids(data, name: str) -> list[int]:
    """The pending photo ids a form posted for its photo field ``name`` (``<name>_pending``), in order, once
    each; anything that is no id is ignored."""
    ids = []
    for value in data.getlist(name + SUFFIX):
        value = str(value).strip()
        if value.isascii() and value.isdigit() and len(value) < 12 and int(value) not in ids:
            ids.append(int(value))
    return ids


def photos_of(actor, ids: list[int]) -> list[PendingPhoto]:
    """The user's own pending photos among ``ids``, in their order (another user's, or a purged one, is left out)."""
    if not ids or not getattr(actor, "is_authenticated", False):
        return []
    found = {photo.pk: photo for photo in PendingPhoto.objects.filter(owner=actor, pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def collect(request, name: str) -> tuple[list[int], list[str]]:
    """The photos of the form's field ``name``: the pending ones it refers to, and the files it carried (sent
    without JavaScript), each stored as a pending photo now, so that they survive whatever error the form
    meets. Returns (ids, the messages of the files refused). Pending ids of others are dropped here."""
    ids = [photo.pk for photo in photos_of(request.user, posted_ids(request.POST, name))]
    refused = []
    for upload in request.FILES.getlist(name):
        try:
            ids.append(pending_photo_create(actor=request.user, upload=upload).pk)
        except ValidationError as error:
            refused.append(error.messages[0])
    return ids, refused


def load(actor, ids: list[int]) -> list[StoredPhoto]:
    """The user's pending photos as ``StoredPhoto``s for a service (their files copied, read into memory: at most
    ten photos of at most 10 MB each). Raises ValidationError when one is gone (purged, or used by a form sent
    meanwhile) or there are too many."""
    if len(ids) > MAX_PHOTOS_PER_UPLOAD:
        raise ValidationError(
            _("At most %(count)d photos at a time.") % {"count": MAX_PHOTOS_PER_UPLOAD}, code="too_many_photos"
        )
    photos = photos_of(actor, ids)
    if len(photos) != len(ids):
        raise ValidationError(
            _("A photo is no longer available (it was sent with another form or waited too long): choose it again."),
            code="photo_gone",
        )
    stored = []
    for photo in photos:
        with photo.image.open("rb") as image, photo.thumbnail.open("rb") as thumbnail:
            extension = photo.image.name.rsplit(".", 1)[-1]
            stored.append(
                StoredPhoto(
                    image=ContentFile(image.read(), name=f"photo.{extension}"),
                    thumbnail=ContentFile(thumbnail.read(), name="thumb.jpg"),
                    taken_at=photo.taken_at,
                    latitude=photo.latitude,
                    longitude=photo.longitude,
                )
            )
    return stored


def discard(actor, ids: list[int]) -> None:
    """Delete the user's pending photos (their record has taken copies); the files go once the transaction
    commits, so a rollback keeps them."""
    _delete(PendingPhoto.objects.filter(owner=actor, pk__in=ids))


def purge_old(now=None) -> int:
    """Delete pending photos older than 48 hours (a form left unsent); returns how many."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    return _delete(PendingPhoto.objects.filter(created_at__lt=cutoff))


def _delete(queryset) -> int:
    rows = list(queryset.values_list("pk", "image", "thumbnail"))
    if not rows:
        return 0
    PendingPhoto.objects.filter(pk__in=[pk for pk, *_files in rows]).delete()
    storage = PendingPhoto._meta.get_field("image").storage
    names = [name for _pk, *files in rows for name in files if name]

    def remove_files():
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove_files)
    return len(rows)
