"""Players' names in Redis: a page of 1,000 records names its players without a query.

One hash, user id -> orjson ``[username, display_name]``, expiring a day after its
creation (below). The database stays the truth; the hash only ever holds what the database
held at some moment, and it is kept current by two rules that close the races between
readers and renames:

- A reader that misses reads the database and fills with ``HSETNX``: if a rename's entry
  is already there, the reader's (possibly older) names lose.
- A change of either name overwrites the entry on commit with the row read again at that
  moment (``name_changed``), the read and the write under one lock per player: of two
  renames' hooks, the one that takes the lock second reads the row after both commits and
  writes the newer name last (without the lock, the first hook's read could land before the
  second commit and its write after the second hook's: the older name stayed, found by a
  black-box run of simultaneous renames). A reader's fill that ran before a hook is
  overwritten by it.

A rename whose Redis write fails (Redis down, a timeout) would leave the old name there:
so the hash lives at most ``MAX_AGE_S`` from its creation (its expiry is set when it has
none and never extended), then readers fill it again from the database. A failed write is
logged as an error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import cast

import orjson
import redis
from redis.exceptions import LockError

from scoreboard_project.redis_client import get_redis, redis_configured, redis_key, registered

from .models import User

logger = logging.getLogger("scoreboard.accounts")
REDIS_ERRORS = (redis.RedisError, OSError)
FILL_CHUNK = 5_000  # entries per script call when warming
MAX_AGE_S = 86_400  # the bound on a name left stale by a failed write
LOCK_S = 5  # a hook's read and write of one player's entry: well under a second
# KEYS: the hash. ARGV[1]: a JSON array of [user id, entry]; ARGV[2]: MAX_AGE_S. HSETNX each:
# one argument per chunk, as the rankings' bulk load does (packing thousands of arguments is
# redis-py's slow part). The hash's expiry is set when it has none, never extended.
_FILL = """
for _, item in ipairs(cjson.decode(ARGV[1])) do redis.call('HSETNX', KEYS[1], item[1], item[2]) end
if redis.call('TTL', KEYS[1]) == -1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1
"""
# KEYS: the hash. ARGV: user id, entry ('' to remove it), MAX_AGE_S.
_SET = """
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) return 1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('TTL', KEYS[1]) == -1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1
"""

Names = tuple[str, str]  # (username, display_name)


def names_key() -> str:
    return redis_key("names")


def _encode(names: Names) -> str:
    return orjson.dumps(names).decode()


def names_from_db(ids: Sequence[str]) -> dict[str, Names]:
    return {
        str(uid): (username, display_name)
        for uid, username, display_name in User.objects.filter(id__in=list(ids)).values_list(
            "id", "username", "display_name"
        )
    }


def names_fill(found: dict[str, Names]) -> None:
    """Add entries the hash lacks (``HSETNX``: an entry already there is newer or equal)."""
    if not found or not redis_configured():
        return
    try:
        client = get_redis()
        fill = registered(client, _FILL)
        items = [(uid, _encode(names)) for uid, names in found.items()]
        pipe = client.pipeline(transaction=False)
        for start in range(0, len(items), FILL_CHUNK):
            fill(
                keys=[names_key()],
                args=[orjson.dumps(items[start : start + FILL_CHUNK]), MAX_AGE_S],
                client=pipe,
            )
        pipe.execute()
    except REDIS_ERRORS as exc:
        logger.warning("Names not cached: %s", exc)


def names_resolve(ids: Sequence[str], cached: Iterable[str | None]) -> dict[str, Names]:
    """The names of ``ids`` (those that exist), from ``cached`` (an ``HMGET`` of
    ``names_key()`` over ``ids``, in order) and the database for the misses, which are
    then cached."""
    found: dict[str, Names] = {}
    missing: list[str] = []
    for uid, value in zip(ids, cached, strict=True):
        if value is None:
            missing.append(uid)
        else:
            username, display_name = orjson.loads(value)
            found[uid] = (username, display_name)
    if missing:
        fresh = names_from_db(missing)
        names_fill(fresh)
        found.update(fresh)
    return found


def names_of(ids: Sequence[str]) -> dict[str, Names]:
    """(username, display_name) of each of ``ids`` that exists: one ``HMGET``, the database
    for what it misses (and for everything on the embedded set-up or with Redis down)."""
    if not ids:
        return {}
    if not redis_configured():
        return names_from_db(ids)
    try:
        cached = cast(list[str | None], get_redis().hmget(names_key(), list(ids)))  # decode_responses
    except REDIS_ERRORS as exc:
        logger.warning("Names read from the database: %s", exc)
        return names_from_db(ids)
    return names_resolve(ids, cached)


def name_changed(user_id: str) -> None:
    """On commit of a change to a player's names (or of the account's deletion): the entry
    becomes the row as it is now, read and written under the player's lock."""
    if not redis_configured():
        return
    try:
        client = get_redis()
        with client.lock(f"{names_key()}:lock:{user_id}", timeout=LOCK_S, blocking_timeout=LOCK_S):
            found = names_from_db([user_id])
            entry = _encode(found[user_id]) if user_id in found else ""
            registered(client, _SET)(keys=[names_key()], args=[user_id, entry, MAX_AGE_S], client=client)
    except (*REDIS_ERRORS, LockError) as exc:
        logger.error("Name of %s not updated in Redis (stale there for up to a day): %s", user_id, exc)
