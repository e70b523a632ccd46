"""Moderation tests' helpers: a flagged completion, and the record of the side effects asked
of the leaderboard app (the ``side_effects`` fixture in tests/anticheat/conftest.py fills it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import User
from anticheat.models import Flag
from leaderboard.models import ScoreHistory
from leaderboard.services import score_history_record


@dataclass
class SideEffects:
    calls: list[tuple[str, object]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def flag_for(
    user: User, *, increment: int = 100, evidence: dict | None = None, entry: ScoreHistory | None = None
) -> Flag:
    """A completion worth ``increment`` (through the ledger service) and a flag on it."""
    if entry is None:
        entry = score_history_record(
            user=user, increment=increment, action_type="COMPLETE_LEVEL", completed_by=user
        ).entry
    return Flag.objects.create(
        user=user,
        score_history=entry,
        reason=Flag.Reason.FAST_COMPLETION,
        evidence=evidence if evidence is not None else {"completion_time_ms": 12, "usual_ms": 40000},
    )
