"""Friends: a one-way follow list (at most ``MAX_FRIENDS``) that decides who is on the
caller's friends board. Following needs no consent and tells the followed player nothing."""

from __future__ import annotations

from uuid import UUID

from django.db import IntegrityError, transaction

from scoreboard_project.errors import NotFound, ValidationFailed

from .display_names import display_name_of
from .exceptions import FriendLimitReached
from .models import Follow, User
from .shapes import Friend

MAX_FRIENDS = 500


def _player(user_id: UUID) -> User:
    """A player who can be followed: one on the boards (not banned, not staff or a game server)."""
    target = User.objects.filter(pk=user_id).first()
    if target is None or not target.is_ranked:
        raise NotFound("No such player.")
    return target


def friend_add(*, user: User, friend_id: UUID) -> None:
    """Follow ``friend_id``; following someone already followed changes nothing."""
    if friend_id == user.pk:
        raise ValidationFailed(
            "You cannot follow yourself.", details={"userId": ["Must not be your own id."]}
        )
    target = _player(friend_id)
    with transaction.atomic():
        # The follower's row lock serialises their own adds, so the limit holds under races.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()
        follows = Follow.objects.filter(follower=user)
        if follows.filter(followee=target).exists():
            return
        if follows.count() >= MAX_FRIENDS:
            raise FriendLimitReached(MAX_FRIENDS)
        try:
            with transaction.atomic():
                Follow.objects.create(follower=user, followee=target)
        except IntegrityError:  # the same follow from a parallel request: already done
            pass


def friend_remove(*, user: User, friend_id: UUID) -> None:
    """Stop following ``friend_id`` (nothing to do when not followed)."""
    Follow.objects.filter(follower=user, followee_id=friend_id).delete()


def friends_of(user: User) -> list[User]:
    """The players ``user`` follows who are on the boards, in the order they were followed."""
    return [
        follow.followee
        for follow in Follow.objects.filter(follower=user)
        .select_related("followee")
        .order_by("created_at", "id")
        if follow.followee.is_ranked
    ]


def friend_data(friend: User) -> Friend:
    return {
        "user_id": str(friend.pk),
        "username": friend.username,
        "display_name": display_name_of(friend),
    }
