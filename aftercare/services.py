"""Every write of the aftercare app: opening a compound's aftercare at handover (the projects app's handover
listener), the responsible party and standards, warranty periods, handover documents, service form versions, the
income ledger and its quarterly publication, spaces and activities.

Each service checks who may act (PermissionDenied) and the preconditions (DomainError with a code and the field it
is about), locks the record it adds to and writes in one transaction: a refusal writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftercare import permissions as perms
from aftercare.choices import (
    WARRANTY_BASIS,
    WARRANTY_DEADLINE_DAYS,
    WARRANTY_MONTHS,
    ApprovalKind,
    DocumentKind,
    FindingResponsible,
    LedgerDirection,
    LedgerKind,
    OrganiserKind,
    ResponsibleKind,
    SpaceKind,
    WarrantyCategory,
    direction_of,
)
from aftercare.models import (
    Activity,
    ActivityPhoto,
    AftercareRecord,
    HandoverDocument,
    LedgerEntry,
    LedgerQuarter,
    Patrol,
    PatrolFinding,
    PatrolResult,
    ServiceForm,
    ServiceItem,
    Space,
    WarrantyPeriod,
)
from communities.choices import PropertyMode
from communities.models import Compound, PropertyService, User
from consultations.choices import VoteResult, VoteStatus
from consultations.models import Vote
from inspections.choices import DEFAULT_DEADLINE_DAYS, ChecklistKind, ChecklistStatus
from inspections.models import ChecklistTemplate
from inspections.services import ChecklistError, FindingInput, ResultInput, check_answers, patrol_issue_open
from renovation_portal.errors import DomainError
from renovation_portal.uploads import prepare_photo, prepare_photos, validate_document

MAX_DOCUMENTS = 50
MAX_ITEMS = 60
MAX_ACTIVITY_PHOTOS = 20
MAX_AMOUNT = Decimal("1e10")
# Modes with a property service that answers for the compound; the others are run by the residents themselves.
SERVICE_MODES = (PropertyMode.MENU, PropertyMode.PROFESSIONAL, PropertyMode.SHARED)


def default_standards() -> str:
    return _(
        "Environment: roads, greening and waste points clean and tidy; no piles of rubbish or building waste.\n"
        "Safety: fire lanes clear, fire equipment in date, charging only at the charging points; no falling objects.\n"
        "Order: parking in the marked spaces; no new illegal structures; notices on the boards up to date.\n"
        "(《老旧小区改造后续管理工作方案》: environment, safety and order standards)"
    )


def _today() -> date:
    return timezone.localdate()


def _locked(record: AftercareRecord) -> AftercareRecord:
    return AftercareRecord.objects.select_for_update().select_related("compound__community").get(pk=record.pk)


def _require_keeper(actor: User, record: AftercareRecord) -> None:
    if not perms.can_keep(actor, record.compound):
        raise PermissionDenied


def _text(value, field: str, *, limit: int, required: bool = True, label: str = "") -> str:
    text = str(value or "").strip()
    if required and not text:
        raise DomainError(label or _("This field is required."), code="required", field=field)
    if len(text) > limit:
        raise DomainError(_("At most %(count)d characters.") % {"count": limit}, code="too_long", field=field)
    return text


def _money(value, field: str, *, allow_negative: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value).strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("Enter an amount in yuan."), code="invalid_amount", field=field) from None
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise DomainError(_("The amount is too large."), code="invalid_amount", field=field)
    if amount < 0 and not allow_negative:
        raise DomainError(_("An amount cannot be negative."), code="negative_amount", field=field)
    return amount


def _date(value, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise DomainError(_("Enter a date (YYYY-MM-DD)."), code="bad_date", field=field) from None


def _not_future(day: date, field: str) -> None:
    if day > _today():
        raise DomainError(_("The date cannot be in the future."), code="future_date", field=field)


# --- opening at handover ---


def _responsible(compound: Compound) -> dict:
    """Who answers for the compound day to day, from its current governance records."""
    service = compound.property_service
    if service is not None and service.mode in SERVICE_MODES:
        contact = " ".join(
            part for part in ((service.company.name if service.company_id else ""), service.contact_name) if part
        )
        return {
            "responsible_kind": ResponsibleKind.PROPERTY_SERVICE,
            "property_service": service,
            "owners_body": None,
            "responsible_note": contact[:200],
        }
    body = compound.owners_body
    return {
        "responsible_kind": ResponsibleKind.SELF_MANAGEMENT,
        "property_service": service,
        "owners_body": body,
        "responsible_note": (body.director_name if body is not None else "")[:200],
    }


def aftercare_follow_property_service(compound: Compound, body) -> None:
    """A new property service recorded on a handed-over compound (``communities.services.property_service_change``)
    becomes its aftercare record's, as ``record_update`` would make it: the company serving now reaches and patrols the
    compound and answers for the patrols' findings for the property service; the one whose contract ended no longer
    does. Who is responsible (and its contact) stays the keeper's to change."""
    if isinstance(body, PropertyService):
        AftercareRecord.objects.filter(compound=compound).exclude(property_service=body).update(
            property_service=body, updated_at=timezone.now()
        )


def warranty_defaults(starts_on: date) -> list[tuple[str, date, str]]:
    """(category, ends_on, basis) of each category by the national rule, from the handover day."""
    rows = []
    for category in WarrantyCategory.values:
        months = WARRANTY_MONTHS.get(category)
        if months is None:
            ends_on = starts_on + relativedelta(years=settings.AFTERCARE_DESIGN_LIFE_YEARS)
        else:
            ends_on = starts_on + relativedelta(months=months)
        rows.append((category, ends_on, str(WARRANTY_BASIS[category])))
    return rows


def aftercare_open_on_handover(project, actor) -> AftercareRecord:
    """The handover listener (projects.hooks): the compound's aftercare opens at its first accepted completion, and
    every accepted project adds its warranty periods from its handover day. Runs inside the acceptance transaction;
    the compound row is locked so that two acceptances on one compound open one record."""
    compound = (
        Compound.objects.select_for_update(of=("self",))
        .select_related("property_service__company", "owners_body")
        .get(pk=project.compound_id)
    )
    handed_over = project.actual_finish or _today()
    record = AftercareRecord.objects.filter(compound=compound).first()
    if record is None:
        record = AftercareRecord.objects.create(
            compound=compound,
            project=project,
            opened_on=handed_over,
            opened_by=actor,
            standards=default_standards(),
            **_responsible(compound),
        )
    if not WarrantyPeriod.objects.filter(project=project).exists():
        WarrantyPeriod.objects.bulk_create(
            [
                WarrantyPeriod(
                    record=record, project=project, category=category, starts_on=handed_over, ends_on=ends, basis=basis
                )
                for category, ends, basis in warranty_defaults(handed_over)
            ]
        )
    return record


@transaction.atomic
def record_update(
    *,
    actor: User,
    record: AftercareRecord,
    responsible_kind: str | None = None,
    responsible_note: str | None = None,
    standards: str | None = None,
) -> AftercareRecord:
    """Change who is responsible (linked to the compound's current property service or owners' body), the contact
    and the standards that apply."""
    locked = _locked(record)
    _require_keeper(actor, locked)
    fields = ["updated_at"]
    if responsible_kind is not None:
        if responsible_kind not in ResponsibleKind.values:
            raise DomainError(_("Choose who is responsible."), code="invalid_choice", field="responsible_kind")
        compound = Compound.objects.select_related("property_service", "owners_body").get(pk=locked.compound_id)
        if responsible_kind == ResponsibleKind.PROPERTY_SERVICE and (
            compound.property_service is None or compound.property_service.mode not in SERVICE_MODES
        ):
            raise DomainError(
                _(
                    "%(compound)s has no property service on record: record it on the compound's page first, or "
                    "choose the residents' self-management group."
                )
                % {"compound": compound.name},
                code="no_property_service",
                field="responsible_kind",
            )
        locked.responsible_kind = responsible_kind
        locked.property_service = compound.property_service
        locked.owners_body = compound.owners_body if responsible_kind == ResponsibleKind.SELF_MANAGEMENT else None
        fields += ["responsible_kind", "property_service", "owners_body"]
    if responsible_note is not None:
        locked.responsible_note = _text(responsible_note, "responsible_note", limit=200, required=False)
        fields.append("responsible_note")
    if standards is not None:
        locked.standards = _text(standards, "standards", limit=5000, label=_("Write down the standards that apply."))
        fields.append("standards")
    locked.save(update_fields=fields)
    return locked


@transaction.atomic
def warranty_set(*, actor: User, warranty: WarrantyPeriod, ends_on, basis: str = "") -> WarrantyPeriod:
    """The district sets when a warranty ends (e.g. a longer contractual term), never before it starts."""
    locked = (
        WarrantyPeriod.objects.select_for_update(of=("self",))
        .select_related("record__compound__community__subdistrict")
        .get(pk=warranty.pk)
    )
    if not perms.can_set_warranty(actor, locked):
        raise PermissionDenied
    ends = _date(ends_on, "ends_on")
    if ends < locked.starts_on:
        raise DomainError(
            _("A warranty cannot end before it starts (%(day)s).") % {"day": locked.starts_on},
            code="ends_before_start",
            field="ends_on",
        )
    locked.ends_on = ends
    locked.basis = _text(basis, "basis", limit=120, required=False) or locked.basis
    locked.changed_by = actor
    locked.save(update_fields=["ends_on", "basis", "changed_by", "updated_at"])
    return locked


@transaction.atomic
def document_add(*, actor: User, record: AftercareRecord, upload, title: str) -> HandoverDocument:
    """Add a handover document: a PDF (stored as sent, served only as a download) or a photo (re-encoded without
    its metadata)."""
    locked = _locked(record)
    _require_keeper(actor, locked)
    title = _text(title, "title", limit=120, label=_("Give the document a title."))
    if locked.documents.count() >= MAX_DOCUMENTS:
        raise DomainError(
            _("At most %(count)d documents per compound.") % {"count": MAX_DOCUMENTS},
            code="too_many_documents",
            field="file",
        )
    document = HandoverDocument(record=locked, title=title, uploaded_by=actor)
    try:
        head = upload.read(8)
        upload.seek(0)
        if head.startswith(b"%PDF-"):
            validate_document(upload)
            document.kind = DocumentKind.PDF
            document.file.save("document.pdf", upload, save=False)
        else:
            stored = prepare_photo(upload)
            document.kind = DocumentKind.PHOTO
            document.file.save(stored.image.name, stored.image, save=False)
            document.thumbnail.save(stored.thumbnail.name, stored.thumbnail, save=False)
    except ValidationError as error:
        raise DomainError(error.messages[0], code=error.code or "invalid_file", field="file") from None
    document.save()
    AftercareRecord.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return document


# --- the service form ---


def _clean_service_items(items, menu: bool) -> list[ServiceItem]:
    if not items:
        raise DomainError(_("List at least one service."), code="no_items", field="items")
    if len(items) > MAX_ITEMS:
        raise DomainError(_("At most %(count)d services.") % {"count": MAX_ITEMS}, code="too_many_items", field="items")
    cleaned = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise DomainError(_("Service %(n)d is not readable.") % {"n": position}, code="invalid_item", field="items")
        values = {}
        for name, limit in (("service", 120), ("provider", 80), ("frequency", 60)):
            text = str(item.get(name) or "").strip()
            if not text or len(text) > limit:
                raise DomainError(
                    _("Service %(n)d: say what it is, who provides it and how often (short texts).") % {"n": position},
                    code="invalid_item",
                    field="items",
                )
            values[name] = text
        price = item.get("price")
        if price in (None, ""):
            if menu:
                raise DomainError(
                    _("Service %(n)d: menu-style service lists the price of every item.") % {"n": position},
                    code="price_required",
                    field="items",
                )
            price = None
        else:
            price = _money(price, "items")
        unit = str(item.get("price_unit") or "").strip()[:20]
        cleaned.append(ServiceItem(position=position, price=price, price_unit=unit, **values))
    return cleaned


@transaction.atomic
def service_form_publish(
    *, actor: User, record: AftercareRecord, items: list[dict], note: str = "", published_on=None
) -> ServiceForm:
    """Publish the compound's service form as a new version (the earlier ones stay, with their dates)."""
    locked = _locked(record)
    _require_keeper(actor, locked)
    compound = Compound.objects.select_related("property_service").get(pk=locked.compound_id)
    mode = compound.property_mode
    cleaned = _clean_service_items(items, menu=mode == PropertyMode.MENU)
    day = _today() if published_on in (None, "") else _date(published_on, "published_on")
    latest = locked.service_forms.order_by("-version").first()
    if latest is not None and day < latest.published_on:
        raise DomainError(
            _("A new version cannot come into force before the current one (%(day)s).") % {"day": latest.published_on},
            code="before_current_version",
            field="published_on",
        )
    form = ServiceForm.objects.create(
        record=locked,
        version=(latest.version if latest else 0) + 1,
        published_on=day,
        property_mode=mode,
        note=_text(note, "note", limit=300, required=False),
        published_by=actor,
    )
    for item in cleaned:
        item.form = form
    ServiceItem.objects.bulk_create(cleaned)
    AftercareRecord.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return form


# --- the income ledger ---


def quarter_of(day: date) -> tuple[int, int, date, date]:
    """(year, quarter, first day, last day) of the quarter ``day`` falls in."""
    quarter = (day.month - 1) // 3 + 1
    starts = date(day.year, 3 * quarter - 2, 1)
    return day.year, quarter, starts, starts + relativedelta(months=3, days=-1)


def _published(record: AftercareRecord, day: date) -> LedgerQuarter | None:
    year, quarter, _starts, _ends = quarter_of(day)
    return LedgerQuarter.objects.filter(record=record, year=year, quarter=quarter).first()


def _require_approval(record, amount: Decimal, decision: str, decided_on, vote: Vote | None) -> dict:
    if vote is not None:
        if vote.topic.compound_id != record.compound_id:
            raise DomainError(_("Choose a vote of this compound's owners."), code="foreign_vote", field="vote")
        if vote.status != VoteStatus.CLOSED or vote.result != VoteResult.PASSED:
            raise DomainError(
                _("The vote “%(title)s” has not passed.") % {"title": vote.title}, code="vote_not_passed", field="vote"
            )
        return {"approval_kind": ApprovalKind.VOTE, "vote": vote, "decision": "", "decided_on": None}
    threshold = settings.AFTERCARE_VOTE_THRESHOLD
    if abs(amount) >= threshold:
        raise DomainError(
            _("From %(threshold)s yuan up an entry needs the owners' vote behind it: link the passed vote.")
            % {"threshold": f"{threshold:,.2f}"},
            code="vote_required",
            field="vote",
        )
    decision = _text(decision, "decision", limit=300, label=_("Give the owners' committee's decision."))
    if decided_on in (None, ""):
        raise DomainError(_("Give the date of the committee's decision."), code="required", field="decided_on")
    decided = _date(decided_on, "decided_on")
    _not_future(decided, "decided_on")
    return {"approval_kind": ApprovalKind.COMMITTEE, "vote": None, "decision": decision, "decided_on": decided}


@transaction.atomic
def ledger_entry_record(
    *,
    actor: User,
    record: AftercareRecord,
    kind: str | None,
    entry_date,
    amount,
    purpose: str,
    decision: str = "",
    decided_on=None,
    vote: Vote | None = None,
    corrects: LedgerEntry | None = None,
) -> LedgerEntry:
    """Add an entry to the ledger. Nothing is ever changed in it: a mistake is corrected by a new entry naming the one
    it corrects (same kind; a negative amount takes back, never more than the entry and its corrections hold). No
    entry may be dated in a published quarter (the database refuses it too)."""
    locked = _locked(record)  # also serialises with ledger_quarter_publish
    _require_keeper(actor, locked)
    day = _date(entry_date, "entry_date")
    _not_future(day, "entry_date")
    published = _published(locked, day)
    if published is not None:
        raise DomainError(
            _(
                "%(year)d Q%(quarter)d was published to residents on %(day)s: nothing dated in it can change. Record "
                "a correction dated in an open quarter."
            )
            % {"year": published.year, "quarter": published.quarter, "day": timezone.localdate(published.published_at)},
            code="quarter_published",
            field="entry_date",
        )
    if corrects is not None:
        if corrects.record_id != locked.pk:
            raise DomainError(_("Choose an entry of this ledger."), code="foreign_entry", field="corrects")
        if corrects.corrects_id is not None:
            raise DomainError(
                _("Correct the original entry, not a correction."), code="correction_of_correction", field="corrects"
            )
        kind = corrects.kind
        value = _money(amount, "amount", allow_negative=True)
        if value == 0:
            raise DomainError(_("A correction changes the amount."), code="zero_amount", field="amount")
        held = corrects.amount + (corrects.corrections.aggregate(total=Sum("amount"))["total"] or 0)
        if held + value < 0:
            raise DomainError(
                _("A correction cannot take back more than the entry holds (%(held)s yuan).") % {"held": held},
                code="correction_too_large",
                field="amount",
            )
    else:
        if kind not in LedgerKind.values:
            raise DomainError(_("Choose the kind of income or spending."), code="invalid_choice", field="kind")
        value = _money(amount, "amount")
        if value == 0:
            raise DomainError(_("Enter an amount above zero."), code="zero_amount", field="amount")
    purpose = _text(purpose, "purpose", limit=200, label=_("Say what the money is for or from."))
    approval = _require_approval(locked, value, decision, decided_on, vote)
    entry = LedgerEntry.objects.create(
        record=locked,
        kind=kind,
        direction=direction_of(kind),
        entry_date=day,
        amount=value,
        purpose=purpose,
        corrects=corrects,
        recorded_by=actor,
        **approval,
    )
    AftercareRecord.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return entry


def quarter_totals(record: AftercareRecord, starts: date, ends: date) -> tuple[list[dict], Decimal, Decimal]:
    """The totals by kind of the entries dated in [starts, ends] (corrections included): one query."""
    rows = (
        LedgerEntry.objects.filter(record=record, entry_date__gte=starts, entry_date__lte=ends)
        .values("kind", "direction")
        .annotate(total=Sum("amount"))
        .order_by("direction", "kind")
    )
    totals, income, spending = [], Decimal(0), Decimal(0)
    for row in rows:
        totals.append({"kind": row["kind"], "direction": row["direction"], "amount": str(row["total"])})
        if row["direction"] == LedgerDirection.INCOME:
            income += row["total"]
        else:
            spending += row["total"]
    return totals, income, spending


@transaction.atomic
def ledger_quarter_publish(*, actor: User, record: AftercareRecord, year: int, quarter: int) -> LedgerQuarter:
    """Publish a finished quarter to residents: its totals by kind are frozen, and from now on no entry dated in it
    can be added, changed or deleted."""
    locked = _locked(record)
    _require_keeper(actor, locked)
    if not isinstance(quarter, int) or not 1 <= quarter <= 4:
        raise DomainError(_("Choose a quarter from 1 to 4."), code="invalid_quarter", field="quarter")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise DomainError(_("Enter a year."), code="invalid_year", field="year")
    _year, _quarter, starts, ends = quarter_of(date(year, 3 * quarter - 2, 1))
    if ends >= _today():
        raise DomainError(
            _("A quarter is published once it is over (%(year)d Q%(quarter)d ends on %(day)s).")
            % {"year": year, "quarter": quarter, "day": ends},
            code="quarter_not_over",
            field="quarter",
        )
    if LedgerQuarter.objects.filter(record=locked, year=year, quarter=quarter).exists():
        raise DomainError(
            _("%(year)d Q%(quarter)d is already published.") % {"year": year, "quarter": quarter},
            code="already_published",
            field="quarter",
        )
    totals, income, spending = quarter_totals(locked, starts, ends)
    published = LedgerQuarter.objects.create(
        record=locked,
        year=year,
        quarter=quarter,
        starts_on=starts,
        ends_on=ends,
        totals=totals,
        income_total=income,
        spending_total=spending,
        published_by=actor,
    )
    AftercareRecord.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return published


# --- spaces and activities ---


@transaction.atomic
def space_create(
    *,
    actor: User,
    record: AftercareRecord,
    name: str,
    kind: str,
    area,
    opened_on=None,
    description: str = "",
) -> Space:
    locked = _locked(record)
    _require_keeper(actor, locked)
    name = _text(name, "name", limit=80, label=_("Name the space."))
    if kind not in SpaceKind.values:
        raise DomainError(_("Choose the kind of space."), code="invalid_choice", field="kind")
    size = _money(area, "area")
    if size <= 0:
        raise DomainError(_("Give the space's area in m²."), code="invalid_area", field="area")
    if locked.spaces.filter(name=name).exists():
        raise DomainError(_("%(name)s is already on the list.") % {"name": name}, code="duplicate_space", field="name")
    opened = None if opened_on in (None, "") else _date(opened_on, "opened_on")
    return Space.objects.create(
        record=locked,
        name=name,
        kind=kind,
        area=size,
        opened_on=opened,
        description=_text(description, "description", limit=300, required=False),
        created_by=actor,
    )


@transaction.atomic
def activity_create(
    *,
    actor: User,
    space: Space,
    title: str,
    held_on,
    organiser_kind: str,
    description: str = "",
    capacity: int | None = None,
) -> Activity:
    record = _locked(space.record)
    _require_keeper(actor, record)
    title = _text(title, "title", limit=120, label=_("Give the activity a title."))
    day = _date(held_on, "held_on")
    if organiser_kind not in OrganiserKind.values:
        raise DomainError(_("Choose who organises it."), code="invalid_choice", field="organiser_kind")
    if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
        raise DomainError(_("Enter a whole number above zero."), code="invalid_count", field="capacity")
    activity = Activity.objects.create(
        space=space,
        title=title,
        held_on=day,
        organiser_kind=organiser_kind,
        description=_text(description, "description", limit=4000, required=False),
        capacity=capacity,
        created_by=actor,
    )
    AftercareRecord.objects.filter(pk=record.pk).update(updated_at=timezone.now())
    return activity


def _locked_activity(actor: User, activity: Activity) -> Activity:
    locked = (
        Activity.objects.select_for_update(of=("self",))
        .select_related("space__record__compound__community")
        .get(pk=activity.pk)
    )
    if not perms.can_keep_activity(actor, locked):
        raise PermissionDenied
    return locked


@transaction.atomic
def activity_add_signups(*, actor: User, activity: Activity, count: int) -> Activity:
    """Residents who signed up (counted, not named: the public page shows the numbers)."""
    locked = _locked_activity(actor, activity)
    if locked.is_held:
        raise DomainError(_("The activity has been held: sign-ups are closed."), code="activity_held", field="count")
    if not isinstance(count, int) or count < 1 or count > 10_000:
        raise DomainError(_("Enter a whole number above zero."), code="invalid_count", field="count")
    if locked.capacity is not None and locked.signups + count > locked.capacity:
        raise DomainError(
            _("Only %(left)d places are left.") % {"left": locked.capacity - locked.signups},
            code="activity_full",
            field="count",
        )
    locked.signups += count
    locked.save(update_fields=["signups", "updated_at"])
    return locked


@transaction.atomic
def activity_record_attendance(*, actor: User, activity: Activity, attendance: int) -> Activity:
    """How many came: the activity counts as held from now on."""
    locked = _locked_activity(actor, activity)
    if locked.held_on > _today():
        raise DomainError(
            _("The activity is on %(day)s: record who came once it has been held.") % {"day": locked.held_on},
            code="activity_not_yet",
            field="attendance",
        )
    if not isinstance(attendance, int) or attendance < 0 or attendance > 100_000:
        raise DomainError(_("Enter a whole number, 0 or more."), code="invalid_count", field="attendance")
    locked.attendance = attendance
    locked.save(update_fields=["attendance", "updated_at"])
    return locked


@transaction.atomic
def activity_add_photos(*, actor: User, activity: Activity, uploads) -> list[ActivityPhoto]:
    locked = _locked_activity(actor, activity)
    if not uploads:
        raise DomainError(_("Choose at least one photo."), code="required", field="photos")
    if locked.photos.count() + len(uploads) > MAX_ACTIVITY_PHOTOS:
        raise DomainError(
            _("At most %(count)d photos per activity.") % {"count": MAX_ACTIVITY_PHOTOS},
            code="too_many_photos",
            field="photos",
        )
    try:
        stored = prepare_photos(uploads)
    except ValidationError as error:
        raise DomainError(error.messages[0], code=error.code or "photo_invalid", field="photos") from None
    photos = []
    for photo in stored:
        row = ActivityPhoto(activity=locked, uploaded_by=actor)
        row.image.save(photo.image.name, photo.image, save=False)
        row.thumbnail.save(photo.thumbnail.name, photo.thumbnail, save=False)
        row.save()
        photos.append(row)
    Activity.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return photos


# --- patrols of the standards (环境、安全、秩序) ---


@dataclass
class PatrolFindingInput(FindingInput):
    """A patrol's finding: for whom (``responsible``: property, community, or contractor for a warranty defect,
    with its ``warranty_category``)."""

    responsible: str = ""
    warranty_category: str = ""


def patrol_standards(record: AftercareRecord):
    """The aftercare standards a patrol of the record's compound may use: the latest published version of each
    aftercare checklist of its district or programme-wide."""
    district_id = record.compound.community.subdistrict.district_id
    published = ChecklistTemplate.objects.filter(kind=ChecklistKind.AFTERCARE, status=ChecklistStatus.PUBLISHED).filter(
        Q(district__isnull=True) | Q(district_id=district_id)
    )
    latest = published.filter(name=OuterRef("name")).order_by("-version").values("pk")[:1]
    return published.filter(pk=Subquery(latest)).order_by("name")


def _warranty_for(record: AftercareRecord, category: str, today: date) -> WarrantyPeriod:
    """The warranty period of the category in force today (the latest-ending, when two projects cover it), or a
    refusal that says why the contractor cannot be asked."""
    label = dict(WarrantyCategory.choices).get(category)
    if label is None:
        raise DomainError(_("Choose the warranty category of the defect."), code="invalid_category", field="findings")
    periods = list(
        WarrantyPeriod.objects.filter(record=record, category=category)
        .select_related("project")
        .order_by("-ends_on", "-id")
    )
    covering = [period for period in periods if period.covers(today)]
    if covering:
        return covering[0]
    if periods and periods[0].ends_on < today:
        raise DomainError(
            _(
                "The warranty for “%(category)s” ended on %(day)s: the contractor no longer repairs it. File the "
                "finding for the property service or the community."
            )
            % {"category": label, "day": periods[0].ends_on},
            code="warranty_expired",
            field="findings",
        )
    raise DomainError(
        _(
            "No warranty for “%(category)s” is in force on this compound: the defect cannot go to the contractor. "
            "File the finding for the property service or the community."
        )
        % {"category": label},
        code="no_warranty",
        field="findings",
    )


def _assignee(record: AftercareRecord, finding: PatrolFindingInput, today: date) -> dict:
    """Whom the finding goes to, its project, its warranty period and its default deadline (DomainError if none)."""
    if finding.responsible == FindingResponsible.CONTRACTOR:
        period = _warranty_for(record, finding.warranty_category, today)
        if period.project.contractor_id is None:
            raise DomainError(
                _("The project whose warranty covers this defect has no contractor on record."),
                code="no_contractor",
                field="findings",
            )
        days = WARRANTY_DEADLINE_DAYS.get(finding.severity, max(WARRANTY_DEADLINE_DAYS.values()))
        return {
            "project": period.project,
            "warranty": period,
            "contractor_id": period.project.contractor_id,
            "warranty_category": finding.warranty_category,
            "days": days,
        }
    days = DEFAULT_DEADLINE_DAYS.get(finding.severity, max(DEFAULT_DEADLINE_DAYS.values()))
    if finding.responsible == FindingResponsible.PROPERTY_SERVICE:
        service = record.property_service
        if service is None or service.company_id is None:
            raise DomainError(
                _("%(compound)s has no property service company on record: file the finding for the community.")
                % {"compound": record.compound.name},
                code="no_property_service",
                field="findings",
            )
        return {"project": record.project, "warranty": None, "property_company_id": service.company_id, "days": days}
    if finding.responsible == FindingResponsible.COMMUNITY:
        return {"project": record.project, "warranty": None, "community_id": record.compound.community_id, "days": days}
    raise DomainError(
        _("Say who answers for the finding: the property service, the community, or the contractor."),
        code="no_assignee",
        field="findings",
    )


@transaction.atomic
def patrol_file(
    *,
    actor: User,
    record: AftercareRecord,
    template: ChecklistTemplate,
    results: list[ResultInput],
    findings: list[PatrolFindingInput],
    summary: str = "",
) -> Patrol:
    """File a patrol of the compound against an aftercare standard: every item answered, every failed item with a
    finding, each finding a rectification issue for the property service or the community — or, marked as a
    warranty defect within its warranty period, for the contractor of the project whose warranty covers it. A
    warranty defect out of its warranty (or without one) refuses the whole patrol, naming the item: nothing is
    written."""
    locked = (
        AftercareRecord.objects.select_for_update(of=("self",))
        .select_related("compound__community__subdistrict", "property_service", "project")
        .get(pk=record.pk)
    )
    if not perms.can_patrol(actor, locked):
        raise PermissionDenied
    if not patrol_standards(locked).filter(pk=template.pk).exists():
        raise DomainError(
            _("Choose one of the aftercare standards of this district (the latest published version)."),
            code="not_a_standard",
            field="template",
        )
    items = {item.pk: item for item in template.items.all()}
    foreign = [r.item.pk for r in results if r.item.pk not in items] + [
        f.item.pk for f in findings if f.item is not None and f.item.pk not in items
    ]
    if foreign:
        raise DomainError(
            _("A result or finding refers to an item that is not on this standard."),
            code="foreign_item",
            field="results",
        )
    check_answers(items, results, findings)
    today = _today()
    plans = []
    for finding in findings:
        try:
            plan = _assignee(locked, finding, today)
            if finding.deadline is not None and finding.deadline < today:
                raise DomainError(_("The deadline cannot be in the past."), code="past_deadline", field="findings")
            plan["photos"] = prepare_photos(finding.photos)
        except (DomainError, ValidationError) as error:
            message = error.message if isinstance(error, DomainError) else error.messages[0]
            raise ChecklistError(
                message,
                code=getattr(error, "code", None) or "invalid_finding",
                field="findings",
                item_errors={finding.item.pk: message} if finding.item else {},
            ) from None
        plans.append(plan)
    patrol = Patrol.objects.create(
        record=locked, template=template, patrolled_on=today, patrolled_by=actor, summary=summary.strip()[:5000]
    )
    PatrolResult.objects.bulk_create(
        [PatrolResult(patrol=patrol, item_id=r.item.pk, outcome=r.outcome, note=r.note[:300]) for r in results]
    )
    for finding, plan in zip(findings, plans):
        issue = patrol_issue_open(
            actor=actor,
            project=plan["project"],
            item=finding.item,
            description=finding.description,
            location=finding.location,
            severity=finding.severity,
            deadline=finding.deadline or today + timedelta(days=plan["days"]),
            photos=plan["photos"],
            contractor_id=plan.get("contractor_id"),
            property_company_id=plan.get("property_company_id"),
            community_id=plan.get("community_id"),
            warranty_category=plan.get("warranty_category", ""),
        )
        PatrolFinding.objects.create(
            patrol=patrol, issue=issue, responsible=finding.responsible, warranty=plan["warranty"]
        )
    return patrol
