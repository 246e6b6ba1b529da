"""Transport failures are read from exception types (as httpx maps httpcore's), never from their wording."""

from __future__ import annotations

import socket
import ssl

import httpcore
import httpx
import pytest

from ghlops.ghl.retry import Failure
from ghlops.ghl.transport_errors import DeadlineExceeded, map_transport_error, os_cause


def chained(exc: httpx.TransportError, *causes: BaseException) -> httpx.TransportError:
    """``exc`` over the chain httpx builds: its own error, from httpcore's, from the OS error."""
    current: BaseException = exc
    for cause in causes:
        current.__cause__ = cause
        current = cause
    return exc


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        # Wording that would fool a text match: the type underneath decides.
        (
            chained(httpx.ConnectError("resolver refused"), httpcore.ConnectError("x"), socket.gaierror(-2, "x")),
            "cannot resolve host: resolver refused",
        ),
        (
            chained(httpx.ConnectError("getaddrinfo ok"), ConnectionRefusedError(111, "x")),
            "connection refused",
        ),
        (
            chained(httpx.ConnectError("handshake"), ssl.SSLCertVerificationError("certificate verify failed")),
            "TLS error: handshake",
        ),
        (chained(httpx.ConnectError("refused")), "cannot connect: refused"),
        (chained(httpx.ReadError("reset"), httpcore.ReadError("x")), "read error: reset"),
        (
            chained(httpx.ReadError("x"), httpcore.ReadError("x"), ConnectionResetError(104, "x")),
            "connection reset while reading the response",
        ),
    ],
)
def test_the_cause_is_named_from_the_exception_types_in_the_chain(exc: httpx.TransportError, cause: str) -> None:
    assert map_transport_error(exc, 30.0).cause == cause


@pytest.mark.parametrize(
    ("exc", "failure"),
    [
        (httpx.ConnectError("x"), Failure.NOT_SENT),
        (httpx.ConnectTimeout("x"), Failure.NOT_SENT),
        (httpx.PoolTimeout("x"), Failure.NOT_SENT),
        (httpx.ProxyError("x"), Failure.NOT_SENT),
        (httpx.ReadTimeout("x"), Failure.SENT),
        (httpx.WriteError("x"), Failure.SENT),
        (httpx.RemoteProtocolError("x"), Failure.SENT),
        (DeadlineExceeded(5.0), Failure.SENT),
        (httpx.LocalProtocolError("x"), Failure.FATAL),
        (httpx.UnsupportedProtocol("x"), Failure.FATAL),
    ],
)
def test_how_far_a_request_got_follows_the_httpx_class(exc: httpx.TransportError, failure: Failure) -> None:
    assert map_transport_error(exc, 30.0).failure is failure


def test_the_os_cause_skips_httpx_and_httpcore_layers_and_survives_a_cycle() -> None:
    refused = ConnectionRefusedError(111, "x")
    assert os_cause(chained(httpx.ConnectError("a"), httpcore.ConnectError("b"), refused)) is refused
    looped = httpx.ReadError("a")
    looped.__cause__ = looped
    assert os_cause(looped) is None
