"""The project's URLs plus views that fail on purpose, for the envelope tests."""

from django.http import HttpResponse
from django.urls import include, path
from rest_framework.permissions import IsAdminUser
from rest_framework.views import APIView


class ExplodingApi(APIView):
    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2")


class AdminOnlyApi(APIView):
    permission_classes = [IsAdminUser]

    def get(self, request):
        return HttpResponse("never")


def exploding_plain_view(request):
    raise RuntimeError("secret internals in a plain view")


urlpatterns = [
    path("api/v1/test/explode", ExplodingApi.as_view()),
    path("api/v1/test/explode-plain", exploding_plain_view),
    path("api/v1/test/admin-only", AdminOnlyApi.as_view()),
    path("", include("scoreboard_project.urls")),
]
