"""An update's frame written straight to each daphne socket, framed once for all of them.

Through the ASGI path every socket costs a task wake-up, the consumer's ``send``, daphne's
``handle_reply`` and autobahn framing the same text again: about 0.16 ms of CPU per socket
per update here, so 5,000 sockets on a process took most of a second per update. The hub
instead hands each socket that has nothing pending the update's frame as an autobahn
``PreparedMessage`` (its documented aid for broadcast: the WebSocket frame built once),
whose bytes go to the kernel with one ``send()`` when twisted holds nothing for that
socket, and through the transport otherwise.

Only under daphne, whose ``send`` for a socket is ``partial(Server.handle_reply,
protocol)``; under any other server (or a test communicator) ``writer_for`` finds no
protocol and the ASGI path stays. A socket whose transport still holds ``MAX_BEHIND``
frames' worth of unsent bytes when the next update comes is too slow (the hub closes it,
as it does for a slot overwritten while its write was in progress).
"""

from __future__ import annotations

import functools

from autobahn.websocket.protocol import PreparedMessage, WebSocketProtocol

SENT, SLOW, DECLINED = "sent", "slow", "declined"


class Prepared:
    """One update's frames, each framed once (on first use) for every socket of its dialect."""

    def __init__(self, frames: dict[str, str]) -> None:
        self.frames = frames
        self._made: dict[str, object] = {}

    def get(self, dialect: str):
        found = self._made.get(dialect)
        if found is None:
            found = self._made[dialect] = PreparedMessage(
                self.frames[dialect].encode(), isBinary=False, applyMask=False, doNotCompress=True
            )
        return found


def unsent(transport) -> int:
    """Bytes twisted still holds for this connection (written, not yet taken by the kernel)."""
    held = len(getattr(transport, "dataBuffer", b"")) - getattr(transport, "offset", 0)
    return held + getattr(transport, "_tempDataLen", 0)


class DirectWriter:
    def __init__(self, protocol) -> None:
        self.protocol = protocol

    def write(self, message, max_unsent: int) -> str:
        protocol = self.protocol
        if protocol.state != protocol.STATE_OPEN:
            return DECLINED  # closing: the ASGI path (which drops it) decides
        transport = protocol.transport
        pending = unsent(transport)
        if pending > max_unsent:
            return SLOW
        sock = getattr(transport, "socket", None)
        if (
            pending
            or protocol.send_queue
            or sock is None
            or transport.disconnecting
            or getattr(transport, "TLS", False)
        ):
            protocol.sendPreparedMessage(message)
            return SENT
        # Nothing is waiting in twisted for this socket, so the kernel has every earlier
        # byte: hand it the frame now, one send(), instead of twisted's buffer and a
        # writer registration with the event loop per socket. Whatever the kernel does not
        # take goes through twisted as usual, after it.
        data = message.payloadHybi
        try:
            taken = sock.send(data)
        except BlockingIOError:
            taken = 0
        except OSError:
            return DECLINED  # the connection failed: twisted notices and closes it
        if taken < len(data):
            transport.write(data[taken:])
        return SENT


def writer_for(send) -> DirectWriter | None:
    """A writer for the socket behind an ASGI ``send`` callable, when daphne serves it."""
    if not isinstance(send, functools.partial) or len(send.args) != 1:
        return None
    protocol = send.args[0]
    if not isinstance(protocol, WebSocketProtocol) or getattr(protocol, "transport", None) is None:
        return None
    return DirectWriter(protocol)
