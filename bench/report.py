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
        flagged = [
            line
            for line in lines
            if any(
                k in line
                for k in ("ERROR", "Traceback", "CRITICAL", "[error]", "[crit]", "[alert]", "[emerg]")
            )
        ]
        findings[log.stem] = {"lines": len(lines), "flagged": len(flagged), "first": flagged[:5]}
    return findings


def problems(out: dict[str, Any]) -> list[str]:
    found = []
    for phase in (
        "trivial",
        "readCeiling",
        "reads",
        "flowMax",
        "flow70",
        "flowVerification",
        "pgbench",
        "boardReads",
        "boardWrites",
    ):
        out.setdefault(phase, None)
    out.setdefault("fanout", [])
    for phase in ("trivial", "readCeiling", "reads", "boardReads", "boardWrites"):
        if out[phase] is None:
            continue
        if out[phase]["errors"]:
            found.append(f"{phase}: {out[phase]['errors']} errors {out[phase]['statuses']}")
    for fan in out["fanout"]:
        if fan["sockets"] != fan["requested"] or fan["openFailures"]:
            found.append(
                f"fan-out: {fan['sockets']}/{fan['requested']} sockets open, {fan['openFailures']} failed"
            )
        if fan["delivered"] != fan["expected"] or fan["broadcastChanges"] != fan["changes"]:
            found.append(
                f"fan-out {fan['sockets']}: delivered {fan['delivered']}/{fan['expected']}, "
                f"{fan['broadcastChanges']}/{fan['changes']} changes broadcast"
            )
        if fan["stillOpenAtEnd"] != fan["sockets"]:
            found.append(
                f"fan-out {fan['sockets']}: {fan['sockets'] - fan['stillOpenAtEnd']} sockets closed early"
            )
    for phase in ("flowMax", "flow70"):
        if out[phase] and out[phase]["errors"]:
            found.append(f"{phase}: {out[phase]['errors']} failed flows {out[phase]['statuses']}")
    if out["flowVerification"] and not out["flowVerification"]["ok"]:
        found.append(f"scores read back: {out['flowVerification']}")
    if out["pgbench"] and "error" in out["pgbench"]:
        found.append(f"pgbench: {out['pgbench']['error']}")
    for name, log in out["serverLogs"].items():
        if log["flagged"]:
            found.append(f"{name} log: {log['flagged']} error lines, first: {log['first'][:1]}")
    return found


def _cpu(cpu: dict[str, float]) -> str:
    return " ".join(f"{name} {int(v)}" for name, v in cpu.items())


def _row(label: str, rate: object, lat: dict[str, Any], errors: object, cpu: dict[str, float]) -> str:
    return (
        f"{label:<13}{rate!s:>9} {lat.get('p50')!s:>7} {lat.get('p95', '')!s:>7} {lat.get('p99')!s:>7}  "
        f"{errors!s:>6}  {_cpu(cpu)}"
    )


def percentiles_text(values: dict[str, Any]) -> str:
    return f"p50 {values.get('p50')} p95 {values.get('p95')} p99 {values.get('p99')} ms"


def _board_rows(out: dict[str, Any]) -> list[str]:
    reads, writes, seeded = out.get("boardReads"), out.get("boardWrites"), out.get("boardSeed") or {}
    if not (reads and writes):
        return []
    server, answer = writes["serverTime"], writes.get("answerTime")
    return [
        _row(f"boards rd@{int(reads['offeredRate'])}", reads["rate"], reads, reads["errors"], reads["cpu"]),
        _row(
            f"boards wr@{int(writes['offeredRate'])}", writes["rate"], writes, writes["errors"], writes["cpu"]
        ),
        f"  server time of a write (nginx upstream, {writes.get('proxiedServerTime', {}).get('n')} writes):"
        f" {percentiles_text(writes.get('proxiedServerTime') or {})}",
        *(
            [
                f"  server time of a write (in-process, to the answer through the ASGI app, {answer['n']} writes):"
                f" p50 {answer['p50']} p95 {answer['p95']} ms, {answer['cpu']} ms CPU"
            ]
            if answer
            else []
        ),
        f"  server time of a write (in-process, test client: with the after-answer work, {server['n']} writes):"
        f" p50 {server['p50']} p95 {server['p95']} ms,"
        f" {server['cpu']} ms CPU; board of {seeded.get('records', 0):,} records among {seeded.get('boards')} boards"
        f" (seeded in {seeded.get('total_s')} s); pages: limit 50 after random cursors",
    ]


def table(out: dict[str, Any]) -> str:
    m, shape = out["machine"], out.get("shape", "nginx -> 2 daphne")
    rows = [
        f"machine      {m['nproc']} CPUs, {m['cpu']}, Python {m['python']}; load {m['loadavg']} -> {out['loadAfter']}",
        f"shape        {shape} (HTTP via the WSGI thread pool, WebSockets, SSE); PostgreSQL + Redis DB {out.get('redisDb', 14)}",
        f"{'phase':<13}{'rate/s':>9} {'p50':>7} {'p95':>7} {'p99':>7}  {'errors':>6}  CPU % by process",
    ]
    pg = out.get("pgbench")
    if pg:
        rows.append(
            _row(
                "pgbench flow",
                pg.get("flowsPerSecond", "-"),
                {"p50": pg.get("latencyMs"), "p95": "", "p99": ""},
                pg.get("failed", "-"),
                pg.get("cpu", {}),
            )
        )
    for key, label in (("trivial", "trivial view"), ("readCeiling", "read ceiling"), ("reads", "reads")):
        r = out.get(key)
        if r:
            name = f"reads @{int(r['offeredRate'])}" if key == "reads" else label
            rows.append(_row(name, r["rate"], r, r["errors"], r["cpu"]))
    fm, f7 = out.get("flowMax"), out.get("flow70")
    if fm and f7:
        rows.append(_row("flows max", fm["rate"], fm["complete"], fm["errors"], fm["cpu"]))
        rows.append(_row("flows @70%", f7["rate"], f7["complete"], f7["errors"], f7["cpu"]))
        rows.append(
            f"{'  request':<13}{'':>9} {f7['request']['p50']!s:>7} {f7['request']['p95']!s:>7} "
            f"{f7['request']['p99']!s:>7}  (offered {f7['offeredRate']}/s; flow rows: latency of complete)"
        )
        server = f7.get("serverTime")
        if server:
            rows.append(
                "  server time at 70 % (nginx upstream): "
                + "; ".join(f"{name} {percentiles_text(server[name])}" for name in ("request", "complete"))
            )
        by_second = f7.get("completeBySecond")
        if by_second:
            rows.append(
                "  complete p95 by second of the phase (ms): "
                + " ".join(str(round(s["p95"])) if s["p95"] is not None else "-" for s in by_second)
            )
    for fan in out.get("fanout") or []:
        c, first = fan["fromCommit"], fan["firstChange"] or {}
        rows.append(
            _row(
                f"fan-out {fan['requested']}",
                "",
                {"p50": c["p50"], "p95": "", "p99": c["p99"]},
                fan["expected"] - fan["delivered"],
                fan["cpu"],
            )
        )
        rows.append(
            f"  opened {fan['sockets']}/{fan['requested']} in {fan['openSeconds']} s (failures "
            f"{fan['openFailures']}); delivered {fan['delivered']}/{fan['expected']}; from commit p50 {c['p50']}"
            f" p99 {c['p99']} max {c['max']} ms; first change p50 {first.get('p50')} p99 {first.get('p99')} ms;"
            f" from response p99 {fan['fromResponse']['p99']} ms; memory {fan['memoryPerSocketKiB']} KiB/socket;"
            f" app CPU {fan.get('cpuMsPerOpen')} ms/open, {fan.get('cpuMsPerDelivery')} ms/delivery,"
            f" idle {fan.get('idleCpuPercent')} %"
        )
    rows.extend(_board_rows(out))
    v = out.get("flowVerification")
    if v:
        share = (
            round(100 * fm["rate"] / pg["flowsPerSecond"])
            if pg and pg.get("flowsPerSecond") and fm["rate"]
            else "-"
        )
        rows.append(
            f"verified     {v['right']}/{v['checked']} flow players' scores read back right; "
            f"flows max = {share} % of the pgbench ceiling"
        )
    rows.append(
        "latencies in ms; reads and flows from when each request was due (open loop), fan-out from the"
        " commit (the board's server-side updatedAt, same clock)"
    )
    return "\n".join(rows)
