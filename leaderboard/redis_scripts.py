"""The ranking store's Lua scripts (``redis_store``): every write to a set is one script,
so it is atomic; registered once per Redis client.

Members and keys are laid out as ``redis_store`` says; every script that adds a player
checks the set of banned players (``redis_store.banned_key``) atomically.
"""

from __future__ import annotations

import redis

from scoreboard_project.redis_client import get_redis

# A Lua function for the scripts that set a player's standing: the player's ``member`` at
# ``score`` in ``zset``, unless the member ``map`` holds is newer (a smaller time prefix: an
# older write arriving late changes nothing). Answers the member the player holds afterwards.
PUT_STANDING = """
local function put_standing(zset, map, uid, score, member)
  local old = redis.call('HGET', map, uid)
  if old and string.sub(old, 1, 16) < string.sub(member, 1, 16) then return old end
  if old then redis.call('ZREM', zset, old) end
  redis.call('ZADD', zset, score, member)
  redis.call('HSET', map, uid, member)
  return member
end
"""

# All time: set the score the database returned; 1 when set, 0 when skipped.
_SET_ABSOLUTE = (
    PUT_STANDING
    + """
if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 1 then return 0 end
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
if put_standing(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3]) == ARGV[3] then return 1 end
return 0
"""
)

# Periods: add an increment once per ledger row (KEYS[4] remembers recent row ids).
_INCREMENT = """
if redis.call('SISMEMBER', KEYS[5], ARGV[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
if redis.call('ZADD', KEYS[4], 'NX', ARGV[5], ARGV[4]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', tonumber(ARGV[5]) - tonumber(ARGV[6]))
local old = redis.call('HGET', KEYS[2], ARGV[1])
local member = ARGV[3]
if not old then
  redis.call('ZINCRBY', KEYS[1], ARGV[2], member)
  redis.call('HSET', KEYS[2], ARGV[1], member)
  return 1
end
local score = redis.call('ZINCRBY', KEYS[1], ARGV[2], old)
if ARGV[7] == '1' and string.sub(member, 1, 16) < string.sub(old, 1, 16) then
  redis.call('ZREM', KEYS[1], old)
  redis.call('ZADD', KEYS[1], score, member)
  redis.call('HSET', KEYS[2], ARGV[1], member)
end
return 1
"""

_ADD_IF_ABSENT = """
if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
return 1
"""

_REMOVE = """
local old = redis.call('HGET', KEYS[2], ARGV[1])
if not old then return 0 end
redis.call('ZREM', KEYS[1], old)
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""

# A rebuild's bulk load: ARGV[1] holds "<user id> <score> <member>" lines. One argument per
# few thousand players: packing 400,000 separate arguments in redis-py took most of a
# 100,000-player load (4-5 s a board, now well under one).
_LOAD_CHUNK = """
local z, h = {}, {}
for uid, score, member in string.gmatch(ARGV[1], '(%S+) (%S+) (%S+)') do
  z[#z + 1] = score; z[#z + 1] = member
  h[#h + 1] = uid; h[#h + 1] = member
  if #z >= 2000 then
    redis.call('ZADD', KEYS[1], unpack(z)); redis.call('HSET', KEYS[2], unpack(h))
    z, h = {}, {}
  end
end
if #z > 0 then redis.call('ZADD', KEYS[1], unpack(z)); redis.call('HSET', KEYS[2], unpack(h)) end
return 1
"""

# A player's standing: member, score, 0-based position, count strictly higher, total.
_STANDING = """
local member = redis.call('HGET', KEYS[2], ARGV[1])
local card = redis.call('ZCARD', KEYS[1])
if not member then return {false, false, false, false, card} end
local score = redis.call('ZSCORE', KEYS[1], member)
if not score then return {false, false, false, false, card} end
local position = redis.call('ZREVRANK', KEYS[1], member)
local higher = redis.call('ZCOUNT', KEYS[1], '(' .. score, '+inf')
return {member, score, position, higher, card}
"""


class _Scripts:
    def __init__(self, client: redis.Redis) -> None:
        self.set_absolute = client.register_script(_SET_ABSOLUTE)
        self.increment = client.register_script(_INCREMENT)
        self.add_if_absent = client.register_script(_ADD_IF_ABSENT)
        self.remove = client.register_script(_REMOVE)
        self.standing = client.register_script(_STANDING)
        self.load_chunk = client.register_script(_LOAD_CHUNK)


_scripts: dict[int, _Scripts] = {}


def scripts(client: redis.Redis | None = None) -> _Scripts:
    client = client or get_redis()
    found = _scripts.get(id(client))
    if found is None:
        found = _scripts[id(client)] = _Scripts(client)
    return found
