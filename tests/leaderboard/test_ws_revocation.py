"""WebSocket and SSE authentication honour revocation like the HTTP API: a logged-out,
deactivated, re-passworded or reused-session token is refused at connect (4401 / 401)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_token_pair
from tests.helpers.sockets import close_code, next_json, open_socket
from tests.helpers.sse import Stream

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_hub")]
LIVE, SCOREBOARD = "/ws/leaderboard/live", "/ws/scoreboard"


def _logged_out(user: User) -> str:
    pair = issue_token_pair(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")
    assert (
        client.post("/api/v1/auth/logout", {"refreshToken": pair.refresh}, format="json").status_code == 200
    )
    return pair.access


def _deactivated(user: User) -> str:
    access = issue_token_pair(user).access
    User.objects.filter(pk=user.pk).update(is_active=False)
    return access


def _new_password(user: User) -> str:
    access = issue_token_pair(user).access
    user.set_password("a-brand-new-passphrase-7")
    user.save()
    return access


def _reused_session(user: User) -> str:
    pair = issue_token_pair(user)
    client = APIClient()
    assert (
        client.post("/api/v1/auth/refresh", {"refreshToken": pair.refresh}, format="json").status_code == 200
    )
    assert (
        client.post("/api/v1/auth/refresh", {"refreshToken": pair.refresh}, format="json").status_code == 401
    )
    return pair.access


REVOKED = {
    "logged_out": _logged_out,
    "deactivated": _deactivated,
    "new_password": _new_password,
    "reused_session": _reused_session,
}


@pytest.mark.parametrize("how", ["header", "query", "message"])
@pytest.mark.parametrize("revoked", list(REVOKED))
async def test_it_closes_4401_for_a_revoked_token(alice, revoked, how):
    token = await database_sync_to_async(REVOKED[revoked])(alice)
    headers = [(b"authorization", f"Bearer {token}".encode())] if how == "header" else []

    socket, connected, _ = await open_socket(
        f"{LIVE}?token={token}" if how == "query" else LIVE, headers=headers
    )
    assert connected
    if how == "message":
        await next_json(socket)
        await socket.send_json_to({"type": "auth", "token": token})

    assert await close_code(socket) == 4401
    await socket.disconnect()


async def test_it_keeps_a_valid_token_open(alice):
    token = await database_sync_to_async(lambda: issue_token_pair(alice).access)()
    socket, _, _ = await open_socket(SCOREBOARD, headers=[(b"authorization", f"Bearer {token}".encode())])

    assert (await next_json(socket))["type"] == "connected"
    await socket.send_json_to({"type": "ping"})
    assert (await next_json(socket))["type"] == "pong"
    await socket.disconnect()


@pytest.mark.parametrize("revoked", list(REVOKED))
async def test_it_refuses_the_stream_to_a_revoked_token(alice, revoked):
    token = await database_sync_to_async(REVOKED[revoked])(alice)

    stream = Stream(headers=[(b"authorization", f"Bearer {token}".encode())])
    start = await stream.start()

    assert start["status"] == 401
    assert "TOKEN_INVALID" in (await stream.body())
    await stream.close()


@pytest.mark.parametrize("revoke", ["deactivated", "new_password"])
@pytest.mark.parametrize("path", [LIVE, SCOREBOARD])
async def test_it_closes_open_sockets_4401_when_the_account_is_revoked(alice, path, revoke):
    token = await database_sync_to_async(lambda: issue_token_pair(alice).access)()
    socket, _, _ = await open_socket(f"{path}?token={token}")
    await next_json(socket)

    def change() -> None:
        user = User.objects.get(pk=alice.pk)
        if revoke == "deactivated":
            user.is_active = False
        else:
            user.set_password("a-brand-new-passphrase-7")
        user.save()

    await database_sync_to_async(change)()
    assert await close_code(socket) == 4401
    await socket.disconnect()
