"""Base serializers of the API: a body with a key that is no field of the operation is refused (400, code
``unknown_field``) instead of being silently dropped, so a client's typo never looks like a successful save.
Read-only fields are accepted and ignored: a client may send back what it read."""

from rest_framework import serializers
from rest_framework.exceptions import ValidationError


class StrictFieldsMixin:
    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise ValidationError(
                    {name: [ValidationError("Unknown field.", code="unknown_field").detail[0]] for name in unknown}
                )
        return super().to_internal_value(data)


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    pass
