"""factory_boy factories for every model, in one place."""

import factory
from factory.django import DjangoModelFactory

from communities.choices import CompanyKind, InspectionTier, RoleKind
from communities.models import (
    Building,
    City,
    Community,
    Company,
    Compound,
    District,
    OwnersBody,
    PartyBranch,
    PropertyService,
    Province,
    Role,
    Subdistrict,
    User,
)
from projects.models import PlanVersion, Project, ScopeItem

PASSWORD = "Test-password-2026"


class ProvinceFactory(DjangoModelFactory):
    class Meta:
        model = Province

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"省{n}")


class CityFactory(DjangoModelFactory):
    class Meta:
        model = City

    province = factory.SubFactory(ProvinceFactory)
    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"市{n}")


class DistrictFactory(DjangoModelFactory):
    class Meta:
        model = District

    code = factory.Sequence(lambda n: f"D{n:05d}")
    name = factory.Sequence(lambda n: f"区{n}")
    city = factory.SubFactory(CityFactory)


class SubdistrictFactory(DjangoModelFactory):
    class Meta:
        model = Subdistrict

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"S{n:06d}")
    name = factory.Sequence(lambda n: f"街道{n}")


class CommunityFactory(DjangoModelFactory):
    class Meta:
        model = Community

    subdistrict = factory.SubFactory(SubdistrictFactory)
    code = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Sequence(lambda n: f"社区{n}")


class CompoundFactory(DjangoModelFactory):
    class Meta:
        model = Compound

    community = factory.SubFactory(CommunityFactory)
    code = factory.Sequence(lambda n: f"X{n:07d}")
    name = factory.Sequence(lambda n: f"小区{n}")
    year_built = 1990
    building_count = 5
    household_count = 170
    resident_count = 500


class BuildingFactory(DjangoModelFactory):
    class Meta:
        model = Building

    compound = factory.SubFactory(CompoundFactory)
    number = factory.Sequence(lambda n: f"{n}号楼")
    floors = 6
    household_count = 34


class _CurrentBodyFactory(DjangoModelFactory):
    """A governance record made current as the services do: the compound points at it (test data only; the
    portal records bodies through communities.services)."""

    class Meta:
        abstract = True

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        super()._after_postgeneration(instance, create, results)
        if create and instance.ended_on is None:
            Compound.objects.filter(pk=instance.compound_id).update(**{instance.pointer: instance})
            setattr(instance.compound, instance.pointer, instance)


class PartyBranchFactory(_CurrentBodyFactory):
    class Meta:
        model = PartyBranch

    compound = factory.SubFactory(CompoundFactory)
    name = factory.LazyAttribute(lambda o: f"{o.compound.name}党支部")
    secretary_name = "李勇"


class OwnersBodyFactory(_CurrentBodyFactory):
    class Meta:
        model = OwnersBody

    compound = factory.SubFactory(CompoundFactory)
    kind = "owners_committee"
    director_name = "肖玲玲"


class CompanyFactory(DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"建设公司{n}")
    kind = CompanyKind.CONTRACTOR


class PropertyServiceFactory(_CurrentBodyFactory):
    class Meta:
        model = PropertyService

    compound = factory.SubFactory(CompoundFactory)
    mode = "professional"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class RoleFactory(DjangoModelFactory):
    class Meta:
        model = Role

    user = factory.SubFactory(UserFactory)
    kind = RoleKind.DISTRICT_OFFICIAL


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    compound = factory.SubFactory(CompoundFactory)
    contractor = factory.SubFactory(CompanyFactory)
    name = factory.LazyAttribute(lambda o: f"{o.compound.name}改造项目")


def user_with_role(kind: str, **binding) -> User:
    """A user holding one role bound to the given node, e.g. ``user_with_role("community_secretary", community=c)``."""
    user = UserFactory()
    if kind == RoleKind.INSPECTOR:
        binding.setdefault("tier", InspectionTier.DISTRICT)
    RoleFactory(user=user, kind=kind, **binding)
    return user


class PlanVersionFactory(DjangoModelFactory):
    class Meta:
        model = PlanVersion

    project = factory.SubFactory(ProjectFactory)
    number = factory.Sequence(lambda n: n + 1)
    summary = "改造方案"


class ScopeItemFactory(DjangoModelFactory):
    class Meta:
        model = ScopeItem

    project = factory.SubFactory(ProjectFactory)
    category = "road"
    name = factory.Sequence(lambda n: f"工程项{n}")
    unit = "m²"
    planned_quantity = 100


def photo_file(name="site.jpg", size=(64, 48), image_format="JPEG"):
    """A real small image as an upload."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 160, 200)).save(buffer, format=image_format)
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[image_format]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def willingness_vote(compound, organiser, *, passed=True, matter_type="renovation_willingness", title="是否同意改造"):
    """A closed compound-wide vote of the owners on renovating (the consultation a declaration rests on)."""
    from consultations.models import Topic, Vote

    topic = Topic.objects.create(
        compound=compound, title=f"{compound.name}改造意愿", step="apply_result", created_by=organiser
    )
    return Vote.objects.create(
        topic=topic,
        title=title,
        matter_type=matter_type,
        status="closed",
        result="passed" if passed else "failed_approval",
        organiser=organiser,
    )


DECLARED_ITEMS = [
    {"work_class": "basic", "category": "pipe_rain_sewage", "description": "雨污分流", "quantity": "1.20",
     "estimated_cost": "1200000.00"},
    {"work_class": "improvement", "category": "parking", "description": "电动车棚", "quantity": "80",
     "estimated_cost": "300000.50"},
]  # fmt: skip
DECLARED_FUNDING = {"district_funds": "1200000.00", "residents": "300000.50"}


def declaration(compound, actor, vote=None, **extra):
    """A draft declaration of the compound through the service (items and funding that add up)."""
    from planning.services import declaration_create

    vote = vote or willingness_vote(compound, actor)
    values = {
        "needs_summary": "居民反映雨污混流、停车难",
        "items": DECLARED_ITEMS,
        "funding": DECLARED_FUNDING,
        "buildings_affected": 12,
        "households_affected": 300,
        "residents_affected": 900,
        **extra,
    }
    return declaration_create(actor=actor, compound=compound, topic=vote.topic, vote=vote, **values)


def pdf_file(name="drawing.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")
