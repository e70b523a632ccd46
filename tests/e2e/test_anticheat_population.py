"""The anti-cheat benchmark in small (``make anticheat-bench`` is the full one): eight
signature bots and twelve human-like players against two daphne processes on
PostgreSQL + Redis, through the public API, with valid proofs and inside every limit.

To fit CI, players think four times faster and the per-minute limits are raised to 60
for these child servers only (so that pacing, not the detectors, is not what takes the
time); every detector threshold is the default.
"""

from __future__ import annotations

import asyncio

import pytest

from accounts.tokens import issue_token_pair
from bench.anticheat.families import population
from bench.anticheat.population import run_population
from bench.anticheat.report import render, summary
from tests.helpers.child_servers import child_server_env
from tests.helpers.players import make_player
from tests.helpers.servers import daphne_pair

pytestmark = [pytest.mark.production_shape, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def servers(transactional_db):
    env = child_server_env(
        RATE_LIMIT_ACTIONS_PER_MINUTE="60",
        RATE_LIMIT_REQUESTS_PER_MINUTE="60",
        RATE_LIMIT_IP_PER_HOUR="1000000",
        LOG_LEVEL="WARNING",
    )
    with daphne_pair(env) as pair:
        yield pair


@pytest.mark.timeout(300)
def test_it_flags_the_bots_and_leaves_the_humans_alone(servers):
    moderator = make_player("ci-moderator", is_staff=True, is_superuser=True)
    bases = [server.http for server in servers]
    families = population(bots=8, humans=12, mimics=0, seed=20261130, pace=0.25)
    outcomes = asyncio.run(
        run_population(
            families,
            bases,
            issue_token_pair(moderator).access,
            bot_actions=11,
            human_actions=11,
            max_seconds=100,
            per_minute=50,
            spread_start_s=5,
        )
    )
    print(render(outcomes))
    assert all(o.statuses.get("200") for o in outcomes)  # everyone played, through both processes
    totals = summary(outcomes)
    assert totals["signatureBots"] == 8 and totals["signatureBotsFlaggedWithin20"] >= 7
    assert totals["humans"] == 12 and totals["humansFlagged"] == 0
    for outcome in outcomes:
        if outcome.family.bot and outcome.first_flag_at:
            assert outcome.first_flag_at >= 10  # a full window of ten before any judgement
