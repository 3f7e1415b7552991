"""Photo uploads shared by every app: validation, random private names, thumbnails and safe serving.

Photos are stored under MEDIA_ROOT (outside the static root) with random names, never at a public URL: each
app serves them through a view that first checks that the user may see the object the photo belongs to, with
the image's own content type, ``nosniff`` and a CSP that forbids everything, so that nothing uploaded is ever
executed or rendered as HTML.

What is stored is never the client's file as sent: ``store_photo`` decodes it (only after ``validate_photo`` has
read the pixel count from the header and refused a decompression bomb), turns it upright by its EXIF orientation
and encodes it again without any metadata — no GPS position, camera make, model or serial number. The capture
time and position the camera wrote are returned to the caller, which keeps them in model fields where the model
has them.

iPhones take HEIC (HEIF) photos by default: Pillow reads them through pillow-heif (registered here, so that every
upload path — web forms, API fields, services — reads the header the same way), they pass the same checks, and
``store_photo`` stores them as JPEG, which every browser shows.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from PIL.ExifTags import GPS, IFD, Base
from pillow_heif import register_heif_opener
from rest_framework import serializers

# HEIC/HEIF: header and pixels read by libheif; Image.open stays lazy (the size comes from the container), so
# check_pixels refuses a HEIF bomb before decoding, as for any other format. No thumbnails of the container
# are read (only the primary image is stored).
register_heif_opener(thumbnails=False)

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS_PER_UPLOAD = 10
ALLOWED_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
# Formats accepted on upload but stored as another (browsers cannot show HEIC): the format each is stored as.
CONVERTED_FORMATS = {"HEIF": "JPEG"}
# For <input type=file accept=...>: the formats above, by MIME type and by extension (some phones' pickers
# only know the extension of a HEIC file).
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"
THUMBNAIL_SIZE = (320, 320)
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
# Pillow's own guard too (it warns above this and refuses at twice this when opening); the portal refuses at
# the limit itself in check_pixels, before anything is decoded.
Image.MAX_IMAGE_PIXELS = settings.MAX_IMAGE_PIXELS


@deconstructible
class private_upload_to:  # noqa: N801 (used like a function in model fields)
    """``<prefix>/<yyyy>/<mm>/<uuid>.<ext>``: nothing of the client's file name is kept."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __call__(self, instance, filename: str) -> str:
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
        if extension not in {"jpg", "jpeg", "png", "webp", "pdf"}:  # what is stored (a HEIC is stored as JPEG)
            extension = "bin"
        now = timezone.now()
        return f"{self.prefix}/{now:%Y/%m}/{uuid.uuid4().hex}.{extension}"

    def __eq__(self, other):
        return isinstance(other, private_upload_to) and other.prefix == self.prefix


def check_pixels(upload) -> None:
    """Refuse an image whose header announces more than ``MAX_IMAGE_PIXELS`` pixels, before any pixel is decoded.

    A tiny file can announce a huge image (an 11 kB 1-bit PNG of 10,900 × 10,900 decodes to 700 MB).
    ``Image.open`` is lazy: it reads the header only. A file that is no image passes here; ``validate_photo``
    says so."""
    limit = settings.MAX_IMAGE_PIXELS
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                width, height = image.size
    except Image.DecompressionBombError:  # Pillow's own refusal, at twice the same limit
        width, height = limit + 1, 1
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return
    finally:
        upload.seek(0)
    if width * height > limit:
        raise ValidationError(
            _("The photo %(name)s has too many pixels: at most %(megapixels)d megapixels.")
            % {"name": upload.name, "megapixels": limit // 1_000_000},
            code="photo_too_many_pixels",
        )


def validate_photo(upload) -> str:
    """Check an uploaded photo's size, pixel count, type and integrity; return its format. Raises
    ValidationError. Nothing is decoded here."""
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationError(
            _("The photo %(name)s is larger than 10 MB.") % {"name": upload.name}, code="photo_too_large"
        )
    check_pixels(upload)
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("The file %(name)s is not a valid image.") % {"name": upload.name}, code="photo_invalid"
        ) from None
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_FORMATS and image_format not in CONVERTED_FORMATS:
        raise ValidationError(
            _("The photo %(name)s must be a JPEG, PNG, WebP or HEIC image.") % {"name": upload.name},
            code="photo_type",
        )
    return image_format


def validate_photos(uploads) -> None:
    """Check a set of photos; those already checked and stored (``StoredPhoto``: a pending upload the form
    referred to) count towards the limit but are not read again."""
    if len(uploads) > MAX_PHOTOS_PER_UPLOAD:
        raise ValidationError(
            _("At most %(count)d photos at a time.") % {"count": MAX_PHOTOS_PER_UPLOAD}, code="too_many_photos"
        )
    for upload in uploads:
        if not isinstance(upload, StoredPhoto):
            validate_photo(upload)


class PhotoFormField(forms.ImageField):
    """Django's ImageField, with the pixel count checked first: its own check opens the image, and Pillow's
    refusal of a bomb there would only say "not a valid image"."""

    def to_python(self, data):
        if data not in self.empty_values and hasattr(data, "seek"):
            check_pixels(data)
        return super().to_python(data)


class PhotoField(serializers.ImageField):
    """DRF's ImageField with the same pixel check first (a 400 that names the limit)."""

    def to_internal_value(self, data):
        if hasattr(data, "seek") and hasattr(data, "name"):
            try:
                check_pixels(data)
            except ValidationError as error:
                raise serializers.ValidationError(error.messages, code=error.code) from None
        return super().to_internal_value(data)


@dataclass(frozen=True)
class StoredPhoto:
    """A photo ready to save: the image re-encoded without metadata, its thumbnail, and what the camera said."""

    image: ContentFile
    thumbnail: ContentFile
    taken_at: datetime | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


def prepare_photos(uploads) -> list[StoredPhoto]:
    """Validate a set of uploads (``validate_photos``), then ``store_photo`` each: every photo is checked, and
    decoded, before the caller writes anything; one already stored (a pending upload) is taken as it is. Raises
    ValidationError."""
    uploads = list(uploads)
    validate_photos(uploads)
    return [upload if isinstance(upload, StoredPhoto) else store_photo(upload) for upload in uploads]


def prepare_photo(upload) -> StoredPhoto:
    validate_photo(upload)
    return store_photo(upload)


def store_photo(upload) -> StoredPhoto:
    """Decode a validated photo once, upright by its EXIF orientation, and encode it and its thumbnail again
    with no EXIF, XMP or other metadata (only the colour profile is kept); a HEIC/HEIF photo is encoded as JPEG.
    Call ``validate_photo`` first. Raises ValidationError when the pixels cannot be decoded (a truncated file
    passes ``verify``)."""
    try:
        upload.seek(0)
        with Image.open(upload) as original:
            image_format = original.format
            taken_at, (latitude, longitude) = _exif_metadata(original)
            image = ImageOps.exif_transpose(original)  # decodes the pixels
        if image_format in CONVERTED_FORMATS:
            image_format = CONVERTED_FORMATS[image_format]
            if image.mode not in ("RGB", "L"):  # JPEG has no alpha channel (a HEIC may have one)
                image = image.convert("RGB")
        extension, _content_type = ALLOWED_FORMATS[image_format]
        options = {"icc_profile": image.info["icc_profile"]} if image.info.get("icc_profile") else {}
        if image_format == "JPEG":
            options.update(quality=90)
        elif image_format == "WEBP":
            options.update(quality=90, lossless=bool(image.info.get("lossless")))
        buffer = io.BytesIO()
        image.save(buffer, format=image_format, **options)
        thumbnail = _thumbnail(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, KeyError, Image.DecompressionBombError):
        raise ValidationError(
            _("The file %(name)s is not a valid image.") % {"name": upload.name}, code="photo_invalid"
        ) from None
    finally:
        upload.seek(0)
    return StoredPhoto(
        image=ContentFile(buffer.getvalue(), name=f"photo.{extension}"),
        thumbnail=thumbnail,
        taken_at=taken_at,
        latitude=latitude,
        longitude=longitude,
    )


def _thumbnail(image) -> ContentFile:
    """A JPEG of at most 320×320 for lists."""
    small = image.convert("RGB")
    small.thumbnail(THUMBNAIL_SIZE)
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=80)
    return ContentFile(buffer.getvalue(), name="thumb.jpg")


def _exif_metadata(image) -> tuple[datetime | None, tuple[Decimal | None, Decimal | None]]:
    """What the camera wrote: capture time and GPS position, each None when absent or unreadable."""
    try:
        exif = image.getexif()
        return _exif_taken_at(exif), _exif_position(exif)
    except Exception:  # metadata is optional: a malformed EXIF block must not refuse the photo
        return None, (None, None)


def _exif_taken_at(exif) -> datetime | None:
    """EXIF DateTimeOriginal (else DateTime), read as the portal's local time."""
    raw = exif.get_ifd(IFD.Exif).get(Base.DateTimeOriginal) or exif.get(Base.DateTime)
    if not raw:
        return None
    try:
        return timezone.make_aware(datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S"))
    except (ValueError, OverflowError):
        return None


def _exif_position(exif) -> tuple[Decimal | None, Decimal | None]:
    """The GPS position in degrees to 6 places (the models' precision), or (None, None)."""
    gps = exif.get_ifd(IFD.GPSInfo)

    def degrees(value, ref, negative, bound):
        try:
            d, m, s = (Decimal(str(float(part))) for part in value)
            result = (d + m / 60 + s / 3600) * (-1 if str(ref).upper().startswith(negative) else 1)
            result = result.quantize(Decimal("0.000001"))
            return result if abs(result) <= bound else None
        except (TypeError, ValueError, ZeroDivisionError, InvalidOperation):
            return None

    latitude = degrees(gps.get(GPS.GPSLatitude), gps.get(GPS.GPSLatitudeRef, "N"), "S", 90)
    longitude = degrees(gps.get(GPS.GPSLongitude), gps.get(GPS.GPSLongitudeRef, "E"), "W", 180)
    if latitude is None or longitude is None:
        return None, None
    return latitude, longitude


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


# --- documents (PDF drawings and reports) ---


def validate_document(upload) -> None:
    """A PDF attachment: at most 20 MB and a PDF by its content (the ``%PDF-`` header), whatever its name or the
    content type the client claimed. It is stored under a random name and only ever served as a download
    (``serve_private_document``), so a browser never renders it inline on the portal's origin."""
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            _("The file %(name)s is larger than 20 MB.") % {"name": upload.name}, code="document_too_large"
        )
    try:
        upload.seek(0)
        head = upload.read(1024)
    finally:
        upload.seek(0)
    if b"%PDF-" not in head[:1024]:
        raise ValidationError(
            _("The file %(name)s is not a PDF document.") % {"name": upload.name}, code="document_type"
        )


def serve_private_document(field_file, download_name: str = "document.pdf") -> FileResponse:
    """Stream a stored PDF as a download, never rendered on the portal's origin."""
    response = FileResponse(
        field_file.open("rb"), content_type="application/pdf", as_attachment=True, filename=download_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
