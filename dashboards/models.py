"""The dashboards' rollups: per-place sums kept current by PostgreSQL triggers in the transaction of each change.

A dashboard of a district, city or province sums these rows instead of aggregating millions of issues, scope items
and ledger entries through the compound → community → subdistrict → district join (``dashboards/rollups.py`` has
the triggers' SQL, the rebuild and the check; ``dashboards/figures.py`` reads them). Rows are per district (the
district's own figures, ``subdistrict_id`` 0) and per subdistrict (the ``child.*`` figures of the drill-down
table), so a province sums ≈ 60 districts' rows, not ≈ 36,000 compounds'. The place columns are plain integers:
a rollup row is derived data and must not stop a place from being deleted or renamed.
"""

from django.db import models
from django.db.models import F


class PlaceFigure(models.Model):
    """One figure of one place: e.g. ``issue.open`` of tier ``2`` in district 7 (a count, a sum of seconds or of
    yuan). Figures that depend on the day ("overdue", "behind schedule") are stored as of ``RollupClock.day``; the
    days since (or until) then come from ``PlaceDue``."""

    district_id = models.IntegerField()
    subdistrict_id = models.IntegerField(default=0, help_text="0: the whole district's figure")
    figure = models.CharField(max_length=40)
    key = models.CharField(max_length=80, blank=True)
    value = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        constraints = [
            # The triggers' upsert target; the dashboards read by its leading district column (a district's rows,
            # a city's ten districts', a province's sixty).
            models.UniqueConstraint(
                fields=["district_id", "subdistrict_id", "figure", "key"], name="place_figure_unique"
            ),
        ]

    def __str__(self):
        return f"{self.district_id}/{self.subdistrict_id} {self.figure}[{self.key}] = {self.value}"


class PlaceDue(models.Model):
    """Unclosed issues and unfinished projects per due day (the issue's deadline, the project's planned finish):
    the part of "overdue" and "behind schedule" that the days between ``RollupClock.day`` and today add."""

    district_id = models.IntegerField()
    subdistrict_id = models.IntegerField(default=0)
    figure = models.CharField(max_length=40)
    key = models.CharField(max_length=80, blank=True)
    day = models.DateField()
    value = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district_id", "subdistrict_id", "figure", "key", "day"], name="place_due_unique"
            ),
        ]
        indexes = [
            # The dashboards' correction (rows due between the clock's day and today) and the nightly roll.
            models.Index(fields=["day", "district_id"], name="place_due_day"),
        ]

    def __str__(self):
        return f"{self.district_id}/{self.subdistrict_id} {self.figure}[{self.key}] due {self.day}: {self.value}"


class RollupClock(models.Model):
    """One row: the day as of which the stored "overdue" and "behind" figures count (rolled forward nightly by
    ``dashboards.roll_rollup_clock``; a dashboard adds the ``PlaceDue`` rows between this day and its own)."""

    day = models.DateField()

    def __str__(self):
        return str(self.day)


class PlaceDay(models.Model):
    """The governance row's figures per district and day (``dashboards/daily.py``): a period's figure is a sum
    over its days. Compounds counted once in a period (a committee elected twice in it is one compound) have, beside
    their rows per day, a row per pair of one compound's consecutive days (``*.pair``: the earlier day, the later one
    as ``key``) that the reads take off; property coverage keeps the days its services start and end (``cov.*``,
    and per year ``cov.*.y``); figures of the state now have the day ``daily.NOW``."""

    district_id = models.IntegerField()
    subdistrict_id = models.IntegerField(default=0, help_text="0: the whole district's figure")
    figure = models.CharField(max_length=40)
    key = models.CharField(max_length=80, blank=True)
    day = models.DateField()
    value = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district_id", "subdistrict_id", "figure", "key", "day"], name="place_day_unique"
            ),
        ]

    def __str__(self):
        return f"{self.district_id}/{self.subdistrict_id} {self.figure}[{self.key}] {self.day}: {self.value}"


class AreaFigure(models.Model):
    """A city's or a province's figures: the sums of its districts' ``PlaceFigure`` rows, kept by a trigger on that
    table (``dashboards/areas.py``) in the same transaction, so that a city, a province and the nation (which sums
    its provinces) read a few hundred rows instead of ten, sixty or three hundred districts' worth. ``part`` 0 holds
    the area's totals, -1 the figures by key (rounds by week, evaluations, answer times, projects waiting for the
    six parties), and a child's id (a city's district, a province's city) the drill-down table's ``child.*``
    figures of that child."""

    level = models.CharField(max_length=8)
    area_id = models.IntegerField()
    part = models.IntegerField(default=0)
    figure = models.CharField(max_length=40)
    key = models.CharField(max_length=80, blank=True)
    value = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "area_id", "part", "figure", "key"], name="area_figure_unique"),
        ]

    def __str__(self):
        return f"{self.level} {self.area_id}/{self.part} {self.figure}[{self.key}] = {self.value}"


class AreaDay(models.Model):
    """The governance row by day (``PlaceDay``) summed per city and province, kept like ``AreaFigure``."""

    level = models.CharField(max_length=8)
    area_id = models.IntegerField()
    part = models.IntegerField(default=0)
    figure = models.CharField(max_length=40)
    key = models.CharField(max_length=80, blank=True)
    day = models.DateField()
    value = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["level", "area_id", "part", "figure", "key", "day"], name="area_day_unique"
            ),
        ]

    def __str__(self):
        return f"{self.level} {self.area_id}/{self.part} {self.figure}[{self.key}] {self.day}: {self.value}"


class ContractorScore(models.Model):
    """One contractor's scorecard in a city, a province or the nation (``area_id`` 0): the sums of the
    per-contractor figures of the area's districts (``rollups.SCORECARD_FIGURES``; overdue issues and projects behind
    schedule as of ``RollupClock.day``) and the repeat findings (beyond the first of a kind, from
    ``ContractorKind``), kept by the same trigger as ``AreaFigure``. An area's scorecard is then one row per
    contractor to filter, order and cut, not ten figures per contractor and district to sum first."""

    level = models.CharField(max_length=8)
    area_id = models.IntegerField()
    contractor_id = models.BigIntegerField()
    issues = models.BigIntegerField(db_default=0)
    closed = models.BigIntegerField(db_default=0)
    on_time = models.BigIntegerField(db_default=0)
    overdue = models.BigIntegerField(db_default=0)
    warranty = models.BigIntegerField(db_default=0)
    warranty_on_time = models.BigIntegerField(db_default=0)
    projects = models.BigIntegerField(db_default=0)
    behind = models.BigIntegerField(db_default=0)
    slip_days = models.DecimalField(max_digits=20, decimal_places=2, db_default=0)
    slip_n = models.BigIntegerField(db_default=0)
    repeats = models.BigIntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "area_id", "contractor_id"], name="contractor_score_unique"),
        ]
        indexes = [
            # The board's first rows, worst first (most overdue issues and repeat findings): an index range.
            models.Index("level", "area_id", (F("overdue") + F("repeats")).desc(), name="contractor_score_worst"),
        ]

    def __str__(self):
        return f"{self.level} {self.area_id}: contractor {self.contractor_id}"


class ContractorKind(models.Model):
    """A contractor's inspection findings of one kind in a city, a province or the nation: what the scorecard's
    repeat findings (``ContractorScore.repeats``, the findings beyond the first of each kind) are counted from."""

    level = models.CharField(max_length=8)
    area_id = models.IntegerField()
    contractor_id = models.BigIntegerField()
    kind = models.CharField(max_length=40)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["level", "area_id", "contractor_id", "kind"], name="contractor_kind_unique"
            ),
        ]

    def __str__(self):
        return f"{self.level} {self.area_id}: contractor {self.contractor_id} {self.kind} × {self.n}"
