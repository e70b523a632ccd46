"""Response shapes: one ``TypedDict`` each, and the OpenAPI serializer generated from it.

A view or selector builds the TypedDict (a plain dict: nothing is serialized per
request); the schema documents the serializer that ``serializer_for`` derives from the
same declaration, so the two cannot drift. Keys are snake_case; the renderer camelCases
them on the way out, and the schema's camelize hook does the same to the fields.

Field types: ``int``, ``float``, ``bool``, ``str``, ``datetime``, ``UUID``, the text forms
``UUIDText`` and ``TimeText`` (values already rendered to text), a ``TextChoices`` or
``Literal`` (a choice), ``X | None`` (nullable), ``list[X]``, ``dict[str, Any]``, another
shape (nested); ``NotRequired[X]`` for a key that may be absent. ``Annotated[X, Doc("...")]``
adds the field's description, ``Annotated[X, Default(value)]`` its documented default.
"""

from __future__ import annotations

import enum
import types
import typing
from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired, Union
from uuid import UUID

from rest_framework import serializers


class Doc(str):
    """The description of a field: ``Annotated[int, Doc("...")]``."""


class Default:
    """The documented default of a field: ``Annotated[bool, Default(True)]``."""

    def __init__(self, value: Any) -> None:
        self.value = value


class _Text(enum.Enum):
    UUID = "uuid"
    TIME = "date-time"


UUIDText = Annotated[str, _Text.UUID]  # a UUID as its text
TimeText = Annotated[str, _Text.TIME]  # an ISO-8601 UTC time as its text ("...Z")

_SCALARS: dict[Any, type[serializers.Field]] = {
    bool: serializers.BooleanField,
    int: serializers.IntegerField,
    float: serializers.FloatField,
    str: serializers.CharField,
    datetime: serializers.DateTimeField,
    UUID: serializers.UUIDField,
}
_TEXT = {_Text.UUID: serializers.UUIDField, _Text.TIME: serializers.DateTimeField}
_generated: dict[type, type[serializers.Serializer]] = {}


def is_shape(hint: Any) -> bool:
    return isinstance(hint, type) and typing.is_typeddict(hint)


def serializer_for(shape: type) -> type[serializers.Serializer]:
    """The serializer class (component ``shape.__name__``) describing ``shape``; one per shape."""
    if shape not in _generated:
        hints = typing.get_type_hints(shape, include_extras=True)
        fields = {name: _field(hint) for name, hint in hints.items()}
        doc = (shape.__doc__ or "").strip()
        attrs: dict[str, Any] = {**fields, "__module__": shape.__module__}
        if doc and not doc.startswith(f"{shape.__name__}("):  # not TypedDict's generated signature
            attrs["__doc__"] = doc
        _generated[shape] = type(shape.__name__, (serializers.Serializer,), attrs)
    return _generated[shape]


def _field(hint: Any, **kwargs: Any) -> serializers.Field:
    if typing.get_origin(hint) is Annotated:
        hint, *extras = typing.get_args(hint)
        for extra in extras:  # the outermost Doc and Default win
            if isinstance(extra, Doc):
                kwargs["help_text"] = str(extra)
            elif isinstance(extra, Default):
                kwargs["default"] = extra.value
        text = next((extra for extra in extras if isinstance(extra, _Text)), None)
        return _TEXT[text](**kwargs) if text else _field(hint, **kwargs)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is NotRequired:
        return _field(args[0], required=False, **kwargs)
    if origin in (Union, types.UnionType):
        present = [arg for arg in args if arg is not type(None)]
        if len(present) != 1:
            raise TypeError(f"a shape field is one type or that type | None, not {hint!r}")
        return _field(present[0], allow_null=len(present) < len(args), **kwargs)
    if origin is list:
        if is_shape(args[0]):
            return serializer_for(args[0])(many=True, **kwargs)
        return serializers.ListField(child=_field(args[0]), **kwargs)
    if origin is dict or hint is dict:
        return serializers.DictField(**kwargs)
    if origin is Literal:
        return serializers.ChoiceField(choices=list(args), **kwargs)
    if is_shape(hint):
        return serializer_for(hint)(**kwargs)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return serializers.ChoiceField(choices=[member.value for member in hint], **kwargs)
    if hint is Any:
        return serializers.JSONField(**kwargs)
    if hint in _SCALARS:
        return _SCALARS[hint](**kwargs)
    raise TypeError(f"no serializer field for {hint!r}")
