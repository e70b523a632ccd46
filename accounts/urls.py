from django.urls import path

from . import friends_views, profile_views, views

urlpatterns = [
    path("auth/register", views.RegisterApi.as_view(), name="auth-register"),
    path("auth/login", views.LoginApi.as_view(), name="auth-login"),
    path("auth/refresh", views.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout", views.LogoutApi.as_view(), name="auth-logout"),
    path("users/me", profile_views.MeApi.as_view(), name="users-me"),
    path("users/me/friends", friends_views.FriendsApi.as_view(), name="users-me-friends"),
    path("users/me/friends/<str:user_id>", friends_views.FriendApi.as_view(), name="users-me-friend"),
]
