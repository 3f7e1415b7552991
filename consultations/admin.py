from django.contrib import admin

from consultations.models import Ballot, Meeting, Need, Owner, OwnerUnit, ResidentProblem, Topic, Vote


class ScopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.visible_to(request.user)


@admin.register(Topic)
class TopicAdmin(ScopedAdmin):
    list_display = ["title", "compound", "step", "updated_at"]
    list_filter = ["step"]
    search_fields = ["title", "compound__name"]
    # Steps move only through the seven-step service (order, records, history).
    readonly_fields = ["step"]


@admin.register(Vote)
class VoteAdmin(ScopedAdmin):
    list_display = ["title", "topic", "matter_type", "electorate", "status", "result"]
    readonly_fields = ["status", "result", "opened_at", "closed_at"]


@admin.register(Ballot)
class BallotAdmin(ScopedAdmin):
    list_display = ["voter", "choice", "channel", "entered_by", "cast_at"]

    def has_add_permission(self, request):
        return False  # ballots are entered through ballot_record (electorate, open vote, the scan checked)

    def has_change_permission(self, request, obj=None):
        return False


for model, fields in (
    (Need, ["content", "compound", "channel", "category"]),
    (Meeting, ["compound", "kind", "held_at", "minutes_published_at"]),
    (Owner, ["name", "compound", "kind"]),
    (OwnerUnit, ["compound", "building", "unit", "owner_name", "area", "retired_at"]),
    (ResidentProblem, ["description", "compound", "status", "created_at"]),
):
    admin.site.register(model, ScopedAdmin, list_display=fields)
