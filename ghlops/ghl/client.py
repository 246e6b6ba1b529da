"""The HTTP client every GHL call goes through, in httpx's own layers.

* **Auth**: the token of each call is chosen, minted or renewed by the :class:`~ghlops.ghl.oauth.TokenAuth`
  flow (an :class:`httpx.Auth`).
* **Transports** (:mod:`ghlops.ghl.transport`): the per-location rate limiter, the answer-size cap and the
  deadline-bounded, counted network connections wrap the real transport, which is injectable (tests run the
  whole stack over :class:`httpx.MockTransport`).
* **Retries**: one single-attempt send (:meth:`GHLClient._attempt`) retried by tenacity; the verdict of each
  attempt (retry, fail, ambiguous write) is the table of :mod:`ghlops.ghl.retry`.
* **Logging and statistics**: httpx event hooks.
* **Errors**: transport failures are mapped by exception type (:mod:`ghlops.ghl.transport_errors`); every
  failure leaves as one exception of :mod:`ghlops.errors` carrying the call's context (location, kind, object,
  method, endpoint, status).

Safety rules kept here:

* TLS verification is always on; plain http is refused except to a loopback host (the local sandbox).
* Tokens are revealed only to build the ``Authorization`` header. Every log line and error message also goes
  through :func:`ghlops.secret.redact` in case a server echoes a token back.
* A non-idempotent write (POST, PATCH) is never resent after the request may have reached GHL: a 5xx answer
  or a connection failure after sending raises :class:`~ghlops.errors.AmbiguousWriteError`, and the caller
  re-reads live state before deciding anything.
* Every value in a URL path is checked and percent-encoded (:mod:`ghlops.ghl.paths`): an id can't retarget a call.
* Waits, answers and calls are bounded: a server-given wait beyond ``RetryPolicy.max_retry_after`` (120 s) fails
  the call; each call has a deadline covering the whole answer, and a run may have one too; an answer larger than
  ``max_response_bytes`` after decompression, or nested deeper than :data:`MAX_JSON_DEPTH`, is one clear error.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import logging
import random
import re
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType, TracebackType
from typing import Any, NoReturn

import httpx
import tenacity

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
from ghlops.ghl.paths import UnsafePathError, build_path, display_url
from ghlops.ghl.ratelimit import AGENCY_KEY, RateLimiter
from ghlops.ghl.retry import (
    IDEMPOTENT_METHODS,
    Failure,
    RetryPolicy,
    Verdict,
    decide_status,
    decide_transport,
    is_idempotent,
    parse_retry_after,
)
from ghlops.ghl.transport import (
    LIMIT_KEY,
    BoundedTransport,
    Deadline,
    GatedTransport,
    deadline_scope,
    network_transport,
)
from ghlops.ghl.transport_errors import (
    AnswerTooLarge,
    DeadlineExceeded,
    UnsupportedEncoding,
    map_transport_error,
)
from ghlops.request import Auth, Request
from ghlops.secret import MASK, Secret, redact

logger = logging.getLogger("ghlops.http")

DEFAULT_USER_AGENT = f"ghlops/{__version__}"
DEFAULT_RETRY = RetryPolicy()

#: Limiter key for location-auth calls made without a location id.
DEFAULT_LOCATION_KEY = "default"
#: The answer-size cap after decompression (GHL's largest pages are well under 5 MB).
DEFAULT_MAX_RESPONSE_BYTES = 50 * 1024 * 1024
#: The whole-call deadline (connect, send, headers and the full body), four times the per-operation timeout.
DEFAULT_REQUEST_DEADLINE_S = 120.0
#: Connections kept open: at least the calls a run has in flight (parallelism x reads per location), so no
#: call ever waits for, or reconnects because of, a pool that is too small (issue #15).
DEFAULT_CONCURRENCY = 64
#: Deeper JSON than this in an answer is refused: GHL's answers are under 10 levels deep.
MAX_JSON_DEPTH = 100
# Only gzip and deflate are decoded (in bounded steps, see ghlops.ghl.transport): ask for nothing else.
ACCEPT_ENCODING = "gzip, deflate"

_LOG_BODY_LIMIT = 2000
_CALL = "ghlops.call"
# What an answer holds in place of its stream once read (see _attempt): empty, shared, never read again.
_RELEASED_STREAM = httpx.ByteStream(b"")


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

    ``requests`` counts API requests handed to the transport: retries included, and the one resend after GHL
    refuses an expired OAuth token; the OAuth grants and mints themselves are not counted. ``responses`` counts
    answers by status class (``"2xx"``, ``"4xx"`` ...); ``by_endpoint`` counts requests by ``(method, endpoint
    shape)`` where id-like path segments are shown as ``{id}`` (a best-effort heuristic, see
    :func:`endpoint_shape`). ``connections_opened`` counts the network connections the client opened, OAuth
    calls' included (0 over an in-process transport): with the pool sized to the concurrency it stays at or under
    the number of calls in flight.
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
    connections_opened: int = 0


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
        self.connections_opened = 0

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
            connections_opened=self.connections_opened,
        )


def validate_base_url(base_url: str) -> str:
    """The base URL without a trailing slash; ConfigError unless https (http only to a loopback host).

    Errors show only the URL's scheme, host and path: a query or userinfo may hold a secret.
    """
    text = base_url.strip()
    shown = display_url(text)
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError):
        raise ConfigError(f"GHL base URL {shown!r} is not a valid URL") from None
    if url.userinfo:
        raise ConfigError("GHL base URL must not contain credentials; tokens are read from GHL_TOKEN")
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(f"GHL base URL {shown!r} must be an https:// URL with a host")
    if url.query or url.fragment:
        raise ConfigError(f"GHL base URL {shown!r} must not have a query or fragment")
    if url.scheme == "http" and not is_loopback_host(url.host):
        raise ConfigError(
            f"GHL base URL {shown!r} must use https; plain http is only allowed to a loopback host "
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


def _env_proxy(base_url: str) -> httpx.Proxy | None:
    """The proxy the environment names for ``base_url`` (HTTPS_PROXY, NO_PROXY ...), as httpx would use it."""
    url = httpx.URL(base_url)
    if urllib.request.proxy_bypass(url.host):
        return None
    proxy = urllib.request.getproxies().get(url.scheme)
    return httpx.Proxy(proxy) if proxy else None


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing.

    GHL's API authenticates every call by its token. A cookie that GHL or its CDN sets on one location's answer
    has no business riding along on the calls of other locations sharing this client, and taking cookies out of
    every answer (httpx builds a urllib request and an email message for each) was ~5% of a read's CPU (#15).
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _Retry(Exception):
    """One attempt failed in a way the next attempt may fix (carries the error to raise when giving up)."""

    def __init__(self, error: ApiError, reason: str, retry_after: float | None) -> None:
        self.error = error
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(reason)


@dataclass
class _CallInfo:
    """What the event hooks and log lines of one call need (carried in the request's extensions)."""

    method: str
    endpoint: str
    full_url: str
    shape: tuple[str, str]
    headers: Mapping[str, str]
    logged_body: str | None
    redact_line: Callable[[str], str]
    started: float = 0.0


class GHLClient:
    """Sends :class:`~ghlops.request.Request` values to GHL and returns decoded JSON.

    Implements both faces of :mod:`ghlops.ghl.faces`: ``get``/``search`` (reads) and ``send`` (anything).

    Thread-safe: one instance (one connection pool) is meant to be shared by a pool of worker threads.
    ``transport`` replaces the network (tests, the local sandbox); ``sleep`` is how the client waits between
    retries; ``rng`` drives backoff jitter; ``wall_clock`` (epoch seconds) is what an HTTP-date
    ``Retry-After`` is measured against; ``monotonic`` measures deadlines.

    Bounds: ``request_deadline`` (seconds, None for none) covers one request from the moment it leaves the
    rate limiter to the last byte of its answer; ``run_deadline`` (seconds from the client's creation, None for
    none) ends every call and retry once passed; ``max_response_bytes`` caps an answer after decompression.
    ``concurrency`` is the most calls the caller keeps in flight: the connection pool keeps that many open.
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
        monotonic: Callable[[], float] = time.monotonic,
        request_deadline: float | None = DEFAULT_REQUEST_DEADLINE_S,
        run_deadline: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        if timeout <= 0:
            raise ConfigError("timeout must be positive")
        for name, value in (("request deadline", request_deadline), ("run deadline", run_deadline)):
            if value is not None and not value > 0:
                raise ConfigError(f"the {name} must be a positive number of seconds")
        if max_response_bytes < 1 or concurrency < 1:
            raise ConfigError("max_response_bytes and concurrency must be positive")
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
        self._monotonic = monotonic
        self._request_deadline = request_deadline
        self._run_deadline = run_deadline
        self._run_at = monotonic() + run_deadline if run_deadline is not None else None
        self._stats_lock = threading.Lock()
        self._counters = _Counters()
        # Writes GHL may have processed (5xx or a dropped connection), by (limit key, method, path): the next
        # send of the same write waits the backoff of its next attempt, as a retry would.
        self._ambiguous: dict[tuple[str, str, str], int] = {}
        self.limits = httpx.Limits(
            max_connections=max(concurrency, 100), max_keepalive_connections=concurrency, keepalive_expiry=30.0
        )
        inner = transport or network_transport(self.limits, self._connected, _env_proxy(self._base_url))
        stack = GatedTransport(
            BoundedTransport(inner, max_response_bytes),
            limiter,
            on_wait=self._waited_for_limiter,
            wall_clock=wall_clock,
            max_wait=retry.max_retry_after,
        )
        # verify=True is httpx's default, spelled out because it is a promise: there is no way to turn it off
        # (the network transport above verifies too). trust_env is off: the proxy is read by _env_proxy.
        self._http = httpx.Client(
            transport=stack,
            timeout=httpx.Timeout(timeout),
            verify=True,
            follow_redirects=False,
            trust_env=False,
            headers={"Accept-Encoding": ACCEPT_ENCODING},
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
        )
        self._timeouts = self._http.timeout.as_dict()
        # httpx offers no switch to keep no cookies: its jar is replaced before any call (tests/ghl/
        # test_ghl_client_network.py proves a cookie set by an answer is neither kept nor sent).
        if isinstance(getattr(self._http, "_cookies", None), httpx.Cookies):
            self._http._cookies = _NoCookies()
        # One retrier for every call and thread (tenacity keeps its per-call state thread-local); the callbacks
        # find their call as the attempt's argument.
        self._retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(retry.max_attempts) | _StopAtRunDeadline(self),
            wait=self._backoff,
            retry=tenacity.retry_if_exception_type(_Retry),
            sleep=self._backoff_sleep,
            before_sleep=lambda state: _call_of(state).log_retry(state),
            retry_error_callback=lambda state: _call_of(state).give_up(state),
        )
        self.oauth: AgencyOAuth | None = None
        if credentials.oauth is not None:
            # Mints and refreshes count against the agency's window, the one its users calls use: one limiter.
            http = OAuthHttp(self._http, self._base_url, user_agent, credentials.all_secrets, limiter=self._limiter)
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

    def _connected(self) -> None:
        with self._stats_lock:
            self._counters.connections_opened += 1

    def _waited_for_limiter(self, seconds: float) -> None:
        with self._stats_lock:
            self._counters.rate_limit_wait_s += seconds

    def _on_request(self, request: httpx.Request) -> None:
        info = request.extensions.get(_CALL)
        if not isinstance(info, _CallInfo):
            return  # an OAuth grant or mint (ghlops.ghl.oauth): not an API call of the run
        with self._stats_lock:
            self._counters.requests += 1
            self._counters.by_endpoint[info.shape] += 1
        info.started = time.perf_counter()

    def _on_response(self, response: httpx.Response) -> None:
        info = response.request.extensions.get(_CALL)
        if not isinstance(info, _CallInfo):
            return
        status = response.status_code
        with self._stats_lock:
            self._counters.responses[f"{status // 100}xx"] += 1
            if status == 429:
                self._counters.status_429 += 1
        if logger.isEnabledFor(logging.DEBUG):
            response.read()
            _log_attempt(info, str(status), response.content)

    # -- the faces ---------------------------------------------------------------------------------------

    def get(self, req: Request, *, location_id: str | None = None, context: CallContext | None = None) -> Any:
        """A GET (the reading face); ValueError before sending for any other method."""
        if req.method.upper() != "GET":
            raise ValueError(f"get() sends only GET requests, not {req.method} {req.endpoint}")
        return self.send(req, location_id=location_id, context=context)

    def search(
        self, req: Request, *, location_id: str | None = None, context: CallContext | None = None
    ) -> Any:
        """A POST that only reads (see ``READ_ONLY_POSTS`` in :mod:`ghlops.ghl.retry`); ValueError for others."""
        if req.method.upper() != "POST" or not is_idempotent("POST", req.endpoint):
            raise ValueError(f"search() sends only read-only searches, not {req.method} {req.endpoint}")
        return self.send(req, location_id=location_id, context=context)

    # -- sending -----------------------------------------------------------------------------------------

    def send(self, req: Request, *, location_id: str | None = None, context: CallContext | None = None) -> Any:
        """Send ``req`` (retrying as :mod:`ghlops.ghl.retry` describes) and return its decoded JSON body.

        ``location_id`` picks the token and the rate-limit bucket for location calls. Returns ``{}`` for an
        empty 2xx body; otherwise whatever the JSON holds (callers validate its shape).

        Raises ConfigError (no token for the call), ApiError (GHL refused; final status after retries, or a
        path value that is not an id), ApiResponseError (2xx that is not JSON, too large or too deep),
        TransportError (no answer after retries, or a deadline passed) or AmbiguousWriteError (a POST/PATCH
        that may have been processed). ValueError for an unresolved :class:`~ghlops.request.Ref` or other
        placeholder left in the request (a bug in the caller).

        :class:`~ghlops.secret.Secret` values inside ``req.body`` (e.g. a user's password) are sent revealed,
        logged as ``***`` and redacted from every error and log line of the call.
        """
        call = _Call(self, req, location_id, context or CallContext())
        if not call.idempotent:
            self._wait_after_ambiguous(call)
        try:
            answer = self._retrying(self._attempt, call)
        except AmbiguousWriteError:
            if not call.idempotent:
                with self._stats_lock:
                    self._ambiguous[call.write_key] = self._ambiguous.get(call.write_key, 0) + 1
            raise
        if not call.idempotent and self._ambiguous:
            with self._stats_lock:
                self._ambiguous.pop(call.write_key, None)
        return answer

    def _wait_after_ambiguous(self, call: _Call) -> None:
        with self._stats_lock:
            earlier = self._ambiguous.get(call.write_key, 0)
        if earlier:
            delay = self._delay(earlier, None)
            logger.info(
                "%s",
                call.redact_line(
                    f"{call.where()}{call.method} {call.req.endpoint}: sent again after an ambiguous attempt, "
                    f"waiting {delay:.2f}s first"
                ),
            )
            self._backoff_sleep(delay)

    # -- retry policy pieces (tenacity) -------------------------------------------------------------------

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        with self._rng_lock:
            return self._retry.backoff_delay(attempt, retry_after, self._rng)

    def _backoff(self, state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        failure = outcome.exception() if outcome is not None else None
        retry_after = failure.retry_after if isinstance(failure, _Retry) else None
        return self._delay(state.attempt_number, retry_after)

    def _backoff_sleep(self, seconds: float) -> None:
        with self._stats_lock:
            self._counters.backoff_wait_s += seconds
        self._sleep(seconds)

    def _run_over(self, upcoming_sleep: float) -> bool:
        """Whether an attempt starting after ``upcoming_sleep`` seconds would start after the run's deadline."""
        return self._run_at is not None and self._monotonic() + upcoming_sleep >= self._run_at

    # -- one attempt -------------------------------------------------------------------------------------

    def _attempt(self, call: _Call) -> Any:
        """One try of ``call``: its decoded answer, or an exception (``_Retry`` when another try may help)."""
        call.attempts += 1
        if call.attempts > 1:
            with self._stats_lock:
                self._counters.retries += 1
        if self._run_at is not None and self._monotonic() >= self._run_at:
            call.fail(TransportError, f"the run's deadline of {self._run_deadline:g}s passed", None)
        deadline = Deadline(self._request_deadline, self._run_at, self._run_deadline, self._monotonic)
        # The request httpx's build_request makes (the client's headers under the call's, its timeouts), built
        # directly: merging the URL, cookies and query again on every attempt was a tenth of a read's GIL time
        # (issue #15). tests/ghl/test_ghl_client.py checks both give the same request.
        request = httpx.Request(
            call.method,
            call.target,
            headers=call.merged_headers,
            content=call.content,
            extensions={LIMIT_KEY: call.limit_key, _CALL: call.info, "timeout": self._timeouts},
        )
        try:
            with deadline_scope(deadline):
                response = self._http.send(request, auth=call.auth_flow)
                try:
                    response.read()
                finally:
                    response.close()
                    # httpx's Client.send binds the response's stream to the response (BoundSyncStream holds
                    # it), a reference cycle: every answer, its headers and the transport's streams beneath
                    # then waited for the cyclic garbage collector, whose passes were a fifth of a read's CPU
                    # at 1,000 locations (issue #15). The body is read and the stream closed: drop it.
                    response.stream = _RELEASED_STREAM
        except AnswerTooLarge as exc:
            call.fail(ApiResponseError, str(exc), exc.status)
        except (UnsupportedEncoding, httpx.DecodingError) as exc:
            call.fail(ApiResponseError, f"cannot read the answer: {exc}", None)
        except httpx.TransportError as exc:
            self._transport_failure(call, exc)
        return self._outcome(call, response)

    def _transport_failure(self, call: _Call, exc: httpx.TransportError) -> NoReturn:
        with self._stats_lock:
            self._counters.transport_errors += 1
        mapped = map_transport_error(exc, self._timeout)
        _log_attempt(call.info, mapped.cause, None)
        verdict = decide_transport(mapped.failure, idempotent=call.idempotent)
        if verdict is Verdict.AMBIGUOUS:
            call.ambiguous(f"{mapped.cause} after the request was sent", None)
        if verdict is Verdict.FAIL or (isinstance(exc, DeadlineExceeded) and exc.run):
            # Once the run's deadline has passed, no attempt may start: retrying could only fail the same way.
            call.fail(TransportError, mapped.cause, None)
        call.maybe_processed = call.maybe_processed or mapped.failure is Failure.SENT
        raise _Retry(call.error(TransportError, mapped.cause, None), mapped.cause, None)

    def _outcome(self, call: _Call, response: httpx.Response) -> Any:
        status = response.status_code
        verdict = decide_status(
            status, method=call.method, idempotent=call.idempotent, maybe_processed=call.maybe_processed
        )
        if verdict is Verdict.DONE:
            return call.decode(response)
        if verdict is Verdict.AMBIGUOUS:
            call.ambiguous(call.server_message(response), status)
        if verdict is Verdict.DELETED:
            logger.info(
                "%s",
                call.redact_line(
                    f"{call.where()}DELETE {call.req.endpoint} -> 404 after an interrupted earlier "
                    "attempt: treated as deleted"
                ),
            )
            return {}
        if verdict is Verdict.RETRY:
            if status == 429 and response.headers.get("X-RateLimit-Daily-Remaining", "").strip() == "0":
                daily = response.headers.get("X-RateLimit-Limit-Daily", "").strip()
                limit = f" of {daily} requests" if daily.isdigit() else ""
                call.fail(ApiError, f"daily API limit{limit} used up; try again tomorrow", status)
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._wall_clock)
            asked = retry_after if retry_after is not None or status != 429 else _window_s(response.headers)
            if self._retry.too_long(asked):
                assert asked is not None
                call.fail(
                    ApiError,
                    f"GHL asked to wait {asked:g}s before trying again, more than the "
                    f"{self._retry.max_retry_after:g}s ghlops waits",
                    status,
                )
            if status != 429:
                call.maybe_processed = True
            message = call.server_message(response)
            raise _Retry(call.error(ApiError, message, status), f"HTTP {status}", retry_after)
        message = call.server_message(response)
        if status == 403 and call.req.auth is Auth.LOCATION and call.location_id and "this location" in message:
            # GHL's answer to a sub-account token used on another location: say which token and what to set.
            call.fail(ApiError, f"{message}; {call.unreachable()}", status)
        if (
            status == 401
            and call.req.auth is Auth.LOCATION
            and self._credentials.source_of(call.location_id) is Source.MINTED
        ):
            # TokenAuth has already minted a fresh token once and GHL refused that one too: say what to check.
            call.fail(
                ApiError,
                f"{message}; GHL refused the location token minted from the agency OAuth token even after "
                "minting a new one: is the app installed on this location with the scopes ghlops needs? "
                "(see `ghlops auth status`)",
                status,
            )
        call.fail(ApiError, message, status)


class _StopAtRunDeadline(tenacity.stop.stop_base):
    """tenacity stop condition: no retry would start after the run's deadline."""

    def __init__(self, client: GHLClient) -> None:
        self._client = client

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self._client._run_over(retry_state.upcoming_sleep)


def _call_of(state: tenacity.RetryCallState) -> _Call:
    call = state.args[0]
    assert isinstance(call, _Call)
    return call


def _window_s(headers: httpx.Headers) -> float | None:
    """The rate-limit window a 429 names (``X-RateLimit-Interval-Milliseconds``), in seconds."""
    raw = headers.get("X-RateLimit-Interval-Milliseconds", "").strip()
    try:
        value = float(raw) / 1000.0
    except ValueError:
        return None
    return value if value == value and value > 0 else None


class _Call:
    """One :meth:`GHLClient.send`: the request as sent, the attempt state, and its errors and log lines."""

    def __init__(self, client: GHLClient, req: Request, location_id: str | None, ctx: CallContext) -> None:
        self.client = client
        self.req = req
        # Without a display name, errors still say which location: by id.
        self.ctx = ctx if ctx.location or not location_id else replace(ctx, location=location_id)
        self.method = req.method.upper()
        self.location_id = location_id
        self.attempts = 0
        # True once an earlier attempt may have been processed by GHL (5xx, or a failure after sending).
        self.maybe_processed = False
        req.url_path()  # ValueError for an unresolved reference in the path
        if req.refs():
            raise ValueError(f"unresolved reference in the body of {self.method} {req.endpoint}")
        # Secret values inside the body (a password the executor filled in) go on the wire revealed, are
        # logged as the mask and are redacted from anything the server echoes back.
        self.body_secrets = tuple(_secrets_in(req.body))
        # Not a bound method of the call in its info: the call holds its info, and info holding the call back
        # would make every call a reference cycle, left to the cyclic garbage collector (issue #15).
        self.redact_line = _LineRedactor(client._credentials, self.body_secrets)
        try:
            path = build_path(p for p in req.path if isinstance(p, str)) if req.path else "/"
        except UnsafePathError as exc:
            self.fail(ApiError, f"{exc}; not sent", None)
        # Only checked here (nothing fetched): the token itself is chosen, minted or renewed by the auth flow.
        client._credentials.check(req.auth, location_id)
        self.auth_flow = TokenAuth(client._credentials, req.auth, location_id)
        self.url = client._base_url + path
        # Parsed once per call, not per attempt: httpx's URL parsing and query encoding are pure Python and were
        # a tenth of a read's CPU when build_request redid them from the string (issue #15).
        self.target = httpx.URL(self.url, params=req.params) if req.params else httpx.URL(self.url)
        full_url = str(self.target) if req.params else self.url
        self.headers = {
            "Version": req.version,
            "Accept": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
            "User-Agent": client._user_agent,
        }
        self.content: bytes | None = None
        logged_body: str | None = None
        if req.body is not None:
            self.content = self._encode(req.body, reveal=True).encode("utf-8")
            logged_body = self._encode(req.body, reveal=False)
            self.headers["Content-Type"] = "application/json"
        self.merged_headers = httpx.Headers(client._http.headers)
        self.merged_headers.update(self.headers)
        if req.auth is Auth.AGENCY:
            self.limit_key = AGENCY_KEY
        else:
            self.limit_key = location_id or DEFAULT_LOCATION_KEY
        self.idempotent = is_idempotent(self.method, path)
        self.write_key = (self.limit_key, self.method, path)
        self.info = _CallInfo(
            method=self.method,
            endpoint=req.endpoint,
            full_url=full_url,
            shape=(self.method, endpoint_shape(path)),
            headers=self.headers,
            logged_body=logged_body,
            redact_line=self.redact_line,
        )

    def _encode(self, body: Any, *, reveal: bool) -> str:
        def default(value: object) -> object:
            if isinstance(value, Secret):
                return value.reveal() if reveal else MASK
            raise ValueError(
                f"cannot send {type(value).__name__} in the body of {self.method} {self.req.endpoint}: "
                "unresolved placeholder"
            )

        return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=default)

    def unreachable(self) -> str:
        """What to do when a location's token does not reach it (GHL answers 403 for another location's token)."""
        source = self.client._credentials.source_of(self.location_id)
        name = self.ctx.location or self.location_id
        fix = f"give it its own token ({WHAT_TO_SET})"
        if source is Source.MINTED:
            return f"the token minted for location {name} does not reach it: is the app installed there? ({fix})"
        token_env = self.client._credentials.token_envs.get(self.location_id or "")
        described = (token_env or "spec.tokenEnv") if source is Source.TOKEN_ENV else str(source or "the token")
        return f"the token from {described} does not reach location {name}: {fix}"

    # -- outcomes ----------------------------------------------------------------------------------------

    def decode(self, response: httpx.Response) -> Any:
        body = response.content
        if not body.strip():
            return {}
        content_type = response.headers.get("Content-Type")
        media = (content_type or "").split(";", 1)[0].strip().lower()
        declared_json = is_json_content_type(content_type)
        try:
            data = json.loads(body)
        except RecursionError:
            self.fail(ApiResponseError, _TOO_DEEP, response.status_code)
        except ValueError as exc:
            if declared_json or not media:
                self.fail(ApiResponseError, f"invalid JSON: {exc}", response.status_code)
            self.fail(ApiResponseError, _expected_json(media, body), response.status_code)
        if not declared_json and media and not isinstance(data, dict | list):
            self.fail(ApiResponseError, _expected_json(media, body), response.status_code)
        # Counting brackets is cheap; only an answer with that many is measured.
        if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
            self.fail(ApiResponseError, _TOO_DEEP, response.status_code)
        return data

    def server_message(self, response: httpx.Response) -> str:
        return message_from_response(response.status_code, response.headers.get("Content-Type"), response.content)

    def error(self, cls: type[ApiError], message: str, status: int | None) -> ApiError:
        return cls(
            self.redact_line(one_line(message)),
            status=status,
            method=self.method,
            endpoint=self.redact_line(self.req.endpoint),
            location=self.ctx.location,
            kind=self.ctx.kind,
            obj=self.ctx.obj,
        )

    def fail(self, cls: type[ApiError], message: str, status: int | None) -> NoReturn:
        raise self.error(cls, message, status) from None

    def ambiguous(self, cause: str, status: int | None) -> NoReturn:
        with self.client._stats_lock:
            self.client._counters.ambiguous_writes += 1
        raise self.error(
            AmbiguousWriteError,
            f"{cause}; the {self.method} may or may not have been applied, so it was not resent",
            status,
        ) from None

    def give_up(self, state: tenacity.RetryCallState) -> NoReturn:
        """tenacity's last word: the last attempt's error, saying how many attempts were made."""
        outcome = state.outcome
        failure = outcome.exception() if outcome is not None else None
        assert isinstance(failure, _Retry)
        error = failure.error
        message = _gave_up(error.message, self.attempts)
        if self.attempts < self.client._retry.max_attempts and self.client._run_over(state.upcoming_sleep):
            message = f"{error.message} (the run's deadline of {self.client._run_deadline:g}s left no time to retry)"
        raise type(error)(
            message,
            status=error.status,
            method=error.method,
            endpoint=error.endpoint,
            location=error.location,
            kind=error.kind,
            obj=error.obj,
        ) from None

    # -- logging -----------------------------------------------------------------------------------------

    def log_retry(self, state: tenacity.RetryCallState) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        outcome = state.outcome
        failure = outcome.exception() if outcome is not None else None
        reason = failure.reason if isinstance(failure, _Retry) else "failed"
        logger.info(
            "%s",
            self.redact_line(
                f"{self.where()}{self.method} {self.req.endpoint}: {reason}, retrying in {state.upcoming_sleep:.2f}s "
                f"(attempt {state.attempt_number + 1} of {self.client._retry.max_attempts})"
            ),
        )

    def where(self) -> str:
        return f"location {self.ctx.location}: " if self.ctx.location else ""

class _LineRedactor:
    """One call's log lines and messages with every secret masked: the credentials' (read each time: tokens
    minted or refreshed during the call are secrets too) and those in the call's body."""

    __slots__ = ("_body_secrets", "_credentials")

    def __init__(self, credentials: Credentials, body_secrets: tuple[Secret, ...]) -> None:
        self._credentials = credentials
        self._body_secrets = body_secrets

    def __call__(self, text: str) -> str:
        return redact(text, self._credentials.all_secrets() + self._body_secrets)


_TOO_DEEP = f"the JSON answer is nested more than {MAX_JSON_DEPTH} levels deep"


_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_STEP = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))


def json_depth(body: bytes) -> int:
    """How deep the valid JSON text ``body`` nests, in C-speed steps (no recursion, no tree walk).

    Escapes go first (an escaped backslash, then an escaped quote), so every remaining quote opens or closes a
    string. Only brackets and quotes are kept; a string holding no bracket is then an adjacent pair of quotes
    (and if every quote goes that way, each pair was one string's), else string contents are dropped between
    quote pairs. What remains is the structure's brackets alone.
    """
    if b"\\" in body:
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    kept = body.translate(None, _STRUCTURE).replace(b'""', b"")
    if b'"' in kept:
        kept = b"".join(kept.split(b'"')[::2])
    return max(itertools.accumulate(map(_STEP.__getitem__, kept)), default=0)


def _log_attempt(info: _CallInfo, outcome: str, response_body: bytes | None) -> None:
    if not logger.isEnabledFor(logging.DEBUG):
        return
    elapsed_ms = (time.perf_counter() - info.started) * 1000 if info.started else 0.0
    shown_headers = {"Authorization": f"Bearer {MASK}", **info.headers}
    lines = [
        f"{info.method} {info.full_url} -> {outcome} ({elapsed_ms:.0f} ms)",
        f"  request headers: {json.dumps(shown_headers, sort_keys=True)}",
    ]
    if info.logged_body is not None:
        lines.append(f"  request body: {_clip(info.logged_body)}")
    if response_body:
        lines.append(f"  response body: {_clip(response_body.decode('utf-8', errors='replace'))}")
    logger.debug("%s", info.redact_line("\n".join(lines)))


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


__all__ = [
    "IDEMPOTENT_METHODS",
    "CallContext",
    "ClientStats",
    "GHLClient",
    "endpoint_shape",
    "is_loopback_host",
    "validate_base_url",
]
