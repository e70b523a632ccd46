"""OpenAPI descriptions of the named leaderboard answers: the success envelope around ``shapes``."""

from __future__ import annotations

from scoreboard_project.schema import envelope

from .shapes import BoardData, BoardList, PeriodsPage, RecordsAround, RecordsPage, WrittenRecord

BOARD_RESPONSE = envelope("LeaderboardBoardResponse", BoardData)
BOARDS_RESPONSE = envelope("LeaderboardBoardsResponse", BoardList)
RECORDS_RESPONSE = envelope("LeaderboardRecordsResponse", RecordsPage)
RECORD_WRITE_RESPONSE = envelope("LeaderboardRecordWriteResponse", WrittenRecord)
AROUND_RESPONSE = envelope("LeaderboardRecordsAroundResponse", RecordsAround)
PERIODS_RESPONSE = envelope("LeaderboardPeriodsResponse", PeriodsPage)
