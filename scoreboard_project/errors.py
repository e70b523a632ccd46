"""One application error type with a stable code, and the uniform error envelope.

Every failure the service answers has the shape
``{"success": false, "error": {"code", "message", "details"?}}``: DRF errors through
``exception_handler.api_exception_handler``, plain Django 404/500 through the handlers at
the bottom.
"""

from __future__ import annotations

import math
from typing import Any

from django.http import JsonResponse


class ApplicationError(Exception):
    """A business rule refused the request. Subclasses fix ``code`` and ``status``."""

    code = "BAD_REQUEST"
    status = 400
    message = "The request was refused."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details
        self.headers = headers or {}
        super().__init__(self.message)


class ReasonedError(ApplicationError):
    """A refusal whose ``details.reason`` names the check that failed, each with its message."""

    reasons: dict[str, str] = {}

    def __init__(self, *, reason: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(self.reasons.get(reason), details={"reason": reason, **(details or {})})
        self.reason = reason


class ValidationFailed(ApplicationError):
    code, status, message = "VALIDATION_ERROR", 400, "The request is not valid."


class NotFound(ApplicationError):
    code, status, message = "NOT_FOUND", 404, "Not found."


class Forbidden(ApplicationError):
    code, status, message = "FORBIDDEN", 403, "You are not allowed to do this."


class ServiceUnavailable(ApplicationError):
    code, status, message = "SERVICE_UNAVAILABLE", 503, "A backing service is unavailable; try again shortly."


class RateLimitExceeded(ApplicationError):
    code, status, message = "RATE_LIMIT_EXCEEDED", 429, "Too many requests; slow down."

    def __init__(self, retry_after: float, *, message: str | None = None, scope: str | None = None) -> None:
        seconds = max(1, math.ceil(retry_after))
        details: dict[str, Any] = {"retryAfter": seconds}
        if scope:
            details["scope"] = scope
        super().__init__(message, details=details, headers={"Retry-After": str(seconds)})
        self.retry_after = seconds


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"success": False, "error": error}


def error_response(code: str, message: str, status_code: int, details: Any = None) -> JsonResponse:
    """A plain-Django envelope response, for code paths outside DRF."""
    return JsonResponse(error_body(code, message, details), status=status_code)


def handler404(request, exception=None) -> JsonResponse:
    return error_response("NOT_FOUND", "Not found.", 404)


def handler500(request) -> JsonResponse:
    return error_response("INTERNAL_ERROR", "An unexpected error occurred.", 500)


def handler403(request, exception=None) -> JsonResponse:
    return error_response("FORBIDDEN", "You are not allowed to do this.", 403)


def handler400(request, exception=None) -> JsonResponse:
    return error_response("VALIDATION_ERROR", "Bad request.", 400)
