"""Request ids, the 64 KiB body limit, and the envelope for errors made outside DRF."""

from __future__ import annotations

import logging
import re
import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from .errors import (
    Forbidden,
    InternalError,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
    error_response,
    refusal_response,
    request_refusal,
)
from .logging import request_id_var

logger = logging.getLogger("scoreboard.requests")
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")

_STATUS_CODES = {
    400: (ValidationFailed.code, "Bad request."),
    **{
        error.status: (error.code, error.message)
        for error in (NotAuthenticated, Forbidden, NotFound, MethodNotAllowed, PayloadTooLarge, InternalError)
    },
}


def is_api_path(path: str) -> bool:
    return path.startswith("/api/") or path in ("/healthz", "/readyz", "/metrics")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]  # read by views and logs
        reset = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(reset)
        response["X-Request-ID"] = request_id
        return response


class BodySizeLimitMiddleware:
    """413 with the envelope for bodies over 64 KiB, declared or streamed.

    DRF reads the request stream itself and so never trips Django's own limit; reading
    ``request.body`` here makes Django enforce DATA_UPLOAD_MAX_MEMORY_SIZE for every view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_BODY_BYTES
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            too_big = int(declared) > limit
        except ValueError:
            return error_response(
                ValidationFailed.code, "Content-Length is not a number.", ValidationFailed.status
            )
        if not too_big and request.method in ("POST", "PUT", "PATCH", "DELETE"):
            try:
                too_big = len(request.body) > limit
            except RequestDataTooBig:
                too_big = True
        if too_big:
            return error_response(PayloadTooLarge.code, PayloadTooLarge.message, PayloadTooLarge.status)
        return self.get_response(request)


class EnvelopeFallbackMiddleware:
    """Any error response on an API path that is not already JSON becomes an envelope.

    Covers what DRF never sees: Django's own 404/405 (also in DEBUG), CSRF failures and
    exceptions raised by plain views. Tracebacks are logged with the request id, never sent.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_path(request.path):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        code, message = _STATUS_CODES.get(response.status_code, ("ERROR", "Request failed."))
        enveloped = error_response(code, message, response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                enveloped[header] = response[header]
        return enveloped

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        refused = request_refusal(exception)
        if refused is not None and (is_api_path(request.path) or isinstance(exception, RequestDataTooBig)):
            return refusal_response(refused)
        if not is_api_path(request.path):
            return None
        logger.exception("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
        return error_response(InternalError.code, InternalError.message, InternalError.status)
