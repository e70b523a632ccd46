"""Fault 7: slow readers (sockets whose client never reads) and a connection flood while
the top 10 changes a thousand times: the server's memory stays bounded, the slow readers
are closed, and the other sockets see every change as before.

Under daphne a send never waits for the client (frames go to the kernel's and Twisted's
buffers), so what ends a reader that stopped reading is the protocol-level ping: it
cannot answer, and daphne drops it 20 + 30 s after its last pong. Until then at most
that long of updates (one per BROADCAST_INTERVAL_MS) waits for it. The flood's own
sockets may fail (daphne gives a handshake 5 s); the promise is about everyone else.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from tests.helpers.faults.checker import sql_boards, sql_order
from tests.helpers.faults.load import seed_players
from tests.helpers.faults.sockets import Watchers
from tests.helpers.servers import ROOT

pytestmark = [pytest.mark.faults, pytest.mark.production_shape, pytest.mark.timeout(300)]
SLOW, WATCHERS, FLOOD_WAVES, FLOOD_SIZE, CHANGES = 40, 20, 3, 300, 1000
PREFIX = "slow-reader-with-a-long-name-to-make-big-frames-"  # 48 + digits: ~2 KiB per top 10


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def slow_reader(port: int) -> socket.socket:
    """A WebSocket handshake, then never a read (a tiny receive buffer fills at once)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        (
            f"GET /ws/leaderboard/live HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    return sock


def closed_by_server(sock: socket.socket, deadline: float) -> bool:
    """Drain what the server wrote; True when it ended the connection before ``deadline``."""
    sock.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        while chunk := sock.recv(1 << 20):
            del chunk
        return True  # EOF
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    finally:
        sock.close()


async def flood(url: str) -> Counter:
    """Waves of sockets that connect, take their first board and leave; returns failures."""
    failures: Counter = Counter()

    async def one() -> None:
        try:
            async with connect(url, open_timeout=30) as ws:
                await asyncio.wait_for(ws.recv(), 30)
        except Exception as exc:  # noqa: BLE001 - counted
            failures[repr(exc)[:120]] += 1

    for _ in range(FLOOD_WAVES):
        await asyncio.gather(*(one() for _ in range(FLOOD_SIZE)))
    return failures


def test_it_closes_slow_readers_and_keeps_memory_and_delivery_bounded_under_a_connection_flood(
    stores, launch
):
    server = launch(BROADCAST_INTERVAL_MS="0")
    env = stores.env(BROADCAST_INTERVAL_MS="0")
    seed_players(env, 12, prefix=PREFIX, tokens=False)
    pid = server.process.pid
    url = f"{server.ws}/ws/leaderboard/live"
    samples: list[float] = []

    async def scenario() -> tuple[Watchers, list, int, float, float]:
        watchers = Watchers()
        try:
            await watchers.open([url], WATCHERS)
            slow = [slow_reader(server.port) for _ in range(SLOW)]
            slow_until = time.monotonic() + 20 + 30 + 15  # ping interval + timeout + leeway
            await asyncio.sleep(1)
            baseline = rss_mib(pid)
            churn = asyncio.create_task(
                asyncio.to_thread(
                    subprocess.run,
                    [
                        sys.executable,
                        "-m",
                        "tests.helpers.faults.seed",
                        "--players",
                        "0",
                        "--prefix",
                        PREFIX,
                        "--churn",
                        str(CHANGES),
                    ],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    timeout=240,
                )
            )
            flooded = asyncio.create_task(flood(url))
            while not churn.done():
                samples.append(rss_mib(pid))
                await asyncio.sleep(0.25)
            assert (await churn).returncode == 0
            churned = time.monotonic()
            failures = await flooded
            expected = sql_order(sql_boards(stores.database_url)["all"], limit=10)
            while watchers.showing(expected) < WATCHERS and time.monotonic() - churned < 10:
                await asyncio.sleep(0.02)
            shown = max(watchers.shown_at.values()) - churned
            with ThreadPoolExecutor(max_workers=SLOW) as pool:  # one blocked reader each
                loop = asyncio.get_running_loop()
                closed = await asyncio.gather(
                    *(loop.run_in_executor(pool, closed_by_server, sock, slow_until) for sock in slow)
                )
            assert all(closed), f"{closed.count(False)} of {SLOW} slow readers still open"
            return watchers, expected, failures, baseline, shown
        finally:
            await watchers.close()

    watchers, expected, failures, baseline, shown = asyncio.run(scenario())

    growth = max(samples) - baseline
    print(
        f"\nslow readers + flood: RSS {baseline:.0f} MiB before, peak +{growth:.1f} MiB over {CHANGES} changes; "
        f"watchers showed the final top 10 {shown:.2f} s after the last change; flood sockets failed: {failures}"
    )
    assert watchers.showing(expected) == WATCHERS and not watchers.closed, watchers.closed
    assert shown < 2
    assert growth < 40, f"server memory grew {growth:.1f} MiB"
