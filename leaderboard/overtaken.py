"""``rank:overtaken`` / ``overtaken``: tell each player a score change passed.

When a player's score rises from ``old`` to ``new`` on a board, the players passed are
those who were ahead of them and are now behind: everyone with a score strictly between
the two, and those tied at ``old`` who had reached it first (ahead by the tie-break).
Nobody at ``new`` is passed (they reached it first). Each passed player's rank (1 + the
players strictly better) grows by exactly one with this change, so ``previousRank`` is
``rank - 1``. Up to ``LIMIT`` players are told, nearest first.

Generic over the ranking: ``passed_in_sorted_set`` reads any sorted set laid out like the
ranking store's in either sort order (one Lua script: the range query and the two counts
that give the ranks, atomically, in one round trip); ``passed_players`` picks it for a Redis
board and falls back to SQL. Named boards call these with their own keys.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from django.db.models import Q

from accounts.display_names import display_name_of
from accounts.models import User
from scoreboard_project.redis_client import registered

from . import ranking
from .broadcast import channel
from .broadcast.broadcaster import TOP
from .broadcast.hub import LEADERBOARD_GROUP, OVERTAKEN
from .broadcast.payloads import RankChange, rank_change_frame
from .periods import to_micros, window_for
from .ranking_rebuilds import REDIS_ERRORS, redis_store_enabled, stale_marks_pending
from .redis_store import RedisBoard, decode_member, member_for
from .sql_store import SqlBoard

logger = logging.getLogger("scoreboard.broadcast")
LIMIT = 100


@dataclass(frozen=True)
class Passed:
    user_id: str
    score: int
    rank: int


# KEYS[1] the set, KEYS[2] (optional) its ready marker; ARGV: old score, new score, the
# scorer's old member ('' if unknown), 'desc'|'asc', limit. Returns false when the marker is
# given and missing, else {better than new, at new, "member score member score ..."}: the
# pairs as one string, which the client parses as one reply instead of up to 200.
_PASSED = """
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 0 then return false end
local old, new, limit = ARGV[1], ARGV[2], tonumber(ARGV[5])
local better, at_new, range
if ARGV[4] == 'desc' then
  better = redis.call('ZCOUNT', KEYS[1], '(' .. new, '+inf')
  at_new = redis.call('ZCOUNT', KEYS[1], new, new)
  range = redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. new, old, 'WITHSCORES', 'LIMIT', 0, limit)
else
  better = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. new)
  at_new = redis.call('ZCOUNT', KEYS[1], new, new)
  range = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. new, old, 'WITHSCORES', 'LIMIT', 0, limit)
end
local out = {}
for i = 1, #range, 2 do
  local member, score = range[i], range[i + 1]
  local tied_behind = member == ARGV[3] or tonumber(score) == tonumber(old) and (ARGV[3] == '' or
    (ARGV[4] == 'desc' and member < ARGV[3]) or (ARGV[4] ~= 'desc' and member > ARGV[3]))
  if not tied_behind then
    out[#out + 1] = member
    out[#out + 1] = score
  end
end
return {better, at_new, table.concat(out, ' ')}
"""


class SetNotReady(Exception):
    """The set asked with its ready marker is not ready: read the players passed elsewhere."""


def passed_in_sorted_set(
    client: redis.Redis,
    zset: str,
    *,
    scorer_id: str,
    old_score: int,
    new_score: int,
    old_member: str = "",
    descending: bool = True,
    limit: int = LIMIT,
    ready_key: str | None = None,
) -> list[Passed]:
    """The players a move from ``old_score`` to ``new_score`` passed, nearest first, with their
    ranks now (the scorer's new member must already be in the set). With ``ready_key`` the
    script checks the set is ready (no round trip of its own) and raises SetNotReady if not."""
    script = registered(client, _PASSED)
    flat = script(
        keys=[zset] if ready_key is None else [zset, ready_key],
        args=[old_score, new_score, old_member, "desc" if descending else "asc", limit],
        client=client,
    )
    if flat is None:
        raise SetNotReady(zset)
    better, at_new = int(flat[0]), int(flat[1])
    passed: list[Passed] = []
    ahead_of_group = better + at_new  # the scorer is counted in at_new
    pairs = _text(flat[2]).split()
    for index in range(0, len(pairs), 2):
        member, score = pairs[index], int(float(pairs[index + 1]))
        if passed and passed[-1].score == score:
            rank = passed[-1].rank
        else:
            rank = 1 + ahead_of_group + len(passed)
        user_id, _ = decode_member(member)
        if user_id == scorer_id:
            continue
        passed.append(Passed(user_id, score, rank))
    return passed


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def passed_in_sql(
    board: SqlBoard,
    *,
    scorer_id: str,
    old_score: int,
    new_score: int,
    old_time: datetime | None,
    limit: int = LIMIT,
) -> list[Passed]:
    s, t = board.score_field, board.time_field
    between = Q(**{f"{s}__gt": old_score, f"{s}__lt": new_score})
    if old_time is not None:
        between |= Q(**{s: old_score, f"{t}__lt": old_time}) | Q(
            **{s: old_score, t: old_time, "id__lt": scorer_id}
        )
    rows = (
        board._players()
        .filter(between)
        .exclude(pk=scorer_id)
        .order_by(f"-{s}", t, "id")
        .values_list("id", s)[:limit]
    )
    passed: list[Passed] = []
    ranks: dict[int, int] = {}
    for user_id, score in rows:
        score = int(score)
        if score not in ranks:
            ranks[score] = board.rank_for(score)
        passed.append(Passed(str(user_id), score, ranks[score]))
    return passed


def passed_players(
    board,
    *,
    scorer_id: str,
    old_score: int,
    new_score: int,
    old_time: datetime | None,
    check_ready: bool = False,
) -> list[Passed]:
    """``check_ready``: ``board`` is a Redis set not yet known to be ready (SetNotReady)."""
    if new_score <= old_score:
        return []
    if isinstance(board, RedisBoard):
        old_member = member_for(scorer_id, to_micros(old_time)) if old_time is not None else ""
        return passed_in_sorted_set(
            board.client,
            board.keys.zset,
            scorer_id=scorer_id,
            old_score=old_score,
            new_score=new_score,
            old_member=old_member,
            ready_key=board.keys.ready if check_ready else None,
        )
    if isinstance(board, SqlBoard):
        return passed_in_sql(
            board, scorer_id=scorer_id, old_score=old_score, new_score=new_score, old_time=old_time
        )
    return []


def notify_overtaken(*, board: str, by: User, passed: list[Passed]) -> None:
    """All the players one change passed in ONE message to the hubs' group: each process's hub
    writes the personal frames to the sockets it holds for those players (``Hub.deliver_overtaken``),
    instead of one channel-layer send per player."""
    if not passed:
        return
    try:
        channel.group_send(
            LEADERBOARD_GROUP,
            {
                "type": OVERTAKEN,
                "board": board,
                "by": {
                    "userId": str(by.pk),
                    "username": by.username,
                    "displayName": display_name_of(by),
                },
                "passed": [[p.user_id, p.rank, p.score] for p in passed],
            },
        )
    except channel.ERRORS:
        logger.warning("%d overtaken events not sent: Redis unreachable", len(passed))


def global_score_rose(*, user: User, old_score: int, new_score: int, old_time: datetime | None) -> None:
    """Called on commit, after the ranking has the new score: the global board's passed players."""
    if new_score <= old_score or not user.is_ranked:
        return

    def query(board, check_ready: bool = False) -> list[Passed]:
        return passed_players(
            board,
            scorer_id=str(user.pk),
            old_score=old_score,
            new_score=new_score,
            old_time=old_time,
            check_ready=check_ready,
        )

    # A stale mark this process could not write yet would leave the set looking ready: then
    # the usual read, which writes the mark first and rebuilds.
    fast = redis_store_enabled() and not stale_marks_pending()
    written = RedisBoard(window_for("all")) if fast else None
    passed = passed_after_write(written, query, lambda: ranking.read("all", query))
    notify_overtaken(board="global", by=user, passed=passed)
    notify_pushed_down(passed)


def notify_pushed_down(passed: list[Passed]) -> None:
    """``rank_change`` to each passed player who was in the top 10: one place lower, as only
    the scorer moved past them. Sent at once, one per update: personal events are never
    coalesced (the top 10 itself may wait for its window). The nearest come first, so the
    top 10's are always among the ``LIMIT`` passed."""
    for player in passed:
        if player.rank - 1 > TOP:
            break
        change = RankChange(
            userId=player.user_id, previousRank=player.rank - 1, newRank=player.rank, score=player.score
        )
        try:
            channel.group_send(
                channel.user_group(player.user_id),
                {"type": "player.rank", "scoreboard_rank": rank_change_frame(change)},
            )
        except channel.ERRORS:
            logger.warning("rank_change for %s not sent: Redis unreachable", player.user_id)


def passed_after_write(
    written: RedisBoard | None,
    query: Callable[..., list[Passed]],
    usual_read: Callable[[], list[Passed]],
) -> list[Passed]:
    """``query`` on the set a write just went to, whose script checks it is ready (no round
    trip of its own); when it is not ready or Redis fails, ``usual_read`` (a rebuild, or SQL)."""
    if written is not None:
        try:
            return query(written, check_ready=True)
        except (SetNotReady, *REDIS_ERRORS):
            pass
    return usual_read()
