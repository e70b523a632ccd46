"""Keyset pages over a ranking sorted set (``redis_store`` layout), one Lua call each.

A cursor is a position in board order: (rank score, tie-break µs, user id), which maps
to the member ``redis_store.member_for`` would give it. The page after it starts at the
number of members that sort before that position. When the cursor's player still holds
exactly that position, that is their ``ZREVRANK`` + 1; otherwise the script places the
cursor's member there for an instant, reads its rank and puts everything back, all
inside one script, so no other client ever sees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scoreboard_project.redis_client import registered

from ..redis_scripts import scripts
from ..redis_store import RedisBoard, decode_member, member_for
from ..rows import Row, assign_ranks

# KEYS: zset, ready. ARGV: cursor rank score ('' for the first page), cursor member, limit.
# Returns false when the set is not ready, else {start, total, higher-than-first, items...}.
_PAGE = """
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
local start = 0
if ARGV[2] ~= '' then
  local wanted = tonumber(ARGV[1])
  local held = redis.call('ZSCORE', KEYS[1], ARGV[2])
  if held and tonumber(held) == wanted then
    start = redis.call('ZREVRANK', KEYS[1], ARGV[2]) + 1
  else
    redis.call('ZADD', KEYS[1], wanted, ARGV[2])
    start = redis.call('ZREVRANK', KEYS[1], ARGV[2])
    if held then
      redis.call('ZADD', KEYS[1], held, ARGV[2])
      if tonumber(held) > wanted then start = start + 1 end
    else
      redis.call('ZREM', KEYS[1], ARGV[2])
    end
  end
end
local items = redis.call('ZREVRANGE', KEYS[1], start, start + tonumber(ARGV[3]) - 1, 'WITHSCORES')
local higher = 0
if #items > 0 then higher = redis.call('ZCOUNT', KEYS[1], '(' .. items[2], '+inf') end
return {start, redis.call('ZCARD', KEYS[1]), higher, items}
"""


@dataclass(frozen=True)
class Position:
    """Where a cursor stands: after this (rank score, µs, user id) in board order."""

    rank_score: int
    updated_at_us: int
    user_id: str


def page_after(board: RedisBoard, after: Position | None, limit: int) -> tuple[list[Row], int] | None:
    """(rows, total) of the page after ``after``; None when the set must be rebuilt first."""
    script = registered(board.client, _PAGE)
    scripts(board.client)  # the ranking scripts share the client: register once, here too
    args: list[Any] = (
        ["", "", limit]
        if after is None
        else [after.rank_score, member_for(after.user_id, after.updated_at_us), limit]
    )
    answer = script(keys=[board.keys.zset, board.keys.ready], args=args, client=board.client)
    if not answer:
        return None
    start, total, higher, flat = int(answer[0]), int(answer[1]), int(answer[2]), answer[3]
    items = []
    for index in range(0, len(flat), 2):
        user_id, us = decode_member(flat[index])
        items.append((user_id, int(float(flat[index + 1])), us))
    rows = assign_ranks(items, offset=start, first_rank=lambda _score: 1 + higher)
    return rows, total


# KEYS: zset, map, ready. ARGV: user id, then rank scores. Returns false when the set is not
# ready, else the player's stored score (or false) and, for each rank score, how many
# members are strictly better.
_ABOVE = """
if redis.call('EXISTS', KEYS[3]) == 0 then return false end
local member = redis.call('HGET', KEYS[2], ARGV[1])
local mine = false
if member then mine = redis.call('ZSCORE', KEYS[1], member) or false end
local counts = {}
for i = 2, #ARGV do counts[#counts + 1] = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[i], '+inf') end
return {mine, counts}
"""


def ranks_among_others(board: RedisBoard, user_id: str, rank_scores: list[int]) -> list[int] | None:
    """1 + the number of other players strictly better than each rank score (one call, which
    checks the set is ready: None when it is not)."""
    script = registered(board.client, _ABOVE)
    answer = script(
        keys=[board.keys.zset, board.keys.map, board.keys.ready],
        args=[user_id, *rank_scores],
        client=board.client,
    )
    if not answer:
        return None
    mine, counts = answer
    return ranks_from_counts(None if not mine else float(mine), counts, rank_scores)


def ranks_from_counts(mine: float | None, counts: list, rank_scores: Sequence[int]) -> list[int]:
    """The rank each of ``rank_scores`` has among the players other than one whose stored
    rank score is ``mine`` (None: not on the set), from the counts of members strictly
    better than each: the player is not counted against a score below their own."""
    return [
        1 + int(count) - (1 if mine is not None and mine > wanted else 0)
        for count, wanted in zip(counts, rank_scores, strict=True)
    ]


# KEYS: zset, map. ARGV: user id, radius. The player's neighbourhood in one call:
# {start, higher-than-first, items}, or {} when the player is not on the set.
_AROUND = """
local member = redis.call('HGET', KEYS[2], ARGV[1])
if not member then return {} end
local position = redis.call('ZREVRANK', KEYS[1], member)
if not position then return {} end
local radius = tonumber(ARGV[2])
local start = math.max(0, position - radius)
local items = redis.call('ZREVRANGE', KEYS[1], start, position + radius, 'WITHSCORES')
return {start, redis.call('ZCOUNT', KEYS[1], '(' .. items[2], '+inf'), items}
"""


def around_after(board: RedisBoard, user_id: str, radius: int) -> list[Row] | None:
    """The player's row with up to ``radius`` rows before and after (one call); None when
    the player is not on the set (the caller answers from its slower path)."""
    script = registered(board.client, _AROUND)
    answer = script(keys=[board.keys.zset, board.keys.map], args=[user_id, radius], client=board.client)
    if not answer:
        return None
    start, higher, flat = int(answer[0]), int(answer[1]), answer[2]
    items = []
    for index in range(0, len(flat), 2):
        uid, us = decode_member(flat[index])
        items.append((uid, int(float(flat[index + 1])), us))
    return assign_ranks(items, offset=start, first_rank=lambda _score: 1 + higher)
