"""Declarations, review, library, annual plans, targets and projects from the plan: every transition and its errors."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from communities.choices import CompanyKind, RoleKind
from notifications.models import Notification
from planning import services
from planning.models import Declaration, DeclarationReview, PlanItem
from projects.models import ProgrammeTarget, Project, TargetShare
from projects.services import project_create, target_set, target_split
from renovation_portal.errors import DomainError
from tests import factories as f


@pytest.fixture
def draft(tree, actors):
    return f.declaration(tree["compound_a"], actors["subdistrict_official"])


def submitted(draft, actors):
    return services.declaration_submit(actor=actors["subdistrict_official"], declaration=draft)


def test_declaration_sums_items_to_the_fen(draft):
    assert draft.status == "draft"
    assert draft.estimated_cost == Decimal("1500000.50")
    assert draft.items.count() == 2
    assert sum(r.amount for r in draft.funding.all()) == Decimal("1500000.50")


def test_declaration_needs_a_passed_willingness_vote(tree, actors):
    official = actors["subdistrict_official"]
    failed = f.willingness_vote(tree["compound_a"], official, passed=False)
    with pytest.raises(DomainError) as error:
        f.declaration(tree["compound_a"], official, vote=failed)
    assert error.value.code == "vote_not_passed"
    other_matter = f.willingness_vote(tree["compound_a"], official, matter_type="rebuild")
    with pytest.raises(DomainError) as error:
        f.declaration(tree["compound_a"], official, vote=other_matter)
    assert error.value.code == "not_a_willingness_vote"
    foreign = f.willingness_vote(tree["compound_b"], official)
    with pytest.raises(DomainError) as error:
        f.declaration(tree["compound_a"], official, vote=foreign)
    assert error.value.code == "topic_required"
    assert not Declaration.objects.exists()


def test_secretary_declares_her_compounds_only(tree, actors):
    secretary = actors["community_secretary"]
    assert f.declaration(tree["compound_a"], secretary).declared_by == secretary
    with pytest.raises(PermissionDenied):
        f.declaration(tree["compound_b"], secretary)


@pytest.mark.parametrize("role", ["district_official", "contractor", "inspector", "outsider"])
def test_other_roles_cannot_declare(tree, actors, role):
    with pytest.raises(PermissionDenied):
        f.declaration(tree["compound_a"], actors[role], vote=f.willingness_vote(tree["compound_a"], actors["outsider"]))


def test_one_declaration_in_progress_per_compound(draft, tree, actors):
    with pytest.raises(DomainError) as error:
        f.declaration(tree["compound_a"], actors["subdistrict_official"])
    assert error.value.code == "declaration_in_progress"


def test_submit_refuses_funding_that_does_not_add_up(draft, actors):
    services.declaration_update(
        actor=actors["subdistrict_official"], declaration=draft, funding={"district_funds": "1500000.49"}
    )
    with pytest.raises(DomainError) as error:
        submitted(draft, actors)
    assert error.value.code == "funding_mismatch"
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.round == 0 and not draft.reviews.exists()


def test_submit_needs_items(draft, actors):
    with pytest.raises(DomainError) as error:
        services.declaration_update(actor=actors["subdistrict_official"], declaration=draft, items=[{"x": 1}])
    assert error.value.code == "invalid_item"
    services.declaration_update(actor=actors["subdistrict_official"], declaration=draft, items=[], funding={})
    with pytest.raises(DomainError) as error:
        submitted(draft, actors)
    assert error.value.code == "no_items"


def test_return_amend_resubmit_approve_keeps_every_round(draft, actors):
    official, district = actors["subdistrict_official"], actors["district_official"]
    submitted(draft, actors)
    with pytest.raises(DomainError) as error:
        services.declaration_return(actor=district, declaration=draft, reason="  ")
    assert error.value.code == "reason_required"
    returned = services.declaration_return(actor=district, declaration=draft, reason="补充雨污管网测绘图")
    assert returned.status == "returned" and returned.last_reason == "补充雨污管网测绘图"
    with pytest.raises(DomainError) as error:
        services.declaration_approve(actor=district, declaration=draft)
    assert error.value.code == "not_submitted"
    services.declaration_update(actor=official, declaration=draft, needs_summary="已补充测绘")
    services.declaration_add_attachment(actor=official, declaration=draft, upload=f.pdf_file())
    again = submitted(draft, actors)
    assert again.round == 2
    approved = services.declaration_approve(actor=district, declaration=draft, note="同意入库")
    assert approved.status == "approved" and approved.decided_at is not None
    history = list(DeclarationReview.objects.filter(declaration=draft).values_list("round", "action"))
    assert history == [(1, "submitted"), (1, "returned"), (2, "submitted"), (2, "approved")]
    with pytest.raises(DomainError) as error:
        services.declaration_update(actor=official, declaration=draft, needs_summary="改")
    assert error.value.code == "not_editable"


def test_declarer_is_notified_of_each_decision(draft, actors, django_capture_on_commit_callbacks):
    district = actors["district_official"]
    with django_capture_on_commit_callbacks(execute=True):
        submitted(draft, actors)
        services.declaration_return(actor=district, declaration=draft, reason="补充材料")
    note = Notification.objects.get(recipient=actors["subdistrict_official"])
    assert note.kind == "decl_returned" and note.body == "补充材料" and str(draft.pk) in note.url
    with django_capture_on_commit_callbacks(execute=True):
        submitted(draft, actors)
        services.declaration_reject(actor=district, declaration=draft, reason="不符合条件")
    kinds = set(Notification.objects.filter(recipient=actors["subdistrict_official"]).values_list("kind", flat=True))
    assert kinds == {"decl_returned", "decl_rejected"}


@pytest.mark.parametrize("role", ["subdistrict_official", "community_secretary", "contractor", "outsider"])
def test_only_district_officials_review(draft, actors, role):
    submitted(draft, actors)
    with pytest.raises(PermissionDenied):
        services.declaration_approve(actor=actors[role], declaration=draft)


def test_other_district_official_cannot_review(draft, actors):
    submitted(draft, actors)
    stranger = f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=f.DistrictFactory())
    with pytest.raises(PermissionDenied):
        services.declaration_approve(actor=stranger, declaration=draft)


def test_attachments_are_checked(draft, actors):
    official = actors["subdistrict_official"]
    photo = services.declaration_add_attachment(actor=official, declaration=draft, upload=f.photo_file())
    assert photo.kind == "photo" and photo.thumbnail and photo.file.name.startswith("declarations/")
    pdf = services.declaration_add_attachment(actor=official, declaration=draft, upload=f.pdf_file())
    assert pdf.kind == "pdf" and pdf.file.name.endswith(".pdf")
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(DomainError) as error:
        services.declaration_add_attachment(
            actor=official, declaration=draft, upload=SimpleUploadedFile("x.pdf", b"<html>hi</html>")
        )
    assert error.value.code == "photo_invalid"
    assert draft.attachments.count() == 2


def approved(tree, actors, compound=None):
    draft = f.declaration(compound or tree["compound_a"], actors["subdistrict_official"])
    submitted(draft, actors)
    return services.declaration_approve(actor=actors["district_official"], declaration=draft)


def test_plan_draws_only_from_the_library(tree, actors, draft):
    district = actors["district_official"]
    plan = services.annual_plan_create(actor=district, district=tree["district"], year=2026)
    batch = plan.batches.get()
    with pytest.raises(DomainError) as error:
        services.plan_item_add(actor=district, plan=plan, batch=batch, declaration=draft)
    assert error.value.code == "not_in_library"
    submitted(draft, actors)
    services.declaration_approve(actor=district, declaration=draft)
    item = services.plan_item_add(actor=district, plan=plan, batch=batch, declaration=draft)
    with pytest.raises(DomainError) as error:
        services.plan_item_add(actor=district, plan=plan, batch=batch, declaration=draft)
    assert error.value.code == "already_planned"
    push = services.plan_batch_add(actor=district, plan=plan, kind="push")
    assert services.plan_item_move(actor=district, item=item, batch=push).batch == push
    with pytest.raises(DomainError) as error:
        services.annual_plan_create(actor=district, district=tree["district"], year=2026)
    assert error.value.code == "plan_exists"
    with pytest.raises(PermissionDenied):
        services.plan_item_remove(actor=actors["subdistrict_official"], item=item)
    services.plan_item_remove(actor=district, item=item)
    assert not PlanItem.objects.exists()


def test_plan_of_another_district_refuses_the_declaration(tree, actors):
    other = f.DistrictFactory()
    stranger = f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=other)
    plan = services.annual_plan_create(actor=stranger, district=other, year=2026)
    decl = approved(tree, actors)
    with pytest.raises(DomainError) as error:
        services.plan_item_add(actor=stranger, plan=plan, batch=plan.batches.get(), declaration=decl)
    assert error.value.code == "foreign_declaration"
    with pytest.raises(PermissionDenied):
        services.annual_plan_create(actor=actors["district_official"], district=other, year=2026)


def award(tree, **extra):
    return {
        "contractor": tree["company_a"],
        "contract_number": "EPC-2026-001",
        "contract_amount": Decimal("1480000.25"),
        "awarded_on": date(2026, 3, 1),
        **extra,
    }


def test_plan_item_becomes_a_project_with_its_award(tree, actors):
    district = actors["district_official"]
    decl = approved(tree, actors)
    plan = services.annual_plan_create(actor=district, district=tree["district"], year=2026)
    item = services.plan_item_add(actor=district, plan=plan, batch=plan.batches.get(), declaration=decl)
    designer = f.CompanyFactory(kind=CompanyKind.DESIGNER)
    supervisor = f.CompanyFactory(kind=CompanyKind.SUPERVISOR)
    with pytest.raises(DomainError) as error:
        services.plan_item_create_project(actor=district, item=item, **award(tree, designer=supervisor))
    assert error.value.code == "wrong_company_kind"
    assert Project.objects.filter(compound=tree["compound_a"]).count() == 1  # the tree's own project only
    project = services.plan_item_create_project(
        actor=district, item=item, **award(tree, designer=designer, supervisor=supervisor)
    )
    item.refresh_from_db()
    assert item.project == project
    assert (project.batch, project.contract_number, project.contract_amount) == (
        2026,
        "EPC-2026-001",
        Decimal("1480000.25"),
    )
    assert project.budget == Decimal("1500000.50")
    assert project.designer == designer and project.supervisor == supervisor
    assert sorted(project.scope_items.values_list("category", flat=True)) == ["parking", "pipe_rain_sewage"]
    # The declared funding split is the project's funding plan.
    assert dict(project.funding.values_list("source", "amount")) == {
        "district_funds": Decimal("1200000.00"),
        "residents": Decimal("300000.50"),
    }
    with pytest.raises(DomainError) as error:
        services.plan_item_create_project(actor=district, item=item, **award(tree))
    assert error.value.code == "project_exists"


def test_project_create_needs_the_award_fields_and_an_epc_contractor(tree, actors):
    district = actors["district_official"]
    decl = approved(tree, actors)
    plan = services.annual_plan_create(actor=district, district=tree["district"], year=2026)
    item = services.plan_item_add(actor=district, plan=plan, batch=plan.batches.get(), declaration=decl)
    with pytest.raises(DomainError) as error:
        services.plan_item_create_project(actor=district, item=item, **award(tree, contract_number=""))
    assert error.value.code == "required"
    designer = f.CompanyFactory(kind=CompanyKind.DESIGNER)
    with pytest.raises(DomainError) as error:
        services.plan_item_create_project(actor=district, item=item, **award(tree, contractor=designer))
    assert error.value.code == "not_a_contractor"
    with pytest.raises(PermissionDenied):
        services.plan_item_create_project(actor=actors["community_secretary"], item=item, **award(tree))
    item.refresh_from_db()
    assert item.project is None


def test_project_create_without_a_plan_item_still_works_for_officials(tree, actors):
    project = project_create(
        actor=actors["district_official"], compound=tree["compound_b"], name="直接立项", batch=2026
    )
    assert project.pk and project.events.count() == 1


# --- targets ---


def test_target_split_checks_the_sum(tree, actors):
    district = actors["district_official"]
    target = target_set(actor=district, district=tree["district"], year=2026, to_start=10, to_finish=6)
    with translation.override("en"):
        notes = target_split(actor=district, target=target, shares={tree["sub_a"]: (6, 4), tree["sub_b"]: (3, 2)})
    assert notes == ["1 of the district's 10 compounds to start are not yet assigned to a subdistrict."]
    with pytest.raises(DomainError) as error:
        target_split(actor=district, target=target, shares={tree["sub_b"]: (5, 2)})
    assert error.value.code == "shares_exceed_target"
    assert TargetShare.objects.get(subdistrict=tree["sub_b"]).to_start == 3  # nothing saved
    assert target_split(actor=district, target=target, shares={tree["sub_b"]: (4, 2)}) == []
    with pytest.raises(DomainError) as error:
        target_set(actor=district, district=tree["district"], year=2026, to_start=9, to_finish=6)
    assert error.value.code == "target_below_shares"
    assert ProgrammeTarget.objects.get().to_start == 10


def test_target_split_refuses_foreign_subdistricts_and_other_roles(tree, actors):
    target = target_set(
        actor=actors["district_official"], district=tree["district"], year=2026, to_start=5, to_finish=5
    )
    foreign = f.SubdistrictFactory()
    with pytest.raises(DomainError) as error:
        target_split(actor=actors["district_official"], target=target, shares={foreign: (1, 1)})
    assert error.value.code == "foreign_subdistrict"
    with pytest.raises(PermissionDenied):
        target_split(actor=actors["subdistrict_official"], target=target, shares={tree["sub_a"]: (1, 1)})
