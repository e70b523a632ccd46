from django.urls import path

from .pages import live_page

urlpatterns = [
    path("", live_page, name="live-page"),
]
