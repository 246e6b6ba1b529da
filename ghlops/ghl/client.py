"""The HTTP client every GHL call goes through.

Design (after httpx's own): the network is an injected :class:`httpx.BaseTransport`, so tests run this whole
stack over :class:`httpx.MockTransport`; every failure leaves as one exception from :mod:`ghlops.errors`
carrying the call's context (which location, kind, object, method, endpoint, status).

Safety rules kept here:

* TLS verification is always on; plain http is refused except to a loopback host (the local sandbox).
* Tokens are revealed only to build the ``Authorization`` header. Every log line and error message also goes
  through :func:`ghlops.secret.redact` in case a server echoes a token back.
* A non-idempotent write (POST, PATCH) is never resent after the request may have reached GHL: a 5xx answer
  or a connection failure after sending raises :class:`~ghlops.errors.AmbiguousWriteError`, and the caller
  re-reads live state before deciding anything. See :mod:`ghlops.ghl.retry` for the full retry table.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType, TracebackType
from typing import Any, NoReturn

import httpx

from ghlops import __version__
from ghlops.errors import (
    AmbiguousWriteError,
    ApiError,
    ApiResponseError,
    ConfigError,
    TransportError,
    one_line,
)
from ghlops.ghl.auth import WHAT_TO_SET, Credentials, Source
from ghlops.ghl.error_body import html_text, is_json_content_type, message_from_response
from ghlops.ghl.oauth import AgencyOAuth, OAuthHttp, TokenAuth
from ghlops.ghl.ratelimit import AGENCY_KEY, RateLimiter
from ghlops.ghl.retry import (
    IDEMPOTENT_METHODS,
    RETRIED_SERVER_STATUSES,
    RetryPolicy,
    parse_retry_after,
)
from ghlops.request import Auth, Request
from ghlops.secret import MASK, Secret, redact

logger = logging.getLogger("ghlops.http")

DEFAULT_USER_AGENT = f"ghlops/{__version__}"
DEFAULT_RETRY = RetryPolicy()

#: Limiter key for location-auth calls made without a location id.
DEFAULT_LOCATION_KEY = "default"

_LOG_BODY_LIMIT = 2000

# Failures that happen before any byte of the request reached GHL: safe to retry for every method.
_NOT_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
)
# Failures retrying cannot fix (the request itself cannot be sent as built).
_FATAL: tuple[type[httpx.TransportError], ...] = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


@dataclass(frozen=True)
class CallContext:
    """What a call is about, attached to every error it raises.

    ``location`` is the location's display name (the location id is used when it is None), ``kind`` the
    manifest kind, ``obj`` the object's natural key.
    """

    location: str | None = None
    kind: str | None = None
    obj: str | None = None


@dataclass(frozen=True)
class ClientStats:
    """A snapshot of a client's counters (see :attr:`GHLClient.stats`).

    ``requests`` counts attempts handed to the transport (retries included); ``responses`` counts answers by
    status class (``"2xx"``, ``"4xx"`` ...); ``by_endpoint`` counts attempts by ``(method, endpoint shape)``
    where id-like path segments are shown as ``{id}`` (a best-effort heuristic, see :func:`endpoint_shape`).
    """

    requests: int = 0
    responses: Mapping[str, int] = field(default_factory=dict)
    status_429: int = 0
    retries: int = 0
    transport_errors: int = 0
    ambiguous_writes: int = 0
    by_endpoint: Mapping[tuple[str, str], int] = field(default_factory=dict)
    rate_limit_wait_s: float = 0.0
    backoff_wait_s: float = 0.0


class _Counters:
    def __init__(self) -> None:
        self.requests = 0
        self.responses: Counter[str] = Counter()
        self.status_429 = 0
        self.retries = 0
        self.transport_errors = 0
        self.ambiguous_writes = 0
        self.by_endpoint: Counter[tuple[str, str]] = Counter()
        self.rate_limit_wait_s = 0.0
        self.backoff_wait_s = 0.0

    def snapshot(self) -> ClientStats:
        return ClientStats(
            requests=self.requests,
            responses=MappingProxyType(dict(self.responses)),
            status_429=self.status_429,
            retries=self.retries,
            transport_errors=self.transport_errors,
            ambiguous_writes=self.ambiguous_writes,
            by_endpoint=MappingProxyType(dict(self.by_endpoint)),
            rate_limit_wait_s=self.rate_limit_wait_s,
            backoff_wait_s=self.backoff_wait_s,
        )


def validate_base_url(base_url: str) -> str:
    """The base URL without a trailing slash; ConfigError unless https (http only to a loopback host)."""
    text = base_url.strip()
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigError(f"GHL base URL {text!r} is not a valid URL: {exc}") from None
    if url.userinfo:
        raise ConfigError("GHL base URL must not contain credentials; tokens are read from GHL_TOKEN")
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(f"GHL base URL {text!r} must be an https:// URL with a host")
    if url.query or url.fragment:
        raise ConfigError(f"GHL base URL {text!r} must not have a query or fragment")
    if url.scheme == "http" and not is_loopback_host(url.host):
        raise ConfigError(
            f"GHL base URL {text!r} must use https; plain http is only allowed to a loopback host "
            "(localhost, 127.0.0.1, ::1)"
        )
    return text.rstrip("/")


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_LONG_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,}")


def endpoint_shape(path: str) -> str:
    """``/calendars/ve9EPM428h8vShlRW1KT`` → ``/calendars/{id}``: path segments that look like ids (numbers,
    UUIDs, 16+ character tokens containing a digit) are replaced, so counters group calls by endpoint."""

    def shape(segment: str) -> str:
        if segment.isdigit() or _UUID.fullmatch(segment):
            return "{id}"
        if _LONG_TOKEN.fullmatch(segment) and any(c.isdigit() for c in segment):
            return "{id}"
        return segment

    return "/".join(shape(s) for s in path.split("/"))


def describe_transport_error(exc: httpx.TransportError, timeout: float) -> str:
    """A short cause for an httpx transport failure: ``connection refused``, ``timed out after 30s`` ..."""
    detail = " ".join(str(exc).split())
    lowered = detail.lower()

    def with_detail(prefix: str) -> str:
        return f"{prefix}: {detail}" if detail else prefix

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
        if "refused" in lowered:
            return "connection refused"
        if any(
            s in lowered
            for s in ("name or service not known", "nodename nor servname", "getaddrinfo", "name resolution")
        ):
            return with_detail("cannot resolve host")
        if "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
            return with_detail("TLS error")
        return with_detail("cannot connect")
    if isinstance(exc, httpx.RemoteProtocolError):
        return with_detail("connection broken by the server")
    if isinstance(exc, httpx.ReadError):
        if "reset" in lowered:
            return "connection reset while reading the response"
        return with_detail("read error")
    if isinstance(exc, httpx.WriteError):
        return with_detail("connection lost while sending the request")
    return with_detail(type(exc).__name__)


class GHLClient:
    """Sends :class:`~ghlops.request.Request` values to GHL and returns decoded JSON.

    Thread-safe: one instance (one connection pool) is meant to be shared by a pool of worker threads.
    ``transport`` replaces the network (tests, the local sandbox); ``sleep`` is how the client waits between
    retries; ``rng`` drives backoff jitter; ``wall_clock`` (epoch seconds) is what an HTTP-date
    ``Retry-After`` is measured against.
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = DEFAULT_USER_AGENT,
        rng: random.Random | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if timeout <= 0:
            raise ConfigError("timeout must be positive")
        self._base_url = validate_base_url(base_url)
        self._credentials = credentials
        self._timeout = timeout
        self._retry = retry
        self._limiter = limiter
        self._sleep = sleep
        self._user_agent = user_agent
        self._rng = rng if rng is not None else random.Random()
        self._rng_lock = threading.Lock()
        self._wall_clock = wall_clock
        self._stats_lock = threading.Lock()
        self._counters = _Counters()
        # verify=True is httpx's default, spelled out because it is a promise: there is no way to turn it off.
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            verify=True,
            follow_redirects=False,
        )
        self.oauth: AgencyOAuth | None = None
        if credentials.oauth is not None:
            http = OAuthHttp(self._http, self._base_url, user_agent, credentials.all_secrets)
            self.oauth = AgencyOAuth(credentials.oauth, http, clock=wall_clock)
            credentials.bind(self.oauth)

    # -- lifecycle ---------------------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GHLClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"GHLClient(base_url={self._base_url!r}, timeout={self._timeout:g}, retry={self._retry!r}, "
            f"limiter={self._limiter!r})"
        )

    @property
    def base_url(self) -> str:
        return self._base_url

    # -- counters ----------------------------------------------------------------------------------------

    @property
    def stats(self) -> ClientStats:
        """A consistent snapshot of the counters since creation or the last :meth:`reset_stats`."""
        with self._stats_lock:
            return self._counters.snapshot()

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._counters = _Counters()

    # -- sending -----------------------------------------------------------------------------------------

    def send(self, req: Request, *, location_id: str | None = None, context: CallContext | None = None) -> Any:
        """Send ``req`` (retrying as :mod:`ghlops.ghl.retry` describes) and return its decoded JSON body.

        ``location_id`` picks the token and the rate-limit bucket for location calls. Returns ``{}`` for an
        empty 2xx body; otherwise whatever the JSON holds (callers validate its shape).

        Raises ConfigError (no token for the call), ApiError (GHL refused; final status after retries),
        ApiResponseError (2xx that is not JSON), TransportError (no answer after retries) or
        AmbiguousWriteError (a POST/PATCH that may have been processed). ValueError for an unresolved
        :class:`~ghlops.request.Ref` or other placeholder left in the request (a bug in the caller).

        :class:`~ghlops.secret.Secret` values inside ``req.body`` (e.g. a user's password) are sent revealed,
        logged as ``***`` and redacted from every error and log line of the call.
        """
        call = _Call(self, req, location_id, context or CallContext())
        return call.run()

    # -- helpers used by _Call ---------------------------------------------------------------------------

    def _backoff_delay(self, attempt: int, retry_after: float | None) -> float:
        with self._rng_lock:
            return self._retry.backoff_delay(attempt, retry_after, self._rng)


class _Call:
    """One :meth:`GHLClient.send`: the attempt loop and everything it needs to build errors and log lines."""

    def __init__(self, client: GHLClient, req: Request, location_id: str | None, ctx: CallContext) -> None:
        self.client = client
        self.req = req
        # Without a display name, errors still say which location: by id.
        self.ctx = ctx if ctx.location or not location_id else replace(ctx, location=location_id)
        self.method = req.method.upper()
        path = req.url_path()
        if req.refs():
            raise ValueError(f"unresolved reference in the body of {self.method} {req.endpoint}")
        if not path.startswith("/"):
            path = "/" + path
        # Only checked here (nothing fetched): the token itself is chosen, minted or renewed by the auth flow.
        client._credentials.check(req.auth, location_id)
        self.auth_flow = TokenAuth(client._credentials, req.auth, location_id)
        self.location_id = location_id
        self.url = client._base_url + path
        self.full_url = str(httpx.URL(self.url, params=req.params)) if req.params else self.url
        self.headers = {
            "Version": req.version,
            "Accept": "application/json",
            "User-Agent": client._user_agent,
        }
        # Secret values inside the body (a password the executor filled in) go on the wire revealed, are
        # logged as the mask and are redacted from anything the server echoes back.
        self.body_secrets = tuple(_secrets_in(req.body))
        self.content: bytes | None = None
        self.logged_body: str | None = None
        if req.body is not None:
            self.content = self._encode(req.body, reveal=True).encode("utf-8")
            self.logged_body = self._encode(req.body, reveal=False)
            self.headers["Content-Type"] = "application/json"
        if req.auth is Auth.AGENCY:
            self.limit_key = AGENCY_KEY
        else:
            self.limit_key = location_id or DEFAULT_LOCATION_KEY
        self.shape = (self.method, endpoint_shape(path))
        self.idempotent = self.method in IDEMPOTENT_METHODS

    def _encode(self, body: Any, *, reveal: bool) -> str:
        def default(value: object) -> object:
            if isinstance(value, Secret):
                return value.reveal() if reveal else MASK
            raise ValueError(
                f"cannot send {type(value).__name__} in the body of {self.method} {self.req.endpoint}: "
                "unresolved placeholder"
            )

        return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=default)

    # -- the loop ----------------------------------------------------------------------------------------

    def run(self) -> Any:
        client = self.client
        max_attempts = client._retry.max_attempts
        # True once an earlier attempt may have been processed by GHL (5xx, or a failure after sending).
        maybe_processed = False
        attempt = 0
        while True:
            attempt += 1
            if client._limiter is not None:
                waited = client._limiter.acquire(self.limit_key)
                if waited:
                    with client._stats_lock:
                        client._counters.rate_limit_wait_s += waited
            with client._stats_lock:
                client._counters.requests += 1
                client._counters.by_endpoint[self.shape] += 1
                if attempt > 1:
                    client._counters.retries += 1
            started = time.perf_counter()
            try:
                response = client._http.request(
                    self.method,
                    self.url,
                    params=self.req.params,
                    headers=self.headers,
                    content=self.content,
                    auth=self.auth_flow,
                )
            except httpx.TransportError as exc:
                if client._limiter is not None:
                    client._limiter.settle(self.limit_key)
                elapsed_ms = (time.perf_counter() - started) * 1000
                with client._stats_lock:
                    client._counters.transport_errors += 1
                cause = describe_transport_error(exc, client._timeout)
                self._log_attempt(cause, elapsed_ms, None)
                if isinstance(exc, _FATAL):
                    self._raise(TransportError, cause, None)
                sent = not isinstance(exc, _NOT_SENT)
                if sent and not self.idempotent:
                    self._raise_ambiguous(f"{cause} after the request was sent", None)
                if attempt >= max_attempts:
                    self._raise(TransportError, _gave_up(cause, attempt), None)
                maybe_processed = maybe_processed or sent
                self._wait(attempt, None, cause)
                continue

            elapsed_ms = (time.perf_counter() - started) * 1000
            if client._limiter is not None:
                client._limiter.settle(self.limit_key)
            status = response.status_code
            with client._stats_lock:
                client._counters.responses[f"{status // 100}xx"] += 1
            if client._limiter is not None:
                client._limiter.observe(self.limit_key, response.headers)
            self._log_attempt(str(status), elapsed_ms, response)

            if 200 <= status < 300:
                return self._decode(response)

            if status == 429:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), client._wall_clock)
                with client._stats_lock:
                    client._counters.status_429 += 1
                if client._limiter is not None:
                    client._limiter.penalize(self.limit_key, retry_after)
                if response.headers.get("X-RateLimit-Daily-Remaining", "").strip() == "0":
                    daily = response.headers.get("X-RateLimit-Limit-Daily", "").strip()
                    limit = f" of {daily} requests" if daily.isdigit() else ""
                    self._raise(ApiError, f"daily API limit{limit} used up; try again tomorrow", status)
                if attempt >= max_attempts:
                    self._raise(ApiError, _gave_up(self._server_message(response), attempt), status)
                self._wait(attempt, retry_after, "HTTP 429")
                continue

            if status >= 500 and not self.idempotent:
                self._raise_ambiguous(self._server_message(response), status)

            if status in RETRIED_SERVER_STATUSES:
                if attempt >= max_attempts:
                    self._raise(ApiError, _gave_up(self._server_message(response), attempt), status)
                maybe_processed = True
                retry_after = parse_retry_after(response.headers.get("Retry-After"), client._wall_clock)
                self._wait(attempt, retry_after, f"HTTP {status}")
                continue

            if status == 404 and self.method == "DELETE" and maybe_processed:
                # An earlier attempt of this DELETE failed after it may have reached GHL (5xx or a dropped
                # connection). The object is now gone, and ghlops only deletes objects it has just read live,
                # so the earlier attempt did the delete: the outcome the caller asked for.
                logger.info(
                    "%s",
                    self._redact_line(
                        f"{self._where()}DELETE {self.req.endpoint} -> 404 after an interrupted earlier "
                        "attempt: treated as deleted"
                    ),
                )
                return {}

            message = self._server_message(response)
            if status == 403 and self.req.auth is Auth.LOCATION and self.location_id and "this location" in message:
                # GHL's answer to a sub-account token used on another location: say which token and what to set.
                self._raise(ApiError, f"{message}; {self._unreachable()}", status)
            self._raise(ApiError, self._server_message(response), status)

    def _unreachable(self) -> str:
        """What to do when a location's token does not reach it (GHL answers 403 for another location's token)."""
        source = self.client._credentials.source_of(self.location_id)
        name = self.ctx.location or self.location_id
        fix = f"give it its own token ({WHAT_TO_SET})"
        if source is Source.MINTED:
            return f"the token minted for location {name} does not reach it: is the app installed there? ({fix})"
        described = "spec.tokenEnv" if source is Source.TOKEN_ENV else str(source or "the token")
        return f"the token from {described} does not reach location {name}: {fix}"

    # -- outcomes ----------------------------------------------------------------------------------------

    def _decode(self, response: httpx.Response) -> Any:
        body = response.content
        if not body.strip():
            return {}
        content_type = response.headers.get("Content-Type")
        media = (content_type or "").split(";", 1)[0].strip().lower()
        declared_json = is_json_content_type(content_type)
        try:
            data = json.loads(body)
        except ValueError as exc:
            if declared_json or not media:
                self._raise(ApiResponseError, f"invalid JSON: {exc}", response.status_code)
            self._raise(ApiResponseError, _expected_json(media, body), response.status_code)
        if not declared_json and media and not isinstance(data, dict | list):
            self._raise(ApiResponseError, _expected_json(media, body), response.status_code)
        return data

    def _server_message(self, response: httpx.Response) -> str:
        return message_from_response(response.status_code, response.headers.get("Content-Type"), response.content)

    def _error(self, cls: type[ApiError], message: str, status: int | None) -> ApiError:
        return cls(
            self._redact_line(one_line(message)),
            status=status,
            method=self.method,
            endpoint=self._redact_line(self.req.endpoint),
            location=self.ctx.location,
            kind=self.ctx.kind,
            obj=self.ctx.obj,
        )

    def _raise(self, cls: type[ApiError], message: str, status: int | None) -> NoReturn:
        raise self._error(cls, message, status) from None

    def _raise_ambiguous(self, cause: str, status: int | None) -> NoReturn:
        with self.client._stats_lock:
            self.client._counters.ambiguous_writes += 1
        raise self._error(
            AmbiguousWriteError,
            f"{cause}; the {self.method} may or may not have been applied, so it was not resent",
            status,
        ) from None

    def _wait(self, attempt: int, retry_after: float | None, reason: str) -> None:
        client = self.client
        delay = client._backoff_delay(attempt, retry_after)
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s",
                self._redact_line(
                    f"{self._where()}{self.method} {self.req.endpoint}: {reason}, retrying in {delay:.2f}s "
                    f"(attempt {attempt + 1} of {client._retry.max_attempts})"
                ),
            )
        with client._stats_lock:
            client._counters.backoff_wait_s += delay
        client._sleep(delay)

    # -- logging -----------------------------------------------------------------------------------------

    def _where(self) -> str:
        return f"location {self.ctx.location}: " if self.ctx.location else ""

    def _redact_line(self, text: str) -> str:
        # Read each time: tokens minted or refreshed during the call are secrets too.
        return redact(text, self.client._credentials.all_secrets() + self.body_secrets)

    def _log_attempt(self, outcome: str, elapsed_ms: float, response: httpx.Response | None) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        shown_headers = {"Authorization": f"Bearer {MASK}", **self.headers}
        lines = [
            f"{self.method} {self.full_url} -> {outcome} ({elapsed_ms:.0f} ms)",
            f"  request headers: {json.dumps(shown_headers, sort_keys=True)}",
        ]
        if self.logged_body is not None:
            lines.append(f"  request body: {_clip(self.logged_body)}")
        if response is not None and response.content:
            lines.append(f"  response body: {_clip(response.content.decode('utf-8', errors='replace'))}")
        logger.debug("%s", self._redact_line("\n".join(lines)))


def _secrets_in(value: Any) -> list[Secret]:
    if isinstance(value, Secret):
        return [value] if value else []
    if isinstance(value, dict):
        return [s for v in value.values() for s in _secrets_in(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _secrets_in(v)]
    return []


def _gave_up(message: str, attempts: int) -> str:
    return f"{message} (gave up after {attempts} attempts)" if attempts > 1 else message


def _expected_json(media: str, body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    excerpt = one_line(html_text(text) if "html" in media else text, 120)
    return f"expected JSON, got {media}: {excerpt}" if excerpt else f"expected JSON, got {media}"


def _clip(text: str) -> str:
    return text if len(text) <= _LOG_BODY_LIMIT else text[:_LOG_BODY_LIMIT] + f"… ({len(text)} chars)"
