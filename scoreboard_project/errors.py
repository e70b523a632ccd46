"""One application error type with a stable code, and the uniform error envelope.

Every failure the service answers has the shape
``{"success": false, "error": {"code", "message", "details"?}}``: DRF errors through
``api_exception_handler``, plain Django 404/500 through the handlers at the bottom.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django import db
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

logger = logging.getLogger("scoreboard.errors")


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


_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: "VALIDATION_ERROR",
    exceptions.ValidationError: "VALIDATION_ERROR",
    exceptions.UnsupportedMediaType: "VALIDATION_ERROR",
    exceptions.NotAuthenticated: "NOT_AUTHENTICATED",
    exceptions.AuthenticationFailed: "TOKEN_INVALID",
    exceptions.PermissionDenied: "FORBIDDEN",
    exceptions.NotFound: "NOT_FOUND",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    exceptions.Throttled: "RATE_LIMIT_EXCEEDED",
}


def _drf_error(exc: exceptions.APIException) -> Response:
    code = getattr(exc, "contract_code", None)
    if code is None:
        code = next((c for klass, c in _DRF_CODES.items() if isinstance(exc, klass)), "ERROR")
    status_code = exc.status_code
    details: Any = None
    headers: dict[str, str] = {}
    if isinstance(exc, (exceptions.ValidationError,)):
        message = "The request is not valid."
        details = exc.detail if isinstance(exc.detail, dict) else {"nonFieldErrors": exc.detail}
    elif isinstance(exc, exceptions.ParseError):
        message = "The request body is not valid JSON."
        details = {"body": [str(exc.detail)]}
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        status_code = status.HTTP_400_BAD_REQUEST
        message = "The request body must be JSON."
        details = {"contentType": [str(exc.detail)]}
    elif isinstance(exc, exceptions.Throttled):
        seconds = max(1, math.ceil(exc.wait or 1))  # type: ignore[attr-defined]  # Throttled.__init__ sets it; the stub omits it
        message = "Too many requests; slow down."
        details = {"retryAfter": seconds}
        headers["Retry-After"] = str(seconds)
    else:
        message = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else "Request refused."
        if isinstance(exc.detail, dict) and "detail" in exc.detail:
            message = str(exc.detail["detail"])
    if isinstance(exc, exceptions.NotAuthenticated) or isinstance(exc, exceptions.AuthenticationFailed):
        headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    return Response(error_body(code, message, details), status=status_code, headers=headers)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    request = context.get("request")
    if request is not None and not isinstance(exc, RateLimitExceeded):
        from .limits import count_refused_request  # limits -> errors: import here

        limited = count_refused_request(request)
        if limited is not None:
            exc = limited
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status, headers=exc.headers)
    if isinstance(exc, (InvalidToken, TokenError)):
        return Response(
            error_body("TOKEN_INVALID", "The token is invalid or expired."),
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        return _drf_error(exc)
    if isinstance(exc, (db.OperationalError, db.InterfaceError)):
        # The database is down or unreachable: retryable, and the transaction rolled back.
        logger.warning("Database unavailable on %s: %s", getattr(request, "path", "?"), exc)
        from . import db_breaker  # db_breaker -> errors: import here

        db_breaker.trip()
        unavailable = ServiceUnavailable()
        return Response(error_body(unavailable.code, unavailable.message), status=unavailable.status)
    logger.exception("Unhandled error on %s", getattr(request, "path", "?"), exc_info=exc)
    return Response(error_body("INTERNAL_ERROR", "An unexpected error occurred."), status=500)


def handler404(request, exception=None) -> JsonResponse:
    return error_response("NOT_FOUND", "Not found.", 404)


def handler500(request) -> JsonResponse:
    return error_response("INTERNAL_ERROR", "An unexpected error occurred.", 500)


def handler403(request, exception=None) -> JsonResponse:
    return error_response("FORBIDDEN", "You are not allowed to do this.", 403)


def handler400(request, exception=None) -> JsonResponse:
    return error_response("VALIDATION_ERROR", "Bad request.", 400)
