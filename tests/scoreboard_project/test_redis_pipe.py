"""The pipelined asyncio Redis connection: replies in order, errors, drops and stuck replies."""

from __future__ import annotations

import asyncio

import pytest
from django.conf import settings

from scoreboard_project import redis_pipe
from scoreboard_project.redis_client import get_redis, redis_key
from scoreboard_project.redis_pipe import RedisPipe, RedisReplyError, encode, parse

pytestmark = pytest.mark.production_shape


def test_it_parses_whole_replies_and_waits_for_partial_ones():
    reply = b"*3\r\n:1\r\n$3\r\nabc\r\n*0\r\n"
    assert parse(reply) == ([1, "abc", []], len(reply))
    for cut in range(len(reply)):
        assert parse(reply[:cut]) is None
    assert parse(b"$-1\r\n") == (None, 5)
    assert str(parse(b"-NOSCRIPT nope\r\n")[0]) == "NOSCRIPT nope"
    assert encode("GET", b"k", 7) == b"*3\r\n$3\r\nGET\r\n$1\r\nk\r\n$1\r\n7\r\n"


def test_concurrent_callers_get_their_own_replies_on_the_selected_database():
    key = redis_key("pipe-test")
    get_redis().set(key, "here")

    async def scenario():
        pipe = RedisPipe(settings.REDIS_URL)
        try:
            replies = await asyncio.gather(
                *(pipe.call("ECHO", f"n{i}") for i in range(200)), pipe.call("GET", key)
            )
            with pytest.raises(RedisReplyError, match="NOSCRIPT"):
                await pipe.call("EVALSHA", "0" * 40, 0)
            return replies, await pipe.call("INCR", key + ":n")
        finally:
            pipe.close()

    replies, count = asyncio.run(scenario())
    assert replies == [f"n{i}" for i in range(200)] + ["here"]  # GET saw REDIS_URL's database
    assert count == 1
    get_redis().delete(key, key + ":n")


def test_a_dropped_connection_fails_its_callers_and_the_next_call_reconnects():
    async def scenario():
        pipe = RedisPipe(settings.REDIS_URL)
        try:
            own_id = await pipe.call("CLIENT", "ID")
            waiting = asyncio.ensure_future(pipe.call("BLPOP", redis_key("pipe-never"), 5))
            await asyncio.sleep(0.05)
            get_redis().client_kill_filter(_id=own_id)
            with pytest.raises(ConnectionError):
                await waiting
            return own_id, await pipe.call("CLIENT", "ID")
        finally:
            pipe.close()

    before, after = asyncio.run(scenario())
    assert after != before


def test_a_reply_that_never_comes_drops_the_connection(monkeypatch):
    monkeypatch.setattr(redis_pipe, "TIMEOUT_S", 0.2)

    async def scenario():
        pipe = RedisPipe(settings.REDIS_URL)
        try:
            with pytest.raises(ConnectionError, match="in time"):
                await pipe.call("BLPOP", redis_key("pipe-never"), 3)
            return await pipe.call("ECHO", "back")
        finally:
            pipe.close()

    assert asyncio.run(scenario()) == "back"
