"""One error base class and the handlers that render RFC 9457 problem+json.

Services raise domain errors (subclasses with a stable `code`); nothing below
routes knows HTTP. Every answer carries the request id; none carries a trace.
"""

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from shared import context, dbfaults, deadline

PROBLEM_TYPE = "https://errors.aftersales.example/"
log = structlog.get_logger("errors")


class ServiceError(Exception):
    status = 400
    code = "bad_request"
    title = "Bad request"
    headers: dict[str, str] | None = None  # e.g. a Retry-After of its own

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class NotFound(ServiceError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(ServiceError):
    status, code, title = 409, "conflict", "Conflict"


class Forbidden(ServiceError):
    status, code, title = 403, "forbidden", "Forbidden"


class Unauthorized(ServiceError):
    status, code, title = 401, "unauthorized", "Missing or unknown API key"


class IdempotencyKeyReused(ServiceError):
    """The key of an earlier request came with another method, path or body (shared/idempotency.py)."""

    status, code, title = 422, "idempotency_key_reused", "Idempotency key used with another request"


class UpstreamUnavailable(ServiceError):
    """A service this one calls refused the connection, or answered that it is unavailable (shared/http.py)."""

    status, code, title = 503, "upstream_unavailable", "A service this request needs is unavailable"


class UpstreamTimeout(ServiceError):
    """A service this one calls did not answer within the request's deadline (shared/http.py)."""

    status, code, title = 504, "upstream_timeout", "A service this request needs did not answer in time"


class DatabaseBusy(ServiceError):
    """The database is unreachable, restarting, read-only, locked or too slow (shared/dbfaults.py)."""

    status, code, title = 503, "database_busy", "The database is unavailable"


# Kinds with a constructor of their own.

class Unprocessable(ServiceError):
    status, code, title = 422, "validation_error", "The request is not valid"

    def __init__(self, detail: str | None = None, *, errors: list[dict] | None = None, **extra: Any):
        super().__init__(detail, **extra)
        self.extra.setdefault("errors", errors or [])


class IdempotencyInProgress(ServiceError):
    status, code, title = 409, "idempotency_in_progress", "A request with this idempotency key is in flight"

    def __init__(self, detail: str | None = None, *, retry_after: int = 1, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers = {"Retry-After": str(max(1, retry_after))}


RETRY_AFTER_SECONDS = {503: "5", 504: "5", 429: "1"}


def problem(
    status: int, code: str, detail: str, *, title: str | None = None, headers: dict | None = None, **extra
) -> JSONResponse:
    body = {
        "type": PROBLEM_TYPE + code,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": context.request_id(),
        **extra,
    }
    all_headers = {}  # X-Request-ID is added by the middleware, on every answer
    if status in RETRY_AFTER_SECONDS:
        all_headers["Retry-After"] = RETRY_AFTER_SECONDS[status]
    all_headers.update(headers or {})
    return JSONResponse(body, status_code=status, headers=all_headers, media_type="application/problem+json")


def field_errors(exc: RequestValidationError) -> list[dict]:
    found = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
        found.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid")})
    return found


STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def service_problem(exc: ServiceError) -> JSONResponse:
    return problem(exc.status, exc.code, exc.detail, title=exc.title, headers=exc.headers, **exc.extra)


def database_problem(exc: BaseException) -> JSONResponse | None:
    """The answer to a database fault (shared/dbfaults.py), with one log line and no trace;
    None when `exc` is not one (a bug: the caller answers 500 and logs the trace)."""
    fault = dbfaults.classify(exc)
    if fault is None:
        return None
    log.warning("database_fault", kind=fault.kind, sqlstate=fault.sqlstate, error=fault.error)
    if fault.kind == dbfaults.CONFLICT:
        return problem(409, "conflict", "The change conflicts with data written meanwhile; retry")
    return problem(DatabaseBusy.status, DatabaseBusy.code, fault.detail, title=DatabaseBusy.title)


def internal_error(exc: BaseException) -> JSONResponse:
    """The answer to a bug: 500, the trace logged, none shown."""
    log.error("unhandled_error", exc_type=type(exc).__name__, exc_info=exc)
    return problem(500, "internal_error", "An unexpected error occurred; it has been logged")


def known_problem(exc: BaseException) -> JSONResponse | None:
    """The answer to an error raised outside FastAPI's handlers (the gateway's front door), if it has one."""
    if isinstance(exc, ServiceError):
        return service_problem(exc)
    return database_problem(exc)


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return service_problem(exc)

    async def _database(_request: Request, exc: Exception) -> JSONResponse:
        return database_problem(exc) or internal_error(exc)

    # A service's own handlers for narrower classes (IntegrityError, DataError) still come first.
    for database_error in (sa_exc.DBAPIError, sa_exc.TimeoutError, sa_exc.DisconnectionError):
        app.add_exception_handler(database_error, _database)

    @app.exception_handler(deadline.DeadlineExceeded)
    async def _deadline(_request: Request, _exc: deadline.DeadlineExceeded) -> JSONResponse:
        return problem(504, "upstream_timeout", "The request's deadline passed before it was done")

    @app.exception_handler(OverflowError)
    async def _overflow(_request: Request, _exc: OverflowError) -> JSONResponse:
        # A number past what the database can hold reached a query: it names nothing that exists.
        return problem(422, "value_out_of_range", "A number in the request is out of range",
                       errors=[{"field": "request", "message": "number out of range"}])

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, "validation_error", "The request is not valid", errors=field_errors(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route for {request.method} {request.url.path}"
        return problem(exc.status_code, code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        return internal_error(exc)
