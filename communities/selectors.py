"""Reads of place-tree data for pages: already scoped, each a fixed number of aggregate queries."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from communities.choices import BoardRole, OwnersBodyKind, PropertyMode, RoleKind
from communities.models import (
    BoardContact,
    Building,
    BuildingLead,
    Community,
    Compound,
    District,
    OwnersBody,
    PartyBranch,
    PropertyService,
    Role,
    Subdistrict,
    TaskForce,
    User,
)
from communities.scoping import get_scope
from communities.today import SUMMARY, TODO, TodayItem, TodaySection, section_rows, todo_total

# A compound's property mode as a column: its current property service's mode, none without one. The service
# record is the one place the mode is stored (Compound.property_mode reads the same for one compound).
PROPERTY_MODE = Coalesce(F("property_service__mode"), Value(PropertyMode.NONE))


def with_property_mode(compounds):
    """Compounds with their property mode as the column ``property_mode_value`` (for exports)."""
    return compounds.annotate(property_mode_value=PROPERTY_MODE)


def place_totals(user) -> dict:
    """Compounds, buildings, households and residents in the user's scope (one query)."""
    totals = Compound.objects.visible_to(user).aggregate(
        compounds=Count("id"),
        buildings=Sum("building_count"),
        households=Sum("household_count"),
        residents=Sum("resident_count"),
        without_property=Count(
            "id", filter=Q(property_service__isnull=True) | Q(property_service__mode=PropertyMode.NONE)
        ),
    )
    return {key: value or 0 for key, value in totals.items()}


def subdistrict_summaries(user):
    """Each visible subdistrict with its communities, compounds and households (one query)."""
    return (
        Subdistrict.objects.visible_to(user)
        .annotate(
            community_total=Count("communities", distinct=True),
            compound_total=Count("communities__compounds"),
            household_total=Sum("communities__compounds__household_count"),
        )
        .order_by("code")
    )


def community_summaries(user):
    """Each visible community with its compounds and households (one query)."""
    return (
        Community.objects.visible_to(user)
        .select_related("subdistrict")
        .annotate(compound_total=Count("compounds"), household_total=Sum("compounds__household_count"))
        .order_by("subdistrict__code", "code")
    )


def compound_list(user):
    return Compound.objects.visible_to(user).select_related(
        "community__subdistrict", "party_branch", "owners_body", "property_service"
    )


def compound_detail_queryset(user):
    return compound_list(user).select_related("property_service__company")


def user_roles(user):
    return list(
        Role.objects.filter(user=user).select_related(
            "province", "city", "district", "subdistrict", "community", "company"
        )
    )


# The home page's "today" sections of the apps above this one (an inspector's rounds, a contractor's issues, a
# secretary's minutes due ...), registered in their AppConfig.ready(): ``section(user, scope)`` returns a list of
# communities.today.TodaySection, empty when the user's roles have nothing there. Each section is one query.
_HOME_SECTIONS: list = []


def register_home_section(section) -> None:
    if section not in _HOME_SECTIONS:
        _HOME_SECTIONS.append(section)


# The public compound page's sections of the apps above the one that renders it (aftercare's service form, income
# and activities), registered in their AppConfig.ready(): ``section(compound)`` returns ``{"template": ..., ...}``
# (the template is included with the dict as ``section``) or None when the app has nothing to show for it.
_PUBLIC_SECTIONS: list = []


def register_public_section(section) -> None:
    if section not in _PUBLIC_SECTIONS:
        _PUBLIC_SECTIONS.append(section)


def public_sections(compound) -> list[dict]:
    """The registered apps' sections of a compound's public page, in registration order (None: left out)."""
    return [found for section in _PUBLIC_SECTIONS if (found := section(compound)) is not None]


def today_sections(user) -> list[TodaySection]:
    """The user's "today" list (今日待办): every registered section for the roles the user holds, in page order.
    The web home page and ``GET /api/v1/today/`` both show it."""
    scope = get_scope(user)
    sections = [section for contribute in _HOME_SECTIONS for section in contribute(user, scope)]
    return sorted(sections, key=lambda section: section.position)


def home_context(user) -> dict:
    """What the home page shows: the user's roles and today's sections (a fixed number of queries)."""
    sections = today_sections(user)
    todo = [section for section in sections if section.kind == TODO]
    return {
        "roles": user_roles(user),
        "scope": get_scope(user),
        "todo_sections": [section for section in todo if section.count],
        "summary_sections": [section for section in sections if section.kind != TODO],
        "todo_total": todo_total(sections),
        "today": timezone.localdate(),
    }


def my_compounds_section(user, scope) -> list[TodaySection]:
    """A community secretary's compounds, below the day's list: the way to each compound page (one query)."""
    if RoleKind.COMMUNITY_SECRETARY not in scope.role_kinds:
        return []
    rows, count = section_rows(compound_list(user).order_by("code"), limit=20)
    return [
        TodaySection(
            key="my_compounds",
            title=gettext("My compounds"),
            count=count,
            kind=SUMMARY,
            items=tuple(
                TodayItem(
                    title=compound.name,
                    url=reverse("communities:compound-detail", args=[compound.pk]),
                    detail=f"{compound.community.name} · "
                    + (gettext("Party branch") + " ✓" if compound.party_branch_id else gettext("No party branch")),
                )
                for compound in rows
            ),
            more_url=reverse("communities:compound-list"),
            position=90,
        )
    ]


def people(user):
    """The users on ``user``'s people page, with their roles and the places those are bound to (two queries)."""
    return (
        User.objects.visible_to(user)
        .prefetch_related(
            Prefetch(
                "roles",
                queryset=Role.objects.select_related(
                    "province", "city", "district", "subdistrict", "community", "company"
                ).order_by("pk"),
            )
        )
        .order_by("username")
    )


PLACE_MODELS = {"district": District, "subdistrict": Subdistrict, "community": Community, "compound": Compound}


def task_forces(user):
    return (
        TaskForce.objects.visible_to(user)
        .select_related("district", "subdistrict", "community", "compound")
        .prefetch_related("members__user")
    )


# --- Building leads (楼栋长) and contact boards (亮牌) ---


@dataclass(frozen=True)
class BoardLine:
    """One role on a building's contact board: who to ask and the phone the role publishes ("" when none)."""

    role: str
    label: str
    name: str
    phone: str

    @property
    def filled(self) -> bool:
        return bool(self.name)


def _body_defaults(compound: Compound) -> dict[str, tuple[str, str]]:
    """The label and the name the board shows for each governance body when no entry names someone else."""
    branch, body, service = compound.party_branch, compound.owners_body, compound.property_service
    defaults = {
        BoardRole.PARTY_BRANCH: (
            str(BoardRole.PARTY_BRANCH.label),
            f"{branch.name} · {branch.secretary_name}" if branch else "",
        ),
        BoardRole.OWNERS_BODY: (
            body.get_kind_display() if body else str(BoardRole.OWNERS_BODY.label),
            body.director_name if body else "",
        ),
        BoardRole.PROPERTY_SERVICE: (str(BoardRole.PROPERTY_SERVICE.label), ""),
    }
    if service is not None and service.mode != PropertyMode.NONE:
        who = service.company.name if service.company_id else service.get_mode_display()
        defaults[BoardRole.PROPERTY_SERVICE] = (str(BoardRole.PROPERTY_SERVICE.label), who)
    return defaults


def building_boards(buildings) -> dict[int, list[BoardLine]]:
    """The contact board of each building: the five roles in order, each with its name and published phone —
    the building lead's service phone and the board entries' service phones, never anyone's private phone.

    ``buildings`` come with ``compound`` and its current bodies loaded (``board_buildings``); two more queries
    whatever their number: the current leads and the board entries of their compounds."""
    buildings = list(buildings)
    if not buildings:
        return {}
    leads = {
        lead.building_id: lead
        for lead in BuildingLead.objects.filter(building__in=[b.pk for b in buildings], ended_on__isnull=True).only(
            "building_id", "name", "service_phone"
        )
    }
    compound_ids = sorted({b.compound_id for b in buildings})
    entries = {}
    for entry in BoardContact.objects.filter(compound_id__in=compound_ids):
        entries[(entry.compound_id, entry.building_id, entry.role)] = entry
    defaults = {}
    boards = {}
    for building in buildings:
        compound = building.compound
        if compound.pk not in defaults:
            defaults[compound.pk] = _body_defaults(compound)
        lead = leads.get(building.pk)
        lines = [
            BoardLine(
                BoardRole.BUILDING_LEAD,
                str(BoardRole.BUILDING_LEAD.label),
                lead.name if lead else "",
                lead.service_phone if lead else "",
            )
        ]
        for role in (BoardRole.GRID_WORKER, BoardRole.PARTY_BRANCH, BoardRole.OWNERS_BODY, BoardRole.PROPERTY_SERVICE):
            entry = entries.get((compound.pk, building.pk, role)) or entries.get((compound.pk, None, role))
            label, name = defaults[compound.pk].get(role, (str(BoardRole(role).label), ""))
            if entry is not None and entry.name:
                name = entry.name
            lines.append(BoardLine(role, label, name, entry.service_phone if entry is not None else ""))
        boards[building.pk] = lines
    return boards


def board_buildings(compound: Compound):
    """The compound's buildings in plate order, with what their boards read (one query)."""
    return (
        Building.objects.filter(compound=compound)
        .select_related("compound__party_branch", "compound__owners_body", "compound__property_service__company")
        .order_by("id")
    )


def compound_boards(compound: Compound) -> list[tuple[Building, list[BoardLine]]]:
    """Every building of a compound with its board (three queries however many buildings)."""
    buildings = list(board_buildings(compound))
    boards = building_boards(buildings)
    return [(building, boards[building.pk]) for building in buildings]


def compound_board(compound: Compound) -> list[BoardLine]:
    """The compound-wide part of the board (grid worker and the three bodies), for the public page's header: the
    entries without a building (one query; the compound comes with its bodies loaded)."""
    entries = {e.role: e for e in BoardContact.objects.filter(compound=compound, building__isnull=True)}
    defaults = _body_defaults(compound)
    lines = []
    for role in (BoardRole.GRID_WORKER, BoardRole.PARTY_BRANCH, BoardRole.OWNERS_BODY, BoardRole.PROPERTY_SERVICE):
        entry = entries.get(role)
        label, name = defaults.get(role, (str(BoardRole(role).label), ""))
        if entry is not None and entry.name:
            name = entry.name
        lines.append(BoardLine(role, label, name, entry.service_phone if entry is not None else ""))
    return lines


def lead_overview(compound: Compound) -> list[dict]:
    """The leads page of a compound: each building with its current lead and how much of its board is filled
    (three queries)."""
    buildings = list(board_buildings(compound))
    boards = building_boards(buildings)
    current = {
        lead.building_id: lead
        for lead in BuildingLead.objects.filter(building__compound=compound, ended_on__isnull=True)
    }
    return [
        {
            "building": b,
            "lead": current.get(b.pk),
            "board": boards[b.pk],
            "filled": sum(line.filled for line in boards[b.pk]),
            "missing": [line.label for line in boards[b.pk] if not line.filled],
        }
        for b in buildings
    ]


def building_leads(user):
    """Building-lead records (current and past) in the user's scope, with their building and compound."""
    return BuildingLead.objects.visible_to(user).select_related("building__compound", "recorded_by")


def board_contacts(user):
    return BoardContact.objects.visible_to(user).select_related("compound", "building", "updated_by")


# --- The governance figures of 数说改造, as conditions on a compound: the dashboards count the compounds that meet
# each, and the compound list filters by the same condition (``CompoundFilterSet``), so a figure's link lists
# exactly the compounds it counts.

# "Property introduced" (引入物业管理, 含共享物业): a compound whose property service became one of these …
MANAGED_MODES = (PropertyMode.MENU, PropertyMode.PROFESSIONAL, PropertyMode.SHARED)
# … from none or residents' self-management (or from no service recorded at all).
UNMANAGED_MODES = (PropertyMode.NONE, PropertyMode.SELF_MANAGED)
GOVERNANCE_FIGURES = ("party_branches", "self_governance_groups", "owners_committees", "property_introduced")


def _between(field: str, since: date | None, until: date | None) -> dict:
    bounds = {}
    if since is not None:
        bounds[f"{field}__gte"] = since
    if until is not None:
        bounds[f"{field}__lte"] = until
    return bounds


def governance_conditions(since: date | None, until: date | None) -> dict:
    """Per governance figure, the condition (an ``Exists`` on ``OuterRef("pk")``, the compound) of a compound that
    counts in [since, until] (both days included; None leaves that side open). A record without its date counts in
    no period.

    - ``party_branches``: its party branch was founded in the period (``PartyBranch.established_on``; a new
      secretary's record keeps the branch's founding date, so it is no new branch);
    - ``self_governance_groups`` / ``owners_committees``: its self-governance group / owners' committee was formed or
      re-elected in the period (``OwnersBody.established_on`` and ``kind``);
    - ``property_introduced``: its property service became menu-style, professional or shared in the period from none
      or self-management: a service of such a mode, starting in the period (its contract start, else the day the
      earlier service ended), whose earlier record (if any) had no managed mode."""
    branches = PartyBranch.objects.filter(compound=OuterRef("pk"), **_between("established_on", since, until))
    owners = OwnersBody.objects.filter(compound=OuterRef("pk"), **_between("established_on", since, until))
    earlier = PropertyService.objects.filter(compound=OuterRef("compound"), pk__lt=OuterRef("pk")).order_by("-pk")
    introduced = (
        PropertyService.objects.filter(compound=OuterRef("pk"), mode__in=MANAGED_MODES)
        .annotate(
            earlier_mode=Subquery(earlier.values("mode")[:1]),
            started_on=Coalesce("contract_starts_on", Subquery(earlier.values("ended_on")[:1])),
        )
        .filter(Q(earlier_mode__isnull=True) | Q(earlier_mode__in=UNMANAGED_MODES))
        .filter(started_on__isnull=False, **_between("started_on", since, until))
    )
    return {
        "party_branches": Exists(branches),
        "self_governance_groups": Exists(owners.filter(kind=OwnersBodyKind.SELF_GOVERNANCE_GROUP)),
        "owners_committees": Exists(owners.filter(kind=OwnersBodyKind.OWNERS_COMMITTEE)),
        "property_introduced": Exists(introduced),
    }


# When a property service record started: its contract's start, else the day it was recorded, which is the day the
# earlier service ended (``services.property_service_change``); a row from before records were dated, long ago.
SERVICE_STARTED = Coalesce(F("contract_starts_on"), TruncDate("created_at"), Value(date(1900, 1, 1)))


def service_in_force(day: date) -> Q:
    """The property service records in force on ``day``, a condition on ``PropertyService`` annotated with
    ``started_on=SERVICE_STARTED``: started on or before it and not ended by it (the service that replaces it starts
    on the day it ends). Over a compound's history one record is in force on a day (``property_service_change``
    ends every record a backdated service overlaps)."""
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gt=day))


def property_mode_on(day: date, mode: str | None = None, *, managed: bool = False) -> Q:
    """The compounds (a condition on ``Compound``) whose property mode on ``day`` was ``mode`` (none: no service in
    force, or one of mode none), or, with ``managed``, one of the managed modes (basic property service)."""
    services = PropertyService.objects.annotate(started_on=SERVICE_STARTED).filter(
        service_in_force(day), compound=OuterRef("pk")
    )
    if managed:
        return Q(Exists(services.filter(mode__in=MANAGED_MODES)))
    if mode == PropertyMode.NONE:
        return ~Q(Exists(services.exclude(mode=PropertyMode.NONE)))
    return Q(Exists(services.filter(mode=mode)))
