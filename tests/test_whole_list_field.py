"""WholeListField reports an element's error against the list itself, as the text a person reads: for a list of
objects (each element a serializer, whose error is a dict per field), the first field message, never the repr of
a dict or list."""

import pytest
from django.utils import translation
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from renovation_portal.api import WholeListField


class Row(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField(min_value=0)


def refusal(field, data):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        field.run_validation(data)
    (detail,) = refused.value.detail
    return str(detail), detail.code


def test_a_bad_field_of_a_nested_element_is_reported_as_its_message():
    field = WholeListField(child=Row())
    assert refusal(field, [{"name": "甲", "count": 1}, {"name": "乙", "count": "x"}]) == (
        "A valid integer is required.",
        "invalid_item",
    )
    assert refusal(field, [{"name": "甲", "count": -1}]) == (
        "Ensure this value is greater than or equal to 0.",
        "invalid_item",
    )


def test_a_bad_scalar_element_is_reported_as_its_message():
    assert refusal(WholeListField(child=serializers.DateTimeField()), ["2026-01-01T08:00", "yesterday"])[0].startswith(
        "Datetime has wrong format."
    )


def test_a_good_list_passes_through():
    assert WholeListField(child=Row()).run_validation([{"name": "甲", "count": 2}]) == [{"name": "甲", "count": 2}]
