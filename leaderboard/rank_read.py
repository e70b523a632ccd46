"""All-time ranks for given scores of one player, in one Lua call, read after the commit.

``rank = 1 + players strictly higher``, the player's own entry never counting against
itself (the store may hold their old or new score): the rule of ``RedisBoard.rank_for``,
for any number of scores in one round trip instead of three or four per score. Without a
ready Redis board (no Redis, a rebuild pending, an error) it answers through
``ranking.rank_for_score``, as before.
"""

from __future__ import annotations

from accounts.models import User
from scoreboard_project.redis_client import get_redis, registered

from . import ranking, ranking_rebuilds
from .periods import window_for
from .redis_store import Keys

# KEYS: zset, map, ready; ARGV: user id, score...; false when the board is not ready.
_RANKS = """
if redis.call('EXISTS', KEYS[3]) == 0 then return false end
local mine = nil
local member = redis.call('HGET', KEYS[2], ARGV[1])
if member then mine = tonumber(redis.call('ZSCORE', KEYS[1], member)) end
local out = {}
for i = 2, #ARGV do
  local higher = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[i], '+inf')
  if mine and mine > tonumber(ARGV[i]) then higher = higher - 1 end
  out[#out + 1] = higher + 1
end
return out
"""


def ranks_for_scores(user: User, scores: list[int]) -> list[int | None]:
    if not user.is_ranked:
        return [None for _ in scores]
    if ranking.redis_store_enabled() and not ranking_rebuilds.stale_marks_pending():
        keys = Keys.of(window_for("all").bucket)
        try:
            client = get_redis()
            answer = registered(client, _RANKS)(
                keys=[keys.zset, keys.map, keys.ready], args=[str(user.pk), *scores], client=client
            )
        except ranking.REDIS_ERRORS:
            answer = None
        if answer:
            return [int(rank) for rank in answer]
    return [ranking.rank_for_score(user, score) for score in scores]
