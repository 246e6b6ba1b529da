"""One HTTP/1.1 connection of :class:`~ghlops.ghl.transport.OwnConnectionPool`, parsed in C by httptools.

httpcore's connection drives h11, a pure-Python state machine that validates every header of every request and
answer event by event: with httpcore's own bookkeeping it was about 40% of the CPU the GIL spent on a read under
32 calls in flight (py-spy of the GIL holder, bench/profile_reads.py, issue #15), and reads are CPU-bound on one
GIL. The standard library's http.client was no better (its headers go through the email package). Here a
request is written as one buffer and its answer is parsed by httptools (llhttp, the parser of Node.js and of
uvicorn), in C: status line, headers, ``Content-Length``, chunked or close-delimited bodies.

The connection keeps httpcore's interface (``handle_request``, ``is_idle``, ``has_expired``, ``close``) and
raises httpcore's exceptions, so httpx maps them into its own as it does for httpcore's connection (the client's
retry decisions read those types: :mod:`ghlops.ghl.transport_errors`). Every socket operation ends by the call's
deadline (``bounded``), as the pool's httpcore streams do, so a server dribbling its answer cannot hold a call.
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpcore
import httptools

from ghlops.ghl.transport_errors import DeadlineExceeded

Bounded = Callable[[float | None], float | None]

# What HTTP allows in a header name (a token) and forbids in a value: a token with a line break in it would
# otherwise start a header of the caller's choosing (h11 refused both; so does this).
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(rb"[\x00\r\n]")
_BAD_TARGET = re.compile(rb"[\x00-\x20\x7f]")
_READ_SIZE = 64 * 1024
# An answer's status line and headers together: more is refused (h11's default limit too).
MAX_HEADER_BYTES = 64 * 1024
_NO_ANSWER = "Server disconnected without sending a response."
_CUT_SHORT = "peer closed connection without sending complete message body"


def _detail(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _timed_out(bounded: Bounded, cls: type[httpcore.TimeoutException], exc: BaseException) -> Exception:
    """The deadline's own error when it is what ran out (``bounded`` raises it), else httpcore's timeout."""
    try:
        bounded(None)
    except DeadlineExceeded as deadline:  # the call's deadline, not the socket's timeout, ran out
        return deadline
    return cls(_detail(exc))


def _readable(sock: socket.socket) -> bool:
    """Whether an idle socket has something to read: the server closed it (or sent what it should not)."""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)
    except (OSError, ValueError):
        return True


class _HeadersTooLarge(Exception):
    pass


class _Answer:
    """httptools' callbacks for one answer: its status, headers and body chunks as they are parsed."""

    def __init__(self) -> None:
        self.parser: Any = None
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.header_bytes = 0
        self.headers_done = False
        self.close_delimited = False
        self.complete = False
        self.keep_alive = False
        self.extra = False
        self.body: list[bytes] = []

    def on_message_begin(self) -> None:
        # A message after the complete answer: bytes the server sent unasked, so the connection is not reused.
        self.extra = self.extra or self.complete

    def on_status(self, status: bytes) -> None:
        self.reason += status
        self._count(len(status))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        self.headers.append((name, value.strip(b" \t")))  # llhttp keeps trailing whitespace; HTTP doesn't

    def _count(self, size: int) -> None:
        self.header_bytes += size
        if self.header_bytes > MAX_HEADER_BYTES:
            raise _HeadersTooLarge

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:
            return  # an interim answer (100 Continue): the real one follows
        self.headers_done = True
        names = {name.lower() for name, _ in self.headers}
        self.close_delimited = (
            status not in (204, 304) and b"content-length" not in names and b"transfer-encoding" not in names
        )

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if not self.headers_done:  # the interim answer ended: start over for the real one
            self.reason, self.headers, self.header_bytes = b"", [], 0
            return
        self.complete = True
        # llhttp forgets the answer's keep-alive once it is complete: asked now (its version and Connection).
        self.keep_alive = bool(self.parser.should_keep_alive())
        # The parser holds this object for its callbacks: let go of it, or each answer is a reference cycle.
        self.parser = None

    def take_body(self) -> list[bytes]:
        chunks, self.body = self.body, []
        return chunks


class Http11Connection:
    """One connection to one origin, used by one call at a time (the pool hands it out and takes it back)."""

    def __init__(
        self,
        origin: httpcore.Origin,
        *,
        ssl_context: ssl.SSLContext | None,
        keepalive_expiry: float | None,
        on_connect: Callable[[], None],
        bounded: Bounded,
    ) -> None:
        self._origin = origin
        self._host = origin.host.decode("ascii")
        self._ssl_context = ssl_context
        self._keepalive_expiry = keepalive_expiry
        self._on_connect = on_connect
        self._bounded = bounded
        self._sock: socket.socket | None = None
        self._busy = False
        self._expire_at: float | None = None
        self._buffer = bytearray(_READ_SIZE)
        self._read_timeout: float | None = None

    # -- httpcore's connection interface ------------------------------------------------------------------
    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        timeouts = request.extensions.get("timeout", {})
        self._busy = True
        try:
            data = _request_bytes(request)
            sock = self._sock if self._sock is not None else self._connect(timeouts.get("connect"))
            sock.settimeout(self._bounded(timeouts.get("write")))
            try:
                sock.sendall(data)
            except TimeoutError as exc:
                raise _timed_out(self._bounded, httpcore.WriteTimeout, exc) from exc
            except OSError as exc:
                raise httpcore.WriteError(_detail(exc)) from exc
            self._read_timeout = timeouts.get("read")
            answer = _Answer()
            parser = httptools.HttpResponseParser(answer)
            answer.parser = parser
            while not answer.headers_done:
                if not self._feed(parser, answer):
                    raise httpcore.RemoteProtocolError(_NO_ANSWER)
            if request.method == b"HEAD":  # no body follows, whatever Content-Length says: not reused
                answer.complete, answer.close_delimited = True, True
        except BaseException:
            self.close()
            raise
        return httpcore.Response(
            status=parser.get_status_code(),
            headers=answer.headers,
            content=_Body(self, parser, answer),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason},
        )

    def is_idle(self) -> bool:
        return self._sock is not None and not self._busy

    def has_expired(self) -> bool:
        if self._sock is None:
            return True
        if self._expire_at is not None and time.monotonic() > self._expire_at:
            return True
        return _readable(self._sock)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        self._busy = False
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    # -- internals -----------------------------------------------------------------------------------------
    def _feed(self, parser: Any, answer: _Answer) -> bool:
        """Receive once and parse what came; False when the server closed the connection."""
        sock = self._sock
        if sock is None:
            raise httpcore.ReadError("the connection is closed")
        sock.settimeout(self._bounded(self._read_timeout))
        view = memoryview(self._buffer)
        try:
            size = sock.recv_into(view)
        except TimeoutError as exc:
            raise _timed_out(self._bounded, httpcore.ReadTimeout, exc) from exc
        except OSError as exc:
            raise httpcore.ReadError(_detail(exc)) from exc
        if not size:
            return False
        try:
            parser.feed_data(view[:size])
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _HeadersTooLarge):  # raised in a callback: httptools wraps it
                raise httpcore.RemoteProtocolError(
                    f"the answer's headers are over {MAX_HEADER_BYTES:,} bytes"
                ) from None
            raise httpcore.RemoteProtocolError(f"invalid answer: {_detail(exc)}") from exc
        return True

    def _connect(self, timeout: float | None) -> socket.socket:
        try:
            sock = socket.create_connection((self._host, self._origin.port), timeout=self._bounded(timeout))
        except TimeoutError as exc:
            raise _timed_out(self._bounded, httpcore.ConnectTimeout, exc) from exc
        except OSError as exc:
            raise httpcore.ConnectError(_detail(exc)) from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as httpcore does: no Nagle delay
            if self._origin.scheme == b"https":
                if self._ssl_context is None:  # pragma: no cover - the pool always has one
                    raise httpcore.ConnectError("no TLS context")
                sock.settimeout(self._bounded(timeout))
                try:
                    sock = self._ssl_context.wrap_socket(sock, server_hostname=self._host)
                except TimeoutError as exc:
                    raise _timed_out(self._bounded, httpcore.ConnectTimeout, exc) from exc
                except OSError as exc:  # ssl.SSLError and ssl.CertificateError are OSErrors
                    raise httpcore.ConnectError(_detail(exc)) from exc
        except BaseException:
            sock.close()
            raise
        self._on_connect()
        self._sock = sock
        return sock

    def _finished(self, parser: Any, answer: _Answer, complete: bool) -> None:
        """The answer was closed: keep the connection for the next call when its body was read to the end."""
        self._busy = False
        reusable = complete and not answer.close_delimited and not answer.extra and answer.keep_alive
        if not reusable:
            self.close()
            return
        if self._keepalive_expiry is not None:
            self._expire_at = time.monotonic() + self._keepalive_expiry


class _Body:
    """An answer's body, chunk by chunk; closing it before the end drops the connection (it can't be reused)."""

    def __init__(self, connection: Http11Connection, parser: Any, answer: _Answer) -> None:
        self._connection = connection
        self._parser = parser
        self._answer = answer
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        answer = self._answer
        yield from answer.take_body()
        while not answer.complete:
            if not self._connection._feed(self._parser, answer):
                if answer.close_delimited:  # the body ends where the connection does
                    answer.complete = True
                    break
                raise httpcore.RemoteProtocolError(_CUT_SHORT)
            yield from answer.take_body()
        yield from answer.take_body()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._connection._finished(self._parser, self._answer, self._answer.complete)


def _request_bytes(request: httpcore.Request) -> bytes:
    """The request as one buffer: request line, headers and body (LocalProtocolError for what HTTP forbids)."""
    target = request.url.target
    if _BAD_TARGET.search(target) or _TOKEN.fullmatch(request.method) is None:
        raise httpcore.LocalProtocolError("invalid request line")
    lines = [request.method, b" ", target, b" HTTP/1.1\r\n"]
    chunked = False
    for name, value in request.headers:
        if _TOKEN.fullmatch(name) is None or _BAD_VALUE.search(value):
            # Never the value in the message: it may be the token.
            raise httpcore.LocalProtocolError(f"invalid header {name[:40]!r}")
        if name.lower() == b"transfer-encoding" and value.strip().lower() == b"chunked":
            chunked = True
        lines += (name, b": ", value.strip(), b"\r\n")
    lines.append(b"\r\n")
    stream: Any = request.stream
    body = b"".join(stream) if stream is not None else b""
    if chunked:
        lines += (b"%x\r\n" % len(body), body, b"\r\n0\r\n\r\n") if body else (b"0\r\n\r\n",)
    else:
        lines.append(body)
    return b"".join(lines)
