"""Answers and the error bodies GHL sends.

GHL's services do not agree on an error shape: most are NestJS (``statusCode``/``message``/``error``), some
answer ``{"status": ..., "message": ...}``, 422s carry ``message`` as a list. The sandbox reproduces that
variety on purpose so clients are forced to parse errors defensively.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

NO_LOCATION_ACCESS = "The token does not have access to this location."

ErrorShape = Literal["nest", "bare", "status"]

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def timestamp() -> str:
    """Now in the ISO form GHL uses: 2023-11-20T10:23:36.515Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def traced(body: dict[str, Any], trace_id: str) -> dict[str, Any]:
    """An answer body with the per-answer ``traceId`` GHL adds (never stored with the object)."""
    return {**body, "traceId": trace_id}


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any


class HttpError(Exception):
    """Raised anywhere in request handling to answer with an error status and body."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def error(status: int, message: Any, shape: ErrorShape = "nest") -> HttpError:
    """An error in one of GHL's shapes: ``nest`` adds the reason phrase, ``bare`` omits it, ``status``
    names the code ``status`` instead of ``statusCode``."""
    if shape == "status":
        return HttpError(status, {"status": status, "message": message})
    body: dict[str, Any] = {"statusCode": status, "message": message}
    if shape == "nest":
        body["error"] = _REASONS.get(status, "Error")
    return HttpError(status, body)


def unprocessable(messages: list[str]) -> HttpError:
    return error(422, messages)


def bad_request(message: str, shape: ErrorShape = "nest") -> HttpError:
    return error(400, message, shape)


def not_found(message: str, shape: ErrorShape = "nest") -> HttpError:
    return error(404, message, shape)


def no_location_access() -> HttpError:
    return error(403, NO_LOCATION_ACCESS, "bare")


def unauthorized(message: str, shape: ErrorShape = "nest") -> HttpError:
    return error(401, message, shape)


def route_not_found(method: str, path: str) -> HttpError:
    return error(404, f"Cannot {method} {path}")


def internal_error() -> HttpError:
    return error(500, "Internal server error", "bare")
