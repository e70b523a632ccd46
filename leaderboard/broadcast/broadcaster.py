"""The broadcaster: what goes out to players and to the hubs, and when.

- Personal events go to group ``user_<hex>`` at once, never coalesced.
- The top 10 goes to group ``leaderboard`` (whose members are the hubs) only when it
  changed: the first change at once, later ones coalesced to one per
  BROADCAST_INTERVAL_MS (leading and trailing edge, the last state always sent), shared
  across processes through ``state.shared_state()``.

Who calls it: the on-commit function of a ledger row (``leaderboard/score_effects.py``)
calls ``score_changed``; a change of who is ranked that writes no ledger row (a ban, an
unban, a promotion to staff, a new player) calls ``standings_changed``; a new display name
calls ``schedule_leaderboard_broadcast``. Each schedules the top 10 once, except a ledger
row whose player ranks below the top 10 both before and after it: that row cannot change
the top 10 (``rank = 1 + players strictly higher``, so at least ten players stay above),
and it reads nothing more (measured: the top 10 read was about a tenth of a completion's CPU).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID

from django.conf import settings
from django.db import close_old_connections

from scoreboard_project.case import camel_rows
from scoreboard_project.times import iso_z

from .. import selectors
from ..boards.live import board_changed
from ..models import ScoreHistory
from . import channel
from .channel import ERRORS, user_group
from .hub import LEADERBOARD_GROUP
from .payloads import BoardState, ScoreEvent, dumps, score_frames, with_changes
from .state import previous_scores, shared_state

logger = logging.getLogger("scoreboard.broadcast")
TOP = 10


# --- personal events --------------------------------------------------------------------
def score_changed(event: ScoreEvent) -> None:
    """On commit of a ledger row: the scorer's own events, then the (coalesced) top 10."""
    try:
        channel.group_send(user_group(event["userId"]), {"type": "player.score", **score_frames(event)})
    except ERRORS:
        logger.warning("Personal score event for %s not sent: Redis unreachable", event["userId"])
    if _may_move_top(event):
        schedule_leaderboard_broadcast()


def _may_move_top(event: ScoreEvent) -> bool:
    """False only when the player ranks below the top 10 at both scores (an unranked one: True)."""
    before, after = event["previousRank"], event["newRank"]
    return before is None or after is None or before <= TOP or after <= TOP


def standings_changed(boards: Iterable[str] = ()) -> None:
    """Players joined or left the leaderboards without a ledger row (a ban, an unban, a
    promotion to staff): the global top 10, and the named ``boards``' top 10s, are sent
    again if they changed, once each."""
    schedule_leaderboard_broadcast()
    for key in sorted(set(boards)):
        board_changed(key)


def disconnect_banned_user(user_id: UUID) -> None:
    """Close every open socket of a banned player with code 4403, on every process."""
    try:
        channel.group_send(user_group(user_id), {"type": "player.banned"})
    except ERRORS:
        logger.warning(
            "Ban of %s not broadcast: Redis unreachable (their next auth check refuses them)", user_id
        )


def disconnect_revoked_user(user_id: UUID) -> None:
    """Close every open socket of a deactivated or re-passworded account with code 4401:
    the tokens they were opened with no longer work (docs/api.md, Revocation)."""
    try:
        channel.group_send(user_group(user_id), {"type": "player.revoked"})
    except ERRORS:
        logger.warning(
            "Revocation of %s not broadcast: Redis unreachable (their next auth check refuses them)", user_id
        )


# --- the top 10 ---------------------------------------------------------------------------
_timer_lock = threading.Lock()
_timer: threading.Timer | None = None


def schedule_leaderboard_broadcast() -> None:
    """Send the top 10 again if it changed (coalesced per BROADCAST_INTERVAL_MS)."""
    interval = settings.BROADCAST_INTERVAL_MS
    try:
        if interval == 0:
            publish_if_changed()
            return
        state = shared_state()
        remaining = state.open_or_defer(interval)
        if remaining is None:
            if not publish_if_changed():
                state.close_window()  # nothing left: the next change may go at once too
        else:
            _arm_trailing(remaining)
    except ERRORS:
        logger.warning("Leaderboard broadcast skipped: Redis unreachable")


def _arm_trailing(delay_ms: int) -> None:
    global _timer
    with _timer_lock:
        if _timer is not None and _timer.is_alive():
            return
        _timer = threading.Timer(delay_ms / 1000 + 0.002, _trailing_edge)
        _timer.daemon = True
        _timer.start()


def _trailing_edge() -> None:
    global _timer
    with _timer_lock:
        _timer = None
    try:
        state = shared_state()
        if state.open_window(settings.BROADCAST_INTERVAL_MS):
            if not (state.take_pending() and publish_if_changed()):
                state.close_window()
        elif state.has_pending():
            _arm_trailing(state.remaining_ms())  # another process holds the window; check again after
    except Exception:  # noqa: BLE001 - a timer thread must not die silently
        logger.exception("Trailing leaderboard broadcast failed")
    finally:
        close_old_connections()


def cancel_pending_timer() -> None:
    """Tests: no timer thread outlives its test."""
    global _timer
    with _timer_lock:
        if _timer is not None:
            _timer.cancel()
        _timer = None


def _same_board(before: BoardState | None, entries: list[selectors.Entry]) -> bool:
    if before is None:
        return False
    key = [(e["user_id"], e["score"], e["rank"], e["username"], e["display_name"]) for e in entries]
    return key == [
        (e["user_id"], e["score"], e["rank"], e["username"], e["display_name"]) for e in before["entries"]
    ]


def _build_state(entries: list[selectors.Entry], before: BoardState | None, seq: int) -> BoardState:
    updated_at = iso_z(datetime.now(UTC))
    previous = previous_scores(
        entries, before, ScoreHistory.objects.filter(board__isnull=True), user_key="user_id"
    )
    wire = camel_rows(entries)  # once per update: every socket and stream gets these bytes
    live = dumps({"leaderboard": wire, "updatedAt": updated_at, "seq": seq})
    scoreboard = dumps({"leaderboard": with_changes(wire, previous), "updatedAt": updated_at, "seq": seq})
    return BoardState(seq=seq, updatedAt=updated_at, entries=entries, live=live, scoreboard=scoreboard)


def publish_if_changed(*, force: bool = False) -> bool:
    """Read the top 10 once; if it differs from the last one sent, stamp, serialize and send it."""
    store = shared_state()
    entries = selectors.top_entries(TOP)
    before = store.last()
    if not force and _same_board(before, entries):
        return False
    state = _build_state(entries, before, store.next_seq())
    store.save(state)
    channel.group_send(
        LEADERBOARD_GROUP,
        {"type": "hub.board", "seq": state["seq"], "live": state["live"], "scoreboard": state["scoreboard"]},
    )
    return True


def current_state() -> BoardState:
    """The last board sent, or (nothing sent yet) the current one, kept as the snapshot."""
    try:
        store = shared_state()
        state = store.last()
        if state is None:
            state = _build_state(selectors.top_entries(TOP), None, store.next_seq())
            store.save(state)
        return state
    except ERRORS:
        return _build_state(selectors.top_entries(TOP), None, 0)
    finally:
        close_old_connections()
