"""``scoreboard_project.case``: the renderer's camelCasing, the same as the library's."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy
from djangorestframework_camel_case.util import camelize as library_camelize

from scoreboard_project.case import camel_rows, camelize
from scoreboard_project.renderers import JSONRenderer

AWKWARD = {
    "user_id": 1,
    "total_players": [{"display_name": "a_b stays", "updated_at": datetime(2026, 1, 1, tzinfo=UTC)}],
    "_private": 1,
    "a__b": 2,
    "key_2": 3,
    "x_1_y": 4,
    "camelCase_key": 5,
    7: "int key",
    gettext_lazy("lazy_key"): 6,
    "nested": {"deep_er": ({"deepest_key": None},), "empty_list": [], "flag_on": True},
    "ratio_x": Decimal("1.5"),
    "metadata": {"client_key": {"keep_me": 1}},
    "lazy_value": gettext_lazy("some_text"),
    "tags": ("a_b", "c_d"),
}


def test_it_camelizes_like_the_library():
    assert camelize(AWKWARD) == library_camelize(AWKWARD)
    assert list(camelize(AWKWARD)) == list(library_camelize(AWKWARD))


def test_it_leaves_ignored_fields_and_keys_as_the_library_does():
    for options in (
        {"ignore_fields": ("metadata",)},
        {"ignore_keys": ("user_id", "nested")},
        {"ignore_fields": ("nested",), "ignore_keys": ("metadata",)},
    ):
        assert camelize(AWKWARD, **options) == library_camelize(AWKWARD, **options), options
    assert camelize(AWKWARD, ignore_fields=("metadata",))["metadata"] == {"client_key": {"keep_me": 1}}


def test_the_renderer_writes_what_the_library_renderer_wrote():
    from djangorestframework_camel_case.render import CamelCaseJSONRenderer

    class LibraryRenderer(CamelCaseJSONRenderer):
        encoder_class = JSONRenderer.encoder_class

    assert JSONRenderer().render(AWKWARD) == LibraryRenderer().render(AWKWARD)


def test_it_camelcases_flat_rows_by_the_same_rule():
    rows = [{"rank": 1, "user_id": "u", "display_name": "x_y", "updated_at": "t"}, {"key_2": 1, "a__b": 2}]
    assert camel_rows(rows) == library_camelize(rows)
