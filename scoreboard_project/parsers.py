from __future__ import annotations

from djangorestframework_camel_case.parser import CamelCaseJSONParser


class AnyContentTypeJSONParser(CamelCaseJSONParser):
    """Reads the body as JSON whatever the Content-Type says.

    Game clients and quick `curl -d` calls often send JSON labelled as a form; the API
    speaks only JSON, so a body that is not JSON is a 400 VALIDATION_ERROR either way.
    """

    media_type = "*/*"
