from django.urls import path

from . import views

urlpatterns = [
    path("actions/types", views.ActionTypesListApi.as_view(), name="actions-types"),
    path("actions/request", views.ActionRequestApi.as_view(), name="actions-request"),
    path("actions/initialize", views.ActionInitializeApi.as_view(), name="actions-initialize"),
    path("actions/complete", views.ActionCompleteApi.as_view(), name="actions-complete"),
    path("scoreboard/update", views.ScoreboardUpdateApi.as_view(), name="scoreboard-update"),
]
