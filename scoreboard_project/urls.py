from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .admin_login import admin_login
from .health import healthz, readyz
from .metrics import metrics_view

urlpatterns = [
    path("admin/login/", admin_login, name="admin-login-limited"),  # before the admin's own
    path("admin/", admin.site.urls),
    path("api/v1/", include("accounts.urls")),
    path("api/v1/", include("actions.urls")),
    path("api/v1/", include("leaderboard.urls")),
    path("api/v1/", include("anticheat.urls")),
    # GET and HEAD only: the HTML docs page cannot render DRF's OPTIONS answer.
    path("api/schema/", SpectacularAPIView.as_view(http_method_names=["get", "head"]), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", http_method_names=["get", "head"]),
        name="docs",
    ),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("", include("leaderboard.page_urls")),
]

handler400 = "scoreboard_project.errors.handler400"
handler403 = "scoreboard_project.errors.handler403"
handler404 = "scoreboard_project.errors.handler404"
handler500 = "scoreboard_project.errors.handler500"
