from notifications.models import Notification
from renovation_portal.serializers import StrictModelSerializer


class NotificationSerializer(StrictModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at"]
