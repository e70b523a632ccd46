"""A named board's records in Redis: the ranking set and, beside it, each record's metadata.

A page of up to 1,000 records then reads its players from Redis alone: the set (one
script, ``redis_pages``), then one pipeline for the names (``accounts.name_cache``) and
the metadata. The database stays the truth and the fallback.

The hash ``keys.meta`` maps a user id to ``<16-digit version><metadata JSON>`` (no JSON
for ``{}``). Its field ``""`` marks it complete: a rebuild writes it, with every non-empty
metadata, under a temporary name renamed together with the set; a record write updates
the hash in the same script as the set, and only a complete hash. A player that a
complete hash lacks has ``{}``. The version is the record's ``updated_at`` in µs, which
rises with every write of the record (``record_sql``), so a write whose commit hook
reaches Redis late cannot put older metadata back. A set whose hash is not complete (built
before the hash existed) is marked stale by its first reader and rebuilt.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import orjson
import redis

from accounts.name_cache import names_key, names_resolve
from scoreboard_project.redis_client import get_redis, registered

from ..redis_scripts import PUT_STANDING
from ..redis_store import RedisBoard, banned_key, member_for
from .record_rows import Found, metadata_loads
from .redis_pages import ranks_from_counts

COMPLETE = ""  # the meta hash's marker field (no user id is empty)
COMPLETE_MARK = "1"
VERSION_DIGITS = 16  # an entry is the version in µs, zero-padded to this width, then the JSON

# KEYS: zset, map, ready, banned, meta. ARGV: user id, rank score, member, version (16
# digits), metadata JSON ('' for {}), then rank scores to count once written. The set's part
# is the all-time set's ``put_standing`` (an older standing arriving late changes nothing),
# the metadata's its own version check. Returns false when nothing was written (a set not
# ready, a banned player), else {the player's rank score in the set, and for each rank
# score asked, how many members are strictly better}: the writer's ranks in the same call.
_SET_RECORD = (
    PUT_STANDING
    + """
if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 1 then return false end
if redis.call('EXISTS', KEYS[3]) == 0 then return false end
if redis.call('HEXISTS', KEYS[5], '') == 1 then
  local held = redis.call('HGET', KEYS[5], ARGV[1])
  if not held or string.sub(held, 1, 16) < ARGV[4] then
    redis.call('HSET', KEYS[5], ARGV[1], ARGV[4] .. ARGV[5])
  end
end
local member = put_standing(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
local counts = {}
for i = 6, #ARGV do counts[#counts + 1] = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[i], '+inf') end
return {redis.call('ZSCORE', KEYS[1], member), counts}
"""
)


def metadata_text(metadata: dict[str, Any]) -> str:
    """The stored JSON of ``metadata``: '' for ``{}``."""
    if not metadata:
        return ""
    try:
        return orjson.dumps(metadata).decode()
    except TypeError:  # integers beyond 64 bits, which orjson does not write
        return json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)


def meta_entry(version_us: int, text: str) -> str:
    return f"{version_us:0{VERSION_DIGITS}d}{text}"


def set_record(
    board: RedisBoard,
    user_id: str,
    rank_score: int,
    reached_at_us: int,
    version_us: int,
    metadata: str,
    *,
    rank_scores: Sequence[int] = (),
    on: redis.client.Pipeline | None = None,
) -> list[int] | None:
    """The record's standing and metadata (``metadata_text``), if the set is ready; a write
    older than what the set or the hash holds changes nothing there. Answers, for each of
    ``rank_scores``, the rank it has among the other players once written (one call, as
    ``redis_pages.ranks_among_others`` counts them); None when nothing was written (or
    queued ``on`` a pipeline)."""
    script = registered(board.client, _SET_RECORD)
    keys = board.keys
    answer = script(
        keys=[keys.zset, keys.map, keys.ready, banned_key(), keys.meta],
        args=[
            user_id,
            rank_score,
            member_for(user_id, reached_at_us),
            meta_entry(version_us, ""),
            metadata,
            *rank_scores,
        ],
        client=on or board.client,
    )
    if on is not None or not answer:
        return None
    return ranks_from_counts(float(answer[0]), answer[1], rank_scores)


def players_of(board: RedisBoard | None, ids: Sequence[str]) -> Found | None:
    """The names and metadata of ``ids`` (one pipeline; the database for names it lacks);
    ``board`` None: names only, metadata ``{}`` (the global board). None when the board's
    set is not ready, or its metadata hash not complete (the set is then marked stale, to be
    rebuilt with it): the caller reads SQL."""
    pipe = (get_redis() if board is None else board.client).pipeline(transaction=False)
    pipe.hmget(names_key(), list(ids))
    if board is not None:
        pipe.exists(board.keys.ready)  # writes skip a set that is not ready: its hash may be behind
        pipe.hmget(board.keys.meta, [COMPLETE, *ids])
    answers = pipe.execute()
    metadata: dict[str, Any] = {}
    if board is not None:
        complete, *entries = answers[2]
        if not answers[1]:
            return None
        if complete is None:  # a set built before its hash existed
            board.mark_stale()
            return None
        metadata = {uid: entry for uid, entry in zip(ids, entries, strict=True) if entry is not None}
    names = names_resolve(ids, answers[0])
    found: Found = {}
    for uid, (username, display_name) in names.items():
        entry = metadata.get(uid)
        found[uid] = {
            "username": username,
            "display_name": display_name,
            "metadata": metadata_loads(entry[VERSION_DIGITS:])
            if entry and len(entry) > VERSION_DIGITS
            else {},
        }
    return found
