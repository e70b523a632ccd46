from django.urls import path

from . import views

urlpatterns = [
    path("leaderboards", views.LeaderboardsApi.as_view(), name="leaderboards"),
    path("leaderboards/<str:key>", views.LeaderboardApi.as_view(), name="leaderboard-detail"),
    path("leaderboards/<str:key>/records", views.RecordsApi.as_view(), name="leaderboard-records"),
    path(
        "leaderboards/<str:key>/records/around-me",
        views.RecordsAroundMeApi.as_view(),
        name="leaderboard-records-around-me",
    ),
    path("leaderboards/<str:key>/periods", views.PeriodsApi.as_view(), name="leaderboard-periods"),
]
