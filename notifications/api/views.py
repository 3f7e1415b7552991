from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from notifications import selectors, services
from notifications.api import serializers as s
from notifications.models import Notification


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The user's inbox; ``read`` marks everything read."""

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
