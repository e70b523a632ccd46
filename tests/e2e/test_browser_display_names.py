"""Display names in a real browser: markup stays text, also when it arrives over the socket."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.display_names import display_name_set
from accounts.models import User
from tests.helpers.child_servers import complete_over_http, off_loop
from tests.helpers.players import make_player

pytestmark = [pytest.mark.browser, pytest.mark.production_shape]
XSS = "<img src=x onerror=alert(1)>"


def test_it_shows_markup_as_text_on_the_live_page_before_and_after_a_live_update(
    browser, daphne_server, transactional_db
):
    alice = make_player("alice", score=100)
    bob = make_player("bob", score=50)
    display_name_set(user=alice, display_name=XSS)
    page = browser.new_context().new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{daphne_server.url}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=5000)
    expect(page.locator(f'#rows tr[data-user-id="{alice.pk}"] .name')).to_have_text(XSS)
    # bob takes the lead over the socket, and sets a name of his own: rows are rebuilt by script.
    off_loop(lambda: display_name_set(user=User.objects.get(pk=bob.pk), display_name="<b>bob</b>"))
    off_loop(lambda: complete_over_http(daphne_server.url, bob))  # 150 > 100
    expect(page.locator("#rows tr").first.locator(".name")).to_have_text("<b>bob</b>", timeout=3000)
    expect(page.locator(f'#rows tr[data-user-id="{alice.pk}"] .name')).to_have_text(XSS)
    assert page.locator("#rows img").count() == 0 and page.locator("#rows b").count() == 0
    assert dialogs == []
    page.context.close()
