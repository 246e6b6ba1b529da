"""The transport layers under the GHL client (httpx's own extension point, :class:`httpx.BaseTransport`).

From the client down::

    GatedTransport      the per-location rate limiter; arms the request's deadline once a slot is taken
    BoundedTransport    decodes gzip/deflate itself, in bounded steps, and caps the decoded answer's size
    network transport   httpx.HTTPTransport over OwnConnectionPool (connections: :mod:`ghlops.ghl.http11`),
                        whose sockets obey the deadline and count new connections; httpcore's pool behind
                        a proxy (or any injected transport: httpx.MockTransport in tests, the sandbox)

Why each exists:

* httpx's timeouts bound each socket operation, not the call: a server that dribbles a byte of headers or body
  every few seconds (a slow-loris) would hold a call forever. Every socket read and write here is bounded by
  what is left of the request's deadline (:class:`Deadline`), so the whole answer, headers and body, arrives
  within it or the call fails with :class:`~ghlops.ghl.transport_errors.DeadlineExceeded`.
* httpx decompresses a chunk in one go: a 1 MB gzip bomb becomes gigabytes before anyone can look at it.
  :class:`BoundedTransport` decompresses with ``max_length`` and stops at the cap (:class:`AnswerTooLarge`).
* The connection count is what issue #15 measures: a run should open at most as many connections as it has
  calls in flight, which the pool limits (sized by the client) make possible.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import httpcore
import httpx

from ghlops.ghl.http11 import Http11Connection
from ghlops.ghl.ratelimit import RateLimiter
from ghlops.ghl.retry import parse_retry_after
from ghlops.ghl.transport_errors import AnswerTooLarge, DeadlineExceeded, UnsupportedEncoding

logger = logging.getLogger("ghlops.http")

#: The request extension carrying the limiter key of a GHL call (absent for OAuth calls: not limited).
LIMIT_KEY = "ghlops.limit_key"

# Decompressed output is produced at most 16 x 64 KiB at a time, so memory stays near the answer's cap.
_CHUNK = 64 * 1024


# -- deadlines ----------------------------------------------------------------------------------------------


class Deadline:
    """One call's deadline: ``seconds`` once armed (when the request leaves the limiter), never past ``run_at``.

    Set for the duration of a call with :func:`deadline_scope`; the socket layer reads it from a context
    variable, so it applies to exactly the thread (and call) that set it.
    """

    def __init__(
        self, seconds: float | None, run_at: float | None, run_s: float | None, clock: Callable[[], float]
    ) -> None:
        self.seconds = seconds
        self.run_at = run_at
        self.run_s = run_s
        self.clock = clock
        self.at: float | None = run_at
        self._armed = False

    def arm(self) -> None:
        if self._armed:
            return
        self._armed = True
        if self.seconds is not None:
            own = self.clock() + self.seconds
            self.at = own if self.at is None else min(self.at, own)

    def exceeded(self) -> DeadlineExceeded:
        run = self.run_at is not None and self.at == self.run_at
        return DeadlineExceeded((self.run_s if run else self.seconds) or 0.0, run=run)

    def remaining(self, timeout: float | None) -> float | None:
        """``timeout`` shortened to what is left; DeadlineExceeded when nothing is."""
        if self.at is None:
            return timeout
        left = self.at - self.clock()
        if left <= 0:
            raise self.exceeded()
        return left if timeout is None else min(timeout, left)

    def passed(self) -> bool:
        return self.at is not None and self.clock() >= self.at


_DEADLINE: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("ghlops_deadline", default=None)


class deadline_scope:  # a context manager, named like contextlib's helpers
    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline
        self._token: contextvars.Token[Deadline | None] | None = None

    def __enter__(self) -> Deadline:
        self._token = _DEADLINE.set(self._deadline)
        return self._deadline

    def __exit__(self, *exc: object) -> None:
        assert self._token is not None
        _DEADLINE.reset(self._token)


def _bounded(timeout: float | None) -> float | None:
    deadline = _DEADLINE.get()
    return timeout if deadline is None else deadline.remaining(timeout)


def _check_deadline() -> None:
    deadline = _DEADLINE.get()
    if deadline is not None and deadline.passed():
        raise deadline.exceeded()


# -- the socket layer ---------------------------------------------------------------------------------------


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write ends by the call's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._inner.read(max_bytes, _bounded(timeout))
        except httpcore.ReadTimeout as exc:
            deadline = _DEADLINE.get()
            if deadline is not None and deadline.passed():
                raise deadline.exceeded() from exc
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self._inner.write(buffer, _bounded(timeout))
        except httpcore.WriteTimeout as exc:
            deadline = _DEADLINE.get()
            if deadline is not None and deadline.passed():
                raise deadline.exceeded() from exc
            raise

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's network backend with deadline-bounded sockets, counting each new connection."""

    def __init__(self, inner: httpcore.NetworkBackend, on_connect: Callable[[], None]) -> None:
        self._inner = inner
        self._on_connect = on_connect

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _bounded(timeout), local_address, socket_options)
        self._on_connect()
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, _bounded(timeout), socket_options)
        self._on_connect()
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _ReturningStream:
    """An answer's body; closing it hands its connection back to the pool (or drops it if it can't be reused)."""

    def __init__(
        self,
        inner: Iterable[bytes],
        origin: httpcore.Origin,
        connection: Http11Connection,
        pool: OwnConnectionPool,
    ) -> None:
        self._inner = inner
        self._origin = origin
        self._connection = connection
        self._pool = pool

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            close = getattr(self._inner, "close", None)
            if close is not None:
                close()
        finally:
            self._pool._give_back(self._origin, self._connection)


_OriginKey = tuple[bytes, bytes, int]


def _key(origin: httpcore.Origin) -> _OriginKey:
    return (origin.scheme, origin.host, origin.port)  # httpcore's Origin compares equal but does not hash


class OwnConnectionPool:
    """An HTTP/1.1 connection pool where every call has a connection of its own, from a free list.

    httpcore's pool serves requests from a shared queue: each request and each answer's close takes its lock and
    scans every connection (expiry, readability, idleness) to reassign them, which under 32 calls in flight was
    the largest single CPU cost of a read (issue #15, bench/profile_reads.py). Here a call pops an idle
    connection to its origin (last used first, so few stay open), checks only that one (expired, or closed by
    the server while idle), and pushes it back when its answer is closed: one short lock each way, nothing
    scanned. A connection is never shared, so it needs no queue; at most ``max_idle`` are kept open between
    calls, and new ones are made only when every open one is busy (so connections <= calls in flight).
    """

    def __init__(
        self,
        *,
        ssl_context: Any,
        on_connect: Callable[[], None],
        keepalive_expiry: float | None,
        max_idle: int,
    ) -> None:
        self._ssl_context = ssl_context
        if ssl_context is not None:
            ssl_context.set_alpn_protocols(["http/1.1"])  # what httpcore offers without HTTP/2: the same handshake
        self._on_connect = on_connect
        self._keepalive_expiry = keepalive_expiry
        self._max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: dict[_OriginKey, list[Http11Connection]] = {}
        self._idle_count = 0
        self._closed = False

    def _take(self, origin: httpcore.Origin) -> Http11Connection:
        while True:
            with self._lock:
                free = self._idle.get(_key(origin))
                connection = free.pop() if free else None
                if connection is not None:
                    self._idle_count -= 1
            if connection is None:
                return Http11Connection(
                    origin,
                    ssl_context=self._ssl_context,
                    keepalive_expiry=self._keepalive_expiry,
                    on_connect=self._on_connect,
                    bounded=_bounded,
                )
            if connection.is_idle() and not connection.has_expired():
                return connection
            connection.close()  # past its keep-alive, or the server closed it while it waited

    def _give_back(self, origin: httpcore.Origin, connection: Http11Connection) -> None:
        if connection.is_idle():
            with self._lock:
                if not self._closed and self._idle_count < self._max_idle:
                    self._idle.setdefault(_key(origin), []).append(connection)
                    self._idle_count += 1
                    return
        connection.close()

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        origin = request.url.origin
        connection = self._take(origin)
        try:
            response = connection.handle_request(request)
        except BaseException:
            connection.close()
            raise
        return httpcore.Response(
            status=response.status,
            headers=response.headers,
            content=_ReturningStream(response.stream, origin, connection, self),  # type: ignore[arg-type]
            extensions=response.extensions,
        )

    def idle_count(self) -> int:
        """Connections open and waiting for a call."""
        with self._lock:
            return self._idle_count

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle = [c for free in self._idle.values() for c in free]
            self._idle.clear()
            self._idle_count = 0
        for connection in idle:
            connection.close()

    def __enter__(self) -> OwnConnectionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def network_transport(
    limits: httpx.Limits, on_connect: Callable[[], None], proxy: httpx.Proxy | None = None
) -> httpx.HTTPTransport:
    """httpx's own transport (TLS verification on) with deadline-bounded, counted connections.

    Without a proxy its httpcore pool is replaced by :class:`OwnConnectionPool` (httpx keeps the mapping of
    requests, answers and errors); with one, httpx's pool stays (it knows proxies), wrapped the same way.
    httpx offers no public way to give its transport a network backend or a pool, so they are set in place
    before any connection exists (tests/ghl/test_ghl_client_bounds.py and test_transport.py prove it works).
    """
    transport = httpx.HTTPTransport(verify=True, limits=limits, proxy=proxy)
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.NetworkBackend):  # pragma: no cover - an httpx/httpcore that moved these
        logger.warning("httpx's connection pool has no network backend to wrap: deadlines bound the body only")
        return transport
    bounded = _Backend(backend, on_connect)
    if proxy is None and isinstance(pool, httpcore.ConnectionPool):
        transport._pool = OwnConnectionPool(  # type: ignore[assignment]
            ssl_context=pool._ssl_context,
            on_connect=on_connect,
            keepalive_expiry=limits.keepalive_expiry,
            max_idle=limits.max_keepalive_connections or 1,
        )
    else:
        pool._network_backend = bounded  # type: ignore[union-attr]
    return transport


# -- the body cap -------------------------------------------------------------------------------------------


def _decompressor(encoding: str) -> Any:
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _Deflate()
    raise UnsupportedEncoding(encoding)


class _Deflate:
    """``deflate`` as servers send it: zlib-wrapped, or (some servers) raw."""

    def __init__(self) -> None:
        self._obj: Any = zlib.decompressobj()
        self._first = True

    @property
    def unconsumed_tail(self) -> bytes:
        return bytes(self._obj.unconsumed_tail)

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._first:
            self._first = False
            try:
                return bytes(self._obj.decompress(data, max_length))
            except zlib.error:
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
        return bytes(self._obj.decompress(data, max_length))


class _BoundedStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, encoding: str, limit: int, status: int) -> None:
        self._inner = inner
        self._encoding = encoding
        self._limit = limit
        self._status = status

    def __iter__(self) -> Iterator[bytes]:
        total = 0
        decoder = _decompressor(self._encoding) if self._encoding else None
        for raw in self._inner:
            # Between chunks too: an in-process transport never reaches the socket layer.
            _check_deadline()
            if decoder is None:
                total += len(raw)
                if total > self._limit:
                    raise AnswerTooLarge(self._limit, self._status)
                yield raw
                continue
            data = raw
            while data:
                try:
                    piece = decoder.decompress(data, min(self._limit - total + 1, _CHUNK * 16))
                except zlib.error as exc:
                    raise httpx.DecodingError(f"cannot decompress the answer: {exc}") from None
                total += len(piece)
                if total > self._limit:
                    raise AnswerTooLarge(self._limit, self._status)
                if piece:
                    yield piece
                data = decoder.unconsumed_tail
                if not piece and data:  # no progress possible (should not happen with zlib)
                    break

    def close(self) -> None:
        self._inner.close()


class BoundedTransport(httpx.BaseTransport):
    """Answers are decompressed here, in bounded steps, and capped at ``max_bytes`` after decompression."""

    def __init__(self, inner: httpx.BaseTransport, max_bytes: int) -> None:
        self._inner = inner
        self._max_bytes = max_bytes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        if encoding == "identity":
            encoding = ""
        length = response.headers.get("Content-Length", "").strip()
        if not encoding and length.isdigit() and int(length) > self._max_bytes:
            response.close()
            raise AnswerTooLarge(self._max_bytes, response.status_code)
        stream = response.stream
        assert isinstance(stream, httpx.SyncByteStream)
        # The response is reused (a new one per answer costs CPU on every call): only its body stream and, when
        # this layer decodes, its encoding headers change. httpx must not decode again what is handed up decoded.
        response.stream = _BoundedStream(stream, encoding, self._max_bytes, response.status_code)
        if encoding:
            del response.headers["Content-Encoding"]
            response.headers.pop("Content-Length", None)
        return response

    def close(self) -> None:
        self._inner.close()


# -- the limiter --------------------------------------------------------------------------------------------


class GatedTransport(httpx.BaseTransport):
    """The per-location rate limiter as a transport: a slot before the request, the answer's headers after.

    Only requests carrying the :data:`LIMIT_KEY` extension are limited. The call's deadline starts once the
    slot is taken (waiting for GHL's window is not the server being slow). A 429 blocks its key for the
    ``Retry-After`` it gives, never longer than ``max_wait``.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        limiter: RateLimiter | None,
        *,
        on_wait: Callable[[float], None],
        wall_clock: Callable[[], float],
        max_wait: float,
    ) -> None:
        self._inner = inner
        self._limiter = limiter
        self._on_wait = on_wait
        self._wall_clock = wall_clock
        self._max_wait = max_wait

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = request.extensions.get(LIMIT_KEY)
        limiter = self._limiter if isinstance(key, str) else None
        if limiter is not None and isinstance(key, str):
            waited = limiter.acquire(key)
            if waited:
                self._on_wait(waited)
        deadline = _DEADLINE.get()
        if deadline is not None:
            deadline.arm()
        try:
            response = self._inner.handle_request(request)
        except BaseException:
            if limiter is not None and isinstance(key, str):
                limiter.settle(key)
            raise
        if limiter is not None and isinstance(key, str):
            limiter.settle(key)
            limiter.observe(key, _capped_window(response.headers, self._max_wait))
            if response.status_code == 429:
                wait = parse_retry_after(response.headers.get("Retry-After"), self._wall_clock)
                limiter.penalize(key, None if wait is None else min(wait, self._max_wait))
        return response

    def close(self) -> None:
        self._inner.close()


def _capped_window(headers: Mapping[str, str], max_wait: float) -> Mapping[str, str]:
    """The headers with a window longer than ``max_wait`` shortened to it: a server can't park a key."""
    interval = headers.get("X-RateLimit-Interval-Milliseconds")
    if interval is None:
        return headers
    try:
        too_long = float(interval.strip()) / 1000.0 > max_wait
    except ValueError:
        return headers
    if not too_long:
        return headers
    capped = dict(headers.items())
    capped = {k: v for k, v in capped.items() if k.lower() != "x-ratelimit-interval-milliseconds"}
    capped["X-RateLimit-Interval-Milliseconds"] = str(int(max_wait * 1000))
    return capped
