"""The broadcaster and the per-process fan-out hub: the only code that touches the channel layer.

- Personal events go to group ``user_<hex>`` at once, never coalesced.
- The top 10 goes to group ``leaderboard`` (whose members are the hubs) only when it
  changed: the first change at once, later ones coalesced to one per
  BROADCAST_INTERVAL_MS (leading and trailing edge, the last state always sent), shared
  across processes through ``state.shared_state()``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime
from uuid import UUID

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections
from django.db.models import QuerySet, Sum

from scoreboard_project.redis_client import redis_configured
from scoreboard_project.times import iso_z

from .. import ranking, selectors
from ..models import ScoreHistory
from .hub import LEADERBOARD_GROUP, HubClient, get_hub, hub_loop
from .payloads import BoardState, RankChange, ScoreEvent, dumps, rank_change_frame, score_frames, with_changes
from .state import shared_state

__all__ = [
    "HubClient", "ScoreEvent", "current_state", "disconnect_banned_user", "get_hub", "group_add",
    "group_discard", "schedule_leaderboard_broadcast", "score_changed", "send_personal", "user_group",
]
logger = logging.getLogger("scoreboard.broadcast")
TOP = 10
_ERRORS = (redis.RedisError, OSError)


def user_group(user_id: UUID | str) -> str:
    """Channels group names are ASCII: ``user_<hex>``."""
    return f"user_{UUID(str(user_id)).hex}"


_loop_lock = threading.Lock()
_background: asyncio.AbstractEventLoop | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    """A long-lived loop for sends from threads of a process with no hub (one Redis connection)."""
    global _background
    with _loop_lock:
        if _background is None or _background.is_closed():
            _background = asyncio.new_event_loop()
            threading.Thread(target=_background.run_forever, name="broadcast-loop", daemon=True).start()
        return _background


def _group_send(group: str, message: dict) -> None:
    """Send from sync code (on-commit callbacks, timer threads) or from async code."""
    layer = get_channel_layer()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        asyncio.ensure_future(layer.group_send(group, message))  # called from async code: no blocking
        return
    # The serving loop when this process has a hub (the in-memory layer is bound to it), else,
    # with Redis, a long-lived loop: async_to_sync would open a new connection per send.
    target = hub_loop() or (_background_loop() if redis_configured() else None)
    if target is None:
        async_to_sync(layer.group_send)(group, message)
        return
    # Never waits: the scoring request's response does not queue behind the serving loop.
    asyncio.run_coroutine_threadsafe(layer.group_send(group, message), target).add_done_callback(_sent)


def _sent(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.warning("Broadcast not sent: %s", future.exception())


async def group_add(group: str, channel: str) -> None:
    await get_channel_layer().group_add(group, channel)


async def group_discard(group: str, channel: str) -> None:
    await get_channel_layer().group_discard(group, channel)


# --- personal events --------------------------------------------------------------------
def score_changed(event: ScoreEvent) -> None:
    """On commit of a ledger row: the scorer's own events, then the (coalesced) top 10."""
    try:
        _group_send(user_group(event["userId"]), {"type": "player.score", **score_frames(event)})
    except _ERRORS:
        logger.warning("Personal score event for %s not sent: Redis unreachable", event["userId"])
    schedule_leaderboard_broadcast()


def send_personal(messages: list[tuple[str, dict]]) -> None:
    """Many personal messages (group, message) at once, sent concurrently: never coalesced."""
    if not messages:
        return
    layer = get_channel_layer()

    async def send_all() -> None:
        await asyncio.gather(*(layer.group_send(group, message) for group, message in messages))

    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            asyncio.ensure_future(send_all())
            return
        target = hub_loop() or (_background_loop() if redis_configured() else None)
        if target is None:
            async_to_sync(send_all)()
            return
        # Never waits, as ``_group_send``: the record write or completion that passed these
        # players answers without queueing behind up to 100 sends on the serving loop.
        asyncio.run_coroutine_threadsafe(send_all(), target).add_done_callback(_sent)
    except _ERRORS:
        logger.warning("%d personal events not sent: Redis unreachable", len(messages))


def disconnect_banned_user(user_id: UUID) -> None:
    """Close every open socket of a banned player with code 4403, on every process."""
    try:
        _group_send(user_group(user_id), {"type": "player.banned"})
    except _ERRORS:
        logger.warning("Ban of %s not broadcast: Redis unreachable (their next auth check refuses them)", user_id)


def disconnect_revoked_user(user_id: UUID) -> None:
    """Close every open socket of a deactivated or re-passworded account with code 4401:
    the tokens they were opened with no longer work (API.md, Revocation)."""
    try:
        _group_send(user_group(user_id), {"type": "player.revoked"})
    except _ERRORS:
        logger.warning("Revocation of %s not broadcast: Redis unreachable (their next auth check refuses them)",
                       user_id)


# --- the top 10 ---------------------------------------------------------------------------
_timer_lock = threading.Lock()
_timer: threading.Timer | None = None


def schedule_leaderboard_broadcast() -> None:
    """Send the top 10 again if it changed (coalesced per BROADCAST_INTERVAL_MS)."""
    interval = settings.BROADCAST_INTERVAL_MS
    try:
        state = shared_state()
        if interval == 0 or state.open_window(interval):
            if not publish_if_changed() and interval:
                state.close_window()  # nothing left: the next change may go at once too
        else:
            state.set_pending()
            _arm_trailing(state.remaining_ms())
    except _ERRORS:
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
    key = [(e["userId"], e["score"], e["rank"], e["username"], e.get("displayName")) for e in entries]
    return key == [(e["userId"], e["score"], e["rank"], e["username"], e.get("displayName"))
                   for e in before["entries"]]


def previous_scores(entries: list[dict], before: BoardState | None, ledger: QuerySet) -> dict[str, int]:
    """Each entry's score at the previous update (the ``change`` of the scoreboard dialect):
    a newcomer's from its rows of ``ledger`` (the board's ledger rows) since then."""
    if before is None:
        return {}
    previous = {e["userId"]: e["score"] for e in before["entries"]}
    newcomers = [e["userId"] for e in entries if e["userId"] not in previous]
    if newcomers:
        since = datetime.fromisoformat(before["updatedAt"])
        moved = dict(
            ledger.filter(user_id__in=newcomers, created_at__gt=since)
            .values_list("user_id").annotate(total=Sum("increment")).values_list("user_id", "total")
        )
        for e in entries:
            if e["userId"] in newcomers:
                previous[e["userId"]] = e["score"] - int(moved.get(UUID(e["userId"]), 0) or 0)
    return previous


def _build_state(entries: list[selectors.Entry], before: BoardState | None, seq: int) -> BoardState:
    updated_at = iso_z(datetime.now(UTC))
    previous = previous_scores(entries, before, ScoreHistory.objects.filter(board__isnull=True))
    live = dumps({"leaderboard": entries, "updatedAt": updated_at, "seq": seq})
    scoreboard = dumps({"leaderboard": with_changes(entries, previous), "updatedAt": updated_at, "seq": seq})
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
    _group_send(LEADERBOARD_GROUP, {"type": "hub.board", "seq": state["seq"], "live": state["live"],
                                    "scoreboard": state["scoreboard"]})
    if before:
        _notify_pushed_down(before["entries"], entries)
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
    except _ERRORS:
        return _build_state(selectors.top_entries(TOP), None, 0)
    finally:
        close_old_connections()


def _notify_pushed_down(before: list[selectors.Entry], after: list[selectors.Entry]) -> None:
    """``rank_change`` to every player the update pushed down inside or out of the top 10."""
    now = {e["userId"]: e for e in after}
    for old in before:
        current = now.get(old["userId"])
        if current is None:
            row = ranking.read("all", lambda board, uid=old["userId"]: board.standing(uid))
            if row is None:
                continue  # banned or gone: not on the board at all
            new_rank, score = row.rank, row.score
        else:
            new_rank, score = current["rank"], current["score"]
        if score == old["score"] and new_rank > old["rank"]:
            change = RankChange(userId=old["userId"], previousRank=old["rank"], newRank=new_rank, score=score)
            _group_send(user_group(old["userId"]), {"type": "player.rank", "scoreboard_rank": rank_change_frame(change)})
