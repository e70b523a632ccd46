"""The ranking store in Redis: one sorted set per board, kept beside a tie-break map.

A member is ``<16 digits: 10^16-1 - µs of the tie-break time><user id hex, each digit
inverted>``, so ``ZREVRANGE`` within equal scores yields the earliest time first, then
the smallest user id: the contract's order, with no second lookup. The hash ``<key>:m``
maps a user id to its current member. ``<key>:ready`` marks a complete set; a set
without it (Redis restarted, a write failed, a test flushed it) is rebuilt from
PostgreSQL before anyone reads it. Every write is one Lua script, so it is atomic
(``redis_scripts``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import cast

import redis

from scoreboard_project.redis_client import get_redis, redis_key

from .periods import Window
from .redis_scripts import scripts
from .rows import Row, assign_ranks

_MAX_TS = 10**16 - 1
_INVERT = str.maketrans("0123456789abcdef", "fedcba9876543210")
APPLIED_RETENTION_S = 120  # how long an applied ledger row id is remembered (rebuild catch-up)


def banned_key() -> str:
    """Players taken off every board by a ban. Every write script checks it atomically, so
    a completion committed before the ban but written to Redis after it cannot put the
    player back (the ban adds to this set before it removes the members)."""
    return redis_key("lb", "banned")


def member_for(user_id: str, updated_at_us: int) -> str:
    return f"{_MAX_TS - updated_at_us:016d}{user_id.replace('-', '').translate(_INVERT)}"


def decode_member(member: str) -> tuple[str, int]:
    """(user id as a UUID string, tie-break µs)."""
    raw = member[16:].translate(_INVERT)
    user_id = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
    return user_id, _MAX_TS - int(member[:16])


@dataclass(frozen=True)
class Keys:
    zset: str
    map: str
    ready: str
    applied: str
    lock: str
    meta: str  # named boards: each record's metadata (``boards/redis_records.py``)

    @classmethod
    def of(cls, bucket: str) -> Keys:
        base = redis_key("lb", *bucket.split(":"))
        return cls(
            base, f"{base}:m", f"{base}:ready", f"{base}:applied", f"{base}:rebuilding", f"{base}:meta"
        )


def expire_at(window: Window) -> int | None:
    """Period sets live one day past their window, for late readers; all time never expires."""
    return None if window.end is None else int(window.end.timestamp()) + 86400


class RedisBoard:
    def __init__(self, window: Window, client: redis.Redis | None = None) -> None:
        self.window = window
        self.client = client or get_redis()
        self.keys = Keys.of(window.bucket)

    def is_ready(self) -> bool:
        return bool(self.client.exists(self.keys.ready))

    def total(self) -> int:
        return int(self.client.zcard(self.keys.zset))

    def rank_for(self, score: int, *, exclude_user_id: str | None = None) -> int:
        higher = int(self.client.zcount(self.keys.zset, f"({score}", "+inf"))
        if exclude_user_id is not None:
            mine = self.standing(exclude_user_id)
            if mine is not None and mine.score > score:
                higher -= 1
        return 1 + higher

    def top(self, *, offset: int, limit: int) -> list[Row]:
        raw = cast(
            list[tuple[str, float]],  # decode_responses: members are str
            self.client.zrevrange(self.keys.zset, offset, offset + limit - 1, withscores=True),
        )
        items = [(*_split(member), int(score)) for member, score in raw]
        return assign_ranks(
            [(uid, score, ts) for uid, ts, score in items], offset=offset, first_rank=self.rank_for
        )

    def standing(self, user_id: str) -> Row | None:
        member, score, position, higher, _ = scripts(self.client).standing(
            keys=[self.keys.zset, self.keys.map], args=[user_id], client=self.client
        )
        if not member:
            return None
        _, ts = decode_member(member)
        return Row(user_id, int(float(score)), ts, int(position), 1 + int(higher))

    # --- writes -------------------------------------------------------------------------
    # ``on``: a pipeline of this board's client to queue the write on instead (its result
    # comes back from the pipeline's ``execute``).
    def set_absolute(
        self,
        user_id: str,
        score: int,
        updated_at_us: int,
        *,
        require_ready: bool = True,
        on: redis.client.Pipeline | None = None,
    ) -> bool:
        return bool(
            scripts(self.client).set_absolute(
                keys=[self.keys.zset, self.keys.map, self.keys.ready, banned_key()],
                args=[user_id, score, member_for(user_id, updated_at_us), "1" if require_ready else "0"],
                client=on or self.client,
            )
        )

    def increment(
        self,
        user_id: str,
        amount: int,
        updated_at_us: int,
        entry_id: int,
        *,
        touch: bool,
        on: redis.client.Pipeline | None = None,
    ) -> bool:
        return bool(
            scripts(self.client).increment(
                keys=[self.keys.zset, self.keys.map, self.keys.ready, self.keys.applied, banned_key()],
                args=[
                    user_id,
                    amount,
                    member_for(user_id, updated_at_us),
                    entry_id,
                    int(time.time()),
                    APPLIED_RETENTION_S,
                    "1" if touch else "0",
                ],
                client=on or self.client,
            )
        )

    def add_if_absent(self, user_id: str, score: int, updated_at_us: int) -> bool:
        return bool(
            scripts(self.client).add_if_absent(
                keys=[self.keys.zset, self.keys.map, self.keys.ready, banned_key()],
                args=[user_id, score, member_for(user_id, updated_at_us)],
                client=self.client,
            )
        )

    def remove(self, user_id: str) -> bool:
        return bool(
            scripts(self.client).remove(
                keys=[self.keys.zset, self.keys.map], args=[user_id], client=self.client
            )
        )

    def mark_stale(self) -> None:
        self.client.delete(self.keys.ready)

    def load(
        self,
        rows: list[tuple[str, int, int]],
        applied_ids: list[int],
        meta: dict[str, str] | None = None,
    ) -> None:
        """Replace the set with ``rows`` (user id, score, tie-break µs) and mark it ready.

        Written under temporary names and renamed, so readers never see half a set.
        ``applied_ids`` are recent ledger rows already counted in ``rows``. ``meta``
        (named boards): the hash stored beside the set as ``keys.meta``, whole.
        """
        tmp_zset, tmp_map, tmp_meta = (
            f"{key}:tmp" for key in (self.keys.zset, self.keys.map, self.keys.meta)
        )
        self.client.delete(tmp_zset, tmp_map, tmp_meta)
        pipe = self.client.pipeline(transaction=False)
        if meta:
            items = list(meta.items())
            for start in range(0, len(items), 10_000):
                pipe.hset(tmp_meta, mapping=dict(items[start : start + 10_000]))
        load_chunk = scripts(self.client).load_chunk
        for start in range(0, len(rows), 10_000):
            lines = "\n".join(
                f"{uid} {score} {member_for(uid, ts)}" for uid, score, ts in rows[start : start + 10_000]
            )
            load_chunk(keys=[tmp_zset, tmp_map], args=[lines], client=pipe)
        pipe.execute()
        pipe = self.client.pipeline(transaction=True)
        if rows:
            pipe.rename(tmp_zset, self.keys.zset)
            pipe.rename(tmp_map, self.keys.map)
        else:
            pipe.delete(self.keys.zset, self.keys.map)
        if meta:
            pipe.rename(tmp_meta, self.keys.meta)
        else:
            pipe.delete(self.keys.meta)
        now = int(time.time())
        pipe.delete(self.keys.applied)
        if applied_ids:
            pipe.zadd(self.keys.applied, {str(entry_id): now for entry_id in applied_ids})
        pipe.set(self.keys.ready, now)
        deadline = expire_at(self.window)
        if deadline is not None:
            for key in (self.keys.zset, self.keys.map, self.keys.ready, self.keys.applied, self.keys.meta):
                pipe.expireat(key, deadline)
        pipe.execute()


def _split(member: str) -> tuple[str, int]:
    return decode_member(member)
