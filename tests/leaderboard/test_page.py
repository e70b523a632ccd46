"""The live page at ``/`` as the server renders it (no JavaScript involved)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from leaderboard.pages import top_entries
from tests.helpers.players import make_player

XSS = "<img src=x onerror=alert(1)>"


def test_it_orders_entries_by_score_then_who_got_there_first(db):
    now = timezone.now()
    make_player("late", score=500, score_updated_at=now)
    make_player("early", score=500, score_updated_at=now - timedelta(minutes=5))
    make_player("top", score=900)
    make_player("low", score=10)
    entries = top_entries(10)
    assert [(e["username"], e["rank"]) for e in entries] == [
        ("top", 1),
        ("early", 2),
        ("late", 2),
        ("low", 4),
    ]
    assert set(entries[0]) == {"rank", "user_id", "username", "display_name", "score", "updated_at"}
    assert entries[0]["updated_at"].endswith("Z")


def test_it_leaves_banned_staff_and_game_servers_off_the_page(db, moderator, game_server):
    make_player("cheater", score=10_000, status="banned")
    make_player("player", score=1)
    assert [e["username"] for e in top_entries(10)] == ["player"]


def test_it_keeps_shared_ranks_at_the_cut(db):
    for index in range(12):
        make_player(f"p{index:02d}", score=100 if index < 11 else 50)
    entries = top_entries(10)
    assert len(entries) == 10
    assert {e["rank"] for e in entries} == {1}


def test_it_renders_the_top_10_on_the_server(client, db):
    for index in range(12):
        make_player(f"player{index:02d}", score=1000 - index)
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert html.count('<tr data-user-id="') == 10
    assert "player00" in html and "player09" in html and "player10" not in html
    assert 'aria-live="polite"' in html
    assert "/static/leaderboard/board.js" in html
    assert "/static/leaderboard/live.js" in html and "/static/leaderboard/live.css" in html
    assert '<meta name="viewport"' in html


def test_it_renders_an_empty_board(client, db):
    html = client.get("/").content.decode()
    assert "No players on the board yet." in html
    assert 'id="empty" class="empty" hidden' not in html


def test_it_escapes_usernames_on_the_page(client, db):
    # The username validator forbids markup at registration; the page must not rely on it.
    make_player("legit", score=5)
    from accounts.models import User

    User.objects.filter(username="legit").update(username=XSS)
    html = client.get("/").content.decode()
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_it_reads_the_page_in_few_queries(client, db, django_assert_max_num_queries):
    for index in range(10):
        make_player(f"q{index}", score=index)
    client.get("/")  # the first read after Redis lost its sets rebuilds them from the database
    with django_assert_max_num_queries(2):
        assert client.get("/").status_code == 200


def test_it_serves_the_page_scripts_and_styles(client, db):
    for path in (
        "/static/leaderboard/board.js",
        "/static/leaderboard/live.js",
        "/static/leaderboard/live.css",
    ):
        response = client.get(path)
        assert response.status_code == 200, path


def test_it_uses_text_content_for_player_data_in_the_script():
    from pathlib import Path

    for name in ("board.js", "live.js"):
        source = (Path(__file__).resolve().parents[2] / "static" / "leaderboard" / name).read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, (name, sink)


def test_it_keeps_a_private_leaderboard_off_the_page_for_anonymous_visitors(client, db, settings):
    make_player("secret_champion", score=999)
    settings.LEADERBOARD_PUBLIC = False

    html = client.get("/").content.decode()

    assert "secret_champion" not in html
    assert "private" in html
