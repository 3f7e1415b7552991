"""Event notifications: each event tells the right people once — in the inbox with a link to its object, and by
e-mail after the commit — tells nobody else, and tells nobody when the change is refused or rolled back."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from communities.choices import RoleKind
from consultations import events as consultation_events
from consultations import services as consultations
from consultations.choices import Channel, MeetingKind
from consultations.choices import NotificationKind as CK
from inspections import services as inspections
from inspections.choices import NotificationKind as IK
from inspections.models import RectificationIssue
from notifications.models import Notification
from projects.models import Project
from renovation_portal.errors import DomainError
from tests import factories as f
from tests.notifications.conftest import file_finding, with_email

pytestmark = pytest.mark.django_db


def told(kind):
    """{recipient id} of the notifications of a kind."""
    return set(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def mailed_to():
    return sorted(address for message in mail.outbox for address in message.to)


@pytest.fixture
def issue(inspection, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        file_finding(people["inspector"], inspection)
    mail.outbox.clear()
    return RectificationIssue.objects.get()


# --- the inspections' events ---


def test_filing_a_finding_tells_the_contractors_people_at_once(inspection, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        file_finding(people["inspector"], inspection)
    issue = RectificationIssue.objects.get()
    assert told(IK.ISSUE_ASSIGNED) == {people["contractor"].pk, people["contractor_2"].pk}
    note = Notification.objects.get(kind=IK.ISSUE_ASSIGNED, recipient=people["contractor"])
    assert note.url == reverse("inspections:issue-detail", args=[issue.pk]) and "护栏缺失" in note.title
    assert note.emailed_at is not None and len(callbacks) == 1  # one delivery task for the event
    assert mailed_to() == sorted([people["contractor"].email, people["contractor_2"].email])
    assert Notification.objects.count() == 2  # nobody else: not company_b, not the inspectors


def test_a_deactivated_account_is_not_told(inspection, people, django_capture_on_commit_callbacks):
    """Events, like reminders, skip an account that was deactivated (a contractor who left the company)."""
    people["contractor_2"].is_active = False
    people["contractor_2"].save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        file_finding(people["inspector"], inspection)
    assert told(IK.ISSUE_ASSIGNED) == {people["contractor"].pk}
    assert mailed_to() == [people["contractor"].email]


def test_a_refused_filing_tells_nobody(inspection, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        file_finding(people["inspector"], inspection, findings=False)  # a failed item without its finding
    assert not Notification.objects.exists() and not mail.outbox


def test_evidence_tells_the_inspector_and_the_group(issue, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(DomainError):
            inspections.issue_submit_rectification(actor=people["contractor"], issue=issue, note="修好了")  # no photo
        assert not told(IK.EVIDENCE_SUBMITTED)
        inspections.issue_submit_rectification(
            actor=people["contractor"], issue=issue, note="已加装护栏", photos=[f.photo_file()]
        )
    assert told(IK.EVIDENCE_SUBMITTED) == {people["inspector"].pk, people["group_member"].pk}
    note = Notification.objects.get(kind=IK.EVIDENCE_SUBMITTED, recipient=people["inspector"])
    assert note.body == "已加装护栏" and note.url == reverse("inspections:issue-detail", args=[issue.pk])
    assert mailed_to() == sorted([people["inspector"].email, people["group_member"].email])


def test_sent_back_tells_the_contractor_the_reason_and_closing_tells_them_too(
    issue, people, django_capture_on_commit_callbacks
):
    contractor, inspector = people["contractor"], people["inspector"]
    inspections.issue_submit_rectification(actor=contractor, issue=issue, note="好了", photos=[f.photo_file()])
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(DomainError):
            inspections.issue_send_back(actor=inspector, issue=issue, note="  ")  # no reason: refused
        assert not told(IK.ISSUE_SENT_BACK)
        inspections.issue_send_back(actor=inspector, issue=issue, note="护栏高度不够1.2米")
    assert told(IK.ISSUE_SENT_BACK) == {contractor.pk, people["contractor_2"].pk}
    assert "护栏高度不够1.2米" in Notification.objects.get(kind=IK.ISSUE_SENT_BACK, recipient=contractor).body
    assert "护栏高度不够1.2米" in mail.outbox[0].body
    inspections.issue_submit_rectification(actor=contractor, issue=issue, note="加高", photos=[f.photo_file()])
    inspections.issue_send_back(actor=inspector, issue=issue, note="还是不够")  # a second send-back: a new event
    assert Notification.objects.filter(kind=IK.ISSUE_SENT_BACK, recipient=contractor).count() == 2
    inspections.issue_submit_rectification(actor=contractor, issue=issue, note="再加高", photos=[f.photo_file()])
    inspections.issue_verify(actor=inspector, issue=issue)
    with pytest.raises(DomainError):
        inspections.issue_verify(actor=inspector, issue=issue)  # closed already: refused, nobody told again
    assert told(IK.ISSUE_CLOSED) == {contractor.pk, people["contractor_2"].pk}
    assert Notification.objects.filter(kind=IK.ISSUE_CLOSED).count() == 2
    assert not told(IK.ISSUE_ASSIGNED) & {people["contractor_b"].pk, inspector.pk}


def test_a_change_rolled_back_after_its_notification_leaves_none(issue, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        inspections.issue_submit_rectification(
            actor=people["contractor"], issue=issue, note="好了", photos=[f.photo_file()]
        )
        assert told(IK.EVIDENCE_SUBMITTED)  # written with the change …
        raise RuntimeError("the request failed after the service")
    assert not told(IK.EVIDENCE_SUBMITTED) and not mail.outbox  # … and gone with it, never e-mailed
    assert RectificationIssue.objects.get(pk=issue.pk).status == "open"


# --- the consultations' events ---


def test_an_assigned_problem_tells_the_assignee(tree, people, django_capture_on_commit_callbacks):
    official = people["subdistrict_official"]
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(DomainError):
            consultations.problem_record(
                actor=people["community_secretary"],
                compound=tree["compound_a"],
                description="楼道漏水",
                channel=Channel.HOTLINE,
                assigned_to=people["contractor"],  # not staff of the compound: refused
            )
        assert not Notification.objects.exists()
        problem = consultations.problem_record(
            actor=people["community_secretary"],
            compound=tree["compound_a"],
            description="楼道漏水",
            channel=Channel.HOTLINE,
            assigned_to=official,
        )
    assert told(CK.PROBLEM_ASSIGNED) == {official.pk} and Notification.objects.count() == 1
    assert Notification.objects.get().url == reverse("consultations:problem-detail", args=[problem.pk])
    assert mailed_to() == [official.email]
    mine = consultations.problem_record(
        actor=official,
        compound=tree["compound_a"],
        description="路灯不亮",
        channel=Channel.HOTLINE,
        assigned_to=official,
    )
    assert Notification.objects.filter(subject_key=f"problem:{mine.pk}").count() == 0  # assigned to oneself


def test_an_answer_tells_who_recorded_the_problem_once_and_again_when_resolved(tree, people):
    secretary, official = people["community_secretary"], people["subdistrict_official"]
    problem = consultations.problem_record(
        actor=secretary, compound=tree["compound_a"], description="楼道漏水", channel="hotline", assigned_to=official
    )
    with pytest.raises(DomainError):
        consultations.problem_answer(actor=official, problem=problem, answer=" ")
    assert not told(CK.PROBLEM_ANSWERED)
    consultations.problem_answer(actor=official, problem=problem, answer="已安排维修")
    consultations.problem_answer(actor=official, problem=problem, answer="已安排维修，周三上门")  # a correction
    assert told(CK.PROBLEM_ANSWERED) == {secretary.pk}
    assert Notification.objects.filter(kind=CK.PROBLEM_ANSWERED).count() == 1
    consultations.problem_answer(actor=official, problem=problem, answer="已修好", resolved=True)
    resolved = Notification.objects.filter(kind=CK.PROBLEM_ANSWERED, period_key="resolved").get()
    assert resolved.recipient == secretary and resolved.body == "已修好"


def test_a_meeting_to_come_tells_the_communitys_secretaries_and_hooked_leaders(
    tree, people, django_capture_on_commit_callbacks
):
    liaison = with_email(f.user_with_role(RoleKind.SUBDISTRICT_OFFICIAL, subdistrict=tree["sub_a"]))
    Project.objects.get(compound=tree["compound_a"]).liaisons.add(liaison)
    convener = people["community_secretary"]
    kwargs = {"actor": convener, "compound": tree["compound_a"], "kind": MeetingKind.TEA_MEETING, "place": "活动室"}
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(DomainError):
            consultations.meeting_log(**kwargs, held_at=timezone.now() + timedelta(days=90))  # too far ahead
        consultations.meeting_log(**kwargs, held_at=timezone.now() - timedelta(days=1))  # already held: no news
        assert not Notification.objects.exists()
        meeting = consultations.meeting_log(**kwargs, held_at=timezone.now() + timedelta(days=7))
    assert told(CK.MEETING_SCHEDULED) == {people["secretary_2"].pk, liaison.pk}  # not the convener
    assert Notification.objects.filter(kind=CK.MEETING_SCHEDULED).first().url == reverse(
        "consultations:meeting-detail", args=[meeting.pk]
    )
    assert mailed_to() == sorted([people["secretary_2"].email, liaison.email])
    # Moved (once per new time and place) and cancelled, for the meetings' own services to call:
    meeting.held_at += timedelta(days=1)
    assert len(consultation_events.meeting_moved(meeting=meeting, actor=convener)) == 2
    assert consultation_events.meeting_moved(meeting=meeting, actor=convener) == []
    assert len(consultation_events.meeting_cancelled(meeting=meeting, actor=convener, reason="台风")) == 2
    assert set(Notification.objects.filter(kind=CK.MEETING_CANCELLED).values_list("body", flat=True)) == {"台风"}


# --- the inbox ---


def test_the_inbox_shows_the_events_with_their_links_and_the_unread_count(issue, people, client, api_as):
    contractor = people["contractor"]
    note = Notification.objects.get(kind=IK.ISSUE_ASSIGNED, recipient=contractor)
    client.force_login(contractor)
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert reverse("notifications:open", args=[note.pk]) in page and "护栏缺失" in page
    assert 'data-testid="nav-badge"' in page and 'data-testid="inbox-unread"' in page
    listed = api_as(contractor).get("/api/v1/notifications/", {"kind": IK.ISSUE_ASSIGNED}).json()["results"]
    assert [row["url"] for row in listed] == [reverse("inspections:issue-detail", args=[issue.pk])]
    opened = client.get(reverse("notifications:open", args=[note.pk]))  # the item opens the issue, now read
    assert opened.status_code == 302 and opened.url == reverse("inspections:issue-detail", args=[issue.pk])
    note.refresh_from_db()
    assert note.read_at is not None
    inbox_entry = (
        client.get(reverse("notifications:inbox")).content.decode().split(f'href="{reverse("notifications:inbox")}"')[1]
    )
    assert 'data-testid="nav-badge"' not in inbox_entry.split("</a>")[0]  # (the open issue keeps its own count)
    other = Notification.objects.get(kind=IK.ISSUE_ASSIGNED, recipient=people["contractor_2"])
    assert client.get(reverse("notifications:open", args=[other.pk])).status_code == 404  # not one's own
    client.force_login(people["contractor_b"])
    assert "护栏缺失" not in client.get(reverse("notifications:inbox")).content.decode()
