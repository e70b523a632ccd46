"""Fan-out benchmark: WebSocket clients spread over two daphne processes (PostgreSQL + Redis).

Measures, for every score change, the time from its commit to its receipt on every
socket, and how many (change, socket) deliveries arrived. Changes are spaced just over
BROADCAST_INTERVAL_MS apart so each one is a leading-edge broadcast (sent at once).

    python bench/fanout.py --clients 1000 --changes 20 \
        --database-url postgres://postgres@127.0.0.1:5432/sb_live --redis-url redis://127.0.0.1:6379/12
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEQ = re.compile(rb'"seq":(\d+)')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--interval-ms", type=int, default=1000, help="BROADCAST_INTERVAL_MS of the servers")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL",
                                                                 "postgres://postgres@127.0.0.1:5432/sb_live"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12"))
    return parser.parse_args()


def setup_django(args: argparse.Namespace) -> None:
    os.environ.update({"DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
                       "BROADCAST_INTERVAL_MS": str(args.interval_ms), "LOG_LEVEL": "WARNING"})
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789-0123456789")
    os.environ.setdefault("JWT_SECRET", "bench-jwt-secret-0123456789-0123456789")
    os.environ.setdefault("ACTION_TOKEN_SECRETS", "bench-action-one-0123456789-0123456789,bench-action-two-0123456789-0123456789")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard_project.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_players(count: int = 12):
    from accounts.models import User

    players = []
    for index in range(count):
        user, _ = User.objects.get_or_create(username=f"bench_p{index:02d}", defaults={"email": ""})
        players.append(user)
    return players


def lead_gap(player) -> int:
    from django.db.models import Max

    from accounts.models import User

    top = User.objects.aggregate(top=Max("score"))["top"] or 0
    return max(1, top - User.objects.get(pk=player.pk).score + 100)


class Client:
    def __init__(self) -> None:
        self.received: dict[int, float] = {}


async def run_client(url: str, client: Client, ready: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, max_queue=None, ping_interval=None) as socket:
        await socket.recv()  # leaderboard:initial
        ready.set()
        async for frame in socket:
            if isinstance(frame, str):
                frame = frame.encode()
            if frame.startswith(b'{"event":"leaderboard:update"'):
                match = SEQ.search(frame)
                if match:
                    client.received[int(match.group(1))] = time.perf_counter()


async def main(args: argparse.Namespace) -> None:
    from leaderboard import ranking
    from leaderboard.services import score_history_record
    from tests.e2e.servers import Daphne, child_env

    players = await asyncio.to_thread(bench_players)
    await asyncio.to_thread(ranking.rebuild_all)
    env = child_env(args.database_url, args.redis_url, BROADCAST_INTERVAL_MS=str(args.interval_ms),
                    LOG_LEVEL="WARNING", DB_POOL_MAX_SIZE="10")
    servers = [Daphne(env), Daphne(env)]
    for server in servers:
        await asyncio.to_thread(server.start)
    clients = [Client() for _ in range(args.clients)]
    tasks = []
    try:
        started = time.perf_counter()
        for batch in range(0, args.clients, 100):
            readies = []
            for index in range(batch, min(args.clients, batch + 100)):
                ready = asyncio.Event()
                url = f"{servers[index % 2].ws}/ws/leaderboard/live"
                tasks.append(asyncio.create_task(run_client(url, clients[index], ready)))
                readies.append(ready)
            await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
        print(f"{args.clients} sockets open on 2 daphne processes in {time.perf_counter() - started:.1f} s")

        committed: dict[int, float] = {}
        original = ranking.ranking_record_change
        marks: list[float] = []
        ranking.ranking_record_change = lambda entry: (marks.append(time.perf_counter()), original(entry))
        from leaderboard import broadcast

        published: list[float] = []
        original_send = broadcast._group_send

        def timed_send(group, message):
            if group == "leaderboard":
                published.append((time.perf_counter(), int(message["seq"])))
            return original_send(group, message)

        broadcast._group_send = timed_send
        publish_delays: list[float] = []
        for change in range(args.changes):
            player = players[change % len(players)]
            marks.clear()
            published.clear()
            # Enough to take the lead: every change moves the top 10, so every one is broadcast.
            increment = await asyncio.to_thread(lead_gap, player)
            await asyncio.to_thread(score_history_record, user=player, increment=increment)
            if published:
                at, seq = published[0]
                committed[seq] = marks[0]
                publish_delays.append((at - marks[0]) * 1000)
            await asyncio.sleep(args.interval_ms / 1000 + 0.15)
        await asyncio.sleep(2)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in servers:
            server.stop()

    latencies = [(client.received[seq] - at) * 1000 for seq, at in committed.items()
                 for client in clients if seq in client.received]
    expected = len(committed) * args.clients
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    print(f"changes: {len(committed)}, sockets: {args.clients}, delivered: {len(latencies)}/{expected}")
    if latencies:
        print(f"commit -> receipt on every socket: p50 {p(0.50):.1f} ms, p99 {p(0.99):.1f} ms, "
              f"max {latencies[-1]:.1f} ms, mean {statistics.fmean(latencies):.1f} ms")
        firsts = sorted(min((client.received[seq] - at) * 1000 for client in clients if seq in client.received)
                        for seq, at in committed.items())
        print(f"first socket of each change: median {statistics.median(firsts):.1f} ms; "
              f"last socket: median {statistics.median(sorted(max((c.received[seq] - at) * 1000 for c in clients if seq in c.received) for seq, at in committed.items())):.1f} ms")
        print(f"commit -> PUBLISH of the top 10 (ranking update, top-10 read, serialize): "
              f"median {statistics.median(publish_delays):.1f} ms")
    print(f"machine: {os.cpu_count()} CPUs; load: 2 daphne + this client process on the same machine")


if __name__ == "__main__":
    arguments = parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, arguments.clients * 2 + 256)), hard))
    setup_django(arguments)
    asyncio.run(main(arguments))
