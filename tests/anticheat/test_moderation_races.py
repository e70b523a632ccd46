"""Two moderators at once, on PostgreSQL with real concurrent transactions."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from anticheat import moderation
from anticheat.exceptions import FlagAlreadySettled
from anticheat.models import AuditEntry, Flag
from leaderboard.models import ScoreHistory
from tests.helpers.moderation import flag_for
from tests.helpers.players import make_player
from tests.helpers.racing import race

pytestmark = pytest.mark.production_shape


def test_it_voids_a_flag_once_when_moderators_race(transactional_db, side_effects):
    player = make_player("racer")
    mods = [make_player(f"mod{i}", is_staff=True) for i in range(4)]
    flag_for(player, increment=40)
    flag = flag_for(player, increment=100)
    outcomes = race(4, lambda i: moderation.flag_void(flag=Flag.objects.get(pk=flag.pk), actor=mods[i]))
    assert sum(isinstance(o, Flag) for o in outcomes) == 1
    assert sum(isinstance(o, FlagAlreadySettled) for o in outcomes) == 3
    player.refresh_from_db()
    ledger = ScoreHistory.objects.filter(user=player).aggregate(total=Sum("increment"))["total"]
    assert player.score == 40 == ledger
    assert ScoreHistory.objects.filter(kind="void").count() == 1
    assert AuditEntry.objects.filter(event="flag_voided").count() == 1


def test_it_reverses_once_when_two_flags_on_one_completion_are_voided_at_once(transactional_db, side_effects):
    player = make_player("racer")
    mods = [make_player(f"mod{i}", is_staff=True) for i in range(2)]
    first = flag_for(player, increment=100)
    second = flag_for(player, entry=first.score_history)
    flags = [first, second]
    outcomes = race(2, lambda i: moderation.flag_void(flag=Flag.objects.get(pk=flags[i].pk), actor=mods[i]))
    assert all(isinstance(o, Flag) for o in outcomes), outcomes
    player.refresh_from_db()
    assert player.score == 0
    assert ScoreHistory.objects.filter(kind="void").count() == 1


def test_it_bans_once_when_moderators_race(transactional_db, side_effects):
    player = make_player("racer")
    mods = [make_player(f"mod{i}", is_staff=True) for i in range(3)]
    race(3, lambda i: moderation.player_ban(user=player, actor=mods[i], reason=f"ban {i}"))
    codes = sorted(AuditEntry.objects.filter(event="player_banned").values_list("code", flat=True))
    assert codes == ["", "ALREADY_BANNED", "ALREADY_BANNED"]
