"""The friends board: the caller and the players they follow, ranked among themselves,
each with their rank on the whole board.

Generic over the ranking: ``sorted_set_standings`` reads any sorted set laid out like the
ranking store's (``redis_store``: a member map beside the set) in either sort order, in
one round trip (a Lua script); ``board_standings`` picks it for a Redis board and falls
back to SQL otherwise. Named boards call these with their own keys and ``sortOrder``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis

from accounts.display_names import display_name_of
from accounts.friends import friends_of
from accounts.models import User
from scoreboard_project.redis_client import registered
from scoreboard_project.times import iso_z_micros

from . import ranking
from .periods import Period, to_micros
from .redis_store import RedisBoard, decode_member
from .rows import Board
from .shapes import FriendRecord
from .sql_store import SqlBoard


@dataclass(frozen=True)
class Standing:
    user_id: str
    score: int
    updated_at_us: int
    board_rank: int


# KEYS[1] the sorted set, KEYS[2] its member map (user id -> member); ARGV[1] 'desc' or
# 'asc'; ARGV[2..] user ids. For each player on the set: user id, member, score, and how
# many players are strictly better (1 + that is the board rank: ties share it).
_STANDINGS = """
local out = {}
local desc = ARGV[1] == 'desc'
for i = 2, #ARGV do
  local member = redis.call('HGET', KEYS[2], ARGV[i])
  local score = member and redis.call('ZSCORE', KEYS[1], member)
  if score then
    local better
    if desc then
      better = redis.call('ZCOUNT', KEYS[1], '(' .. score, '+inf')
    else
      better = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. score)
    end
    out[#out + 1] = ARGV[i]
    out[#out + 1] = member
    out[#out + 1] = score
    out[#out + 1] = better
  end
end
return out
"""


def sorted_set_standings(
    client: redis.Redis, zset: str, member_map: str, user_ids: list[str], *, descending: bool = True
) -> dict[str, Standing]:
    """The standings of ``user_ids`` on one sorted set, in a single round trip."""
    if not user_ids:
        return {}
    script = registered(client, _STANDINGS)
    flat = script(keys=[zset, member_map], args=["desc" if descending else "asc", *user_ids], client=client)
    found: dict[str, Standing] = {}
    for index in range(0, len(flat), 4):
        user_id, member, score, better = (_text(value) for value in flat[index : index + 4])
        _, updated_at_us = decode_member(member)
        found[user_id] = Standing(user_id, int(float(score)), updated_at_us, 1 + int(better))
    return found


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def sql_standings(board: SqlBoard, user_ids: list[str]) -> dict[str, Standing]:
    """The SQL store's answer: one query for the players, one COUNT per distinct score."""
    rows = board._players().filter(pk__in=user_ids).values_list("id", board.score_field, board.time_field)
    ranks: dict[int, int] = {}
    found: dict[str, Standing] = {}
    for user_id, score, moment in rows:
        score = int(score)
        if score not in ranks:
            ranks[score] = board.rank_for(score)
        found[str(user_id)] = Standing(str(user_id), score, to_micros(moment), ranks[score])
    return found


def board_standings(board: Board, user_ids: list[str], *, descending: bool = True) -> dict[str, Standing]:
    if isinstance(board, RedisBoard):
        return sorted_set_standings(
            board.client, board.keys.zset, board.keys.map, user_ids, descending=descending
        )
    if isinstance(board, SqlBoard):
        return sql_standings(board, user_ids)
    return {
        uid: Standing(uid, row.score, row.updated_at_us, row.rank)
        for uid in user_ids
        if (row := board.standing(uid)) is not None
    }


def rank_among(standings: list[Standing], *, descending: bool = True) -> list[tuple[int, Standing]]:
    """Board order (score, then who got there first, then user id); equal scores share a rank."""
    sign = -1 if descending else 1
    ordered = sorted(standings, key=lambda s: (sign * s.score, s.updated_at_us, s.user_id))
    ranked: list[tuple[int, Standing]] = []
    for index, standing in enumerate(ordered):
        same = ranked and ranked[-1][1].score == standing.score
        ranked.append((ranked[-1][0] if same else index + 1, standing))
    return ranked


def friend_records(
    players: list[User], standings: dict[str, Standing], *, descending: bool = True
) -> list[FriendRecord]:
    """The contract's records for the players found on the board."""
    by_id = {str(player.pk): player for player in players}
    return [
        {
            "rank": rank,
            "board_rank": standing.board_rank,
            "user_id": standing.user_id,
            "username": by_id[standing.user_id].username,
            "display_name": display_name_of(by_id[standing.user_id]),
            "score": standing.score,
            "metadata": {},  # as on the global board's records page: its records carry none
            "updated_at": iso_z_micros(standing.updated_at_us),
        }
        for rank, standing in rank_among(list(standings.values()), descending=descending)
    ]


def global_friends_board(*, user: User, period: Period = "all") -> list[FriendRecord]:
    """The caller (when ranked) and the players they follow, on the global board."""
    players = [user, *friends_of(user)] if user.is_ranked else friends_of(user)
    ids = [str(player.pk) for player in players]
    standings = ranking.read(period, lambda board: board_standings(board, ids))
    return friend_records(players, standings)
