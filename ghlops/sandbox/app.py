"""The request pipeline, independent of sockets: faults, gateway checks, routing, rate limit, handler, record.

The order mirrors GHL: the gateway authenticates and checks the Version header before anything else, the
body parser rejects malformed JSON, then the route's guards (credential kind, rate limit, location access)
run before the handler validates the body and does the work.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from ghlops.sandbox.auth import Gatekeeper
from ghlops.sandbox.faults import Decision, Faults
from ghlops.sandbox.ratelimit import Quota, RateLimiter, unmetered
from ghlops.sandbox.recorder import RecordedRequest, RequestLog
from ghlops.sandbox.replies import HttpError, bad_request, error, internal_error, route_not_found
from ghlops.sandbox.routing import Access, Call, Identity, Router
from ghlops.sandbox.store import Store
from ghlops.secret import MASK

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    """A request off the wire; header names are lower-case."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Outcome:
    """What to send back. ``drop`` means close the connection without answering at all."""

    status: int
    body: Any
    headers: dict[str, str]
    drop: bool = False


@dataclass
class _Progress:
    """What the pipeline learned before it stopped: errors still carry rate-limit headers and a location."""

    quota: Quota
    location_id: str | None = None


class App:
    def __init__(
        self,
        *,
        store: Store,
        router: Router,
        gatekeeper: Gatekeeper,
        faults: Faults,
        limiter: RateLimiter,
        log: RequestLog,
        company_id: str,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``monotonic`` times the rate-limit windows and ``sleep`` waits out the simulated latency: injected, so
        tests move time or hold requests without waiting on the wall clock."""
        self._store = store
        self._router = router
        self._gatekeeper = gatekeeper
        self._faults = faults
        self._limiter = limiter
        self._log = log
        self._company_id = company_id
        self._monotonic = monotonic
        self._sleep = sleep

    def reset_rate_limits(self) -> None:
        self._limiter = RateLimiter()

    def _is_lease(self, method: str, path: str, body: Any) -> bool:
        # Recorded for tests only (RecordedRequest.lease); GHL itself knows nothing of ghlops's lease.
        from ghlops.kinds.custom_values import is_lease

        parts = path.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "locations" or parts[2] != "customValues" or method == "GET":
            return False
        if len(parts) == 3:
            return isinstance(body, Mapping) and is_lease(body.get("name"))
        stored = self._store.get("customValue", parts[3])
        return stored is not None and is_lease(stored.data.get("name"))

    def handle(self, incoming: Incoming) -> Outcome:
        url = urlsplit(incoming.target)
        path = url.path or "/"
        query = parse_qs(url.query, keep_blank_values=True)
        method = incoming.method.upper()
        body, body_error = _decode_body(incoming)
        form = _decode_form(incoming)
        config = self._faults.config
        progress = _Progress(unmetered(config.rate_limit_max, config.rate_limit_window_s))
        lease = self._is_lease(method, path, body)

        def record(status: int | None, fault: str | None = None) -> None:
            self._log.append(
                RecordedRequest(
                    method=method,
                    path=path,
                    query={k: list(v) for k, v in query.items()},
                    headers=_masked(incoming.headers),
                    json=body,
                    status=status,
                    location_id=progress.location_id,
                    fault=fault,
                    lease=lease,
                )
            )

        if config.latency_ms > 0:
            self._sleep(config.latency_ms / 1000)
        decision = self._faults.decide(method, path)
        if decision is not None and decision.kind == "reset":
            record(None, "reset")
            return Outcome(0, None, {}, drop=True)
        if decision is not None and decision.kind == "status":
            outcome = _fault_reply(decision, progress.quota)
            record(outcome.status, "status")
            return outcome

        try:
            status, reply_body = self._process(method, path, query, incoming.headers, body, body_error, progress, form)
            headers = progress.quota.headers()
        except HttpError as exc:
            status, reply_body = exc.status, exc.body
            headers = {**progress.quota.headers(), **exc.headers}
        except Exception:
            logger.exception("sandbox handler failed on %s %s", method, path)
            failure = internal_error()
            status, reply_body, headers = failure.status, failure.body, progress.quota.headers()

        if decision is not None and decision.kind == "ambiguous":
            record(None, "ambiguous")
            return Outcome(status, reply_body, headers, drop=True)
        record(status)
        return Outcome(status, reply_body, headers)

    def _process(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: Mapping[str, str],
        body: Any,
        body_error: str | None,
        progress: _Progress,
        form: Mapping[str, str],
    ) -> tuple[int, Any]:
        found = self._router.resolve(method, path)
        if found is not None and found[0].access is Access.PUBLIC:
            # The token endpoint and the consent page take no bearer token (and no Version header).
            identity = Identity(Access.PUBLIC)
        else:
            identity = self._gatekeeper.identify(headers)
            self._gatekeeper.check_version(headers)
        if body_error is not None:
            raise bad_request(body_error)
        if found is None:
            raise route_not_found(method, path)
        route, params = found
        self._gatekeeper.check_route_access(identity, route)

        # Express hands handlers {} when there is no (JSON) body.
        payload = {} if body is None else body
        location_id = route.locate(self._store, params, query, payload) if route.locate else None
        progress.location_id = location_id
        # A route either credential may call is metered as the caller's (users search by an agency token: company).
        self._meter(identity.access if route.access is Access.ANY else route.access, location_id, progress)
        if location_id is not None:
            self._gatekeeper.check_location(identity, location_id, self._company_id)

        call = Call(
            store=self._store,
            method=method,
            path=path,
            params=params,
            query=query,
            body=payload,
            identity=identity,
            company_id=self._company_id,
            location_id=location_id,
            form=form,
            gatekeeper=self._gatekeeper,
        )
        reply = route.handler(call)
        return reply.status, reply.body

    def _meter(self, access: Access, location_id: str | None, progress: _Progress) -> None:
        """Count the call against its resource's quota (GHL meters users calls per company), or answer 429."""
        if location_id is not None:
            key = f"location:{location_id}"
        elif access is Access.AGENCY:
            key = f"company:{self._company_id}"
        else:
            return
        config = self._faults.config
        progress.quota = self._limiter.hit(
            key,
            now=self._monotonic(),
            limit=config.rate_limit_max,
            window_s=config.rate_limit_window_s,
            enforce=config.rate_limit,
        )
        if not progress.quota.allowed:
            raise error(429, "Too many requests", "bare")


def _fault_reply(decision: Decision, quota: Quota) -> Outcome:
    status = decision.status
    if status == 429:
        body: dict[str, Any] = {"statusCode": 429, "message": "Too many requests"}
    else:
        failure = error(status, _STATUS_MESSAGES.get(status, "Internal server error"), "bare")
        body = failure.body
    headers = quota.headers()
    if decision.retry_after is not None:
        headers["Retry-After"] = f"{decision.retry_after:g}"
    return Outcome(status, body, headers)


_STATUS_MESSAGES = {
    500: "Internal server error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _masked(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: (MASK if name == "authorization" else value) for name, value in headers.items()}


def _decode_form(incoming: Incoming) -> dict[str, str]:
    """A form-encoded body (the OAuth endpoints take no JSON), first value per name; {} for anything else."""
    if "application/x-www-form-urlencoded" not in incoming.headers.get("content-type", "").lower():
        return {}
    try:
        text = incoming.body.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    form: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        form.setdefault(name, value)
    return form


def _decode_body(incoming: Incoming) -> tuple[Any, str | None]:
    """The JSON body (None when absent or not JSON-typed) and the parse error message GHL would answer."""
    if not incoming.body.strip():
        return None, None
    content_type = incoming.headers.get("content-type", "")
    if "json" not in content_type.lower():
        # Express's JSON parser skips other content types; the handler then sees an empty body.
        return None, None
    try:
        text = incoming.body.decode("utf-8")
    except UnicodeDecodeError:
        return None, "Unexpected token in JSON: body is not valid UTF-8"
    try:
        return json.loads(text, parse_constant=_reject_constant), None
    except json.JSONDecodeError as exc:
        # Python points an unterminated string at its opening quote; Node only notices at the end.
        position = len(text) if exc.msg.startswith("Unterminated string") else exc.pos
        return None, _node_json_message(text, position)
    except _NonJsonConstant as exc:
        return None, _node_json_message(text, text.find(exc.constant))


class _NonJsonConstant(ValueError):
    def __init__(self, constant: str) -> None:
        super().__init__(constant)
        self.constant = constant


def _reject_constant(constant: str) -> Any:
    # Python accepts NaN and Infinity; JavaScript's JSON.parse (and so GHL) does not.
    raise _NonJsonConstant(constant)


def _node_json_message(text: str, position: int) -> str:
    """Node's JSON.parse wording, which is what a NestJS service echoes for a malformed body."""
    if position < 0 or position >= len(text):
        return "Unexpected end of JSON input"
    return f"Unexpected token {text[position]} in JSON at position {position}"
