"""The one error format of the API: ``{"error": {"code", "message", "details"}}``.

Every error, whether raised by a view, by request parsing, by the rate limiter
or by an unexpected crash, leaves through ``Api.handle_http_exception`` so a
client only ever has to understand one shape.
"""

import logging
from typing import Any, NoReturn

import flask_smorest
import marshmallow as ma
from flask import Flask
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from collector.common.errors import Conflict, DomainError, Forbidden, Invalid, Malformed, NotFound, TooMany, Unavailable
from collector.extensions import db

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

# Seconds a client should wait before retrying when the database is unreachable.
RETRY_AFTER_SECONDS = 5


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "validation_error"})
    message = ma.fields.String(required=True)
    details = ma.fields.Raw(
        allow_none=True,
        metadata={"description": "Per-field messages for validation errors, else null."},
    )


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


def error_payload(status: int, message: str, details: Any = None, code: str | None = None) -> dict:
    """Build the error body; the only place that knows its shape."""
    return {
        "error": {
            "code": code or CODES.get(status, "error"),
            "message": message,
            "details": details,
        }
    }


def abort(
    status: int,
    message: str,
    *,
    details: Any = None,
    code: str | None = None,
    headers: dict | None = None,
) -> NoReturn:
    """Stop the request with an API error; views call this, services raise domain errors."""
    kwargs: dict[str, Any] = {"message": message, "errors": details, "code_name": code}
    if headers:
        kwargs["headers"] = headers
    flask_smorest.abort(status, **kwargs)
    raise AssertionError("unreachable")  # flask_smorest.abort always raises


class Api(flask_smorest.Api):
    """flask-smorest's Api with Stepsense's error body, documented and produced."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        message = data.get("message") or error.description or error.name
        details = data.get("errors", data.get("messages"))
        if (
            error.code == 422
            and isinstance(details, dict)
            and set(details) <= {"json", "query", "view_args", "headers", "form"}
        ):
            # webargs nests messages under the request location; one location
            # per request here, so the nesting only adds noise for clients.
            details = next(iter(details.values())) if len(details) == 1 else details
            message = data.get("message") or "The request failed validation."
        headers = dict(data.get("headers") or {})
        if hasattr(error, "get_headers"):
            for name, value in error.get_headers():
                if name.lower() not in {"content-type", "content-length"}:
                    headers.setdefault(name, value)
        if error.code == 413:
            message = "The request body is too large."
        return error_payload(error.code or 500, message, details, data.get("code_name")), error.code, headers


# The one translation of the services' errors into status codes.
DOMAIN_STATUS: dict[type[DomainError], int] = {
    Malformed: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    TooMany: 429,
    Unavailable: 503,
}


def init_app(app: Flask, api: Api) -> None:
    """Route domain errors, crashes and database outages through the same error format."""

    def domain_error(error: DomainError):
        db.session.rollback()
        status = next(code for kind, code in DOMAIN_STATUS.items() if isinstance(error, kind))
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooMany | Unavailable) else {}
        return error_payload(status, error.message, error.details), status, headers

    def database_unavailable(error: DBAPIError):
        db.session.rollback()
        log.warning("database unavailable: %s", error.__class__.__name__)
        exc = ServiceUnavailable("The database is unavailable; retry shortly.")
        exc.data = {"headers": {"Retry-After": str(RETRY_AFTER_SECONDS)}}
        return api.handle_http_exception(exc)

    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return api.handle_http_exception(error)
        db.session.rollback()
        log.exception("unhandled error")
        return api.handle_http_exception(InternalServerError("Internal server error."))

    def is_connection_error(error: DBAPIError) -> bool:
        return isinstance(error, OperationalError) or bool(getattr(error, "connection_invalidated", False))

    def db_error(error: DBAPIError):
        if is_connection_error(error):
            return database_unavailable(error)
        return unexpected(error)

    app.register_error_handler(DomainError, domain_error)
    app.register_error_handler(DBAPIError, db_error)
    app.register_error_handler(Exception, unexpected)
