"""The lean fan-out client (``bench/raw_live_clients.py``) against a real WebSocket server.

The server is the ``websockets`` library's, so the frames are another implementation's:
an update long enough for a 16-bit length, one sent in fragments, a JSON ``ping`` event
(the client must answer ``pong`` with its timestamp, masked as RFC 6455 requires, or the
server would reject the frame), then a close with a code.
"""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.server import ServerConnection, serve

from bench import raw_live_clients

UPDATE = {"event": "leaderboard:update", "data": {"seq": 7, "leaderboard": [], "pad": "x" * 400}}


def test_it_reads_updates_answers_pings_and_records_the_close():
    async def scenario() -> tuple[list[str], list[dict], int | None]:
        pongs: list[dict] = []

        async def handler(ws: ServerConnection) -> None:
            await ws.send(json.dumps({"event": "leaderboard:initial", "data": {}}))
            await ws.send(json.dumps(UPDATE))
            text = json.dumps({**UPDATE, "data": {**UPDATE["data"], "seq": 8}})
            await ws.send([text[:10], text[10:200], text[200:]])  # three frames, one message
            await ws.send(json.dumps({"event": "ping", "timestamp": 123}))
            pongs.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            await ws.close(4008, "bye")

        async with serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            sock = raw_live_clients.Socket(server="s")
            ready = asyncio.Event()
            protocol = await raw_live_clients._connect(f"ws://127.0.0.1:{port}", sock, ready)
            assert protocol is not None
            await asyncio.wait_for(ready.wait(), 5)
            await asyncio.wait_for(protocol.closed.wait(), 5)
            connected = asyncio.ensure_future(asyncio.sleep(0, protocol))  # as open_raw's task
            await connected
            await raw_live_clients._Protocols([sock], [connected]).stop()
        return [frame for _, _, frame in sock.frames], pongs, sock.close_code

    frames, pongs, close_code = asyncio.run(scenario())

    assert [json.loads(frame)["data"]["seq"] for frame in frames] == [7, 8]
    assert pongs == [{"event": "pong", "timestamp": 123}]
    assert close_code == 4008


def test_a_refused_upgrade_is_an_error_not_a_greeting():
    async def scenario() -> tuple[str | None, bool]:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            sock = raw_live_clients.Socket(server="s")
            ready = asyncio.Event()
            protocol = await raw_live_clients._connect(f"ws://127.0.0.1:{port}", sock, ready)
            await asyncio.wait_for(ready.wait(), 5)
        return sock.error, protocol is not None and protocol.greeted

    error, greeted = asyncio.run(scenario())

    assert error is not None and "403" in error
    assert not greeted
