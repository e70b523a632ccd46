"""One application error type with a stable code, and the uniform error envelope.

Every failure the service answers has the shape
``{"success": false, "error": {"code", "message", "details"?}}``: DRF errors through
``exception_handler.api_exception_handler``, plain Django 404/500 through the handlers at
the bottom.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, NotRequired, TypedDict

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpResponse, JsonResponse
from rest_framework import exceptions

from .shapes import Default, Doc


class ApplicationError(Exception):
    """A business rule refused the request. Subclasses fix ``code`` and ``status``."""

    code = "BAD_REQUEST"
    status = 400
    message = "The request was refused."
    audited = False  # set once the refusal is in the audit trail (anticheat.audit.audit_refusal)

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


class NotAuthenticated(ApplicationError):
    code, status, message = "NOT_AUTHENTICATED", 401, "Authentication is required."


class TokenInvalid(ApplicationError):
    code, status, message = "TOKEN_INVALID", 401, "The token is invalid, expired or revoked."


class NotFound(ApplicationError):
    code, status, message = "NOT_FOUND", 404, "Not found."


class MethodNotAllowed(ApplicationError):
    code, status, message = "METHOD_NOT_ALLOWED", 405, "Method not allowed."


class NotAcceptable(ApplicationError):
    code, status, message = "NOT_ACCEPTABLE", 406, "Not acceptable."


class PayloadTooLarge(ApplicationError):
    code, status, message = "PAYLOAD_TOO_LARGE", 413, "The request body is larger than 64 KiB."


class Forbidden(ApplicationError):
    code, status, message = "FORBIDDEN", 403, "You are not allowed to do this."


class ServiceUnavailable(ApplicationError):
    """Retryable: every 503 tells the client when to try again (``Retry-After``)."""

    code, status, message = "SERVICE_UNAVAILABLE", 503, "A backing service is unavailable; try again shortly."
    RETRY_AFTER_S = 1

    def __init__(self, message: str | None = None, **options: Any) -> None:
        options.setdefault("headers", {"Retry-After": str(self.RETRY_AFTER_S)})
        super().__init__(message, **options)


class InternalError(ApplicationError):
    code, status, message = "INTERNAL_ERROR", 500, "An unexpected error occurred."


class RateLimitExceeded(ApplicationError):
    code, status, message = "RATE_LIMIT_EXCEEDED", 429, "Too many requests; slow down."

    def __init__(self, retry_after: float, *, message: str | None = None, scope: str | None = None) -> None:
        seconds = max(1, math.ceil(retry_after))
        details: dict[str, Any] = {"retryAfter": seconds}
        if scope:
            details["scope"] = scope
        super().__init__(message, details=details, headers={"Retry-After": str(seconds)})
        self.retry_after = seconds


class AuthenticationRefused(exceptions.APIException):
    """Carries an ApplicationError out of DRF authentication, which handles only APIException
    (it then forgets the caller before the error handler runs); the handler answers ``error``."""

    def __init__(self, error: ApplicationError) -> None:
        super().__init__(error.message)
        self.status_code = error.status
        self.error = error


class ErrorDetail(TypedDict):
    code: Annotated[str, Doc("UPPER_SNAKE error code from the contract")]
    message: str
    details: NotRequired[dict[str, Any]]


class ErrorEnvelope(TypedDict):
    success: Annotated[bool, Default(False)]
    error: ErrorDetail


# What a bad bearer token answers (401 TOKEN_INVALID), on the REST endpoints and the SSE stream.
INVALID_TOKEN_MESSAGE = "The token is invalid or expired."


def request_refusal(exc: Exception) -> ApplicationError | None:
    """The error of a request Django refused itself (a ``SuspiciousOperation``: a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE is 413, over 1,000 query or form fields and the like 400),
    which reached the API's handlers as an unhandled error (a 500 with a traceback)."""
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return ValidationFailed()
    return None


def error_body(code: str, message: str, details: Any = None) -> ErrorEnvelope:
    error: ErrorDetail = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"success": False, "error": error}


def error_response(code: str, message: str, status_code: int, details: Any = None) -> JsonResponse:
    """A plain-Django envelope response, for code paths outside DRF."""
    return JsonResponse(error_body(code, message, details), status=status_code)


def refusal_response(error: ApplicationError) -> JsonResponse:
    """``error`` as a plain-Django envelope response, with its headers (``Retry-After``)."""
    response = error_response(error.code, error.message, error.status, error.details)
    for name, value in error.headers.items():
        response[name] = value
    return response


def plain_refusal(error: ApplicationError, text: str | None = None) -> HttpResponse:
    """``error`` as plain text, with its headers (``Retry-After``): for the pages outside the
    API (the admin's login, a request refused before any view), which answer no JSON."""
    response = HttpResponse(
        (text or error.message) + "\n", status=error.status, content_type="text/plain; charset=utf-8"
    )
    for name, value in error.headers.items():
        response[name] = value
    return response


def handler404(request, exception=None) -> JsonResponse:
    return error_response(NotFound.code, NotFound.message, NotFound.status)


def handler500(request) -> JsonResponse:
    return error_response(InternalError.code, InternalError.message, InternalError.status)


def handler403(request, exception=None) -> JsonResponse:
    return error_response(Forbidden.code, Forbidden.message, Forbidden.status)


def handler400(request, exception=None) -> JsonResponse:
    return error_response(ValidationFailed.code, "Bad request.", ValidationFailed.status)
