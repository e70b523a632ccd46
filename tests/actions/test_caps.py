"""Per-type caps and reference lists (docs/api.md, "Limits" and the errors of /actions/*)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from unittest import mock

import pytest

from actions.admin import ActionTypeForm
from actions.models import ActionToken, ActionType
from tests.helpers.actions import error_of, request_token
from tests.helpers.players import make_player
from tests.helpers.racing import race

pytestmark = pytest.mark.django_db

LATE = datetime(2026, 11, 29, 23, 59, 30, tzinfo=UTC)
NEXT_DAY = datetime(2026, 11, 30, 0, 0, 5, tzinfo=UTC)


def request(client, action_type: str = "COMPLETE_QUEST", reference: str = ""):
    return client.post(
        "/api/v1/actions/request", {"actionType": action_type, "reference": reference}, format="json"
    )


def test_it_caps_a_type_per_player_per_utc_day(alice, bob, client_for, many_completions):
    client = client_for(alice)
    with mock.patch("actions.clock.now", return_value=LATE):
        for i in range(20):
            assert request(client, reference=f"q{i}").status_code == 201
        refused = request(client, reference="q20")
        assert refused.status_code == 429 and error_of(refused)["code"] == "RATE_LIMIT_EXCEEDED"
        assert refused["Retry-After"] == "30" and error_of(refused)["details"]["retryAfter"] == 30
        assert request(client_for(bob), reference="q0").status_code == 201  # per player
        assert request(client, "COMPLETE_LEVEL").status_code == 201  # per type
    with mock.patch("actions.clock.now", return_value=NEXT_DAY):
        assert request(client, reference="q20").status_code == 201  # a new UTC day
    assert ActionToken.objects.filter(user=alice, action_type__code="COMPLETE_QUEST").count() == 21


def test_it_counts_only_requests_that_get_a_token(alice, client_for, many_completions):
    ActionType.objects.filter(code="COMPLETE_QUEST").update(daily_limit=2, references=["a", "b", "c"])
    client = client_for(alice)
    assert request(client, reference="nope").status_code == 400
    assert request(client, reference="a").status_code == 201
    assert request(client, reference="b").status_code == 201
    assert request(client, reference="c").status_code == 429


def test_it_applies_a_raised_limit_at_once(alice, client_for, many_completions):
    quest = ActionType.objects.get(code="COMPLETE_QUEST")
    quest.daily_limit = 1
    quest.save()
    client = client_for(alice)
    assert request(client, reference="a").status_code == 201
    assert request(client, reference="b").status_code == 429
    quest.daily_limit = 2
    quest.save()  # the catalog cache forgets it on save
    assert request(client, reference="b").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_it_holds_the_cap_under_concurrent_requests(client_for, many_completions):
    ActionType.objects.create(
        code="DAILY_CHEST", points=50, min_duration_ms=1000, max_duration_ms=60000, daily_limit=5
    )
    alice = make_player("alice")
    clients = [client_for(alice) for _ in range(16)]
    statuses = race(16, lambda i: request(clients[i], "DAILY_CHEST", f"r{i}").status_code)
    assert Counter(statuses) == Counter({201: 5, 429: 11})
    assert ActionToken.objects.filter(action_type__code="DAILY_CHEST").count() == 5


def test_it_refuses_a_reference_the_type_does_not_list(alice, client_for, many_completions):
    ActionType.objects.filter(code="COMPLETE_LEVEL").update(references=["level-1", "level-2"])
    client = client_for(alice)
    refused = request(client, "COMPLETE_LEVEL", "level-99")
    assert refused.status_code == 400 and error_of(refused)["code"] == "UNKNOWN_REFERENCE"
    assert request(client, "COMPLETE_LEVEL").status_code == 400  # no reference is not a listed one
    alias = client.post(
        "/api/v1/actions/initialize", {"actionType": "COMPLETE_LEVEL", "actionId": "x"}, format="json"
    )
    assert alias.status_code == 400 and error_of(alias)["code"] == "UNKNOWN_REFERENCE"
    assert request_token(client, "COMPLETE_LEVEL", reference="level-2")["actionId"]
    assert not ActionToken.objects.filter(reference__in=["level-99", "", "x"]).exists()


def test_it_publishes_caps_and_references(api_client):
    ActionType.objects.filter(code="COMPLETE_LEVEL").update(references=["level-1"])
    types = {
        t["actionType"]: t for t in api_client.get("/api/v1/actions/types").json()["data"]["actionTypes"]
    }
    assert (
        types["COMPLETE_LEVEL"]["references"] == ["level-1"] and types["COMPLETE_LEVEL"]["dailyLimit"] is None
    )
    assert types["COMPLETE_QUEST"]["dailyLimit"] == 20 and types["COMPLETE_QUEST"]["references"] is None


def form(**changes) -> ActionTypeForm:
    data = {
        "code": "NEW_TYPE",
        "points": 10,
        "min_duration_ms": 1000,
        "max_duration_ms": 5000,
        "enabled": True,
        "daily_limit": "",
        "references": "",
    }
    return ActionTypeForm(data={**data, **changes})


def test_it_validates_caps_and_references_in_the_admin():
    good = form(daily_limit=3, references="level-1\n level-2 \n\n")
    assert good.is_valid(), good.errors
    saved = good.save()
    assert saved.references == ["level-1", "level-2"] and saved.daily_limit == 3
    empty = form(code="OTHER_TYPE")
    assert empty.is_valid(), empty.errors
    assert empty.cleaned_data["references"] is None and empty.cleaned_data["daily_limit"] is None
    assert "references" in form(references="a\na").errors
    assert "references" in form(references="x" * 101).errors
    assert "daily_limit" in form(daily_limit=0).errors
    assert "daily_limit" in form(daily_limit=-1).errors


def test_it_shows_the_references_one_per_line_when_editing(db):
    quest = ActionType.objects.get(code="COMPLETE_QUEST")
    quest.references = ["a", "b"]
    quest.save()
    assert ActionTypeForm(instance=quest).initial["references"] == "a\nb"
