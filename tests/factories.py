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


class PartyBranchFactory(DjangoModelFactory):
    class Meta:
        model = PartyBranch

    compound = factory.SubFactory(CompoundFactory)
    name = factory.LazyAttribute(lambda o: f"{o.compound.name}党支部")
    secretary_name = "李勇"


class OwnersBodyFactory(DjangoModelFactory):
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


class PropertyServiceFactory(DjangoModelFactory):
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
