"""Personal data: who may see residents' phone numbers and ID-like fields in full, and how others see them."""

from communities.choices import RoleKind
from communities.scoping import get_scope

# Officials and community secretaries work with residents by name and phone; contractors and inspectors do not
# need residents' numbers, and the public never sees them.
PERSONAL_DATA_ROLES = (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL, RoleKind.COMMUNITY_SECRETARY)


def may_see_personal_data(user) -> bool:
    return user is not None and user.is_authenticated and get_scope(user).has_role(*PERSONAL_DATA_ROLES)


def mask_phone(value: str) -> str:
    """13912345678 → 139****5678; short values keep only their last two characters."""
    if not value:
        return value
    if len(value) >= 7:
        return f"{value[:3]}****{value[-4:]}"
    return "*" * (len(value) - 2) + value[-2:]


def mask_id_number(value: str) -> str:
    """A resident ID number keeps its first 6 and last 4 characters (the usual Chinese display rule)."""
    if not value or len(value) <= 10:
        return "*" * len(value or "")
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


class MaskPersonalDataMixin:
    """For serializers: ``masked_fields`` are masked unless the requesting user may see personal data."""

    masked_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        self.postprocess_rows([data], self.context)
        return data

    @classmethod
    def postprocess_rows(cls, rows: list[dict], context: dict) -> None:
        """Mask the rows in place (also the values() lists of renovation_portal/values_lists.py)."""
        request = context.get("request")
        if not may_see_personal_data(getattr(request, "user", None)):
            for data in rows:
                for name in cls.masked_fields:
                    if data.get(name):
                        data[name] = mask_phone(data[name])
