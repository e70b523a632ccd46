"""A plain completion (no flags) stays within its SQL budget of 8 statements."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actions import services
from tests.helpers.actions import age_action, complete_token, proof_for, request_token
from tests.helpers.players import make_player
from tests.helpers.stores import production_shape

BUDGET = 8
# On the SQL store (embedded defaults) the ranking is the database: after the commit, one more
# SELECT finds the players the completion passed (overtaken events); Redis answers it otherwise.
OVERTAKEN_LOOKUP = 0 if production_shape() else 1
# The claim and the attempt's count share a transaction (actions/services.py): its BEGIN
# and COMMIT (a savepoint's pair inside a test's transaction).
CLAIM_CONTROL = 2


def _warm_up(client) -> None:
    """A first completion: the player's detector history and the type's baseline get cached."""
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    assert complete_token(client, issued, 2000).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_it_completes_an_action_in_at_most_eight_statements(
    client_for, many_completions, django_assert_max_num_queries
):
    """Every statement the service sends, transaction control included.

    The claim (UPDATE ... RETURNING) in its own transaction with the attempt's count, then
    the ledger transaction: BEGIN, the score
    UPDATE, its read-back, the previous and new rank (two COUNTs on the SQL store; Redis
    answers them on the production shape), the INSERT, COMMIT. The detectors read through the cache.
    """
    alice = make_player("alice")
    client = client_for(alice)
    _warm_up(client)
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    proof = proof_for(issued, 2100)
    with django_assert_max_num_queries(BUDGET + OVERTAKEN_LOOKUP + CLAIM_CONTROL):
        done = services.action_complete(
            user=alice,
            token=issued["actionToken"],
            action_id=uuid.UUID(issued["actionId"]),
            proof=services.Proof(proof["completionTime"], proof["checksum"]),
        )
    assert done.change.new_score == 200 and done.flags == []


@pytest.mark.django_db(transaction=True)
def test_it_completes_through_the_api_in_at_most_eight_data_statements(client_for, many_completions):
    """Through the API the caller's row (authentication) is one more SELECT; BEGIN/COMMIT are not data."""
    alice = make_player("alice")
    client = client_for(alice)
    _warm_up(client)
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    with CaptureQueriesContext(connection) as queries:
        response = complete_token(client, issued, 2000)
    assert response.status_code == 200, response.content
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")
    data_statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(control)]
    assert len(data_statements) <= BUDGET + OVERTAKEN_LOOKUP, data_statements
    # The ledger row's INSERT carries the score's UPDATE on PostgreSQL (a data-modifying WITH);
    # SQLite cannot, and sends the UPDATE right after it.
    [ledger] = [sql for sql in data_statements if "INSERT INTO" in sql]
    assert ledger.startswith("WITH entry AS (INSERT INTO") == (connection.vendor == "postgresql")
    assert ("SET score = score +" in ledger) == (connection.vendor == "postgresql")
