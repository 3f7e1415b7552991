"""The place tree (province → city → district → subdistrict → community → compound → building), the governance bodies of a
compound, companies, and the portal's users with their scoped roles."""

import functools
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models, router
from django.db.models import Q
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from communities.choices import (
    BoardRole,
    CompanyKind,
    InspectionTier,
    LeadChoice,
    OwnersBodyKind,
    PropertyMode,
    RoleKind,
    TaskForceLevel,
    WorkingGroup,
)
from communities.querysets import (
    BuildingRecordQuerySet,
    CompanyQuerySet,
    CompoundRecordQuerySet,
    PlaceQuerySet,
    PortalUserManager,
)
from communities.validators import validate_credit_code
from renovation_portal import prepared


class Province(models.Model):
    """A province (省), e.g. 福建省; the top of the place tree. Its officials read every district below it."""

    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=50)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["code"]

    def __str__(self):
        return self.name


class City(models.Model):
    """A city (市) of a province, e.g. 厦门市; its districts report to it monthly."""

    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="cities", verbose_name=_("province"))
    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=50)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["code"]

    def __str__(self):
        return self.name


class District(models.Model):
    """A city district (区), e.g. 思明区, with the subdistricts below it."""

    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=50)
    # Null only for a district set up before its city was known; its city and province officials cannot see it.
    city = models.ForeignKey(
        City, on_delete=models.PROTECT, null=True, blank=True, related_name="districts", verbose_name=_("city")
    )

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Subdistrict(models.Model):
    """A subdistrict (街道) of a district, led by its party working committee."""

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="subdistricts", verbose_name=_("district")
    )
    code = models.CharField(_("division code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=50)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("subdistrict")
        verbose_name_plural = _("subdistricts")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Community(models.Model):
    """A residents' community (社区) with its community party committee."""

    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.PROTECT, related_name="communities", verbose_name=_("subdistrict")
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    party_secretary_name = models.CharField(_("party committee secretary"), max_length=50, blank=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Compound(models.Model):
    """A residential compound (小区): the unit that is renovated."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="compounds", verbose_name=_("community")
    )
    code = models.CharField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=80)
    address = models.CharField(_("address"), max_length=200, blank=True)
    year_built = models.PositiveSmallIntegerField(
        _("year built"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    building_count = models.PositiveIntegerField(_("buildings"), default=0)
    household_count = models.PositiveIntegerField(_("households"), default=0)
    resident_count = models.PositiveIntegerField(_("residents"), default=0)
    floor_area = models.DecimalField(_("floor area (m²)"), max_digits=12, decimal_places=2, default=0)
    # The current governance bodies: the record of each without an end, set by the services that record them
    # (communities.services: party_branch_set, owners_body_elect, property_service_change); earlier records stay
    # as history. The compound's property mode is its current property service's (``property_mode`` below).
    party_branch = models.ForeignKey(
        "PartyBranch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    owners_body = models.ForeignKey(
        "OwnersBody", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    property_service = models.ForeignKey(
        "PropertyService", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    is_synthetic = models.BooleanField(
        _("synthetic demo record"),
        default=False,
        help_text=_("Filled in for the demo; not taken from the source article."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year_built__isnull=True) | Q(year_built__gte=1900, year_built__lte=2100),
                name="compound_year_built_plausible",
            ),
        ]
        indexes = [
            # Keyset pages and updated_since of GET /api/v1/compounds/ (220,000 rows nationally).
            models.Index(fields=["updated_at", "id"], name="compound_updated"),
        ]

    def __str__(self):
        return self.name

    @property
    def property_mode(self) -> str:
        """The mode of the current property service; none without one. The service record is the only place the
        mode is stored (lists read it as ``property_service__mode``: see ``selectors.with_property_mode``)."""
        return self.property_service.mode if self.property_service_id else PropertyMode.NONE

    def get_property_mode_display(self) -> str:
        return PropertyMode(self.property_mode).label


class Building(models.Model):
    """A residential building (楼栋). Its building lead is a ``BuildingLead`` record (with history) and its contact
    board (亮牌) is built by ``communities.selectors.building_boards``."""

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("compound")
    )
    number = models.CharField(_("building number"), max_length=20)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    stairwells = models.PositiveSmallIntegerField(_("stairwells"), default=1)
    household_count = models.PositiveIntegerField(_("households"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["compound_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "number"], name="building_number_unique_in_compound"),
        ]
        indexes = [
            # Keyset pages and updated_since of GET /api/v1/buildings/ (1.6 million rows nationally).
            models.Index(fields=["updated_at", "id"], name="building_updated"),
        ]

    def __str__(self):
        return f"{self.compound.name} {self.number}"


class GovernanceRecord(models.Model):
    """A governance body of a compound with history: a change creates a new record and ends the earlier one
    (``ended_on``); the compound's current body is the one without an end."""

    pointer: str = ""  # the Compound field that points at the current record

    ended_on = models.DateField(_("ended on"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True, null=True)

    objects = CompoundRecordQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class PartyBranch(GovernanceRecord):
    """The compound's party branch (小区党支部); its secretary is the project's masses general coordinator."""

    pointer = "party_branch"

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="party_branches", verbose_name=_("compound")
    )
    name = models.CharField(_("name"), max_length=80)
    secretary_name = models.CharField(_("secretary"), max_length=50)
    secretary_phone = models.CharField(_("secretary phone"), max_length=20, blank=True)
    member_count = models.PositiveIntegerField(_("members"), default=0)
    established_on = models.DateField(_("established on"), null=True, blank=True)

    class Meta:
        verbose_name = _("party branch")
        verbose_name_plural = _("party branches")
        ordering = ["compound_id", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound"], condition=Q(ended_on__isnull=True), name="party_branch_one_current_per_compound"
            ),
        ]

    def __str__(self):
        return self.name


class OwnersBody(GovernanceRecord):
    """The owners' committee (业委会) or self-governance group (自治小组) of a compound."""

    pointer = "owners_body"

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="owners_bodies", verbose_name=_("compound")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=OwnersBodyKind.choices)
    director_name = models.CharField(_("director"), max_length=50)
    director_phone = models.CharField(_("director phone"), max_length=20, blank=True)
    member_count = models.PositiveIntegerField(_("members"), default=0)
    established_on = models.DateField(_("established or re-elected on"), null=True, blank=True)
    term_starts_on = models.DateField(_("term starts on"), null=True, blank=True)
    term_ends_on = models.DateField(_("term ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("owners' body")
        verbose_name_plural = _("owners' bodies")
        ordering = ["compound_id", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound"], condition=Q(ended_on__isnull=True), name="owners_body_one_current_per_compound"
            ),
        ]

    def __str__(self):
        return f"{self.compound.name} {self.get_kind_display()}"


class Company(models.Model):
    """A company working in the programme: EPC contractor, designer, supervisor or property service."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=CompanyKind.choices)
    # Blank only on rows entered before codes were checked; companies_* services require a valid one.
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]
        constraints = [
            # One company per registered legal entity: its code identifies it (blank: older rows without one).
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="company_credit_code_unique"
            ),
        ]

    def __str__(self):
        return self.name


class PropertyService(GovernanceRecord):
    """Who manages the compound day to day after handover, and in which mode."""

    pointer = "property_service"

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="property_services", verbose_name=_("compound")
    )
    mode = models.CharField(_("mode"), max_length=20, choices=PropertyMode.choices)
    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_compounds",
        verbose_name=_("company"),
    )
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contract_starts_on = models.DateField(_("contract starts on"), null=True, blank=True)
    contract_ends_on = models.DateField(_("contract ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("property service")
        verbose_name_plural = _("property services")
        ordering = ["compound_id", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound"],
                condition=Q(ended_on__isnull=True),
                name="property_service_one_current_per_compound",
            ),
        ]

    def __str__(self):
        return f"{self.compound.name} {self.get_mode_display()}"


class User(AbstractUser):
    """A portal user. What they may see and do comes from their roles (``Role``)."""

    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    objects = PortalUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.username


# Which place field each role kind is bound to. Inspectors are bound to the place they inspect: the district
# for tiers 2 and 3, a subdistrict or community for tier-1 site patrols.
ROLE_BINDINGS = {
    RoleKind.PROVINCE_OFFICIAL: ("province",),
    RoleKind.CITY_OFFICIAL: ("city",),
    RoleKind.DISTRICT_OFFICIAL: ("district",),
    RoleKind.SUBDISTRICT_OFFICIAL: ("subdistrict",),
    RoleKind.COMMUNITY_SECRETARY: ("community",),
    RoleKind.CONTRACTOR: ("company",),
    RoleKind.INSPECTOR: ("district", "subdistrict", "community"),
    RoleKind.PROPERTY_STAFF: ("company",),
}
# The kind of company a company-bound role needs: an EPC contractor's people, a property service company's staff.
ROLE_COMPANY_KINDS = {
    RoleKind.CONTRACTOR: (CompanyKind.CONTRACTOR, CompanyKind.DESIGNER, CompanyKind.SUPERVISOR),
    RoleKind.PROPERTY_STAFF: (CompanyKind.PROPERTY,),
}
BINDING_FIELDS = ("province", "city", "district", "subdistrict", "community", "company")


def _exactly_one_binding(kind: str, allowed: tuple[str, ...]) -> Q:
    """Rows of this kind have exactly one of the allowed binding fields set, and no other."""
    options = Q()
    for field in allowed:
        option = Q(**{f"{field}__isnull": False})
        for other in BINDING_FIELDS:
            if other != field:
                option &= Q(**{f"{other}__isnull": True})
        options |= option
    return ~Q(kind=kind) | options


class Role(models.Model):
    """A role a user holds, bound to a node of the place tree or to a company; it sets the user's scope."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles", verbose_name=_("user"))
    kind = models.CharField(_("role"), max_length=30, choices=RoleKind.choices)
    province = models.ForeignKey(
        Province, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("province")
    )
    city = models.ForeignKey(
        City, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("city")
    )
    district = models.ForeignKey(
        District, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("subdistrict")
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("community")
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="members", verbose_name=_("company")
    )
    tier = models.PositiveSmallIntegerField(_("inspection tier"), choices=InspectionTier.choices, null=True, blank=True)
    title = models.CharField(_("title"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            *[
                models.CheckConstraint(condition=_exactly_one_binding(kind, allowed), name=f"role_{kind}_binding")
                for kind, allowed in ROLE_BINDINGS.items()
            ],
            # Only inspectors have a tier, and every inspector has one.
            models.CheckConstraint(
                condition=(
                    Q(kind=RoleKind.INSPECTOR, tier__isnull=False)
                    | (~Q(kind=RoleKind.INSPECTOR) & Q(tier__isnull=True))
                ),
                name="role_tier_only_for_inspectors",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()} · {self.bound_to}"

    @property
    def bound_to(self):
        return self.province or self.city or self.district or self.subdistrict or self.community or self.company


class ApiToken(models.Model):
    """A revocable API token of one device of a user (the mobile client). Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key prefix"), max_length=8, editable=False)
    device_name = models.CharField(_("device name"), max_length=100)
    # A keyed hash of the user's password hash when the token was issued: a password change or reset (through
    # any path: the admin, changepassword, a reset form) changes it, and the token stops working, as Django's
    # sessions do with get_session_auth_hash().
    credential_stamp = models.CharField(max_length=64, editable=False, default="")
    otp_verified = models.BooleanField(
        _("issued with a second factor"),
        default=False,
        editable=False,
        help_text=_("The login that issued this token passed the user's authenticator code."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} · {self.device_name} · {self.prefix}…"

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def new_key(cls) -> str:
        return secrets.token_urlsafe(32)

    STAMP_SALT = "communities.ApiToken.credential_stamp"

    @classmethod
    def stamp_for(cls, user, secret: str | None = None) -> str:
        return salted_hmac(cls.STAMP_SALT, user.password, secret=secret, algorithm="sha256").hexdigest()

    @classmethod
    def issue(cls, *, user, device_name: str, otp_verified: bool = False) -> tuple["ApiToken", str]:
        """A new token row for ``user`` and its key (shown once, never stored). Callers check the credentials."""
        key = cls.new_key()
        token = cls.objects.create(
            user=user,
            key_digest=cls.digest(key),
            prefix=key[:8],
            device_name=device_name,
            credential_stamp=cls.stamp_for(user),
            otp_verified=otp_verified,
        )
        return token, key

    @classmethod
    def find(cls, key: str) -> "ApiToken | None":
        """The token of ``key`` with its user, in one statement that also reads what the second-factor check and the
        scope need: ``has_device`` (the user confirmed an authenticator app), ``officials_must_use_2fa`` (the
        policy switch) and the user's roles (``communities.scoping.get_scope`` builds the scope from them). Every API
        request starts here, so it is plain SQL: the ORM's three queries for the same rows cost ≈ 3.5 ms of Python a
        request, ten times the statement. On the primary, like every read of credentials."""
        token_fields, user_fields, sql = cls._find_statement()
        alias = router.db_for_read(cls)
        with connections[alias].cursor() as cursor:
            prepared.execute(cursor, sql, [cls.digest(key)])
            row = cursor.fetchone()
        if row is None:
            return None
        n = len(token_fields)
        token = cls.from_db(alias, token_fields, row[:n])
        token.user = User.from_db(alias, user_fields, row[n : n + len(user_fields)])
        token.has_device, policy, roles = row[-3:]
        token.officials_must_use_2fa = bool(policy)  # no policy row yet: the default, off
        token.user._portal_roles = [tuple(role) for role in roles or ()]
        return token

    @classmethod
    @functools.cache
    def _find_statement(cls) -> tuple[tuple[str, ...], tuple[str, ...], str]:
        """``find``'s field names and statement, built once per process (it runs on every API request)."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from communities.scoping import ROLE_COLUMNS

        token_fields = tuple(field.attname for field in cls._meta.concrete_fields)
        user_fields = tuple(field.attname for field in User._meta.concrete_fields)
        columns = ", ".join([*(f't."{name}"' for name in token_fields), *(f'u."{name}"' for name in user_fields)])
        roles = ", ".join(f"r.{column}" for column in ROLE_COLUMNS)
        sql = (
            f"SELECT {columns}, "
            f"EXISTS (SELECT 1 FROM {TOTPDevice._meta.db_table} d WHERE d.user_id = t.user_id AND d.confirmed), "
            f"(SELECT require_2fa_for_officials FROM {SecurityPolicy._meta.db_table} WHERE id = 1), "
            f"(SELECT json_agg(json_build_array({roles})) FROM {Role._meta.db_table} r WHERE r.user_id = t.user_id) "
            f"FROM {cls._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id WHERE t.key_digest = %s"
        )
        return token_fields, user_fields, sql

    def credentials_unchanged(self) -> bool:
        """Whether the user's password is still the one the token was issued under (old secret keys count
        while they are listed in SECRET_KEY_FALLBACKS, so rotating the key logs no phone out)."""
        return bool(self.credential_stamp) and any(
            constant_time_compare(self.credential_stamp, self.stamp_for(self.user, secret))
            for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        )


class SecurityPolicy(models.Model):
    """Portal-wide security switches that district administrators set in the portal (one row)."""

    require_2fa_for_officials = models.BooleanField(
        _("require two-factor login for officials and administrators"), default=False
    )
    updated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("updated by")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policy")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="security_policy_single_row")]

    def __str__(self):
        return str(_("security policy"))

    @classmethod
    def current(cls) -> "SecurityPolicy":
        """The policy in force: its row, or the defaults (an unsaved row) until an administrator first saves it. A
        read writes nothing: a page that created the row made its user's next reads skip the replica (a request
        that wrote is pinned to the primary, renovation_portal/db_router.py)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


def _exactly_one_place() -> Q:
    options = Q()
    for level in TaskForceLevel.values:
        option = Q(level=level, **{f"{level}__isnull": False})
        for other in TaskForceLevel.values:
            if other != level:
                option &= Q(**{f"{other}__isnull": True})
        options |= option
    return options


class TaskForceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A task force is seen by the roles whose scope holds its place (the district's by district roles)."""
        from communities.scoping import PLACE_PATHS, get_scope

        scope = get_scope(user)
        if scope.is_global:
            return self
        q = (
            scope._place_q(PLACE_PATHS["district"], "district__")
            | scope._place_q(PLACE_PATHS["subdistrict"], "subdistrict__")
            | scope._place_q(PLACE_PATHS["community"], "community__")
            | (Q(compound__isnull=False) & scope.compound_q("compound__"))
        )
        return self.filter(q)


class TaskForce(models.Model):
    """A task force (专班) of one place — district, subdistrict, community or compound — with its members."""

    level = models.CharField(_("level"), max_length=12, choices=TaskForceLevel.choices)
    name = models.CharField(_("name"), max_length=80)
    district = models.ForeignKey(
        District,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="task_forces",
        verbose_name=_("district"),
    )
    subdistrict = models.ForeignKey(
        Subdistrict,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="task_forces",
        verbose_name=_("subdistrict"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="task_forces",
        verbose_name=_("community"),
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="task_forces",
        verbose_name=_("compound"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TaskForceQuerySet.as_manager()

    class Meta:
        verbose_name = _("task force")
        verbose_name_plural = _("task forces")
        ordering = ["level", "name", "id"]
        constraints = [
            # The place field of its level is set, and no other.
            models.CheckConstraint(
                condition=_exactly_one_place(),
                name="task_force_place_of_its_level",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def place(self):
        return getattr(self, self.level)


class TaskForceMember(models.Model):
    """A member of a task force: a portal user or a named person, with their role and working group."""

    task_force = models.ForeignKey(
        TaskForce, on_delete=models.CASCADE, related_name="members", verbose_name=_("task force")
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="task_forces", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=50, blank=True, help_text=_("For someone without an account."))
    role = models.CharField(_("role"), max_length=60, blank=True, help_text=_("e.g. 组长, 副组长, 成员"))
    working_group = models.CharField(_("working group"), max_length=12, choices=WorkingGroup.choices, blank=True)

    class Meta:
        verbose_name = _("task-force member")
        verbose_name_plural = _("task-force members")
        ordering = ["task_force_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(name=""), name="task_force_member_named"),
            models.UniqueConstraint(fields=["task_force", "user"], name="task_force_member_once"),
        ]

    def __str__(self):
        return str(self.user) if self.user_id else self.name


class BuildingLead(models.Model):
    """A building lead (楼栋长), appointed or elected, with history: recording a new lead ends the earlier record
    (``ended_on``); the building's current lead is the record without an end. ``phone`` is the lead's own phone
    (personal data, never shown to the public); ``service_phone`` is the number the lead publishes on the contact
    board (亮牌), if any. An election held as an owners' vote is linked from the consultations side
    (``consultations.LeadElection``), which records the winner through ``communities.services``."""

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="leads", verbose_name=_("building"))
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("private phone"), max_length=20, blank=True)
    service_phone = models.CharField(
        _("published service phone"),
        max_length=20,
        blank=True,
        help_text=_("Shown on the contact board and the public page; leave blank to show no phone."),
    )
    chosen_by = models.CharField(_("how chosen"), max_length=12, choices=LeadChoice.choices)
    chosen_on = models.DateField(_("chosen on"))
    term_starts_on = models.DateField(_("term starts on"), null=True, blank=True)
    term_ends_on = models.DateField(_("term ends on"), null=True, blank=True)
    # [{"name": "徐林", "votes": 37}, ...]; votes is null when not known. Empty for an appointment.
    candidates = models.JSONField(_("candidates"), default=list, blank=True)
    basis = models.CharField(
        _("basis"), max_length=200, blank=True, help_text=_("e.g. the meeting or the owners' vote that chose the lead.")
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = BuildingRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("building lead")
        verbose_name_plural = _("building leads")
        ordering = ["building_id", "-id"]
        constraints = [
            # The current lead is the one without an end (building_lead_record ends the earlier one first).
            models.UniqueConstraint(
                fields=["building"], condition=Q(ended_on__isnull=True), name="building_lead_one_current_per_building"
            ),
            models.CheckConstraint(
                condition=Q(term_ends_on__isnull=True)
                | Q(term_starts_on__isnull=True)
                | Q(term_ends_on__gte=models.F("term_starts_on")),
                name="building_lead_term_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.building} {self.name}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class BoardContact(models.Model):
    """A contact posted on the contact board (亮牌) of a compound's buildings: the grid worker (网格员) and the
    published contact of the party branch, the owners' body and the property service. A row without a building
    is posted on every building of the compound; a row for one building replaces it there. ``name`` may be left
    blank for the bodies: the board then names the current body's secretary, director or company. Only
    ``service_phone`` is shown — the number the role publishes, never a resident's own."""

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="board_contacts", verbose_name=_("compound")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="board_contacts",
        verbose_name=_("building"),
        help_text=_("Leave empty to post it on every building of the compound."),
    )
    role = models.CharField(_("role"), max_length=20, choices=BoardRole.choices)
    name = models.CharField(_("name"), max_length=80, blank=True)
    service_phone = models.CharField(_("published service phone"), max_length=20, blank=True)
    updated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("updated by")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CompoundRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact board entry")
        verbose_name_plural = _("contact board entries")
        ordering = ["compound_id", "building_id", "role"]
        constraints = [
            # One entry per role for the whole compound and one per role and building (NULL building counts once).
            models.UniqueConstraint(
                fields=["compound", "building", "role"], nulls_distinct=False, name="board_contact_once_per_place"
            ),
            models.CheckConstraint(condition=~Q(role=BoardRole.BUILDING_LEAD), name="board_contact_not_a_lead"),
        ]

    def __str__(self):
        return f"{self.compound} {self.get_role_display()}"
