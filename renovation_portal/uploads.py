"""Photo uploads shared by every app: validation, random private names, thumbnails and safe serving.

Photos are stored under MEDIA_ROOT (outside the static root) with random names, never at a public URL: each
app serves them through a view that first checks that the user may see the object the photo belongs to, with
the image's own content type, ``nosniff`` and a CSP that forbids everything, so that nothing uploaded is ever
executed or rendered as HTML.
"""

from __future__ import annotations

import io
import uuid
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS_PER_UPLOAD = 10
ALLOWED_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
THUMBNAIL_SIZE = (320, 320)
Image.MAX_IMAGE_PIXELS = 60_000_000  # refuse decompression bombs


@deconstructible
class private_upload_to:  # noqa: N801 (used like a function in model fields)
    """``<prefix>/<yyyy>/<mm>/<uuid>.<ext>``: nothing of the client's file name is kept."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __call__(self, instance, filename: str) -> str:
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
        if extension not in {"jpg", "jpeg", "png", "webp"}:
            extension = "bin"
        now = timezone.now()
        return f"{self.prefix}/{now:%Y/%m}/{uuid.uuid4().hex}.{extension}"

    def __eq__(self, other):
        return isinstance(other, private_upload_to) and other.prefix == self.prefix


def validate_photo(upload) -> str:
    """Check an uploaded photo's size, type and integrity; return its format. Raises ValidationError."""
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationError(_("The photo %(name)s is larger than 10 MB.") % {"name": upload.name},
                              code="photo_too_large")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("The file %(name)s is not a valid image.") % {"name": upload.name},
                              code="photo_invalid") from None
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError(_("The photo %(name)s must be a JPEG, PNG or WebP image.") % {"name": upload.name},
                              code="photo_type")
    return image_format


def validate_photos(uploads) -> None:
    if len(uploads) > MAX_PHOTOS_PER_UPLOAD:
        raise ValidationError(_("At most %(count)d photos at a time.") % {"count": MAX_PHOTOS_PER_UPLOAD},
                              code="too_many_photos")
    for upload in uploads:
        validate_photo(upload)


def make_thumbnail(upload) -> ContentFile:
    """A JPEG of at most 320×320 for lists."""
    upload.seek(0)
    with Image.open(upload) as image:
        image = image.convert("RGB")
        image.thumbnail(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=80)
    upload.seek(0)
    return ContentFile(buffer.getvalue(), name="thumb.jpg")


def exif_taken_at(upload) -> datetime | None:
    """The capture time the camera wrote into the photo, if any (EXIF DateTimeOriginal)."""
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            raw = image.getexif().get_ifd(0x8769).get(36867) or image.getexif().get(306)
    except Exception:
        return None
    finally:
        upload.seek(0)
    if not raw:
        return None
    try:
        return timezone.make_aware(datetime.strptime(str(raw), "%Y:%m:%d %H:%M:%S"))
    except ValueError:
        return None


def serve_private_image(field_file) -> FileResponse:
    """Stream a stored photo so that a browser can only ever show it as an image."""
    name = field_file.name.lower()
    content_type = "image/png" if name.endswith(".png") else "image/webp" if name.endswith(".webp") else "image/jpeg"
    response = FileResponse(field_file.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response
