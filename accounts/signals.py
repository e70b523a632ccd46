"""What accounts tells other apps, which listen (accounts imports none of them)."""

from django.dispatch import Signal

# sender=User, user=<the player>: a new password made every earlier token of the player stop
# working; sent once the row is saved (the leaderboard closes the player's open sockets on commit).
tokens_revoked = Signal()
