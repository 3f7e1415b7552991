from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from notifications import selectors, services
from notifications.api import serializers as s
from notifications.kinds import kind_choices
from notifications.models import Notification


def _settings_body(user) -> dict:
    current = services.preferences_of(user)
    return {
        "inbox": True,
        "has_email": bool(user.email),
        "kinds": [{"kind": kind, "label": str(label), "channels": current[kind]} for kind, label in kind_choices()],
    }


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The user's inbox; ``read`` marks everything read, ``open`` one notification; ``settings`` says which kinds
    are also e-mailed."""

    serializer_class = s.NotificationSerializer
    queryset = Notification.objects.none()
    filterset_fields = ["kind"]

    def get_queryset(self):
        return selectors.inbox(self.request.user)

    @extend_schema(request=None, responses={204: None})
    @action(detail=False, methods=["post"], filterset_fields=[], pagination_class=None)
    def read(self, request):
        services.inbox_mark_all_read(actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.NotificationSerializer})
    @action(detail=True, methods=["post"], url_path="open", filterset_fields=[], pagination_class=None)
    def open(self, request, pk=None):
        """Mark one of the user's notifications read (as opening it from the web inbox does); 404 for another's."""
        notification = self.get_object()  # from the user's own inbox: another's is 404
        services.notification_mark_read(actor=request.user, notification=notification)
        notification.refresh_from_db(fields=["read_at"])
        return Response(s.NotificationSerializer(notification).data)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: s.NotificationSettingsSerializer},
        description="The user's channel choices: every kind reaches the inbox; each may also be e-mailed (default: "
        "yes, when the account has an e-mail address).",
    )
    @extend_schema(
        methods=["POST"],
        request=s.NotificationSettingsUpdateSerializer,
        responses={200: s.NotificationSettingsSerializer},
        description="Change the user's channel choices for the kinds named; answers with all of them.",
    )
    @action(
        detail=False,
        methods=["get", "post"],
        url_path="settings",
        url_name="settings",
        filterset_fields=[],
        pagination_class=None,
    )
    def notification_settings(self, request):
        if request.method == "POST":
            serializer = s.NotificationSettingsUpdateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.preferences_update(actor=request.user, choices=serializer.validated_data["choices"])
        return Response(_settings_body(request.user))
