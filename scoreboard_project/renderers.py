"""JSON out: camelCase keys, and every time as ISO-8601 UTC with milliseconds and ``Z``."""

from __future__ import annotations

import datetime

from djangorestframework_camel_case.render import CamelCaseJSONRenderer
from rest_framework.utils.encoders import JSONEncoder

from .times import iso_z


class TimeEncoder(JSONEncoder):
    def default(self, obj):
        if isinstance(obj, datetime.datetime):
            return iso_z(obj)
        return super().default(obj)


class JSONRenderer(CamelCaseJSONRenderer):
    encoder_class = TimeEncoder
