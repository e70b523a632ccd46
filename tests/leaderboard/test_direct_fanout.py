"""Updates written straight to a daphne socket: the frame's bytes, in order, and slow sockets."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from leaderboard.broadcast.direct import DECLINED, SENT, SLOW, DirectWriter, Prepared, writer_for
from leaderboard.broadcast.hub import HubClient


class FakeProtocol:
    """What DirectWriter reads of autobahn's protocol and twisted's transport; a real socket."""

    STATE_OPEN, STATE_CLOSING = 3, 4

    def __init__(self, sock: socket.socket) -> None:
        self.state = self.STATE_OPEN
        self.send_queue: list = []
        self.via_autobahn: list[bytes] = []
        self.transport = SimpleNamespace(
            socket=sock, dataBuffer=b"", offset=0, _tempDataLen=0, disconnecting=False, written=[]
        )
        self.transport.write = self.transport.written.append

    def sendPreparedMessage(self, message) -> None:  # noqa: N802 - autobahn's name
        self.via_autobahn.append(message.payloadHybi)


def _pair():
    server, client = socket.socketpair()
    server.setblocking(False)
    return FakeProtocol(server), client


def test_the_frame_goes_to_the_kernel_once_framed():
    protocol, peer = _pair()
    message = Prepared({"live": '{"event":"leaderboard:update"}'}).get("live")
    assert DirectWriter(protocol).write(message, 10_000) == SENT
    payload = b'{"event":"leaderboard:update"}'
    assert peer.recv(100) == b"\x81" + bytes([len(payload)]) + payload  # FIN + text, unmasked
    assert protocol.via_autobahn == [] and protocol.transport.written == []


def test_bytes_twisted_still_holds_go_first():
    protocol, peer = _pair()
    protocol.transport._tempDataLen = 5
    message = Prepared({"live": "x"}).get("live")
    assert DirectWriter(protocol).write(message, 10_000) == SENT
    assert protocol.via_autobahn == [message.payloadHybi]  # queued behind them, not sent past them
    peer.setblocking(False)
    with pytest.raises(BlockingIOError):
        peer.recv(10)


def test_a_socket_that_does_not_read_is_slow_and_a_closing_one_is_left_alone():
    protocol, _ = _pair()
    protocol.transport.dataBuffer = b"x" * 50
    message = Prepared({"live": "x"}).get("live")
    assert DirectWriter(protocol).write(message, 30) == SLOW
    protocol.state = protocol.STATE_CLOSING
    assert DirectWriter(protocol).write(message, 10_000) == DECLINED


def test_the_hub_client_writes_directly_only_when_nothing_older_is_pending():
    protocol, peer = _pair()
    overflowed: list[bool] = []
    client = HubClient("live", on_overflow=lambda: overflowed.append(True))
    client.writer = DirectWriter(protocol)
    client.offer({"live": "one"})
    assert peer.recv(100).endswith(b"one") and client._slot is None  # noqa: SLF001
    client.writer = None
    client.offer({"live": "two"})  # no writer: the slot, for the consumer's writer task
    client.writer = DirectWriter(protocol)
    client.offer({"live": "three"})  # "two" is still pending: "three" replaces it in the slot
    assert client._slot == "three"  # noqa: SLF001
    peer.setblocking(False)
    with pytest.raises(BlockingIOError):
        peer.recv(100)  # nothing was written past the pending frame
    assert overflowed == []


def test_only_daphne_sends_have_a_writer():
    assert writer_for(lambda message: None) is None
