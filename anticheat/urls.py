from django.urls import path

from . import views

urlpatterns = [
    path("admin/users/<str:user_id>/ban", views.PlayerBanApi.as_view(), name="admin-user-ban"),
    path("admin/users/<str:user_id>/unban", views.PlayerUnbanApi.as_view(), name="admin-user-unban"),
    path("admin/users/<str:user_id>/history", views.PlayerHistoryApi.as_view(), name="admin-user-history"),
    path("admin/flags", views.FlagListApi.as_view(), name="admin-flags"),
    path("admin/flags/<str:flag_id>/approve", views.FlagApproveApi.as_view(), name="admin-flag-approve"),
    path("admin/flags/<str:flag_id>/void", views.FlagVoidApi.as_view(), name="admin-flag-void"),
]
