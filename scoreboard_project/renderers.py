"""JSON out: camelCase keys, and every time as ISO-8601 UTC with milliseconds and ``Z``."""

from __future__ import annotations

import datetime

from djangorestframework_camel_case.render import CamelCaseJSONRenderer
from rest_framework.renderers import JSONRenderer as PlainJSONRenderer
from rest_framework.utils.encoders import JSONEncoder

from .case import camelize
from .times import iso_z


class TimeEncoder(JSONEncoder):
    def default(self, obj):
        if isinstance(obj, datetime.datetime):
            return iso_z(obj)
        return super().default(obj)


class JSONRenderer(CamelCaseJSONRenderer):
    """The library's renderer (its ``json_underscoreize`` options) with ``case.camelize``:
    the same output, without a regex per key of every answer."""

    encoder_class = TimeEncoder

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return PlainJSONRenderer.render(
            self, camelize(data, **self.json_underscoreize), accepted_media_type, renderer_context
        )
