"""From declaration to project on a phone: a subdistrict official declares a compound; the district official
returns it with a reason; it is amended and approved into the library; the district official puts it in this
year's plan with a target split over two subdistricts; a project is created from it with an EPC award."""

import pytest

from tests import factories as f
from tests.browser.helpers import declaration_to_project, declaring_district


@pytest.fixture
def people(transactional_db):
    return declaring_district(f.DistrictFactory(name="思明区"))


def test_declaration_to_project(people, page, tmp_path):
    pdf = tmp_path / "测绘图.pdf"
    pdf.write_bytes(f.pdf_file().read())
    project = declaration_to_project(page, people, pdf)
    assert project.compound == people["compound"]
