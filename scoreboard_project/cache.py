"""Django's Redis cache on the process's one pool, storing JSON, never pickles.

- **One pool.** Django's ``caches`` is context-local and every ASGI request is its own
  context, so the stock backend built a new client, pool and TCP connection per request.
  Here every cache instance borrows ``redis_client.shared_pool()``: one pool per process.
- **JSON only.** Django's ``RedisSerializer`` pickles values, so anyone able to write to
  Redis could run code in every server process. ``JSONSerializer`` writes JSON (integers
  raw, so ``incr`` works) with tags for the few non-JSON types the code caches
  (datetimes, dates, UUIDs, decimals); what is not valid JSON is a miss, never executed.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

from .redis_client import get_redis

logger = logging.getLogger("scoreboard.cache")
_TAG = "__t"


class UnreadableValue(ValueError):
    """A cached value that is not this serializer's JSON (a pickle, say)."""


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {_TAG: "dt", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {_TAG: "date", "v": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {_TAG: "uuid", "v": str(value)}
    if isinstance(value, decimal.Decimal):
        return {_TAG: "dec", "v": str(value)}
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} cannot be cached as JSON")


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "dt": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "uuid": uuid.UUID,
    "dec": decimal.Decimal,
}


def _decode(obj: dict) -> Any:
    kind = obj.get(_TAG)
    if kind is not None and set(obj) == {_TAG, "v"} and kind in _DECODERS:
        return _DECODERS[kind](obj["v"])
    return obj


class JSONSerializer:
    def dumps(self, obj: Any) -> Any:
        if type(obj) is int:  # raw, so that INCR works on it (as Django's serializer does)
            return obj
        return json.dumps(obj, default=_encode, separators=(",", ":"))

    def loads(self, data: Any) -> Any:
        if isinstance(data, bytes):
            try:
                data = data.decode()
            except UnicodeDecodeError as exc:
                raise UnreadableValue("not UTF-8") from exc
        try:
            return int(data)
        except ValueError:
            pass
        try:
            return json.loads(data, object_hook=_decode)
        except ValueError as exc:
            raise UnreadableValue("not JSON") from exc


class SharedPoolRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, serializer=None, **options) -> None:
        super().__init__(servers, serializer=serializer or JSONSerializer, **options)

    def get_client(self, key=None, *, write=False):
        return get_redis(self._servers[0])

    def get(self, key, default):
        value = self.get_client(key).get(key)
        return default if value is None else self._loads_or_miss(key, value, default)

    def get_many(self, keys):
        values = self.get_client(None).mget(keys)
        missing = object()
        found = {
            k: self._loads_or_miss(k, v, missing) for k, v in zip(keys, values, strict=True) if v is not None
        }
        return {k: v for k, v in found.items() if v is not missing}

    def _loads_or_miss(self, key, value, default):
        try:
            return self._serializer.loads(value)
        except UnreadableValue:
            logger.warning("Cache key %s holds a value that is not JSON: ignored", key)
            return default


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedPoolRedisCacheClient
