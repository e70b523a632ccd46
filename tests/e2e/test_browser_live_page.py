"""The live page's JavaScript in headless Chromium, against a mocked server.

The page HTML is rendered by Django in this process; Playwright serves it, the static
files and ``GET /api/v1/leaderboard``, and stands in for ``/ws/leaderboard/live`` with
``route_web_socket``, speaking the contract's messages. These run on both stores and do
not need the live branch; tests/e2e/test_browser_daphne.py covers real servers.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import pytest
from django.test import Client
from playwright.sync_api import expect

from accounts.models import User
from accounts.tokens import issue_token_pair
from tests.helpers.child_servers import ARTIFACTS
from tests.helpers.players import make_player
from tests.helpers.servers import ROOT

pytestmark = pytest.mark.browser

ORIGIN = "http://scoreboard.test"
XSS = "<img src=x onerror=alert(1)>"


def entry(user: User, rank: int, score: int, username: str | None = None) -> dict[str, Any]:
    return {
        "rank": rank,
        "userId": str(user.id),
        "username": username or user.username,
        "score": score,
        "updatedAt": "2026-11-23T12:00:00Z",
    }


@dataclass
class Harness:
    page: Any
    sockets: list[Any] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    initial: dict | None = None
    api_leaderboard: list[dict] = field(default_factory=list)
    api_calls: int = 0
    dialogs: list[str] = field(default_factory=list)

    def send(self, event: str, data: dict, socket: int = -1) -> None:
        self.sockets[socket].send(json.dumps({"event": event, "data": data}))

    def rows(self) -> list[list[str]]:
        return self.page.eval_on_selector_all(
            "#rows tr",
            "rows => rows.map(r => [r.querySelector('.rank').textContent, r.querySelector('.name').textContent,"
            " r.querySelector('.score').textContent])",
        )

    def state(self):
        return expect(self.page.locator("#connection"))


@pytest.fixture
def players(db) -> dict[str, User]:
    return {
        name: make_player(name, score=score) for name, score in (("alice", 300), ("bob", 200), ("carol", 100))
    }


def open_page(
    browser,
    *,
    token: str | None = None,
    javascript: bool = True,
    initial: dict | None = None,
    viewport: dict | None = None,
) -> Harness:
    html = Client().get("/").content
    context = browser.new_context(
        java_script_enabled=javascript, viewport=viewport or {"width": 1100, "height": 800}
    )
    page = context.new_page()
    harness = Harness(page=page, initial=initial)
    page.on("dialog", lambda dialog: (harness.dialogs.append(dialog.message), dialog.dismiss()))
    if token:
        page.add_init_script(f"window.localStorage.setItem('scoreboard.token', {json.dumps(token)});")

    def serve(route) -> None:
        path = urlparse(route.request.url).path
        if path == "/":
            route.fulfill(status=200, body=html, content_type="text/html; charset=utf-8")
        elif path.startswith("/static/"):
            file = ROOT / path.lstrip("/")
            route.fulfill(status=200, body=file.read_bytes(), content_type=mimetypes.guess_type(file.name)[0])
        elif path == "/api/v1/leaderboard":
            harness.api_calls += 1
            body = {
                "success": True,
                "data": {
                    "leaderboard": harness.api_leaderboard,
                    "period": "all",
                    "lastUpdated": "2026-11-23T12:05:00Z",
                    "totalPlayers": 3,
                },
            }
            route.fulfill(status=200, body=json.dumps(body), content_type="application/json")
        else:
            route.fulfill(status=404, body="{}", content_type="application/json")

    def socket(ws) -> None:
        harness.sockets.append(ws)
        ws.on_message(lambda message: harness.received.append(json.loads(message)))
        if harness.initial is not None:
            ws.send(json.dumps({"event": "leaderboard:initial", "data": harness.initial}))

    page.route(f"{ORIGIN}/**", serve)
    page.route_web_socket("ws://scoreboard.test/ws/leaderboard/live", socket)
    page.goto(f"{ORIGIN}/")
    return harness


@pytest.fixture
def live(browser, players) -> Harness:
    a, b, c = players["alice"], players["bob"], players["carol"]
    harness = open_page(
        browser,
        initial={
            "leaderboard": [entry(a, 1, 300), entry(b, 2, 200), entry(c, 3, 100)],
            "updatedAt": "2026-11-23T12:00:00Z",
            "seq": 1,
        },
    )
    harness.state().to_have_attribute("data-state", "live")
    yield harness
    harness.page.context.close()


def test_it_lists_the_top_10_with_javascript_disabled(browser, db):
    for index in range(12):
        make_player(f"player{index:02d}", score=1000 - index * 10)
    harness = open_page(browser, javascript=False)
    rows = harness.rows()
    assert len(rows) == 10
    assert rows[0] == ["1", "player00", "1000"] and rows[-1] == ["10", "player09", "910"]
    assert harness.page.locator("#connection").get_attribute("data-state") == "static"
    harness.page.context.close()


def test_it_moves_rows_to_their_new_rank_and_highlights_changed_scores(live, players):
    a, b, c = players["alice"], players["bob"], players["carol"]
    bob_row = live.page.locator(f'#rows tr[data-user-id="{b.id}"]')
    live.page.evaluate("""() => {
        window.__flips = [];
        new MutationObserver(changes => changes.forEach(change => {
            const t = change.target.style.transform;
            if (t) window.__flips.push([change.target.dataset.userId, t]);
        })).observe(document.getElementById('rows'), {subtree: true, attributeFilter: ['style']});
    }""")
    live.send(
        "leaderboard:update",
        {
            "leaderboard": [entry(b, 1, 450), entry(a, 2, 300), entry(c, 3, 100)],
            "updatedAt": "2026-11-23T12:00:01Z",
            "seq": 2,
        },
    )
    expect(bob_row.locator(".score")).to_have_text("450", timeout=1000)
    assert live.rows() == [["1", "bob", "450"], ["2", "alice", "300"], ["3", "carol", "100"]]
    expect(bob_row).to_have_class("changed")  # highlighted
    assert "changed" not in (
        live.page.locator(f'#rows tr[data-user-id="{c.id}"]').get_attribute("class") or ""
    )
    # FLIP: each moved row starts where it was (inverted by a transform) and slides into place.
    flips = dict(live.page.evaluate("window.__flips"))
    assert set(flips) == {str(a.id), str(b.id)}
    assert flips[str(b.id)].startswith("translateY(") and not flips[str(b.id)].startswith("translateY(-")
    assert flips[str(a.id)].startswith("translateY(-")
    expect(live.page.locator("#announcer")).to_contain_text("bob is now rank 1")
    expect(live.page.locator("#updated-at")).to_have_attribute("datetime", "2026-11-23T12:00:01Z")


def test_it_drops_updates_older_than_the_last_seen_seq(live, players):
    a, b, c = players["alice"], players["bob"], players["carol"]
    live.send(
        "leaderboard:update",
        {
            "leaderboard": [entry(c, 1, 900), entry(a, 2, 300), entry(b, 3, 200)],
            "updatedAt": "2026-11-23T12:00:05Z",
            "seq": 5,
        },
    )
    expect(live.page.locator("#rows tr").first.locator(".name")).to_have_text("carol", timeout=1000)
    live.send(
        "leaderboard:update",
        {
            "leaderboard": [entry(a, 1, 350), entry(b, 2, 200), entry(c, 3, 100)],
            "updatedAt": "2026-11-23T12:00:04Z",
            "seq": 4,
        },
    )
    live.send(
        "leaderboard:update",
        {
            "leaderboard": [entry(c, 1, 950), entry(a, 2, 300), entry(b, 3, 200)],
            "updatedAt": "2026-11-23T12:00:06Z",
            "seq": 6,
        },
    )
    expect(live.page.locator("#rows tr").first.locator(".score")).to_have_text("950", timeout=1000)
    assert live.page.evaluate("window.ScoreboardLive.lastSeq()") == 6
    assert ["2", "alice", "300"] in live.rows()  # the seq-4 state (alice 350) never showed


def test_it_shows_reconnecting_then_refetches_on_reconnect(live, players):
    a, b, c = players["alice"], players["bob"], players["carol"]
    live.initial = None  # the next connection sends nothing: the refetch must bring the state
    live.api_leaderboard = [entry(c, 1, 5000), entry(b, 2, 200), entry(a, 3, 150)]
    live.sockets[0].close(code=1012, reason="service restart")
    live.state().to_have_attribute("data-state", "reconnecting", timeout=1000)
    expect(live.page.locator("#connection-text")).to_contain_text("Reconnecting")
    live.state().to_have_attribute("data-state", "live", timeout=5000)
    expect(live.page.locator("#rows tr").first.locator(".name")).to_have_text("carol", timeout=2000)
    assert len(live.sockets) == 2 and live.api_calls == 1
    assert live.rows() == [["1", "carol", "5000"], ["2", "bob", "200"], ["3", "alice", "150"]]


def test_it_backs_off_exponentially_with_jitter(live):
    delays = live.page.evaluate("[0,1,2,3,4,5,8].map(n => window.ScoreboardLive.backoffDelay(n))")
    ceilings = [1000, 2000, 4000, 8000, 16000, 30000, 30000]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling


def test_it_marks_the_viewers_own_row_and_authenticates_the_socket(browser, players):
    a, b = players["alice"], players["bob"]
    token = issue_token_pair(b).access
    harness = open_page(
        browser,
        token=token,
        initial={"leaderboard": [entry(a, 1, 300), entry(b, 2, 200)], "updatedAt": "2026-11-23T12:00:00Z"},
    )
    mine = harness.page.locator("#rows tr.me")
    expect(mine).to_have_count(1)
    expect(mine.locator(".name")).to_have_text("bob")
    expect(mine).to_contain_text("(you)")
    assert mine.get_attribute("aria-current") == "true"
    harness.page.wait_for_function("() => true")
    assert harness.received[0] == {"type": "auth", "token": token}
    harness.send(
        "score:update", {"userId": str(b.id), "oldScore": 200, "newScore": 260, "increment": 60, "newRank": 2}
    )
    expect(harness.page.locator("#announcer")).to_contain_text("Your score is now 260")
    harness.page.context.close()


def test_it_carries_on_as_a_guest_after_a_4401_close(browser, players):
    token = issue_token_pair(players["bob"]).access
    harness = open_page(
        browser, token=token, initial={"leaderboard": [], "updatedAt": "2026-11-23T12:00:00Z"}
    )
    harness.state().to_have_attribute("data-state", "live")
    harness.sockets[0].close(code=4401, reason="bad token")
    harness.state().to_have_attribute("data-state", "live", timeout=5000)
    harness.page.wait_for_function("() => window.ScoreboardLive.viewer() === null")
    expect(harness.page.locator("#rows tr.me")).to_have_count(0)
    assert [m for m in harness.received if m.get("type") == "auth"] == [{"type": "auth", "token": token}]
    harness.page.context.close()


def test_it_keeps_player_text_as_text_in_live_updates(live, players):
    a = players["alice"]
    live.send(
        "leaderboard:update",
        {"leaderboard": [entry(a, 1, 301, username=XSS)], "updatedAt": "2026-11-23T12:00:01Z", "seq": 2},
    )
    expect(live.page.locator("#rows tr .name").first).to_have_text(XSS, timeout=1000)
    assert live.page.locator("#board img").count() == 0
    live.page.wait_for_timeout(200)
    assert live.dialogs == []
    expect(live.page.locator("#announcer")).to_contain_text(XSS)  # as text


def test_it_looks_right_at_desktop_and_phone_width(browser, db):
    names = [
        "nightowl",
        "speedrunner_99",
        "QuestQueen",
        "b.o.s.s",
        "pixel-pal",
        "mara",
        "the_long_username_of_doom",
        "zed",
        "kiwi",
        "Orion",
    ]
    users = [make_player(name, score=10000 - i * 735) for i, name in enumerate(names)]
    ARTIFACTS.mkdir(exist_ok=True)
    initial = {
        "leaderboard": [entry(u, i + 1, 10000 - i * 735) for i, u in enumerate(users)],
        "updatedAt": "2026-11-23T12:00:00Z",
        "seq": 1,
    }
    desktop = open_page(browser, token=issue_token_pair(users[3]).access, initial=initial)
    desktop.state().to_have_attribute("data-state", "live")
    desktop.page.wait_for_timeout(100)
    desktop.page.screenshot(path=str(ARTIFACTS / "live-page.png"), full_page=True)
    desktop.page.context.close()
    phone = open_page(browser, initial=initial, viewport={"width": 375, "height": 740})
    phone.state().to_have_attribute("data-state", "live")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 375
    phone.page.screenshot(path=str(ARTIFACTS / "live-page-phone.png"), full_page=True)
    phone.page.context.close()
