"""Liveness and readiness."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from .errors import ServiceUnavailable, refusal_response
from .redis_client import get_redis, redis_configured

logger = logging.getLogger("scoreboard.health")


@csrf_exempt
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"success": True, "data": {"status": "ok"}})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        logger.warning("Readiness: database unreachable", exc_info=True)
        return False


def _redis_ok() -> bool:
    try:
        return bool(get_redis().ping())
    except Exception:  # noqa: BLE001
        logger.warning("Readiness: Redis unreachable", exc_info=True)
        return False


@csrf_exempt
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": "ok" if _database_ok() else "down"}
    if redis_configured():
        checks["redis"] = "ok" if _redis_ok() else "down"
    if all(state == "ok" for state in checks.values()):
        return JsonResponse({"success": True, "data": {"status": "ready", "checks": checks}})
    return refusal_response(ServiceUnavailable("A backing service is down.", details={"checks": checks}))
