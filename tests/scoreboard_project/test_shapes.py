"""Response shapes: the serializer the schema documents is derived from the TypedDict alone."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired, TypedDict
from uuid import UUID

import pytest
from rest_framework import serializers

from accounts.models import Role
from scoreboard_project.shapes import Default, Doc, TimeText, UUIDText, serializer_for


class Inner(TypedDict):
    user_id: UUIDText
    at: Annotated[TimeText, Doc("when it happened")]


class Outer(TypedDict):
    count: int
    ratio: float
    ok: bool
    name: str
    moment: datetime
    key: UUID
    rank: Annotated[int | None, Doc("null when unranked")]
    role: Role
    period: Literal["all", "daily"]
    tags: list[str] | None
    inner: Inner
    inners: list[Inner]
    metadata: dict[str, Any]
    evidence: Any


class Extended(Inner):
    extra: int


def test_it_maps_every_field_type():
    fields = serializer_for(Outer)().fields
    assert list(fields) == list(Outer.__annotations__)
    kinds = {name: type(field) for name, field in fields.items()}
    assert kinds == {
        "count": serializers.IntegerField,
        "ratio": serializers.FloatField,
        "ok": serializers.BooleanField,
        "name": serializers.CharField,
        "moment": serializers.DateTimeField,
        "key": serializers.UUIDField,
        "rank": serializers.IntegerField,
        "role": serializers.ChoiceField,
        "period": serializers.ChoiceField,
        "tags": serializers.ListField,
        "inner": serializer_for(Inner),
        "inners": serializers.ListSerializer,
        "metadata": serializers.DictField,
        "evidence": serializers.JSONField,
    }
    assert list(fields["role"].choices) == ["user", "admin", "system"]
    assert list(fields["period"].choices) == ["all", "daily"]
    assert fields["rank"].allow_null and fields["rank"].help_text == "null when unranked"
    assert fields["tags"].allow_null and isinstance(fields["tags"].child, serializers.CharField)
    assert not fields["count"].allow_null
    assert isinstance(fields["inners"].child, serializer_for(Inner))


def test_the_text_forms_keep_their_format_and_description():
    fields = serializer_for(Inner)().fields
    assert isinstance(fields["user_id"], serializers.UUIDField)
    assert (
        isinstance(fields["at"], serializers.DateTimeField) and fields["at"].help_text == "when it happened"
    )


def test_one_serializer_class_per_shape_named_after_it():
    assert serializer_for(Inner) is serializer_for(Inner)
    assert serializer_for(Inner).__name__ == "Inner"
    assert list(serializer_for(Extended)().fields) == ["user_id", "at", "extra"]


def test_a_key_may_be_optional_or_have_a_default():
    class Answer(TypedDict):
        success: Annotated[bool, Default(False)]
        details: NotRequired[dict[str, Any]]
        code: str

    fields = serializer_for(Answer)().fields
    assert (fields["success"].required, fields["success"].default) == (False, False)
    assert not fields["details"].required and isinstance(fields["details"], serializers.DictField)
    assert fields["code"].required


def test_it_refuses_a_type_it_cannot_document():
    class Odd(TypedDict):
        both: int | str

    with pytest.raises(TypeError, match="one type or that type"):
        serializer_for(Odd)
