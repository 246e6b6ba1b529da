"""Transport failures, mapped by exception type (as httpx's ``map_httpcore_exceptions`` does).

httpx raises its own exception classes and chains the cause underneath (``httpx.ConnectError`` from
``httpcore.ConnectError`` from ``ConnectionRefusedError``). What a failure means is read from those types alone:
the httpx class says how far the request got (:class:`~ghlops.ghl.retry.Failure`), the first OS-level cause in
the chain refines the wording. Never from the message text, which differs per platform and may quote secrets.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

import httpx

from ghlops.ghl.retry import Failure

# Failures that happen before any byte of the request reached GHL: safe to retry for every method.
_NOT_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
)
# Failures retrying cannot fix (the request itself cannot be sent as built).
_FATAL: tuple[type[httpx.TransportError], ...] = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


class DeadlineExceeded(httpx.TimeoutException):
    """The whole request (headers and body) did not finish within its deadline (a slow answer, a slow-loris)."""

    def __init__(self, deadline_s: float, *, run: bool = False) -> None:
        self.deadline_s = deadline_s
        self.run = run
        super().__init__("deadline exceeded")


class AnswerRefused(httpx.RemoteProtocolError):
    """An answer ghlops will not read (too large, or encoded in a way it did not ask for).

    A transport error so that every caller of the connection pool (the OAuth calls too) meets it as one; the
    client itself turns it into an :class:`~ghlops.errors.ApiResponseError` naming the call.
    """


class AnswerTooLarge(AnswerRefused):
    """The answer's body, decompressed, is larger than the client's cap (``status``: the answer's status)."""

    def __init__(self, limit: int, status: int) -> None:
        self.limit = limit
        self.status = status
        super().__init__(f"the answer is larger than {limit:,} bytes after decompression (the client's cap)")


class UnsupportedEncoding(AnswerRefused):
    """The server compressed the answer with an encoding ghlops did not ask for."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        super().__init__(f"unsupported Content-Encoding {encoding!r}")


@dataclass(frozen=True)
class Mapped:
    """One transport failure: how far the request got and a short cause for the error line."""

    failure: Failure
    cause: str


def os_cause(exc: BaseException) -> BaseException | None:
    """The first non-httpx, non-httpcore exception under ``exc`` (``__cause__`` first, then ``__context__``)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        module = type(current).__module__.split(".")[0]
        if current is not exc and module not in ("httpx", "httpcore"):
            return current
        current = current.__cause__ or current.__context__
    return None


def _detail(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def map_transport_error(exc: httpx.TransportError, timeout: float) -> Mapped:
    """The :class:`Mapped` failure of an httpx transport exception."""
    if isinstance(exc, _FATAL):
        failure = Failure.FATAL
    elif isinstance(exc, _NOT_SENT):
        failure = Failure.NOT_SENT
    else:
        failure = Failure.SENT
    return Mapped(failure, describe(exc, timeout))


def describe(exc: httpx.TransportError, timeout: float) -> str:
    """A short cause: ``connection refused``, ``timed out after 30s waiting for the response`` ..."""
    detail = _detail(exc)

    def with_detail(prefix: str) -> str:
        return f"{prefix}: {detail}" if detail else prefix

    cause = os_cause(exc)
    if isinstance(exc, AnswerRefused):
        return detail
    if isinstance(exc, DeadlineExceeded):
        if exc.run:
            return f"the run's deadline of {exc.deadline_s:g}s passed before the answer was complete"
        return f"no complete answer within the {exc.deadline_s:g}s request deadline"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timed out after {timeout:g}s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timed out after {timeout:g}s waiting for the response"
    if isinstance(exc, httpx.WriteTimeout):
        return f"timed out after {timeout:g}s sending the request"
    if isinstance(exc, httpx.PoolTimeout):
        return f"no free connection within {timeout:g}s"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout:g}s"
    if isinstance(exc, httpx.LocalProtocolError):
        # Never echo the detail: h11 quotes the offending header value, which may be the token.
        return "invalid request: a header or the URL contains characters HTTP does not allow"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return with_detail("unsupported protocol")
    if isinstance(exc, httpx.ProxyError):
        return with_detail("proxy error")
    if isinstance(exc, httpx.ConnectError):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return with_detail("cannot resolve host")
        if isinstance(cause, ssl.SSLError | ssl.CertificateError):
            return with_detail("TLS error")
        return with_detail("cannot connect")
    if isinstance(exc, httpx.RemoteProtocolError):
        return with_detail("connection broken by the server")
    if isinstance(exc, httpx.ReadError):
        if isinstance(cause, ConnectionResetError):
            return "connection reset while reading the response"
        return with_detail("read error")
    if isinstance(exc, httpx.WriteError):
        return with_detail("connection lost while sending the request")
    return with_detail(type(exc).__name__)
