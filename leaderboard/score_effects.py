"""The side effects of a ledger row, with one owner.

The ``post_save`` receiver of ScoreHistory (``receivers.py``) registers ``row_committed``
with ``transaction.on_commit``, and it is the only code that writes the rankings, sends
the personal events and schedules the top 10 for a ledger row:

- a row of the global board (an action, a void, an adjustment): the ranks are counted from
  the committed scores, after the commit (never under the row lock) and before the ranking
  moves; then the ranking sets are written, the scorer gets ``player.score`` and the top 10
  is scheduled (``broadcaster.score_changed``), and the players passed hear ``overtaken``;
- a named board's row (``kind=board``): ``boards/receivers.board_row_committed`` (the
  board's set, its top 10, ``overtaken`` on that board).

Two facts cross between the writer and the on-commit work, each in a registry keyed by
the row, explicit and typed instead of attributes hung on the model instance. Both are
``WeakKeyDictionary``s: an entry lives as long as the row object, so nothing is left
behind by a rollback or by a row nobody asks about.

- ``note_written(row, WrittenFacts(...))``: what only the writer knew under the row lock
  (when the old score was reached; a board row's standing). Call it before the commit.
- ``committed_ranks(row)``: the ranks ``row_committed`` counted, for the writer's response.
  When the row's transaction has not committed yet (a caller's own transaction is still
  open), they are counted there by the same function, ``count_ranks``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from scoreboard_project import after_response

from . import overtaken, ranking_writes
from .boards.receivers import BoardStanding, board_row_committed
from .broadcast import broadcaster
from .broadcast.payloads import ScoreEvent
from .models import ScoreHistory
from .rank_read import ranks_for_scores

Ranks = tuple[int | None, int | None]  # (rank before the row, rank after it); None for the unranked


@dataclass(frozen=True)
class WrittenFacts:
    previous_score_time: datetime | None = None  # a global row: when the old score was reached (tie-break)
    board_standing: BoardStanding | None = None  # a named board's row: the record after the write


_facts: WeakKeyDictionary[ScoreHistory, WrittenFacts] = WeakKeyDictionary()
_ranks: WeakKeyDictionary[ScoreHistory, Ranks] = WeakKeyDictionary()


def note_written(row: ScoreHistory, facts: WrittenFacts) -> None:
    """The writer's facts about a saved row, read by ``row_committed`` (call before the commit)."""
    _facts[row] = facts


def count_ranks(row: ScoreHistory) -> Ranks:
    """The all-time ranks of the row's player at its previous and new score."""
    previous_rank, new_rank = ranks_for_scores(row.user, [row.previous_score, row.new_score])
    return previous_rank, new_rank


def committed_ranks(row: ScoreHistory) -> Ranks:
    """The ranks counted on commit for ``row`` (counted now if its commit has not come yet)."""
    found = _ranks.pop(row, None)
    return found if found is not None else count_ranks(row)


def row_committed(row: ScoreHistory) -> None:
    """On commit of a new ledger row: all of its side effects, in order."""
    facts = _facts.pop(row, None) or WrittenFacts()
    if row.board_id is not None:
        board_row_committed(row, facts.board_standing)
        return
    user = row.user
    previous_rank, new_rank = _ranks[row] = count_ranks(row)
    # The ranking first, so the top 10 the broadcaster reads already holds this change.
    ranking_writes.ranking_record_change(row)
    broadcaster.score_changed(
        ScoreEvent(
            userId=str(user.pk),
            previousScore=row.previous_score,
            newScore=row.new_score,
            increment=row.increment,
            previousRank=previous_rank,
            newRank=new_rank,
        )
    )
    # After the scorer's answer: the players passed are not in it (``after_response``).
    after_response.defer(
        overtaken.global_score_rose,
        user=user,
        old_score=row.previous_score,
        new_score=row.new_score,
        old_time=facts.previous_score_time,
    )
