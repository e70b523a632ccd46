"""End-to-end fan-out: a score change -> ``leaderboard:update`` on every open socket.

Sockets are opened by child processes (``live_clients``) at a given rate through the
proxy, which spreads them over the app processes. Scores change only through the API:
``/actions/request``, a wait over the type's minimum duration, ``/actions/complete``. Completions are spaced
more than BROADCAST_INTERVAL_MS apart, so each one is a leading-edge broadcast. Each
scorer is chosen, from GET /leaderboard, among the players whose completion changes the
top 10 (see ``_pick_scorer``).

A change is found in the frames by content: the first board (lowest ``seq``) listing the
scorer with the score its completion answered. A socket counts as delivered when it
received that very board.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import httpx

from . import api, live_clients, loadgen, raw_live_clients
from .cpu import cpu_seconds, rss_kib
from .players import Player

PLAYERS = 12
SETTLE_S = 0.4


@dataclass
class Change:
    index: int
    player: Player
    sent: float  # perf_counter() when /actions/complete was sent
    answered: float  # ... when its response had arrived
    status: int
    new_score: int | None


class ClientProcesses:
    """The WebSocket client processes; each holds ``count / procs`` sockets, opened at ``rate / procs``/s."""

    def __init__(self, ws_base: str, count: int, procs: int, rate: float, client: str = "raw") -> None:
        worker = (raw_live_clients if client == "raw" else live_clients).worker
        context = multiprocessing.get_context("spawn")
        targets = [("proxy", ws_base)]
        self.pipes: list[Connection] = []
        self.procs: list[BaseProcess] = []
        for share in _split(count, procs):
            parent, child = context.Pipe()
            self.pipes.append(parent)
            self.procs.append(
                context.Process(target=worker, args=(child, targets, share, rate / procs), daemon=True)
            )

    def start(self) -> list[dict[str, Any]]:
        for proc in self.procs:
            proc.start()
        return [self._expect(pipe, "ready", 180) for pipe in self.pipes]

    def stop(self) -> list[dict[str, Any]]:
        for pipe in self.pipes:
            pipe.send("stop")
        return [self._expect(pipe, "result", 120) for pipe in self.pipes]

    def close(self) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=5)

    @staticmethod
    def _expect(pipe: Connection, kind: str, timeout: float) -> dict[str, Any]:
        if not pipe.poll(timeout):
            raise RuntimeError(f"a WebSocket client process sent no {kind!r} in {timeout:.0f} s")
        got, info = pipe.recv()
        if got != kind:
            raise RuntimeError(f"expected {kind!r} from a client process, got {got!r}")
        return info


def _split(count: int, parts: int) -> list[int]:
    return [count // parts + (1 if i < count % parts else 0) for i in range(parts)]


async def _pick_scorer(
    http: httpx.AsyncClient, base: str, players: list[Player], completions: dict[str, int], points: int
) -> Player:
    """A player whose completion changes the top 10, read from GET /leaderboard.

    A player in the top 10 changes it by scoring at all; one outside enters it only with
    a score strictly above the 10th (equal scores rank whoever reached them first).
    Among those, the one that has scored least so far.
    """
    board = api.data_of(await http.get(f"{base}{api.API}/leaderboard", params={"limit": 100}))["leaderboard"]
    top = {entry["userId"] for entry in board[:10]}
    tenth = board[9]["score"] if len(board) >= 10 else -1
    scores = {entry["userId"]: entry["score"] for entry in board}
    eligible = [p for p in players if p.id in top or scores.get(p.id, 0) + points > tenth]
    return min(eligible, key=lambda p: (completions[p.id], players.index(p)))


async def _score_changes(
    http: httpx.AsyncClient, base: str, players: list[Player], changes: int, spacing_s: float
) -> list[Change]:
    done: list[Change] = []
    completions = {p.id: 0 for p in players}
    points = await api.action_points(http, base)
    last_completion = time.perf_counter()  # registrations may have broadcast just now
    for index in range(changes):
        await asyncio.sleep(SETTLE_S)  # let the previous change's fan-out finish undisturbed
        player = await _pick_scorer(http, base, players, completions, points)
        completions[player.id] += 1
        action = await api.request_action(http, base, player)
        ready_at = max(action.requested_at + api.MIN_WAIT_S, last_completion + spacing_s)
        await asyncio.sleep(max(0.0, ready_at - time.perf_counter()))
        sent = time.perf_counter()
        response = await api.complete_action(http, base, action)
        answered = time.perf_counter()
        new_score = response.json()["data"]["newScore"] if response.status_code == 200 else None
        if new_score is None:
            print(
                f"  change {index + 1}: completion answered {response.status_code} {response.text[:200]}",
                flush=True,
            )
        done.append(Change(index, player, sent, answered, response.status_code, new_score))
        last_completion = sent
    return done


def _canonical_seq(change: Change, boards: dict[int, list[list[Any]]]) -> int | None:
    """The first board showing this change: the scorer listed with its new score."""
    entry = [change.player.id, change.new_score]
    matches = [seq for seq, board in boards.items() if entry in board["entries"]]
    return min(matches) if matches else None


def _merge(results: list[dict[str, Any]]) -> tuple[dict[int, dict[str, Any]], list[dict[int, list[float]]]]:
    boards: dict[int, dict[str, Any]] = {}
    receipts: list[dict[int, list[float]]] = []
    for result in results:
        boards.update(result["boards"])
        receipts.extend(result["receipts"])
    return boards, receipts


def _stamp(iso: str | None) -> float | None:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() if iso else None


def _latencies(
    change: Change, seq: int | None, boards: dict[int, dict[str, Any]], receipts: list[dict[int, list[float]]]
) -> tuple[list[float], list[float], list[float]]:
    """Per socket that received board ``seq``: ms from the commit (the board's server-side
    ``updatedAt``, same machine clock), from the scoring response, from the scoring request."""
    if seq is None:
        return [], [], []
    committed = _stamp(boards[seq].get("updatedAt"))
    got = [r[seq] for r in receipts if seq in r]
    from_commit = [(wall - committed) * 1000 for _, wall in got] if committed else []
    return (
        from_commit,
        [(at - change.answered) * 1000 for at, _ in got],
        [(at - change.sent) * 1000 for at, _ in got],
    )


def _pct(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": loadgen.percentile(values, 50),
        "p99": loadgen.percentile(values, 99),
        "max": round(max(values), 1) if values else None,
    }


def _analyse(changes: list[Change], results: list[dict[str, Any]], sockets_open: int) -> dict[str, Any]:
    boards, receipts = _merge(results)
    rows, commit, response, request, seqs = [], [], [], [], []
    for change in changes:
        seq = _canonical_seq(change, boards) if change.status == 200 else None
        seqs.append(seq)
        c, r, q = _latencies(change, seq, boards, receipts)
        commit += c
        response += r
        request += q
        rows.append(
            {
                "change": change.index + 1,
                "status": change.status,
                "seq": seq,
                "delivered": len(r),
                "expected": sockets_open,
                "responseMs": round((change.answered - change.sent) * 1000, 1),
                "fromCommit": _pct(c),
                "fromResponse": _pct(r),
            }
        )
    found = [s for s in seqs if s is not None]
    return {
        "changes": len(changes),
        "broadcastChanges": len(found),
        "sockets": sockets_open,
        "delivered": len(response),
        "expected": len(changes) * sockets_open,
        "fromCommit": _pct(commit),
        "fromResponse": _pct(response),
        "fromRequest": _pct(request),
        "firstChange": rows[0]["fromCommit"] if rows else None,
        "perChange": rows,
    }


def _app_rss(pids: dict[str, list[int]]) -> int:
    return sum(rss_kib(pid) for name, group in pids.items() if name != "nginx" for pid in group)


def _app_cpu(pids: dict[str, list[int]]) -> float:
    """CPU seconds of the app processes so far (CPU per socket opened, per delivery, idle)."""
    return sum(cpu_seconds(pid) for name, group in pids.items() if name != "nginx" for pid in group)


async def run(
    http_base: str,
    ws_base: str,
    players: list[Player],
    pids: dict[str, list[int]],
    *,
    sockets: int,
    rate: float,
    changes: int,
    procs: int,
    spacing_s: float,
    client: str = "raw",
) -> tuple[dict[str, Any], list[Change]]:
    """``pids``: the app processes (for their memory before and after the sockets opened);
    ``client``: ``raw`` (``raw_live_clients``) or ``websockets`` (``live_clients``)."""
    clients = ClientProcesses(ws_base, sockets, procs, rate, client)
    rss_before = _app_rss(pids)
    cpu = [_app_cpu(pids)]
    try:
        ready = await asyncio.to_thread(clients.start)
        opened = sum(info.get("opened", 0) for info in ready)
        cpu.append(_app_cpu(pids))
        idle_from = time.perf_counter()
        await asyncio.sleep(2.0)
        idle_s = time.perf_counter() - idle_from
        rss_after = _app_rss(pids)
        cpu.append(_app_cpu(pids))
        print(
            f"  {opened}/{sockets} sockets open ({', '.join(str(i.get('seconds')) + ' s' for i in ready)}); "
            f"failures: {sum(i.get('failed', 0) for i in ready)}",
            flush=True,
        )
        async with api.client(16) as http:
            done = await _score_changes(http, http_base, players, changes, spacing_s)
        await asyncio.sleep(2.0)  # stragglers
        cpu.append(_app_cpu(pids))
        results = await asyncio.to_thread(clients.stop)
    finally:
        clients.close()
    report = _analyse(done, results, opened)
    report["requested"] = sockets
    report["client"] = client
    report["openSeconds"] = [info.get("seconds") for info in ready]
    report["openFailures"] = sum(info.get("failed", 0) for info in ready)
    report["memoryPerSocketKiB"] = round((rss_after - rss_before) / opened, 1) if opened else None
    # App CPU (both processes): per socket opened, idle with all open, per frame delivered
    # (the last includes the few scoring requests and the stragglers' wait).
    report["cpuMsPerOpen"] = round(1000 * (cpu[1] - cpu[0]) / opened, 3) if opened else None
    report["idleCpuPercent"] = round(100 * (cpu[2] - cpu[1]) / idle_s, 1)
    delivered = report.get("delivered") or 0
    report["cpuMsPerDelivery"] = round(1000 * (cpu[3] - cpu[2]) / delivered, 3) if delivered else None
    report["stillOpenAtEnd"] = sum(r["still_open"] for r in results)
    report["socketErrors"] = dict(sum((Counter(r["errors"]) for r in results), Counter()))
    report["closeCodes"] = {
        str(k): v for k, v in sum((Counter(r["close_codes"]) for r in results), Counter()).items()
    }
    report["completionStatuses"] = dict(Counter(str(c.status) for c in done))
    return report, done
