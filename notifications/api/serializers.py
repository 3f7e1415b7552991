from rest_framework import serializers

from notifications.models import Notification
from renovation_portal.serializers import StrictModelSerializer, StrictSerializer


class NotificationSerializer(StrictModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at"]


class KindPreferenceSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="The notification kind (as in a notification's ``kind``).")
    label = serializers.CharField(help_text="The kind's name, in the request's language.")
    channels = serializers.DictField(
        child=serializers.BooleanField(),
        help_text='Per channel besides the inbox (now "email"): whether this kind is sent through it.',
    )


class NotificationSettingsSerializer(serializers.Serializer):
    inbox = serializers.BooleanField(help_text="Always true: every kind reaches the inbox.")
    has_email = serializers.BooleanField(help_text="Whether the account has an e-mail address to send to.")
    kinds = KindPreferenceSerializer(many=True)


class NotificationSettingsUpdateSerializer(StrictSerializer):
    choices = serializers.DictField(
        child=serializers.DictField(child=serializers.BooleanField()),
        help_text='{kind: {channel: on?}}, e.g. {"issue_closed": {"email": false}}. Kinds and channels not named '
        "keep their setting.",
    )
