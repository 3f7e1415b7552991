"""Import of compounds with their buildings for one subdistrict, from CSV or XLSX (a subdistrict's list from the
district's survey). One row per building; a row without a building number is a compound without buildings yet.

Rows match existing records by code (compound) and by number within the compound (building): importing the same
file again changes nothing. Every row is checked first (a dry run writes nothing and lists each row's errors);
an import writes all rows or, if any row is wrong, none."""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from communities.models import Building, Community, Compound, Subdistrict, User
from communities.permissions import can_add_compound_to
from communities.services import compound_count_buildings
from renovation_portal.errors import DomainError

MAX_ROWS = 5000
# Column titles accepted in the header row (Chinese as the survey sheets have them, or English).
HEADERS = {
    "community_code": ("社区代码", "community_code"),
    "compound_code": ("小区代码", "compound_code"),
    "compound_name": ("小区名称", "compound_name"),
    "address": ("地址", "address"),
    "year_built": ("建成年份", "year_built"),
    "building_number": ("楼栋号", "building_number"),
    "floors": ("层数", "floors"),
    "households": ("户数", "households"),
}
REQUIRED = ("community_code", "compound_code", "compound_name")


@dataclass
class PlacesImportReport:
    dry_run: bool = True
    compounds_created: int = 0
    compounds_updated: int = 0
    buildings_created: int = 0
    buildings_updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number in the file, message)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def committed(self) -> bool:
        return self.ok and not self.dry_run


def _bad_file(message) -> DomainError:
    return DomainError(message, code="bad_file", field="file")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_rows(upload) -> list[list[str]]:
    name = (getattr(upload, "name", "") or "").lower()
    upload.seek(0)
    rows = []
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(upload, read_only=True, data_only=True).active
            for row in sheet.iter_rows(values_only=True):
                rows.append([_cell(c) for c in row])
                if len(rows) > MAX_ROWS + 1:
                    break
        except Exception:
            raise _bad_file(_("The file is not a readable XLSX workbook.")) from None
    elif name.endswith(".csv"):
        raw = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise _bad_file(_("The CSV file is neither UTF-8 nor GB18030 text."))
        try:
            for row in csv.reader(io.StringIO(text)):
                rows.append([c.strip() for c in row])
                if len(rows) > MAX_ROWS + 1:
                    break
        except csv.Error:
            raise _bad_file(_("The CSV file cannot be read.")) from None
    else:
        raise _bad_file(_("Upload a .csv or .xlsx file."))
    if len(rows) > MAX_ROWS + 1:
        raise _bad_file(_("The file has more than %(max)d rows: split it.") % {"max": MAX_ROWS})
    if not rows:
        raise _bad_file(_("The file is empty."))
    return rows


def _columns(header: list[str]) -> dict[str, int]:
    lowered = [h.strip().lower() for h in header]
    columns = {}
    for column, titles in HEADERS.items():
        for index, title in enumerate(lowered):
            if title in {t.lower() for t in titles}:
                columns[column] = index
                break
    missing = [HEADERS[c][0] for c in REQUIRED if c not in columns]
    if missing:
        raise _bad_file(_("The header row lacks the columns: %(columns)s") % {"columns": "、".join(missing)})
    return columns


def _number(text: str, low: int, high: int, label: str, problems: list) -> int | None:
    if not text:
        return None
    if text.isdecimal() and low <= int(text) <= high:
        return int(text)
    problems.append(
        _("%(field)s “%(value)s” is not a number from %(low)d to %(high)d")
        % {"field": label, "value": text[:20], "low": low, "high": high}
    )
    return None


def _check(subdistrict: Subdistrict, rows: list[list[str]]):
    """Every row against the subdistrict's communities, the existing compounds and buildings and the models'
    limits. Returns {compound code: values}, {(compound code, number): values} and the errors."""
    columns = _columns(rows[0])
    communities = {c.code: c for c in Community.objects.filter(subdistrict=subdistrict)}
    limits = {
        "compound_code": Compound._meta.get_field("code").max_length,
        "compound_name": Compound._meta.get_field("name").max_length,
        "address": Compound._meta.get_field("address").max_length,
        "building_number": Building._meta.get_field("number").max_length,
    }
    compounds, buildings, errors, first_row = {}, {}, [], {}

    def cell(row, name):
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    codes = {cell(row, "compound_code") for row in rows[1:]}
    existing = {c.code: c for c in Compound.objects.filter(code__in=codes).select_related("community__subdistrict")}
    for number, row in enumerate(rows[1:], start=2):
        if not "".join(row).strip():
            continue
        problems = []
        for name, limit in limits.items():
            if len(cell(row, name)) > limit:
                problems.append(
                    _("%(field)s is longer than %(max)d characters") % {"field": HEADERS[name][0], "max": limit}
                )
        community = communities.get(cell(row, "community_code"))
        if community is None:
            problems.append(
                _("the community code “%(code)s” is not a community of %(subdistrict)s")
                % {"code": cell(row, "community_code")[:30], "subdistrict": subdistrict.name}
            )
        code, name = cell(row, "compound_code"), cell(row, "compound_name")
        if not code:
            problems.append(_("the compound code is missing"))
        if not name:
            problems.append(_("the compound name is missing"))
        known = existing.get(code)
        if known is not None and community is not None and known.community_id != community.pk:
            problems.append(_("the compound code “%(code)s” belongs to another community") % {"code": code})
        year = _number(cell(row, "year_built"), 1900, 2100, _("year built"), problems)
        values = {"community": community, "name": name, "address": cell(row, "address"), "year_built": year}
        if code and not problems:
            seen = compounds.setdefault(code, values)
            if seen != values:
                problems.append(
                    _("the compound “%(code)s” has other data than in row %(row)d")
                    % {"code": code, "row": first_row[code]}
                )
            first_row.setdefault(code, number)
        building_number = cell(row, "building_number")
        floors = _number(cell(row, "floors"), 1, 200, _("floors"), problems)
        households = _number(cell(row, "households"), 0, 100000, _("households"), problems)
        if building_number and code:
            key = (code, building_number)
            if key in buildings:
                problems.append(
                    _("the building “%(number)s” appears twice in the file (also row %(row)d)")
                    % {"number": building_number, "row": buildings[key]["row"]}
                )
            else:
                buildings[key] = {"row": number, "floors": floors, "household_count": households or 0}
        if problems:
            errors.append((number, "；".join(str(p) for p in problems)))
    return compounds, buildings, existing, errors


@transaction.atomic
def compounds_import(*, actor: User, subdistrict: Subdistrict, upload, dry_run: bool = True) -> PlacesImportReport:
    """Check (``dry_run``) or import a subdistrict's compounds and buildings; see the module's docstring."""
    if not can_add_compound_to(actor, Community(subdistrict=subdistrict)):
        raise PermissionDenied
    compounds, buildings, existing, errors = _check(subdistrict, _read_rows(upload))
    report = PlacesImportReport(dry_run=dry_run, errors=errors)
    if errors:
        return report
    # A new compound's figures are those of its buildings in the file (the compound page and the dashboards show
    # them); an existing compound keeps the figures someone may have corrected since.
    figures = {}
    for (code, _number), values in buildings.items():
        count, households = figures.get(code, (0, 0))
        figures[code] = (count + 1, households + values["household_count"])
    saved = {}
    for code, values in compounds.items():
        compound = existing.get(code)
        if compound is None:
            report.compounds_created += 1
            building_count, household_count = figures.get(code, (0, 0))
            compound = Compound(code=code, **values, building_count=building_count, household_count=household_count)
        else:
            changed = [k for k, v in values.items() if k != "community" and getattr(compound, k) != v]
            if not changed:
                saved[code] = compound
                continue
            report.compounds_updated += 1
            for k in changed:
                setattr(compound, k, values[k])
        if not dry_run:
            compound.save()
        saved[code] = compound
    known_buildings = {
        (b.compound.code, b.number): b
        for b in Building.objects.filter(compound__code__in=list(compounds)).select_related("compound")
    }
    for (code, number), values in buildings.items():
        values = {k: v for k, v in values.items() if k != "row"}
        building = known_buildings.get((code, number))
        if building is None:
            report.buildings_created += 1
            building = Building(compound=saved[code], number=number, **values)
        else:
            changed = [k for k, v in values.items() if getattr(building, k) != v]
            if not changed:
                continue
            report.buildings_updated += 1
            for k in changed:
                setattr(building, k, values[k])
        if not dry_run:
            building.save()
    if not dry_run and saved:
        compound_count_buildings(compound_ids=[compound.pk for compound in saved.values()])
    return report
