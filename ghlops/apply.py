"""The executor: the only code that writes to GHL.

It runs a plan's requests in order. Company users come first (so locations can reference them; each user is
its own change, so they run side by side), then the locations side by side (each strictly in plan order,
stopping at its first failure), then the user membership removals and deletions of locations that succeeded.
A create whose outcome is unknown is never resent blindly: the executor re-reads live state and matches by
natural key first.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import secrets
import string
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from ghlops.errors import AmbiguousWriteError, ApiError, ConfigError, GhlopsError
from ghlops.ghl.client import CallContext
from ghlops.kinds.base import Kind, LiveObject, Resolver, Scope
from ghlops.kinds.registry import BY_NAME
from ghlops.live import LiveReader, Sender
from ghlops.plan.model import Action, Change, Plan, Section, Stage
from ghlops.request import Ref, Request, SecretInput, fill_secrets
from ghlops.secret import Secret

logger = logging.getLogger(__name__)

MAX_AMBIGUOUS_RETRIES = 3


class Result(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outcome:
    section: str
    change: Change
    result: Result
    error: str | None = None
    # The id of the object the change created (create, replace, or a create adopted), when it created one.
    created_id: str | None = None


@dataclass(frozen=True)
class Created:
    """One object an apply created: where, what, and its new id."""

    section: str
    kind: str
    display: str
    object_id: str


@dataclass
class ApplyReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.result is Result.FAILED]

    @property
    def ok(self) -> bool:
        return not self.failed

    def count(self, result: Result) -> int:
        return sum(1 for o in self.outcomes if o.result is result)

    @property
    def created(self) -> list[Created]:
        """The objects this apply created, in the order they were made."""
        return [
            Created(o.section, o.change.kind, o.change.display, o.created_id)
            for o in self.outcomes
            if o.created_id is not None
        ]


class RunLog:
    """JSON lines, one per change attempted, so an interrupted run can be audited afterwards."""

    def __init__(self, stream: IO[str] | None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    @staticmethod
    def open(path: str | Path | None) -> RunLog:
        return RunLog(open(path, "a", encoding="utf-8") if path else None)

    def write(
        self, section: str, change: Change, result: Result, error: str | None = None, created_id: str | None = None
    ) -> None:
        if self._stream is None:
            return
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "location": section,
            "action": change.action.value,
            "kind": change.kind,
            "object": change.display,
            "objectId": change.object_id,
            "result": result.value,
            "error": error,
            # The id of the object this change created, null when it created none (issue 14, section 3).
            "createdId": created_id,
        }
        with self._lock:
            self._stream.write(json.dumps(line) + "\n")
            self._stream.flush()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()


def generate_password() -> str:
    """A strong random password meeting GHL's rules (upper, lower, digit, symbol); never printed or stored."""
    alphabet = string.ascii_letters + string.digits + "!@#$%^&*-_"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(24))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(not c.isalnum() for c in candidate)
        ):
            return candidate


class Executor:
    def __init__(
        self,
        client: Sender,
        reader: LiveReader,
        *,
        parallelism: int = 8,
        env: Mapping[str, str] | None = None,
        log: RunLog | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        on_location_done: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        queued_delete_waits: Sequence[float] = (0.0, 0.2, 1.0, 2.0, 4.0, 8.0, 15.0),
    ) -> None:
        self._sleep = sleep
        # Pauses before each re-read of the users while GHL's queued deletion of one is pending (~30 s in all).
        self._queued_delete_waits = tuple(queued_delete_waits)
        self._client = client
        self._reader = reader
        self._parallelism = max(1, parallelism)
        self._env = os.environ if env is None else env
        self._log = log or RunLog(None)
        self._on_outcome = on_outcome
        # Called with a location's name once all its changes ran (or it stopped at a failure); progress.
        self._on_location_done = on_location_done
        self._context = CallContext
        # Ids of created objects by (location id, ref); company-level objects (users) under None. Locations often
        # hold objects of the same name (a product every clinic sells): a ref resolves in its own location first.
        self._refs: dict[tuple[str | None, Ref], str] = {}
        self._refs_lock = threading.Lock()
        self._report_lock = threading.Lock()

    def apply(self, plan: Plan) -> ApplyReport:
        report = ApplyReport()
        companies = plan.companies
        for company in companies:
            firsts = [c for c in company.changes if c.stage is Stage.USERS_FIRST]
            self._run_independent(company, firsts, report)
        locations = [s for s in plan.locations if s.changes]
        if self._parallelism == 1 or len(locations) <= 1:
            failed = [s.name for s in locations if self._run_location(s, report)]
        else:
            with ThreadPoolExecutor(max_workers=self._parallelism) as pool:
                results = list(pool.map(lambda s: (s.name, self._run_location(s, report)), locations))
            failed = [name for name, bad in results if bad]
        for company in companies:
            lasts = [
                (c, touched)
                for c, touched in zip(company.changes, company.touches or [()] * len(company.changes), strict=False)
                if c.stage is Stage.USERS_LAST
            ]
            for change, touched in lasts:
                if set(touched) & set(failed):
                    self._record(report, company, change, Result.SKIPPED, "a location it belongs to failed")
                else:
                    self._run_sequence(company, [change], report, stop_on_failure=False)
        return report

    # -- one section ---------------------------------------------------------------------------------
    def _run_independent(self, section: Section, changes: list[Change], report: ApplyReport) -> set[str]:
        """Changes with no order between them (one per user), side by side; returns the failed keys."""
        if self._parallelism == 1 or len(changes) <= 1:
            return self._run_sequence(section, changes, report, stop_on_failure=False)
        with ThreadPoolExecutor(max_workers=min(self._parallelism, len(changes))) as pool:
            results = list(pool.map(lambda c: self._run_sequence(section, [c], report, stop_on_failure=False), changes))
        return set().union(*results)

    def _run_location(self, section: Section, report: ApplyReport) -> set[str]:
        failed = self._run_sequence(section, list(section.changes), report)
        if self._on_location_done is not None:
            self._on_location_done(section.name)
        return failed

    def _run_sequence(
        self, section: Section, changes: list[Change], report: ApplyReport, *, stop_on_failure: bool = True
    ) -> set[str]:
        """Run changes in order; returns the keys of the changes that failed."""
        failed: set[str] = set()
        for index, change in enumerate(changes):
            try:
                created_id = self._run_change(section, change)
            except GhlopsError as exc:
                failed.add(change.key)
                self._record(report, section, change, Result.FAILED, str(exc))
                if stop_on_failure:
                    for rest in changes[index + 1 :]:
                        self._record(report, section, rest, Result.SKIPPED, f"after the failure of {change.display}")
                    break
                continue
            self._record(report, section, change, Result.APPLIED, created_id=created_id)
        return failed

    def _record(
        self,
        report: ApplyReport,
        section: Section,
        change: Change,
        result: Result,
        error: str | None = None,
        *,
        created_id: str | None = None,
    ) -> None:
        outcome = Outcome(section.name, change, result, error, created_id)
        with self._report_lock:
            report.outcomes.append(outcome)
        self._log.write(section.name, change, result, error, created_id)
        if self._on_outcome:
            self._on_outcome(outcome)

    def _run_change(self, section: Section, change: Change) -> str | None:
        """Send a change's requests in order; returns the id of the object it created, if any."""
        location_id = None if section.is_company else section.scope_id
        location = None if section.is_company else section.name
        context = self._context(location, change.kind, change.display)
        kind = BY_NAME.get(change.kind)
        created: str | None = None
        for request in change.requests:
            try:
                resolved = request.resolve(lambda ref: self._lookup(ref, location_id))
            except KeyError as exc:
                raise ApiError(
                    f"depends on {exc.args[0]}, which was not created",
                    method=request.method,
                    endpoint=request.endpoint,
                    location=location,
                    kind=change.kind,
                    obj=change.display,
                ) from None
            creating = _creates(change, request)
            if creating is not None:
                body = self._create(section, change, kind, resolved, location_id, context)
            else:
                body = self._send(resolved, location_id, context)
                if change.action is Action.DELETE and kind is not None and kind.deletion_queued(body):
                    self._await_removal(section, change, kind)
            if creating is not None:
                object_id = _extract_id(body, request.id_field)
                self._bind(creating, object_id, location_id)
                created = object_id or created
        return created

    def _await_removal(self, section: Section, change: Change, kind: Kind[Any]) -> None:
        """GHL queues a user's deletion ("Queued deleting ... Will take effect in a few minutes", users.json) and
        keeps listing the user meanwhile: wait a little (bounded) so a plan made right after this apply does not
        plan the delete again. One still listed after the wait is only a warning: deleting again is harmless."""
        for delay in self._queued_delete_waits:
            self._sleep(delay)
            if all(o.id != change.object_id for o in self._read_again(section, change, kind)):
                return
        logger.warning(
            "warning: %s: GHL queued the deletion of %s; it takes effect within a few minutes, and until then "
            "a plan still lists it",
            change.kind,
            change.display,
        )

    def _send(self, request: Request, location_id: str | None, context: Any) -> Any:
        sendable = dataclasses.replace(request, body=fill_secrets(request.body, self._secret))
        return self._client.send(sendable, location_id=location_id, context=context)

    def _create(
        self,
        section: Section,
        change: Change,
        kind: Kind[Any] | None,
        request: Request,
        location_id: str | None,
        context: Any,
    ) -> Any:
        try:
            return self._create_once(section, change, kind, request, location_id, context)
        except ApiError as exc:
            if kind is None or not kind.already_exists(exc.status, exc.message):
                raise
            # Another run (a parallel shard declaring the same object) created it since the plan was made: make
            # it what the create would have made it (the kind says how).
            found = self._find_created(section, change, kind, location_id, request)
            if found is None:
                raise
            self._send(kind.adopt_request(request, found), location_id, context)
            return _with_id(found, request.id_field)

    def _create_once(
        self,
        section: Section,
        change: Change,
        kind: Kind[Any] | None,
        request: Request,
        location_id: str | None,
        context: Any,
    ) -> Any:
        for _attempt in range(MAX_AMBIGUOUS_RETRIES):
            try:
                return self._send(request, location_id, context)
            except AmbiguousWriteError:
                # The server may have created it: look before sending again, so there is never a duplicate.
                found = self._find_created(section, change, kind, location_id, request) if kind is not None else None
                if found is not None:
                    return _with_id(found, request.id_field)
        return self._send(request, location_id, context)

    def _find_created(
        self, section: Section, change: Change, kind: Kind[Any], location_id: str | None, create: Request
    ) -> LiveObject[Any] | None:
        """The object an ambiguous or refused create may have made, found by its kind in a fresh read."""
        return kind.find_again(change.key, self._read_again(section, change, kind, location_id, create))

    def _read_again(
        self,
        section: Section,
        change: Change,
        kind: Kind[Any],
        location_id: str | None = None,
        create: Request | None = None,
    ) -> list[LiveObject[Any]]:
        """A fresh read of where ``change``'s object lives: its company, its location, or its parent."""
        if kind.scope is Scope.COMPANY:
            return self._reader.read_company(section.scope_id).of(kind.name)
        if kind.parent is not None:
            parent_id = change.parent
            if isinstance(parent_id, Ref):
                parent_id = self._lookup(parent_id, location_id)
            if parent_id is None and create is not None:
                parent_id = kind.parent_of_create(create)
            if parent_id is None:
                return []
            parent = LiveObject(parent_id, _parent_stub(BY_NAME[kind.parent]), {"_id": parent_id, "id": parent_id})
            return self._reader.read_children_of(section.name, section.scope_id, kind, parent, Resolver())[0]
        return self._reader.read_kind(section.name, section.scope_id, kind, Resolver())

    def _lookup(self, ref: Ref, location_id: str | None) -> str:
        with self._refs_lock:
            found = self._refs.get((location_id, ref)) or self._refs.get((None, ref))
        if found is None:
            raise KeyError(ref)
        return found

    def _bind(self, ref: Ref, object_id: str | None, location_id: str | None) -> None:
        if object_id:
            with self._refs_lock:
                self._refs[(location_id, ref)] = object_id

    def _secret(self, secret: SecretInput) -> Secret:
        # Wrapped so the client reveals it only on the wire and masks it in logs and errors.
        if secret.env is None:
            return Secret(generate_password())
        value = self._env.get(secret.env)
        if not value:
            raise ConfigError(f"environment variable {secret.env} (passwordEnv) is not set")
        return Secret(value)


def _creates(change: Change, request: Request) -> Ref | None:
    """The ref a request fills with the id it returns: its own ``binds``, else the change's ``creates`` for the
    request that answers with the new object's id (``id_field``); None for requests that create nothing."""
    if request.binds is not None:
        return request.binds
    if request.id_field and change.creates is not None:
        return change.creates
    if request.id_field and change.action in (Action.CREATE, Action.REPLACE):
        return Ref(change.kind, change.key)  # plans saved before changes carried `creates`
    return None


def _parent_stub(kind: Kind[Any]) -> Any:
    """A parent entry known only by id: children read again under it are matched within it (find_again)."""
    return kind.model.model_construct(**{kind.key_field: ""})


def _extract_id(body: Any, path: tuple[str, ...]) -> str | None:
    value = body
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value if isinstance(value, str) else None


def _with_id(found: LiveObject[Any], path: tuple[str, ...]) -> Any:
    """A response-shaped body carrying the id of an object found by re-reading."""
    body: Any = found.id
    for part in reversed(path):
        body = {part: body}
    return body
