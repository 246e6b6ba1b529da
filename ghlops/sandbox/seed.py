"""Make manifests the sandbox's live state: create their locations, then apply them through ghlops itself.

Seeding through the real client and executor keeps seeded objects exactly as GHL would hold them
(server-filled defaults, ids, `_id`s) instead of hand-built rows.

Seeding at scale: ghlops's own reader and executor, their calls handed straight to the sandbox's pipeline.

Seeding 1,000 locations x 60 objects through ``ghlops apply`` over HTTP takes minutes, nearly all of it the
client's CPU per call (httpx, retries, the limiter) and the loopback round trips. :func:`seed_direct` makes
the same calls with the same reader, planner and executor (refs, secrets, user memberships: the executor's
logic, not a copy of it), but :class:`DirectClient` hands each one to :meth:`Sandbox.handle`: the gateway,
routing, validation, handlers and store an HTTP request goes through, without the socket or the client stack.
The objects it leaves are those an HTTP seeding leaves, created one at a time in plan order (so their ids are
the same from one seeding to the next, which HTTP seeding at ``--parallelism`` > 1 cannot promise).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ghlops.errors import ApiError, GhlopsError
from ghlops.ghl.client import CallContext, ClientStats
from ghlops.ghl.paths import build_path
from ghlops.request import Auth, Request
from ghlops.sandbox.app import Incoming
from ghlops.sandbox.contacts import seed_contacts
from ghlops.secret import Secret

if TYPE_CHECKING:
    from ghlops.sandbox import Sandbox
    from ghlops.state import LocationDesired


def sandbox_env(sb: Sandbox) -> dict[str, str]:
    """The environment a ghlops run needs to talk to this sandbox, under GHL's token scoping.

    Each existing location's own token goes in ``GHL_LOCATION_TOKENS``; ``GHL_AGENCY_TOKEN`` is an agency OAuth
    access token, which serves the company-level calls and mints a token for any location created later.
    """
    return {
        "GHL_BASE_URL": sb.url,
        "GHL_LOCATION_TOKENS": json.dumps(sb.location_tokens(), separators=(",", ":")),
        "GHL_AGENCY_TOKEN": sb.agency_access_token,
        "GHL_COMPANY_ID": sb.company_id,
    }


def create_locations(sb: Sandbox, paths: Sequence[str | Path]) -> list[str]:
    """Create the locations the manifests name (empty), so a plan against them can run."""
    from ghlops.workflow import load

    manifests = load(paths, sandbox_env(sb))
    for item in manifests.loaded:
        sb.store.create_location(item.desired.location_id, item.desired.name, sb.company_id)
    return [item.desired.name for item in manifests.loaded]


def seed(sb: Sandbox, paths: Sequence[str | Path]) -> list[str]:
    """Create the manifests' locations and apply the manifests; returns the seeded location names."""
    from ghlops.apply import Executor
    from ghlops.live import LiveReader
    from ghlops.workflow import Settings, load, make_client, plan, read

    settings = Settings(env=sandbox_env(sb), parallelism=4, rate_limit=False)
    names = create_locations(sb, paths)
    manifests = load(paths, settings.env)
    with make_client(settings, manifests.loaded) as client:
        result = plan(read(client, manifests.loaded, settings))
        if result.errors:
            raise GhlopsError("cannot seed the sandbox: " + "; ".join(result.errors))
        report = Executor(client, LiveReader(client, parallelism=4), parallelism=4, env=settings.env).apply(result)
    if not report.ok:
        first = report.failed[0]
        raise GhlopsError(f"cannot seed the sandbox: {first.section}: {first.error}")
    seed_contacts(sb.store, paths)  # the *.contacts.json fixtures beside the manifests
    return names


# -- seeding at scale: no HTTP -------------------------------------------------------------------------------------


class DirectClient:
    """A client for :class:`~ghlops.live.LiveReader` and :class:`~ghlops.apply.Executor` that sends nothing over
    the network: each request goes to the sandbox's pipeline with the token a ghlops run would use (the
    location's own, the agency's for company calls). Any refusal raises :class:`ApiError`; no retries."""

    def __init__(self, sb: Sandbox) -> None:
        self._sb = sb
        self._agency = sb.agency_access_token
        self._tokens: dict[str, str] = {}
        self.requests = 0

    @property
    def stats(self) -> ClientStats:
        return ClientStats(requests=self.requests)

    def get(self, req: Request, *, location_id: str | None = None, context: CallContext | None = None) -> Any:
        return self.send(req, location_id=location_id, context=context)

    def search(self, req: Request, *, location_id: str | None = None, context: CallContext | None = None) -> Any:
        return self.send(req, location_id=location_id, context=context)

    def send(self, req: Request, *, location_id: str | None = None, context: CallContext | None = None) -> Any:
        del context
        req.url_path()  # ValueError for an unresolved reference, as the client's
        path = build_path(p for p in req.path if isinstance(p, str)) if req.path else "/"
        target = path + ("?" + urlencode(list(req.params)) if req.params else "")
        headers = {"authorization": f"Bearer {self._token(req.auth, location_id)}", "version": req.version}
        body = b""
        if req.body is not None:
            body = json.dumps(req.body, separators=(",", ":"), ensure_ascii=False, default=_reveal).encode()
            headers["content-type"] = "application/json"
        self.requests += 1
        outcome = self._sb.handle(Incoming(req.method.upper(), target, headers, body))
        if outcome.drop or outcome.status >= 400:
            message = outcome.body.get("message") if isinstance(outcome.body, Mapping) else None
            raise ApiError(
                str(message or f"status {outcome.status}"),
                status=None if outcome.drop else outcome.status,
                method=req.method,
                endpoint=req.endpoint,
            )
        # A copy, as a body decoded off the wire would be: nothing the caller keeps aliases the sandbox's data.
        return {} if outcome.body is None else json.loads(json.dumps(outcome.body))

    def _token(self, auth: Auth, location_id: str | None) -> str:
        if auth is Auth.AGENCY or location_id is None:
            return self._agency
        token = self._tokens.get(location_id)
        if token is None:
            token = self._tokens[location_id] = self._sb.token_for(location_id)
        return token


def _reveal(value: object) -> object:
    if isinstance(value, Secret):
        return value.reveal()
    raise ValueError(f"cannot send {type(value).__name__}: unresolved placeholder")


def seed_direct(sb: Sandbox, desired: Sequence[LocationDesired]) -> int:
    """Make the sandbox's live state what ``desired`` declares (its prune lists included), as ``ghlops apply``
    of those manifests would: create the locations, read them, plan, apply in plan order, one call at a time.
    Returns the number of calls made. GhlopsError when the plan has errors or a write fails."""
    from ghlops.apply import Executor
    from ghlops.live import LiveReader, declared_parents
    from ghlops.plan.planner import build_plan, resolver_for
    from ghlops.state import CompanyLive

    for item in desired:
        sb.store.create_location(item.location_id, item.name, item.company_id or sb.company_id)
    client = DirectClient(sb)
    reader = LiveReader(client, parallelism=1)
    companies: dict[str, CompanyLive] = {}
    for item in desired:
        company_id = item.company_id or ""
        if company_id and company_id not in companies:
            companies[company_id] = reader.read_company(company_id)
    resolvers = {d.location_id: resolver_for(companies.get(d.company_id or "")) for d in desired}
    declared = {d.location_id: declared_parents(d) for d in desired}
    live = reader.read_locations([(d.name, d.location_id) for d in desired], resolvers, declared)
    result = build_plan(list(desired), live, companies)
    if result.errors:
        raise GhlopsError("cannot seed the sandbox: " + "; ".join(result.errors))
    executor = Executor(client, reader, parallelism=1, env={}, queued_delete_waits=(0.0,))
    # One transaction for the whole seeding (handlers' own nest in it): no commit per row.
    with sb.store.transaction():
        report = executor.apply(result)
    if not report.ok:
        first = report.failed[0]
        raise GhlopsError(f"cannot seed the sandbox: {first.section}: {first.error}")
    return client.requests
