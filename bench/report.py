"""The bench's checks (what counts as lost or failed) and its one table."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from . import api


async def verify_scores(http_base: str, scored: dict[str, int]) -> dict[str, Any]:
    """Every flow player's score read back through the API against its last completion's answer."""
    ids = list(scored)
    async with api.client(16) as http:
        gate = asyncio.Semaphore(16)

        async def one(user_id: str) -> bool:
            async with gate:
                try:
                    data = api.data_of(await http.get(f"{http_base}{api.API}/users/{user_id}/score"))
                except (api.ApiError, httpx.HTTPError):
                    return False
                return data["score"] == scored[user_id]

        right = sum(await asyncio.gather(*(one(u) for u in ids)))
    return {"checked": len(ids), "right": right, "ok": right == len(ids)}


def log_findings(log_dir: Path) -> dict[str, Any]:
    """Warnings, errors and tracebacks the processes wrote (LOG_LEVEL=WARNING)."""
    findings: dict[str, Any] = {}
    for log in sorted(log_dir.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        flagged = [line for line in lines if any(k in line for k in ("ERROR", "Traceback", "CRITICAL", "[error]",
                                                                      "[crit]", "[alert]", "[emerg]"))]
        findings[log.stem] = {"lines": len(lines), "flagged": len(flagged), "first": flagged[:5]}
    return findings


def problems(out: dict[str, Any]) -> list[str]:
    found = []
    for phase in ("trivial", "readCeiling", "reads"):
        if out[phase]["errors"]:
            found.append(f"{phase}: {out[phase]['errors']} errors {out[phase]['statuses']}")
    for fan in out["fanout"]:
        if fan["sockets"] != fan["requested"] or fan["openFailures"]:
            found.append(f"fan-out: {fan['sockets']}/{fan['requested']} sockets open, {fan['openFailures']} failed")
        if fan["delivered"] != fan["expected"] or fan["broadcastChanges"] != fan["changes"]:
            found.append(f"fan-out {fan['sockets']}: delivered {fan['delivered']}/{fan['expected']}, "
                         f"{fan['broadcastChanges']}/{fan['changes']} changes broadcast")
        if fan["stillOpenAtEnd"] != fan["sockets"]:
            found.append(f"fan-out {fan['sockets']}: {fan['sockets'] - fan['stillOpenAtEnd']} sockets closed early")
    for phase in ("flowMax", "flow70"):
        if out[phase]["errors"]:
            found.append(f"{phase}: {out[phase]['errors']} failed flows {out[phase]['statuses']}")
    if not out["flowVerification"]["ok"]:
        found.append(f"scores read back: {out['flowVerification']}")
    if "error" in out["pgbench"]:
        found.append(f"pgbench: {out['pgbench']['error']}")
    for name, log in out["serverLogs"].items():
        if log["flagged"]:
            found.append(f"{name} log: {log['flagged']} error lines, first: {log['first'][:1]}")
    return found


def _cpu(cpu: dict[str, float]) -> str:
    return " ".join(f"{name} {int(v)}" for name, v in cpu.items())


def table(out: dict[str, Any]) -> str:
    m = out["machine"]
    t, rc, r, fm, f7, pg = (out[k] for k in ("trivial", "readCeiling", "reads", "flowMax", "flow70", "pgbench"))
    rows = [
        f"machine      {m['nproc']} CPUs, {m['cpu']}, Python {m['python']}; load {m['loadavg']} -> {out['loadAfter']}",
        "shape        nginx -> 2 daphne (HTTP via the WSGI thread pool, WebSockets, SSE); PostgreSQL + Redis DB 14",
        f"{'phase':<13}{'rate/s':>9} {'p50':>7} {'p95':>7} {'p99':>7}  {'errors':>6}  CPU % by process",
        f"{'pgbench flow':<13}{pg.get('flowsPerSecond', '-')!s:>9} {'':>7} {'':>7} {'':>7}  "
        f"{pg.get('failed', '-')!s:>6}  {_cpu(pg.get('cpu', {}))}",
        f"{'trivial view':<13}{t['rate']!s:>9} {t['p50']!s:>7} {t['p95']!s:>7} {t['p99']!s:>7}  {t['errors']:>6}  "
        f"{_cpu(t['cpu'])}",
        f"{'read ceiling':<13}{rc['rate']!s:>9} {rc['p50']!s:>7} {rc['p95']!s:>7} {rc['p99']!s:>7}  "
        f"{rc['errors']:>6}  {_cpu(rc['cpu'])}",
        f"{'reads @' + str(int(r['offeredRate'])):<13}{r['rate']!s:>9} {r['p50']!s:>7} {r['p95']!s:>7} "
        f"{r['p99']!s:>7}  {r['errors']:>6}  {_cpu(r['cpu'])}",
        f"{'flows max':<13}{fm['rate']!s:>9} {fm['complete']['p50']!s:>7} {fm['complete']['p95']!s:>7} "
        f"{fm['complete']['p99']!s:>7}  {fm['errors']:>6}  {_cpu(fm['cpu'])}",
        f"{'flows @70%':<13}{f7['rate']!s:>9} {f7['complete']['p50']!s:>7} {f7['complete']['p95']!s:>7} "
        f"{f7['complete']['p99']!s:>7}  {f7['errors']:>6}  {_cpu(f7['cpu'])}",
        f"{'  request':<13}{'':>9} {f7['request']['p50']!s:>7} {f7['request']['p95']!s:>7} "
        f"{f7['request']['p99']!s:>7}  (offered {f7['offeredRate']}/s; flows: latency of complete, ms)",
    ]
    for fan in out["fanout"]:
        c, first = fan["fromCommit"], fan["firstChange"] or {}
        rows.append(
            f"{'fan-out ' + str(fan['sockets']):<13}{'':>9} {c['p50']!s:>7} {'':>7} {c['p99']!s:>7}  "
            f"{fan['expected'] - fan['delivered']:>6}  {_cpu(fan['cpu'])}")
        rows.append(
            f"  opened {fan['sockets']} in {fan['openSeconds']} s (failures {fan['openFailures']}); delivered "
            f"{fan['delivered']}/{fan['expected']}; from commit p50 {c['p50']} p99 {c['p99']} max {c['max']} ms; "
            f"first change p50 {first.get('p50')} p99 {first.get('p99')} ms; from response p99 "
            f"{fan['fromResponse']['p99']} ms; memory {fan['memoryPerSocketKiB']} KiB/socket")
    v = out["flowVerification"]
    rows.append(f"verified     {v['right']}/{v['checked']} flow players' scores read back right; "
                f"flows max = {round(100 * fm['rate'] / pg['flowsPerSecond']) if pg.get('flowsPerSecond') and fm['rate'] else '-'} % "
                "of the pgbench ceiling")
    rows.append("latencies in ms; reads and flows from when each request was due (open loop), fan-out from the"
                " commit (the board's server-side updatedAt, same clock)")
    return "\n".join(rows)
