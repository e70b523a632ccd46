"""Named leaderboards (API.md, "Named leaderboards"): boards, periods, records, resets, live."""
