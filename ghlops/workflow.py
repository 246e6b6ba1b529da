"""The steps every command shares: load and select manifests, build the client, read live state, plan.

Each step is a plain function so commands stay thin and tests can run any prefix of the pipeline.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ghlops import redact
from ghlops.apply import WRITES_PER_LOCATION
from ghlops.errors import ConfigError
from ghlops.gc_policy import few_collections
from ghlops.ghl import GHLClient, RateLimiter, base_url_from_env
from ghlops.ghl.auth import Credentials, Source, Target
from ghlops.identity import whoami
from ghlops.ids import id_problem
from ghlops.live import READS_PER_LOCATION, LiveReader, declared_parents
from ghlops.manifest.checks import COMPANY_ENV, needs_company
from ghlops.manifest.loader import Loaded, Manifests, load_manifests
from ghlops.plan.model import Guard, Plan
from ghlops.plan.planner import build_plan, resolver_for
from ghlops.progress import ProgressFactory
from ghlops.state import CompanyLive, LocationDesired, LocationLive

DEFAULT_PARALLELISM = 8
RUN_DEADLINE_ENV = "GHLOPS_RUN_DEADLINE"

logger = logging.getLogger("ghlops.http")


@dataclass
class Settings:
    env: Mapping[str, str]
    parallelism: int = DEFAULT_PARALLELISM
    transport: httpx.BaseTransport | None = None  # tests inject one; None means real network
    rate_limit: bool = True
    # The client's limiter: GHL's documented burst window, 100 requests per 10 s per location (and per company
    # for agency calls). Only tests against a sandbox with a smaller window change these.
    rate_limit_max: int = 100
    rate_limit_window_s: float = 10.0
    # Progress reporters on stderr (the CLI sets it; None shows nothing): see ghlops.progress.
    progress: ProgressFactory | None = None
    guard: Guard = field(default_factory=Guard)
    # Seconds the whole run may take (every call and retry ends once it passed; issue 13, section 3); None reads
    # GHLOPS_RUN_DEADLINE from env, unset there means none.
    run_deadline: float | None = None


@dataclass
class Snapshot:
    """Everything a plan was made from: the selected manifests and the live state read for them."""

    selected: list[Loaded]
    live: dict[str, LocationLive]
    companies: dict[str, CompanyLive] = field(default_factory=dict)

    @property
    def desired(self) -> list[LocationDesired]:
        return [item.desired for item in self.selected]


def parallelism_from(value: int | None, env: Mapping[str, str]) -> int:
    if value is not None:
        if value < 1:
            raise ConfigError("--parallelism must be at least 1")
        return value
    raw = env.get("GHLOPS_PARALLELISM")
    if raw is None or raw == "":
        return DEFAULT_PARALLELISM
    try:
        parsed = int(raw)
    except ValueError:
        raise ConfigError(f"GHLOPS_PARALLELISM must be a whole number, got {raw!r}") from None
    if parsed < 1:
        raise ConfigError("GHLOPS_PARALLELISM must be at least 1")
    return parsed


def load(
    paths: Sequence[str | Path], env: Mapping[str, str], *, offline: bool = False, keep_trees: bool = True
) -> Manifests:
    """Load and validate the manifests; ``keep_trees=False`` drops their YAML trees afterwards (plan and apply
    need only the models: see :meth:`Manifests.shed_trees`)."""
    if not offline and not env.get(COMPANY_ENV, "").strip():
        # The agency's company id as the credentials tell it (the store of `ghlops auth login`, or an agency OAuth
        # token's claim), so an agency on OAuth needs no GHL_COMPANY_ID for its users.
        from ghlops.ghl.auth import known_company_id

        company = known_company_id(env)
        if company:
            env = {**env, COMPANY_ENV: company}
    manifests = load_manifests(paths, env, offline=offline)
    company_env = env.get(COMPANY_ENV) or None
    problem = id_problem(company_env) if company_env is not None and not offline else None
    if problem is not None:  # it goes into the users search of every run (issue 13, section 4)
        raise ConfigError(f"{COMPANY_ENV}: {problem}")
    for item in manifests.loaded:
        item.desired.company_id = item.model.spec.companyId or company_env
        # The credential variables the manifests name (tokenEnv, passwordEnv): their values are secrets too.
        users = getattr(item.model.spec, "users", None) or []
        redact.remember_env(env, [item.desired.token_env or "", *(u.passwordEnv or "" for u in users)])
    if not keep_trees:
        manifests.shed_trees()
    return manifests


def select(manifests: Manifests, patterns: Sequence[str]) -> list[Loaded]:
    """Locations whose name matches any pattern (globs allowed); all of them without patterns."""
    if not patterns:
        return list(manifests.loaded)
    chosen = [item for item in manifests.loaded if any(fnmatch.fnmatchcase(item.desired.name, p) for p in patterns)]
    unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(i.desired.name, p) for i in manifests.loaded)]
    if unmatched:
        known = ", ".join(sorted(i.desired.name for i in manifests.loaded)) or "none"
        raise ConfigError(f"--location {unmatched[0]!r} matches no location in the manifests (known: {known})")
    return chosen


def make_client(settings: Settings, selected: Sequence[Loaded]) -> GHLClient:
    """The run's client. Every selected location must have a token source (ConfigError, one line per location
    without one, before any call); which source serves each is logged at debug level (never the token)."""
    return client_for(settings, [Target(i.desired.location_id, i.desired.name, i.desired.token_env) for i in selected])


def client_for(settings: Settings, targets: Sequence[Target]) -> GHLClient:
    """make_client for locations no manifest names yet (export reads them by id)."""
    credentials = Credentials.from_env(settings.env, targets=targets)
    redact.remember(*credentials.all_secrets())  # every token the run holds, masked in all output from here on
    for target in targets:
        source = credentials.source_of(target.location_id)
        logger.debug("location %s: token from %s", target.label, source.value if source else "nowhere")
    limiter = RateLimiter(settings.rate_limit_max, settings.rate_limit_window_s) if settings.rate_limit else None
    return GHLClient(
        base_url_from_env(settings.env),
        credentials,
        transport=settings.transport,
        limiter=limiter,
        concurrency=calls_in_flight(settings.parallelism),
        run_deadline=run_deadline_from(settings),
    )


def calls_in_flight(parallelism: int) -> int:
    """The most calls a run keeps in flight at ``parallelism``: reads, impact counts and writes each run up to
    parallelism x 4 (live.READS_PER_LOCATION, apply.WRITES_PER_LOCATION), one at --parallelism 1. The client
    keeps that many connections open, so none is opened twice (issue 15)."""
    if parallelism <= 1:
        return 1
    return parallelism * max(READS_PER_LOCATION, WRITES_PER_LOCATION)


def run_deadline_from(settings: Settings) -> float | None:
    if settings.run_deadline is not None:
        if not settings.run_deadline > 0:
            raise ConfigError("the run deadline must be a positive number of seconds")
        return settings.run_deadline
    raw = settings.env.get(RUN_DEADLINE_ENV, "")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{RUN_DEADLINE_ENV} must be a number of seconds, got {raw!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise ConfigError(f"{RUN_DEADLINE_ENV} must be a positive number of seconds, got {raw!r}")
    return value


def locations_at_once(client: GHLClient, selected: Sequence[Loaded], parallelism: int) -> int:
    """How many locations the reader reads at once: enough to keep its ``parallelism x 4`` workers busy, or only
    ``parallelism`` when a location's token is minted on its first call (the mints then keep the pace they had
    before issue 15; see LiveReader)."""
    return reading_width(client, [item.desired.location_id for item in selected], parallelism)


def reading_width(client: GHLClient, location_ids: Sequence[str], parallelism: int) -> int:
    """locations_at_once for locations given by id (export reads locations no manifest names)."""
    # The client keeps its credentials private; a public accessor is asked of ghlops/ghl/client.py's owner.
    credentials = getattr(client, "_credentials", None)
    if not isinstance(credentials, Credentials):
        return parallelism
    if any(credentials.source_of(location_id) is Source.MINTED for location_id in location_ids):
        return parallelism
    return parallelism * READS_PER_LOCATION


def read(
    client: GHLClient,
    selected: Sequence[Loaded],
    settings: Settings,
    *,
    on_location_done: Callable[[str], None] | None = None,
) -> Snapshot:
    if settings.progress is not None and on_location_done is None:
        with settings.progress("plan", len(selected), lambda: client.stats.requests) as reporter:
            return read(client, selected, settings, on_location_done=reporter.location_done)
    with few_collections():
        reading = _Reading(client, selected, settings, on_location_done)
        live = reading.reader.read_locations(reading.locations, reading.resolvers, reading.declared)
    return Snapshot(selected=list(selected), live=live, companies=reading.companies)


def read_each(
    client: GHLClient,
    selected: Sequence[Loaded],
    settings: Settings,
    consumer: Callable[[Mapping[str, CompanyLive]], Callable[[int, LocationLive], None]],
) -> None:
    """read, keeping no live state: the companies read are given to ``consumer`` first, and the function it
    returns gets each location's live state (its index in ``selected``, its state) as soon as that location is
    read, on this thread, while the others are read (see LiveReader.stream_locations). The same calls, in the
    same order, and the same errors as read."""
    with contextlib.ExitStack() as scope:
        scope.enter_context(few_collections())
        done: Callable[[str], None] | None = None
        if settings.progress is not None:
            done = scope.enter_context(
                settings.progress("plan", len(selected), lambda: client.stats.requests)
            ).location_done
        reading = _Reading(client, selected, settings, done)
        on_read = consumer(reading.companies)
        reading.reader.stream_locations(reading.locations, reading.resolvers, on_read, reading.declared)


class _Reading:
    """What reading the selected locations needs: the reader, the companies' users (read here, first), and per
    location its resolver and the parents its manifest declares."""

    def __init__(
        self,
        client: GHLClient,
        selected: Sequence[Loaded],
        settings: Settings,
        on_location_done: Callable[[str], None] | None,
    ) -> None:
        width = locations_at_once(client, selected, settings.parallelism)
        self.reader = LiveReader(
            client,
            parallelism=settings.parallelism,
            on_location_done=on_location_done,
            locations_at_once=width,
            starting_at_once=width,
        )
        companies: dict[str, CompanyLive] = {}
        for item in selected:
            company_id = item.desired.company_id or ""
            if company_id in companies and companies[company_id].read:
                continue
            if needs_company(item):
                if not company_id:
                    raise ConfigError(
                        f"location {item.desired.name}: users need a company id (spec.companyId or {COMPANY_ENV})"
                    )
                companies[company_id] = self.reader.read_company(company_id)
            else:
                companies.setdefault(company_id, CompanyLive(company_id=company_id, read=False))
        self.companies = companies
        # One resolver per company (reading only looks user ids up), not one scan of the users per location.
        by_company = {company_id: resolver_for(company) for company_id, company in companies.items()}
        self.resolvers = {item.desired.location_id: by_company[item.desired.company_id or ""] for item in selected}
        # Child kinds that only matter under managed parents (a managed calendar's notifications) are read there
        # only.
        self.declared = {i.desired.location_id: declared_parents(i.desired) for i in selected}
        self.locations = [(i.desired.name, i.desired.location_id) for i in selected]


def plan(snapshot: Snapshot, settings: Settings | None = None) -> Plan:
    if settings is None:
        return build_plan(snapshot.desired, snapshot.live, snapshot.companies)
    return build_plan(snapshot.desired, snapshot.live, snapshot.companies, settings.guard, whoami(settings.env))
