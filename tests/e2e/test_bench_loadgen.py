"""The load generator reconnects when the server ends a keep-alive connection.

nginx closes a client connection after ``keepalive_requests`` (1,000) requests, saying
``Connection: close`` on the last answer. The load generator used to send the next request
on that connection anyway and counted an ``IncompleteReadError`` as a failed request,
which failed ``make bench`` (3,999 of 4,000 reads answered).
"""

from __future__ import annotations

import asyncio

from bench import loadgen

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n%s\r\nok"


def test_it_opens_a_new_connection_after_connection_close():
    async def scenario() -> tuple[list[str], int]:
        accepted = 0

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal accepted
            accepted += 1
            for served in (1, 2):  # like nginx at keepalive_requests, with fewer requests
                try:
                    await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    break  # the client went away
                writer.write(ANSWER % (b"Connection: close\r\n" if served == 2 else b""))
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        async with server:
            result = await loadgen.closed_loop(
                "127.0.0.1", port, lambda _index: request, connections=1, seconds=0.3
            )
        return list(result.statuses), accepted

    statuses, accepted = asyncio.run(scenario())
    assert statuses == ["200"]  # no IncompleteReadError among them
    assert accepted > 1
