"""Demo inspections: the district housing bureau's six groups, checklists for the three tiers (tier 2 in two
versions), filed inspections of all tiers on the demo projects with issues in every state (some overdue), and
this week's unannounced round. Idempotent: keyed on natural keys."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from communities.choices import InspectionTier, RoleKind
from communities.models import District, User
from inspections import events, services
from inspections.choices import InspectionStatus, IssueAction, IssueStatus, Outcome, Severity
from inspections.models import (
    ChecklistItem,
    ChecklistTemplate,
    Inspection,
    InspectionGroup,
    InspectionResult,
    IssueEvent,
    RectificationIssue,
)
from projects.models import Project

CHECKLISTS = {
    ("施工现场巡查表", InspectionTier.SITE, 1): [
        ("fencing", "施工围挡完整、警示标识齐全"),
        ("dust", "裸土覆盖、道路洒水降尘"),
        ("materials", "材料堆放整齐、不占消防通道"),
        ("residents", "居民出行通道畅通、安全"),
    ],
    ("区级“四不两直”检查表", InspectionTier.DISTRICT, 1): [
        ("pipes", "管网敷设符合设计"),
        ("road", "道路面层平整无开裂"),
        ("safety", "临边洞口防护到位"),
    ],
    ("区级“四不两直”检查表", InspectionTier.DISTRICT, 2): [
        ("pipes", "管网敷设符合设计、试压记录齐全"),
        ("road", "道路面层平整无开裂"),
        ("safety", "临边洞口防护到位"),
        ("dig_once", "管线同步开挖、避免反复开挖"),
        ("facade", "外立面施工质量"),
    ],
    ("中期专项评估表", InspectionTier.LEADERSHIP, 1): [
        ("schedule", "工期进度（20分）", 20),
        ("quality", "工程质量（30分）", 30),
        ("funds", "资金使用（20分）", 20),
        ("satisfaction", "居民满意度（30分）", 30),
    ],
}


def _checklists():
    templates = {}
    for (name, tier, version), items in CHECKLISTS.items():
        template, _ = ChecklistTemplate.objects.get_or_create(name=name, version=version, defaults={"tier": tier})
        for position, spec in enumerate(items, start=1):
            code, text = spec[0], spec[1]
            ChecklistItem.objects.get_or_create(
                template=template,
                code=code,
                defaults={
                    "position": position,
                    "text": text,
                    "kind": "score" if len(spec) == 3 else "pass_fail",
                    "max_score": spec[2] if len(spec) == 3 else 0,
                },
            )
        templates[(tier, version)] = template
    return templates


def _filed(project, tier, template, group, inspector, day, issues, score_results=None):
    inspection, created = Inspection.objects.get_or_create(
        project=project,
        tier=tier,
        planned_date=day,
        week=None,
        defaults={
            "template": template,
            "group": group,
            "status": InspectionStatus.FILED,
            "inspector": inspector,
            "filed_at": timezone.now() - timedelta(days=1),
        },
    )
    if not created:
        return inspection
    failed = {code for code, *_ in issues}
    for item in template.items.all():
        if item.kind == "score":
            InspectionResult.objects.create(
                inspection=inspection, item=item, score=(score_results or {}).get(item.code, item.max_score - 3)
            )
        else:
            InspectionResult.objects.create(
                inspection=inspection, item=item, outcome=Outcome.FAIL if item.code in failed else Outcome.PASS
            )
    if score_results is not None:
        inspection.score = sum(r.score for r in inspection.results.all())
        inspection.save(update_fields=["score"])
    items = {item.code: item for item in template.items.all()}
    for code, text, severity, state, deadline_offset in issues:
        issue = RectificationIssue.objects.create(
            inspection=inspection,
            project=project,
            contractor_id=project.contractor_id,
            item=items.get(code),
            kind=code,
            description=text,
            location="2号楼东侧",
            severity=severity,
            tier=tier,
            created_at=timezone.make_aware(datetime.combine(day, time(10, 0))),
            deadline=timezone.localdate() + timedelta(days=deadline_offset),
            status=state,
            rectification_note="已整改，见照片。" if state != IssueStatus.OPEN else "",
            submitted_at=timezone.now() if state != IssueStatus.OPEN else None,
            closed_at=timezone.now() if state == IssueStatus.CLOSED else None,
            closed_by=inspector if state == IssueStatus.CLOSED else None,
        )
        opened = IssueEvent.objects.create(issue=issue, action=IssueAction.OPENED, actor=inspector)
        _tell(issue, opened, state, inspector)
    return inspection


def _tell(issue, opened, state, inspector) -> None:
    """The issue's history as the services would have written it, and the notifications of each step (so the demo
    inboxes and demo-mail/ hold them): assigned; evidence submitted by the contractor; verified and closed."""
    events.issue_assigned(issue=issue, event=opened, actor=inspector)
    if state == IssueStatus.OPEN:
        return
    contractor = (
        User.objects.filter(roles__kind=RoleKind.CONTRACTOR, roles__company_id=issue.contractor_id)
        .order_by("pk")
        .first()
    )
    submitted = IssueEvent.objects.create(
        issue=issue, action=IssueAction.SUBMITTED, actor=contractor, note=issue.rectification_note
    )
    events.evidence_submitted(issue=issue, event=submitted, actor=contractor)
    if state == IssueStatus.CLOSED:
        closed = IssueEvent.objects.create(issue=issue, action=IssueAction.CLOSED, actor=inspector)
        events.issue_closed(issue=issue, event=closed, actor=inspector)


def load(stdout=None) -> dict:
    district = District.objects.get(code="350203")
    inspector = User.objects.get(username="inspector")
    secretary = User.objects.get(username="secretary")
    templates = _checklists()
    groups = []
    for name in "一二三四五六":
        group, _ = InspectionGroup.objects.get_or_create(
            name=f"区住建局第{name}检查组", defaults={"tier": InspectionTier.DISTRICT, "district": district}
        )
        groups.append(group)
    groups[0].members.add(inspector)
    patrol, _ = InspectionGroup.objects.get_or_create(
        name="厦禾社区现场巡查组", defaults={"tier": InspectionTier.SITE, "district": district}
    )
    patrol.members.add(secretary)
    panel, _ = InspectionGroup.objects.get_or_create(
        name="区分管领导中期评估专班", defaults={"tier": InspectionTier.LEADERSHIP, "district": district}
    )
    today = timezone.localdate()
    zca = Project.objects.filter(compound__code="ZCA-ZCAXL").first()
    jmhy = Project.objects.filter(compound__code="XH-JMHY").first()
    hlr = Project.objects.filter(compound__code="LX-HLR").first()
    if zca:
        _filed(
            zca,
            InspectionTier.DISTRICT,
            templates[(InspectionTier.DISTRICT, 2)],
            groups[0],
            inspector,
            today - timedelta(days=12),
            [
                ("safety", "沟槽临边未设防护栏", Severity.SERIOUS, IssueStatus.OPEN, -6),
                ("dig_once", "燃气管道与雨污管网未同步开挖", Severity.MAJOR, IssueStatus.SUBMITTED, 1),
                ("road", "路面局部沉降", Severity.MINOR, IssueStatus.CLOSED, 5),
            ],
        )
        _filed(
            zca,
            InspectionTier.SITE,
            templates[(InspectionTier.SITE, 1)],
            patrol,
            secretary,
            today - timedelta(days=3),
            [("dust", "裸土未覆盖", Severity.MINOR, IssueStatus.OPEN, 1)],
        )
    if jmhy:
        _filed(
            jmhy,
            InspectionTier.DISTRICT,
            templates[(InspectionTier.DISTRICT, 1)],
            groups[1],
            inspector,
            today - timedelta(days=30),
            [
                ("road", "充电桩区域地面不平", Severity.MINOR, IssueStatus.CLOSED, -20),
                ("safety", "楼道堆放建材", Severity.MAJOR, IssueStatus.OPEN, -4),
            ],
        )
    if hlr:
        _filed(
            hlr,
            InspectionTier.LEADERSHIP,
            templates[(InspectionTier.LEADERSHIP, 1)],
            panel,
            inspector,
            today - timedelta(days=200),
            [],
            score_results={"schedule": 18, "quality": 27, "funds": 19, "satisfaction": 29},
        )
    services.plan_weekly_round(week=today, district_id=district.pk)
    # Today's reminders, so every demo inbox has something in it (each is sent once: reruns add nothing).
    from inspections import sweeps

    for sweep in (sweeps.remind_inspectors, sweeps.remind_contractors, sweeps.escalate_overdue, sweeps.weekly_digest):
        sweep()
    return {}
