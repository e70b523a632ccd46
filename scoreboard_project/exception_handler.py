"""DRF's exception handler: every exception a view raises, answered in the error envelope.

Its own module because it calls on the limits (a refused request counts against the
caller) and the database breaker (a database error trips it), which build on ``errors``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django import db
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from . import db_breaker
from .errors import (
    INVALID_TOKEN_MESSAGE,
    ApplicationError,
    AuthenticationRefused,
    Forbidden,
    InternalError,
    MethodNotAllowed,
    NotAcceptable,
    NotAuthenticated,
    NotFound,
    RateLimitExceeded,
    ServiceUnavailable,
    TokenInvalid,
    ValidationFailed,
    error_body,
    request_refusal,
)
from .limits import count_refused_request

logger = logging.getLogger("scoreboard.errors")


_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: ValidationFailed.code,
    exceptions.ValidationError: ValidationFailed.code,
    exceptions.UnsupportedMediaType: ValidationFailed.code,
    exceptions.NotAuthenticated: NotAuthenticated.code,
    exceptions.AuthenticationFailed: TokenInvalid.code,
    exceptions.PermissionDenied: Forbidden.code,
    exceptions.NotFound: NotFound.code,
    exceptions.MethodNotAllowed: MethodNotAllowed.code,
    exceptions.NotAcceptable: NotAcceptable.code,
    exceptions.Throttled: RateLimitExceeded.code,
}
UNKNOWN_CODE = "ERROR"  # an APIException none of the above: never raised by this project


def _drf_error(exc: exceptions.APIException) -> Response:
    code = next((c for klass, c in _DRF_CODES.items() if isinstance(exc, klass)), UNKNOWN_CODE)
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
        limited = count_refused_request(request)
        if limited is not None:
            exc = limited
    if isinstance(exc, AuthenticationRefused):
        exc = exc.error
    if isinstance(exc, ApplicationError):
        return Response(
            error_body(exc.code, exc.message, exc.details), status=exc.status, headers=exc.headers
        )
    if isinstance(exc, (InvalidToken, TokenError)):
        return Response(
            error_body(TokenInvalid.code, INVALID_TOKEN_MESSAGE),
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    refused = request_refusal(exc)
    if refused is not None:
        return Response(error_body(refused.code, refused.message), status=refused.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        return _drf_error(exc)
    if isinstance(exc, (db.OperationalError, db.InterfaceError)):
        # The database is down or unreachable: retryable, and the transaction rolled back.
        logger.warning("Database unavailable on %s: %s", getattr(request, "path", "?"), exc)
        db_breaker.trip()
        unavailable = ServiceUnavailable()
        return Response(
            error_body(unavailable.code, unavailable.message),
            status=unavailable.status,
            headers=unavailable.headers,
        )
    logger.exception("Unhandled error on %s", getattr(request, "path", "?"), exc_info=exc)
    return Response(error_body(InternalError.code, InternalError.message), status=InternalError.status)
