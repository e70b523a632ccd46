from django.urls import include, path

from . import friends_views, sse, views

urlpatterns = [
    path("leaderboard", views.LeaderboardGetApi.as_view(), name="leaderboard"),
    path("scoreboard/top", views.LeaderboardGetApi.as_view(), name="scoreboard-top"),
    path("leaderboard/around-me", views.LeaderboardAroundMeApi.as_view(), name="leaderboard-around-me"),
    path("leaderboard/stream", sse.leaderboard_stream, name="leaderboard-stream"),
    path("users/me/score", views.MyScoreGetApi.as_view(), name="my-score"),
    path("users/<str:user_id>/score", views.UserScoreGetApi.as_view(), name="user-score"),
    path(
        "leaderboards/<str:key>/records/friends",
        friends_views.FriendsRecordsApi.as_view(),
        name="leaderboard-friends",
    ),
    path("", include("leaderboard.boards.urls")),
]
