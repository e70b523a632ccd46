"""Django's refusals of a request itself are a 400 with the envelope, never a 500.

More query fields than DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) raised ``TooManyFieldsSent``
on the first read of ``request.GET``: a 500 and a traceback on the API, its SSE stream and
the named boards (found by hostile-input testing).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

TOO_MANY = "&".join(["a=b"] * 1001)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/leaderboard",
        "/api/v1/leaderboard/stream",
        "/api/v1/leaderboards/global/records",
        "/api/v1/users/me/score",
    ],
)
def test_too_many_query_fields_are_a_validation_error(client, path):
    response = client.get(f"{path}?{TOO_MANY}")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_as_many_as_allowed_are_served(client):
    assert client.get("/api/v1/leaderboard?" + "&".join(["a=b"] * 999)).status_code == 200
