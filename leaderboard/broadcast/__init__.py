"""Real time: everything sent to players, and the per-process fan-out.

- ``broadcaster``: personal events and the coalesced top 10 (``score_changed``,
  ``standings_changed``, ``schedule_leaderboard_broadcast``, ``current_state``).
- ``channel``: the only code that touches the channel layer (sends, group membership).
- ``hub``: the per-process fan-out of the top 10 to every local socket and stream.
- ``state``: the broadcast state shared by every process; ``payloads``: typed frames.

Import the module you need (``from leaderboard.broadcast import broadcaster``): this
package re-exports nothing, so importing one of its modules runs no other.
"""
