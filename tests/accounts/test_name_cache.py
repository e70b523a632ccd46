"""Players' names cached in Redis for board pages: filled by readers, overwritten by renames,
and never put back to an older name by a reader that raced a rename."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts import name_cache
from accounts.display_names import display_name_reset, display_name_set
from accounts.models import User
from scoreboard_project.redis_client import get_redis
from tests.helpers.players import make_player

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.production_shape]


def cached(user) -> str | None:
    return get_redis().hget(name_cache.names_key(), str(user.pk))


def test_it_fills_what_it_misses_from_the_database_and_then_reads_redis_alone(django_assert_num_queries):
    alice, bob = make_player("alice"), make_player("bob")
    display_name_set(user=alice, display_name="Queen Alice")
    ids = [str(alice.pk), str(bob.pk)]
    with django_assert_num_queries(1):
        assert name_cache.names_of(ids) == {ids[0]: ("alice", "Queen Alice"), ids[1]: ("bob", "")}
    with django_assert_num_queries(0):
        assert name_cache.names_of(ids) == {ids[0]: ("alice", "Queen Alice"), ids[1]: ("bob", "")}


def test_a_rename_overwrites_the_cached_name_on_commit():
    alice = make_player("alice")
    name_cache.names_of([str(alice.pk)])
    display_name_set(user=alice, display_name="Queen Alice")
    assert name_cache.names_of([str(alice.pk)]) == {str(alice.pk): ("alice", "Queen Alice")}
    display_name_reset(user=alice)
    assert name_cache.names_of([str(alice.pk)]) == {str(alice.pk): ("alice", "")}


def test_a_reader_that_read_the_old_name_before_a_rename_cannot_put_it_back():
    alice = make_player("alice")
    stale = name_cache.names_from_db([str(alice.pk)])  # a reader's query, before the rename
    display_name_set(user=alice, display_name="Queen Alice")  # its hook writes the new name
    name_cache.names_fill(stale)  # the reader's fill arrives late
    assert name_cache.names_of([str(alice.pk)]) == {str(alice.pk): ("alice", "Queen Alice")}


def test_two_renames_whose_hooks_run_out_of_order_leave_the_newer_name():
    alice = make_player("alice")
    display_name_set(user=alice, display_name="First")
    display_name_set(user=alice, display_name="Second")
    name_cache.name_changed(str(alice.pk))  # the first rename's hook, run late: reads the row now
    assert name_cache.names_of([str(alice.pk)]) == {str(alice.pk): ("alice", "Second")}


def test_two_rename_hooks_racing_leave_the_newer_name(monkeypatch):
    """The first hook reads the row, then a second rename commits and its hook runs, then the
    first hook writes: without the per-player lock the older name stayed in the hash."""
    alice = make_player("alice")
    uid = str(alice.pk)
    display_name_set(user=alice, display_name="First")
    first_read, resume = threading.Event(), threading.Event()
    real_read = name_cache.names_from_db

    def read_then_pause(ids):
        found = real_read(ids)
        if threading.current_thread().name == "first-hook":
            first_read.set()
            resume.wait(5)
        return found

    monkeypatch.setattr(name_cache, "names_from_db", read_then_pause)

    def hook(name: str) -> threading.Thread:
        def run() -> None:
            try:
                name_cache.name_changed(uid)
            finally:
                connection.close()

        thread = threading.Thread(target=run, name=name)
        thread.start()
        return thread

    first = hook("first-hook")
    assert first_read.wait(5)  # it read "First"
    User.objects.filter(pk=alice.pk).update(display_name="Second")  # a later rename commits
    second = hook("second-hook")
    second.join(0.3)  # with the lock it waits for the first hook; without, it wrote "Second"
    resume.set()
    first.join(5)
    second.join(5)
    assert name_cache.names_of([uid]) == {uid: ("alice", "Second")}


def test_an_admin_save_of_the_username_refreshes_the_entry_and_a_deletion_removes_it():
    alice = make_player("alice")
    name_cache.names_of([str(alice.pk)])
    alice.username = "alice2"
    alice.save()  # a full save, as the admin's form does
    assert name_cache.names_of([str(alice.pk)]) == {str(alice.pk): ("alice2", "")}
    uid = str(alice.pk)
    alice.delete()
    assert get_redis().hget(name_cache.names_key(), uid) is None
    assert name_cache.names_of([uid]) == {}


def test_saves_that_touch_no_name_leave_the_entry_alone(monkeypatch):
    alice = make_player("alice")
    name_cache.names_of([str(alice.pk)])
    refreshed: list[str] = []
    monkeypatch.setattr("accounts.receivers.name_changed", refreshed.append)
    alice.save(update_fields=["last_login"])
    assert refreshed == [] and cached(alice) is not None


def test_the_hash_lives_at_most_a_day_from_its_creation_so_a_failed_rename_write_heals():
    alice, bob = make_player("alice"), make_player("bob")
    name_cache.names_of([str(alice.pk)])
    ttl = get_redis().ttl(name_cache.names_key())
    assert 0 < ttl <= name_cache.MAX_AGE_S
    get_redis().expire(name_cache.names_key(), 100)
    name_cache.names_of([str(bob.pk)])  # later fills and renames never extend it
    display_name_set(user=alice, display_name="Queen Alice")
    assert get_redis().ttl(name_cache.names_key()) <= 100
    get_redis().delete(name_cache.names_key())
    display_name_set(user=alice, display_name="Queen")  # a rename creates it: with an expiry too
    assert 0 < get_redis().ttl(name_cache.names_key()) <= name_cache.MAX_AGE_S


def test_a_rename_with_redis_stopped_commits_and_is_logged_as_an_error(settings, throwaway_redis, caplog):
    settings.REDIS_URL = throwaway_redis.url
    alice = make_player("alice")
    assert name_cache.names_of([str(alice.pk)]) == {str(alice.pk): ("alice", "")}
    throwaway_redis.stop()
    display_name_set(user=alice, display_name="Queen Alice")  # the commit stands
    alice.refresh_from_db()
    assert alice.display_name == "Queen Alice"
    assert any(r.levelname == "ERROR" and "stale" in r.getMessage() for r in caplog.records)
    # Reads go to the database meanwhile.
    assert name_cache.names_of([str(alice.pk)]) == {str(alice.pk): ("alice", "Queen Alice")}
