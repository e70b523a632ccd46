"""JSON in: camelCase keys become snake_case for the serializers."""

from __future__ import annotations

from djangorestframework_camel_case.parser import CamelCaseJSONParser
from rest_framework.exceptions import ParseError


class JSONParser(CamelCaseJSONParser):
    """A body nested deeper than Python's recursion limit is bad input (400), not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON nested too deeply.") from None


class AnyContentTypeJSONParser(JSONParser):
    """Reads the body as JSON whatever the Content-Type says.

    Game clients and quick `curl -d` calls often send JSON labelled as a form; the API
    speaks only JSON, so a body that is not JSON is a 400 VALIDATION_ERROR either way.
    """

    media_type = "*/*"
