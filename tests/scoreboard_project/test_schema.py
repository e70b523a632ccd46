"""The OpenAPI schema: generated without a warning, valid, and naming every path of docs/api.md."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

CONTRACT = {
    "/api/v1/auth/register": {"post"},
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/refresh": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/leaderboard": {"get"},
    "/api/v1/scoreboard/top": {"get"},
    "/api/v1/leaderboard/around-me": {"get"},
    "/api/v1/users/me/score": {"get"},
    "/api/v1/users/{userId}/score": {"get"},
    "/api/v1/leaderboard/stream": {"get"},
    "/api/v1/actions/types": {"get"},
    "/api/v1/actions/request": {"post"},
    "/api/v1/actions/initialize": {"post"},
    "/api/v1/actions/complete": {"post"},
    "/api/v1/scoreboard/update": {"post"},
    "/api/v1/admin/users/{userId}/ban": {"post"},
    "/api/v1/admin/users/{userId}/unban": {"post"},
    "/api/v1/admin/flags": {"get"},
    "/api/v1/admin/flags/{flagId}/approve": {"post"},
    "/api/v1/admin/flags/{flagId}/void": {"post"},
    "/api/v1/admin/users/{userId}/history": {"get"},
}
HTTP_METHODS = {"get", "put", "patch", "post", "delete", "head", "options", "trace"}


@pytest.fixture(scope="module")
def schema() -> dict:
    GENERATOR_STATS.reset()
    return SchemaGenerator().get_schema(request=None, public=True)


def _operation(schema: dict, path: str, method: str) -> dict:
    return schema["paths"][path][method]


def _data_schema(schema: dict, operation: dict, status: str) -> dict:
    """The component under ``data`` of the success envelope of ``operation``."""
    components = schema["components"]["schemas"]
    ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    data = components[ref.rsplit("/", 1)[1]]["properties"]["data"]
    return components[data["$ref"].rsplit("/", 1)[1]]


def test_it_generates_a_valid_schema_without_warnings(tmp_path: Path):
    GENERATOR_STATS.reset()  # warnings of earlier generations in this process must not count
    out = tmp_path / "schema.json"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(out)
    )
    assert not GENERATOR_STATS, "schema generation emitted warnings or errors"
    assert set(CONTRACT) <= set(json.loads(out.read_text())["paths"])


@pytest.mark.parametrize(("path", "methods"), sorted(CONTRACT.items()))
def test_it_documents_every_contract_path_with_its_methods(schema: dict, path: str, methods: set[str]):
    assert path in schema["paths"], f"{path} missing; schema has {sorted(schema['paths'])}"
    assert set(schema["paths"][path]) & HTTP_METHODS == methods


def test_every_api_operation_documents_its_success_and_error_answers(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            success = [status for status in responses if status.startswith("2")]
            assert success, f"{method} {path} has no success response"
            for status, response in responses.items():
                if status.startswith("4") or status.startswith("5"):
                    body = response["content"]["application/json"]["schema"]
                    assert body == {"$ref": "#/components/schemas/ErrorEnvelope"}, (method, path, status)


def test_it_types_the_path_and_query_parameters(schema: dict):
    def params(path: str) -> dict[str, dict]:
        return {p["name"]: p for p in _operation(schema, path, "get").get("parameters", [])}

    period = {"type": "string", "enum": ["all", "daily", "weekly", "monthly"], "default": "all"}
    for path in ("/api/v1/leaderboard", "/api/v1/scoreboard/top"):
        found = params(path)
        assert found["limit"]["in"] == "query"
        limit = {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}
        assert found["limit"]["schema"].items() >= limit.items()
        assert found["period"]["schema"].items() >= period.items()
    around = params("/api/v1/leaderboard/around-me")
    radius = {"type": "integer", "minimum": 0, "maximum": 50, "default": 5}
    assert around["radius"]["schema"].items() >= radius.items()
    assert around["period"]["schema"].items() >= period.items()
    assert params("/api/v1/users/me/score")["period"]["schema"].items() >= period.items()
    user = params("/api/v1/users/{userId}/score")
    assert user["userId"]["in"] == "path"
    assert user["userId"]["schema"] == {"type": "string", "format": "uuid"}
    assert user["period"]["schema"].items() >= period.items()
    # Moderation's path parameters were plain strings (found by schema fuzzing)
    assert params("/api/v1/admin/users/{userId}/history")["userId"]["schema"] == {
        "type": "string",
        "format": "uuid",
    }
    for action in ("approve", "void"):
        flag = {
            p["name"]: p
            for p in _operation(schema, f"/api/v1/admin/flags/{{flagId}}/{action}", "post")["parameters"]
        }
        assert flag["flagId"]["in"] == "path" and flag["flagId"]["schema"] == {
            "type": "integer",
            "minimum": 1,
        }


def test_it_describes_the_leaderboard_and_action_answers_in_camel_case(schema: dict):
    entry = {"rank", "userId", "username", "displayName", "score", "updatedAt"}
    top = _data_schema(schema, _operation(schema, "/api/v1/leaderboard", "get"), "200")
    assert set(top["properties"]) == {"leaderboard", "lastUpdated", "period", "totalPlayers"}
    assert top == _data_schema(schema, _operation(schema, "/api/v1/scoreboard/top", "get"), "200")
    entry_ref = top["properties"]["leaderboard"]["items"]["$ref"]
    assert set(schema["components"]["schemas"][entry_ref.rsplit("/", 1)[1]]["properties"]) == entry
    around = _data_schema(schema, _operation(schema, "/api/v1/leaderboard/around-me", "get"), "200")
    assert set(around["properties"]) == {"leaderboard", "me"}
    mine = _data_schema(schema, _operation(schema, "/api/v1/users/me/score", "get"), "200")
    assert set(mine["properties"]) == {
        "userId",
        "username",
        "displayName",
        "score",
        "rank",
        "percentile",
        "totalActions",
    }
    theirs = _data_schema(schema, _operation(schema, "/api/v1/users/{userId}/score", "get"), "200")
    assert set(theirs["properties"]) == {"userId", "username", "displayName", "score", "rank", "percentile"}

    types = _data_schema(schema, _operation(schema, "/api/v1/actions/types", "get"), "200")
    type_ref = types["properties"]["actionTypes"]["items"]["$ref"]
    assert set(schema["components"]["schemas"][type_ref.rsplit("/", 1)[1]]["properties"]) == {
        "actionType",
        "points",
        "minDurationMs",
        "maxDurationMs",
        "repeatable",
        "authoritative",
        "dailyLimit",
        "references",
    }
    issued = {"actionToken", "actionId", "expiresAt", "expectedScore", "proofKey"}
    for path in ("/api/v1/actions/request", "/api/v1/actions/initialize"):
        assert set(_data_schema(schema, _operation(schema, path, "post"), "201")["properties"]) == issued
    completion = {
        "actionId",
        "scoreIncrement",
        "previousScore",
        "newScore",
        "rank",
        "previousRank",
        "rankChange",
        "message",
    }
    complete = _data_schema(schema, _operation(schema, "/api/v1/actions/complete", "post"), "200")
    assert set(complete["properties"]) == completion
    update = _data_schema(schema, _operation(schema, "/api/v1/scoreboard/update", "post"), "200")
    assert set(update["properties"]) == completion | {"userId", "leaderboard"}


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/v1/actions/types", "get", {"200", "429"}),
        ("/api/v1/actions/request", "post", {"201", "400", "401", "403", "409", "413", "429", "503"}),
        ("/api/v1/actions/initialize", "post", {"201", "400", "401", "403", "409", "413", "429", "503"}),
        ("/api/v1/actions/complete", "post", {"200", "400", "401", "403", "409", "413", "422", "429", "503"}),
        (
            "/api/v1/scoreboard/update",
            "post",
            {"200", "400", "401", "403", "409", "413", "422", "429", "503"},
        ),
        ("/api/v1/leaderboard", "get", {"200", "400", "401", "403", "429", "503"}),
        ("/api/v1/scoreboard/top", "get", {"200", "400", "401", "403", "429", "503"}),
        ("/api/v1/leaderboard/around-me", "get", {"200", "400", "401", "403", "404", "429", "503"}),
        ("/api/v1/users/me/score", "get", {"200", "400", "401", "403", "429", "503"}),
        ("/api/v1/users/{userId}/score", "get", {"200", "400", "401", "403", "404", "429", "503"}),
        ("/api/v1/leaderboard/stream", "get", {"200", "401", "403"}),
        # Moderation: listed only 200 (found by schema fuzzing)
        ("/api/v1/admin/flags", "get", {"200", "400", "401", "403", "429", "503"}),
        (
            "/api/v1/admin/flags/{flagId}/approve",
            "post",
            {"200", "400", "401", "403", "404", "409", "429", "503"},
        ),
        (
            "/api/v1/admin/flags/{flagId}/void",
            "post",
            {"200", "400", "401", "403", "404", "409", "429", "503"},
        ),
        (
            "/api/v1/admin/users/{userId}/ban",
            "post",
            {"200", "400", "401", "403", "404", "409", "429", "503"},
        ),
        ("/api/v1/admin/users/{userId}/unban", "post", {"200", "400", "401", "403", "404", "429", "503"}),
        ("/api/v1/admin/users/{userId}/history", "get", {"200", "400", "401", "403", "404", "429", "503"}),
    ],
)
def test_it_lists_the_statuses_each_endpoint_answers(
    schema: dict, path: str, method: str, statuses: set[str]
):
    assert set(_operation(schema, path, method)["responses"]) == statuses


def test_it_documents_the_stream_as_server_sent_events(schema: dict):
    operation = _operation(schema, "/api/v1/leaderboard/stream", "get")
    assert set(operation["responses"]["200"]["content"]) == {"text/event-stream"}
    assert {} in operation["security"]  # public while LEADERBOARD_PUBLIC


def test_documenting_the_stream_leaves_it_a_plain_async_view():
    from leaderboard.sse import leaderboard_stream

    assert asyncio.iscoroutinefunction(leaderboard_stream)
