"""Limits on the scoring path (API.md, "Limits"): completions and action requests.

Every completion attempt on a live token counts against the token's owner, whoever
sends it (a game server completing for a player spends that player's allowance). The
actions service counts it right after claiming the token and gives the token back when a
limit refuses it. The store being down fails closed: 503, and nothing is scored.
"""

from __future__ import annotations

from django.conf import settings

from scoreboard_project.errors import RateLimitExceeded
from scoreboard_project.ratelimits import Limit, limit_hit


def completion_limits() -> list[Limit]:
    return [
        Limit("actions.complete.second", settings.RATE_LIMIT_ACTIONS_PER_SECOND, 1),
        Limit("actions.complete.minute", settings.RATE_LIMIT_ACTIONS_PER_MINUTE, 60),
        Limit("actions.complete.hour", settings.RATE_LIMIT_ACTIONS_PER_HOUR, 3600),
        Limit("actions.complete.day", settings.RATE_LIMIT_ACTIONS_PER_DAY, 86400),
    ]


def request_limit() -> Limit:
    return Limit("actions.request.minute", settings.RATE_LIMIT_REQUESTS_PER_MINUTE, 60)


def _hit_all(limits: list[Limit], key: str) -> None:
    """Count the event in every window, then refuse with the longest wait among the full ones."""
    refusals: list[RateLimitExceeded] = []
    for limit in limits:
        try:
            limit_hit(limit, key)
        except RateLimitExceeded as exc:
            refusals.append(exc)
    if refusals:
        raise max(refusals, key=lambda exc: exc.retry_after)


def check_completion_attempt(*, owner_id: object) -> None:
    _hit_all(completion_limits(), str(owner_id))


def check_action_request(*, user_id: object) -> None:
    limit_hit(request_limit(), str(user_id))
