from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from actions.models import ActionToken
from tests.helpers.actions import request_token

pytestmark = pytest.mark.django_db


def test_it_purges_only_long_expired_tokens(alice, client_for, many_completions):
    client = client_for(alice)
    old, fresh = request_token(client), request_token(client)
    old_row = ActionToken.objects.get(pk=old["actionId"])
    ActionToken.objects.filter(pk=old_row.pk).update(expires_at=old_row.expires_at - timedelta(days=2))
    out = StringIO()
    call_command("purge_expired_tokens", stdout=out)
    assert "Deleted 1 " in out.getvalue()
    assert list(ActionToken.objects.values_list("pk", flat=True)) == [
        ActionToken.objects.get(pk=fresh["actionId"]).pk
    ]


def test_it_purges_expired_refresh_tokens_too(alice):
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from accounts.tokens import issue_token_pair

    issue_token_pair(alice)
    issue_token_pair(alice)
    OutstandingToken.objects.filter(pk=OutstandingToken.objects.first().pk).update(
        expires_at=timezone.now() - timedelta(days=2)
    )
    out = StringIO()
    call_command("purge_expired_tokens", stdout=out)
    assert "and 1 expired refresh tokens" in out.getvalue()
    assert OutstandingToken.objects.count() == 1


def test_it_refuses_a_negative_grace():
    with pytest.raises(CommandError):
        call_command("purge_expired_tokens", "--grace", "-5")
