"""Friends board: 500 friends' standings on a board of a million players.

    .venv/bin/python bench/phase_friends.py [--players 1000000] [--friends 500] [--calls 200]
        [--redis-url redis://127.0.0.1:6379/14] [--keep]

Standalone (not part of ``bench/run.py``): fills a sorted set and its member map laid out
like the ranking store's (``leaderboard/redis_store.py``), under its own ``benchfriends:``
keys, with ``--players`` random scores; then times ``friends.sorted_set_standings`` (one
Lua script: HGET + ZSCORE + ZCOUNT per friend) for ``--friends`` + 1 players, ``--calls``
times, plus the ranking among friends in Python, and for comparison a pipelined two-round-trip
version and one-command-at-a-time lookups. Deletes its keys at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard_project.settings")
for name in ("REDIS_URL", "DATABASE_URL"):  # the development settings: nothing else is touched
    os.environ.pop(name, None)

import django  # noqa: E402

django.setup()

from leaderboard import friends  # noqa: E402
from leaderboard.redis_store import member_for  # noqa: E402

ZSET, MAP = "benchfriends:lb", "benchfriends:lb:m"


def fill(client: redis.Redis, players: int, rng: random.Random) -> list[str]:
    client.delete(ZSET, MAP)
    ids: list[str] = []
    started = time.perf_counter()
    for start in range(0, players, 10_000):
        pipe = client.pipeline(transaction=False)
        members, mapping = {}, {}
        for _ in range(min(10_000, players - start)):
            user_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            member = member_for(user_id, rng.randrange(1_700_000_000_000_000, 1_800_000_000_000_000))
            members[member] = rng.randrange(0, 1_000_000)
            mapping[user_id] = member
            ids.append(user_id)
        pipe.zadd(ZSET, members)
        pipe.hset(MAP, mapping=mapping)
        pipe.execute()
    print(f"filled {players:,} players in {time.perf_counter() - started:.1f} s")
    return ids


def timed(calls: int, run) -> list[float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def pipelined(client: redis.Redis, ids: list[str]) -> None:
    members = client.hmget(MAP, ids)
    pipe = client.pipeline(transaction=False)
    for member in members:
        pipe.zscore(ZSET, member)
    scores = pipe.execute()
    pipe = client.pipeline(transaction=False)
    for score in scores:
        pipe.zcount(ZSET, f"({score}", "+inf")
    pipe.execute()


def one_by_one(client: redis.Redis, ids: list[str]) -> None:
    for user_id in ids:
        member = client.hget(MAP, user_id)
        score = client.zscore(ZSET, member)
        client.zcount(ZSET, f"({score}", "+inf")


def report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{label:<58} p50 {statistics.median(ordered):7.2f} ms   p99 {p99:7.2f} ms   "
        f"mean {statistics.fmean(ordered):7.2f} ms   n={len(ordered)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=1_000_000)
    parser.add_argument("--friends", type=int, default=500)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    rng = random.Random(14)
    client = redis.Redis.from_url(options.redis_url, decode_responses=True)
    try:
        ids = fill(client, options.players, rng)
        chosen = rng.sample(ids, options.friends + 1)
        friends.sorted_set_standings(client, ZSET, MAP, chosen)  # load the script
        report(
            f"Lua script, {len(chosen)} players (1 round trip)",
            timed(options.calls, lambda: friends.sorted_set_standings(client, ZSET, MAP, chosen)),
        )
        standings = friends.sorted_set_standings(client, ZSET, MAP, chosen)
        report(
            "  + ranking among friends (Python)",
            timed(options.calls, lambda: friends.rank_among(list(standings.values()))),
        )
        report(
            "pipelined HMGET / ZSCORE / ZCOUNT (3 round trips)",
            timed(options.calls, lambda: pipelined(client, chosen)),
        )
        report(
            f"one command at a time ({3 * len(chosen)} round trips)",
            timed(max(3, options.calls // 50), lambda: one_by_one(client, chosen)),
        )
        print(f"redis memory used: {client.info('memory')['used_memory_human']}")
    finally:
        if not options.keep:
            client.delete(ZSET, MAP)


if __name__ == "__main__":
    main()
