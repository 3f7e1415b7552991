"""Strip EXIF (GPS position, camera data) from photos stored before uploads were re-encoded on save.

Run once after upgrading: ``python manage.py strip_photo_metadata``. It finds every model field that stores
private photos (``upload_to=private_upload_to(...)``, so no app is imported here), rewrites each stored file that
still carries EXIF or XMP as ``uploads.store_photo`` would (upright, no metadata), rewrites its thumbnail upright
too, and fills empty ``taken_at`` / ``latitude`` / ``longitude`` fields from what the camera wrote. A second run
finds nothing to do.
"""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import models
from PIL import Image, UnidentifiedImageError

from renovation_portal.uploads import private_upload_to, store_photo


def _has_metadata(field_file) -> bool:
    try:
        with field_file.open("rb"), Image.open(field_file) as image:
            return bool(image.getexif()) or "xmp" in image.info or "exif" in image.info
    except (FileNotFoundError, UnidentifiedImageError, OSError):
        return False


def _overwrite(field_file, content: bytes) -> None:
    with field_file.storage.open(field_file.name, "wb") as out:
        out.write(content)


class Command(BaseCommand):
    help = "Remove EXIF and XMP metadata (GPS, camera) from stored photos, keeping capture time and position as fields."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            names = {field.name for field in model._meta.get_fields()}
            for field in model._meta.get_fields():
                if (
                    not isinstance(field, models.FileField)
                    or not isinstance(field.upload_to, private_upload_to)
                    or field.name == "thumbnail"
                ):
                    continue
                for record in model._default_manager.exclude(**{field.name: ""}).iterator(chunk_size=200):
                    if self._strip(record, field.name, names):
                        total += 1
        self.stdout.write(f"{total} photo(s) stripped of metadata.")

    def _strip(self, record, field_name: str, names: set[str]) -> bool:
        field_file = getattr(record, field_name)
        if not _has_metadata(field_file):
            return False
        try:
            with field_file.open("rb"):
                stored = store_photo(field_file)
        except ValidationError:
            self.stderr.write(f"{record._meta.label} {record.pk}: {field_file.name} cannot be decoded; left as is.")
            return False
        _overwrite(field_file, stored.image.read())
        if "thumbnail" in names and record.thumbnail:
            _overwrite(record.thumbnail, stored.thumbnail.read())
        changed = []
        for name in ("taken_at", "latitude", "longitude"):
            if name in names and getattr(record, name) is None and getattr(stored, name) is not None:
                setattr(record, name, getattr(stored, name))
                changed.append(name)
        if changed:
            record.save(update_fields=changed)
        return True
