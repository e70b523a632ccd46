"""Named leaderboards (docs/api.md, "Named leaderboards").

How it fits together:
- ``models``: ``Leaderboard``, ``LeaderboardPeriod`` (written by the reset task) and
  ``LeaderboardRecord`` (one per board, period start and player; ``rank_score`` is the
  score turned so that higher is always better, which gives both sort orders one index,
  one tie rule and one rank rule).
- ``schedule`` / ``periods``: the period holding an instant is computed from the cron
  schedule in the board's time zone (DST included), so no write opens a period.
- ``services``: board create/edit, ``record_write`` (row lock on the record, the
  operator, one ledger row of kind ``board`` through ``leaderboard.services``), the game
  server's ``record_submit`` and ``completion_feed`` (called in the completion's
  transaction). Board rows never move ``User.score``: the global sums read rows without
  a board.
- ``store``: one Redis sorted set per (board, period) in the all-time board's layout,
  written on commit by the ledger receiver (``receivers``), rebuilt lazily from the
  records, SQL (``sql_pages``) when Redis is absent or failing.
- ``selectors`` / ``cursors`` / ``redis_pages`` / ``periods_read``: reads, signed keyset
  cursors bound to board and period, one Lua call per page.
- ``resets``: closes ended periods exactly once under the board's row lock, from a
  per-process background thread; ``live``: each board's top 10 through the one hub
  group; ``sockets`` / ``page``: ``?board=`` on sockets, SSE and the live page.
"""
