"""The dashboards' rollups: per-place sums kept current by PostgreSQL triggers in the transaction of each change.

A dashboard of a district, city or province sums these rows instead of aggregating millions of issues, scope items
and ledger entries through the compound → community → subdistrict → district join (``dashboards/rollups.py`` has
the triggers' SQL, the rebuild and the check; ``dashboards/figures.py`` reads them). Rows are per district (the
district's own figures, ``subdistrict_id`` 0) and per subdistrict (the ``child.*`` figures of the drill-down
table), so a province sums ≈ 60 districts' rows, not ≈ 36,000 compounds'. The place columns are plain integers:
a rollup row is derived data and must not stop a place from being deleted or renamed.
"""

from django.db import models


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
