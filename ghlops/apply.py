"""The executor: the only code that writes to GHL.

Company users come first (so locations can reference them; each user is its own change, so they run side by
side), then the locations side by side (``parallelism x WRITES_PER_LOCATION`` at once, with that many writes
in flight at most in all), then the user membership removals and
deletions of locations that succeeded. Within a location, up to ``WRITES_PER_LOCATION`` changes run at once,
each only after the changes it needs (``dependencies``: the creates of the refs its requests use, its parent's
change, changes of kinds it references, renames of its kind); the first failure stops the location: nothing
starts after it, the changes already in flight finish, the rest are skipped. Outcomes are reported (and printed)
in plan order, whatever finished first. ``interrupt()`` (Ctrl-C) starts no more writes anywhere.
A create whose outcome is unknown is never resent blindly: the executor re-reads live state and matches by
natural key first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import secrets
import string
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from ghlops.errors import AmbiguousWriteError, ApiError, ApiResponseError, ConfigError, GhlopsError
from ghlops.gc_policy import few_collections
from ghlops.ghl.client import CallContext
from ghlops.ghl.faces import WritingClient
from ghlops.ids import id_problem
from ghlops.kinds.base import Kind, LiveObject, Resolver, Scope
from ghlops.kinds.registry import BY_NAME
from ghlops.live import LiveReader
from ghlops.plan.model import Action, Change, Plan, Section, Stage
from ghlops.redact import remember, scrub
from ghlops.request import Ref, Request, SecretInput, fill_secrets
from ghlops.secret import Secret

logger = logging.getLogger(__name__)

MAX_AMBIGUOUS_RETRIES = 3

#: Writes of one location in flight at once (issue 15): GHL allows 100 requests / 10 s per location and the client's
#: limiter keeps to it, so a few side by side cost nothing there and divide a location's wall time.
WRITES_PER_LOCATION = 4

#: Why a change was not attempted after an interrupt (Ctrl-C).
NOT_STARTED = "never started: the apply was interrupted"


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
    # True when an interrupt stopped the run: the skipped changes include ones never started (NOT_STARTED).
    interrupted: bool = False

    @property
    def never_started(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.result is Result.SKIPPED and o.error == NOT_STARTED]

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
        # Reentrant: Ctrl-C's handler (commands.apply.Interrupts) writes a line and closes the log from the main
        # thread, which may itself be inside _line (logging a skipped change) when the signal lands; a plain lock
        # would hang the second Ctrl-C forever.
        self._lock = threading.RLock()
        # Why logging stopped mid-run (a full disk), None while it works.
        self.failure: str | None = None

    @staticmethod
    def open(path: str | Path | None) -> RunLog:
        """The run log at ``path`` (none without a path). An unwritable path is a ConfigError, raised before any
        write (issue 13, section 6)."""
        if not path:
            return RunLog(None)
        try:
            return RunLog(open(path, "a", encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"--log-file {path}: cannot be written ({exc.strerror or exc})") from None

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
        self._line(line)

    def _line(self, line: Mapping[str, Any]) -> None:
        text = scrub(json.dumps(line)) + "\n"
        with self._lock:
            stream = self._stream
            if stream is None:
                return
            try:
                stream.write(text)
                stream.flush()
            except ValueError:
                # Closed under us by the abort path (a signal handler running inside this very call, in the
                # same thread): the process is exiting; nothing more to log.
                return
            except OSError as exc:
                # A full disk (or a log file gone) must not stop the apply or hide its summary: report it once
                # and stop logging (issue 13, section 6).
                self.failure = f"the run log could not be written ({exc.strerror or exc}); it stops here"
                logger.warning("warning: %s", self.failure)
                self._close_quietly()

    def note(self, fields: Mapping[str, Any]) -> None:
        """A line that is not a change: the summary an interrupted run ends with."""
        self._line({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **fields})

    def _close_quietly(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()

    def close(self) -> None:
        with self._lock:
            self._close_quietly()


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
        client: WritingClient,
        reader: LiveReader,
        *,
        parallelism: int = 8,
        writes_per_location: int | None = None,
        env: Mapping[str, str] | None = None,
        log: RunLog | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        on_location_done: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        queued_delete_waits: Sequence[float] = (0.0, 0.2, 1.0, 2.0, 4.0, 8.0, 15.0),
        lock_lost: Callable[[str], str | None] | None = None,
    ) -> None:
        self._sleep = sleep
        # Why a location's lock was lost mid-apply (lease.Leases.lost), None while it is held: no write starts
        # in a location whose lock another run may hold now.
        self._lock_lost = lock_lost or (lambda location_id: None)
        # Pauses before each re-read of the users while GHL's queued deletion of one is pending (~30 s in all).
        self._queued_delete_waits = tuple(queued_delete_waits)
        self._client = client
        self._reader = reader
        self._parallelism = max(1, parallelism)
        # Writes of one location in flight at once; --parallelism 1 stays strictly sequential.
        if writes_per_location is None:
            writes_per_location = 1 if self._parallelism == 1 else WRITES_PER_LOCATION
        self._width = max(1, writes_per_location)
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
        # Set by interrupt(): no write starts after it; the ones in flight finish (each bounded by the client's
        # request deadline).
        self._stop = threading.Event()
        self._in_flight = 0

    # -- interrupts ------------------------------------------------------------------------------------
    def interrupt(self) -> None:
        """Start no more writes (thread-safe; a signal handler calls it): the writes in flight finish, the rest
        are reported as never started."""
        self._stop.set()

    @property
    def interrupted(self) -> bool:
        return self._stop.is_set()

    @property
    def in_flight(self) -> int:
        """Writes (changes) being sent right now."""
        with self._report_lock:
            return self._in_flight

    def apply(self, plan: Plan) -> ApplyReport:
        with few_collections():
            return self._apply(plan)

    def _apply(self, plan: Plan) -> ApplyReport:
        report = ApplyReport()
        # Outcomes reach the report (and on_outcome, which prints them) in plan order, whatever finished first.
        companies = plan.companies
        locations = [s for s in plan.locations if s.changes]
        groups = [
            *((c, [x for x in c.changes if x.stage is Stage.USERS_FIRST]) for c in companies),
            *((s, s.changes) for s in locations),
            *((c, [x for x in c.changes if x.stage is Stage.USERS_LAST]) for c in companies),
        ]
        order = _PlanOrder(groups, lambda section, outcome: self._publish(report, section, outcome))
        for company in companies:
            firsts = [c for c in company.changes if c.stage is Stage.USERS_FIRST]
            self._run_independent(company, firsts, order)
        calls: ThreadPoolExecutor | None = None
        if self._width > 1:
            calls = ThreadPoolExecutor(
                max_workers=min(self._parallelism, max(1, len(locations))) * self._width,
                thread_name_prefix="ghlops-write",
            )
        try:
            if self._parallelism == 1 or len(locations) <= 1:
                failed = [s.name for s in locations if self._run_location(s, order, calls)]
            else:
                # As many locations as there are write workers: a location's own chain (a price after its product)
                # leaves its slots idle, and other locations' changes fill them. Calls in flight stay at most
                # parallelism x width (the calls pool), each location's at most width. With only `parallelism`
                # locations at once, 26.3 of 32 calls were in flight on average over the writes at 200 x 60;
                # 29.1 with this (issue 15).
                at_once = min(len(locations), self._parallelism * self._width)
                with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="ghlops-apply") as pool:
                    results = list(pool.map(lambda s: (s.name, self._run_location(s, order, calls)), locations))
                failed = [name for name, bad in results if bad]
        finally:
            if calls is not None:
                calls.shutdown(wait=True)
        for company in companies:
            lasts = [
                (c, touched)
                for c, touched in zip(company.changes, company.touches or [()] * len(company.changes), strict=False)
                if c.stage is Stage.USERS_LAST
            ]
            for change, touched in lasts:
                if self._stop.is_set():
                    order.put(company, change, self._outcome(company, change, Result.SKIPPED, NOT_STARTED))
                elif set(touched) & set(failed):
                    why = "a location it belongs to failed"
                    order.put(company, change, self._outcome(company, change, Result.SKIPPED, why))
                else:
                    order.put(company, change, self._attempt(company, change))
        report.interrupted = self._stop.is_set()
        return report

    # -- one section ---------------------------------------------------------------------------------
    def _run_independent(self, section: Section, changes: list[Change], order: _PlanOrder) -> set[str]:
        """Changes with no order between them (one per user), side by side; returns the failed keys."""
        if self._parallelism == 1 or len(changes) <= 1:
            outcomes = [self._attempt_unless_stopped(section, c) for c in changes]
        else:
            with ThreadPoolExecutor(max_workers=min(self._parallelism, len(changes))) as pool:
                outcomes = list(pool.map(lambda c: self._attempt_unless_stopped(section, c), changes))
        for change, outcome in zip(changes, outcomes, strict=True):
            order.put(section, change, outcome)
        return {o.change.key for o in outcomes if o.result is Result.FAILED}

    def _attempt_unless_stopped(self, section: Section, change: Change) -> Outcome:
        if self._stop.is_set():
            return self._outcome(section, change, Result.SKIPPED, NOT_STARTED)
        return self._attempt(section, change)

    def _run_location(self, section: Section, order: _PlanOrder, calls: ThreadPoolExecutor | None) -> set[str]:
        """Run a location's changes, each as soon as the changes it needs (dependencies()) are applied, up to
        the executor's width at once. The first failure stops the location: nothing starts after it (the
        changes in flight finish), the rest are skipped. Returns the keys of the changes that failed."""
        changes = list(section.changes)
        needs = dependencies(changes)
        applied: set[int] = set()
        started = [False] * len(changes)
        running: dict[Future[Outcome], int] = {}
        stopped_by: Change | None = None
        failed: set[str] = set()
        lost: str | None = None
        cursor = 0  # every change before it has started
        while True:
            lost = lost or self._lock_lost(section.scope_id)
            if stopped_by is None and lost is None and not self._stop.is_set():
                index = cursor
                while index < len(changes) and len(running) < self._width:
                    if not started[index] and needs[index] <= applied:
                        started[index] = True
                        running[self._submit(calls, section, changes[index])] = index
                    index += 1
                while cursor < len(changes) and started[cursor]:
                    cursor += 1
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                index = running.pop(future)
                outcome = future.result()
                if outcome.result is Result.APPLIED:
                    applied.add(index)
                else:
                    failed.add(changes[index].key)
                    stopped_by = stopped_by or changes[index]
                order.put(section, changes[index], outcome)
        for index, change in enumerate(changes):
            if started[index]:
                continue
            if lost is not None and stopped_by is None and not self._stop.is_set():
                # The first change the lost lock kept from starting carries the failure (exit 1, in the summary).
                stopped_by = change
                failed.add(change.key)
                order.put(section, change, self._outcome(section, change, Result.FAILED, lost))
                continue
            why = NOT_STARTED if stopped_by is None else f"after the failure of {stopped_by.display}"
            order.put(section, change, self._outcome(section, change, Result.SKIPPED, why))
        if self._on_location_done is not None:
            self._on_location_done(section.name)
        return failed

    def _submit(self, calls: ThreadPoolExecutor | None, section: Section, change: Change) -> Future[Outcome]:
        if calls is not None:
            return calls.submit(self._attempt, section, change)
        done: Future[Outcome] = Future()
        done.set_result(self._attempt(section, change))
        return done

    def _attempt(self, section: Section, change: Change) -> Outcome:
        """Run one change; its outcome, logged the moment it is known (the run log is the audit of a run that
        may be interrupted; the report follows plan order)."""
        with self._report_lock:
            self._in_flight += 1
        try:
            try:
                created_id = self._run_change(section, change)
            except GhlopsError as exc:
                outcome = Outcome(section.name, change, Result.FAILED, str(exc))
            else:
                outcome = Outcome(section.name, change, Result.APPLIED, created_id=created_id)
        finally:
            with self._report_lock:
                self._in_flight -= 1
        self._log.write(section.name, change, outcome.result, outcome.error, outcome.created_id)
        return outcome

    def _outcome(self, section: Section, change: Change, result: Result, error: str | None) -> Outcome:
        """An outcome of a change never attempted (skipped), logged like the others."""
        self._log.write(section.name, change, result, error, None)
        return Outcome(section.name, change, result, error)

    def _publish(self, report: ApplyReport, section: Section, outcome: Outcome) -> None:
        report.outcomes.append(outcome)
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
                if isinstance(body, _Found):
                    object_id: str | None = body.object_id
                elif kind is not None:
                    object_id = kind.created_id(resolved, body)
                else:
                    object_id = _extract_id(body, request.id_field)
                problem = id_problem(object_id, which=True) if object_id is not None else None
                if problem is not None:
                    # Bound, the id would go into later calls and the "created" line (issue 13, section 4).
                    raise ApiResponseError(
                        f"GHL answered the create with the id {problem}; refusing to use it",
                        status=200,
                        method=request.method,
                        endpoint=request.endpoint,
                        location=location,
                        kind=change.kind,
                        obj=change.display,
                    )
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
            return _Found(found.id)

    def _create_once(
        self,
        section: Section,
        change: Change,
        kind: Kind[Any] | None,
        request: Request,
        location_id: str | None,
        context: Any,
    ) -> Any:
        for attempt in range(MAX_AMBIGUOUS_RETRIES + 1):
            try:
                return self._send(request, location_id, context)
            except AmbiguousWriteError:
                # The server may have created it: look before sending again, so there is never a duplicate. The
                # last attempt is looked for too (issue 13, section 6): only then is it reported failed.
                found = self._find_created(section, change, kind, location_id, request) if kind is not None else None
                if found is not None:
                    return _Found(found.id)
                if attempt == MAX_AMBIGUOUS_RETRIES:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

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
        # Wrapped so the client reveals it only on the wire and masks it in logs and errors; registered so no
        # output can show it either (ghlops.redact).
        if secret.env is None:
            generated = Secret(generate_password())
            remember(generated)
            return generated
        value = self._env.get(secret.env)
        if not value:
            raise ConfigError(f"environment variable {secret.env} (passwordEnv) is not set")
        remember(value)
        return Secret(value)


class _PlanOrder:
    """Hands outcomes on in the order the run's phases and the plan give (the company's first users, then each
    location's changes in plan order, then the users' last changes), whichever finished first: the report and
    the lines printed are the same on every run."""

    def __init__(self, groups: Sequence[tuple[Section, Sequence[Change]]], emit: Callable[[Section, Outcome], None]):
        self._groups = [(section, list(changes)) for section, changes in groups if changes]
        self._emit = emit
        self._where = {
            (id(section), id(change)): (g, j) for g, (section, changes) in enumerate(self._groups)
            for j, change in enumerate(changes)
        }  # fmt: skip
        self._slots: list[list[Outcome | None]] = [[None] * len(changes) for _, changes in self._groups]
        self._group = 0
        self._next = 0
        self._lock = threading.Lock()

    def put(self, section: Section, change: Change, outcome: Outcome) -> None:
        with self._lock:
            g, j = self._where[(id(section), id(change))]
            self._slots[g][j] = outcome
            while self._group < len(self._groups):
                slots = self._slots[self._group]
                if self._next >= len(slots):
                    self._group, self._next = self._group + 1, 0
                    continue
                ready = slots[self._next]
                if ready is None:
                    return
                slots[self._next] = None  # handed on: the report holds it now
                self._emit(self._groups[self._group][0], ready)
                self._next += 1


def dependencies(changes: Sequence[Change]) -> list[set[int]]:
    """For each change of one location, the indexes of the earlier changes it needs applied before it starts.

    A change needs: the change that creates a ref its requests use; its parent's change (a price after its
    product's create, a product's delete after its prices' deletes: matched by id or ref); every earlier change
    of a kind its kind references or is referenced by (calendars after groups, whatever the ids); and, within a
    kind, an earlier change of the same object or any rename (a name freed or taken). A kind the registry does
    not know orders against everything. Everything else (tags beside custom fields beside products) is
    independent. The plan's order already puts what is needed first, so this only keeps its pairs that matter.
    """
    needs: list[set[int]] = [set() for _ in changes]
    creator: dict[Ref, int] = {}
    by_kind: dict[str, list[int]] = {}
    renames: dict[str, list[int]] = {}
    by_object: dict[tuple[str, str], list[int]] = {}
    unknown: list[int] = []
    for j, change in enumerate(changes):
        kind = BY_NAME.get(change.kind)
        mine = needs[j]
        mine.update(unknown)
        if kind is None:
            mine.update(range(j))
            unknown.append(j)
        else:
            for request in change.requests:
                mine.update(creator[r] for r in request.refs() if r in creator)
            related = {r.target for r in kind.references}
            related.update(k.name for k in BY_NAME.values() if any(r.target == kind.name for r in k.references))
            for other in related:
                mine.update(by_kind.get(other, ()))
            for child in (k for k in BY_NAME.values() if k.parent == kind.name):
                mine.update(i for i in by_kind.get(child.name, ()) if _is_parent_of(change, changes[i]))
            if kind.parent is not None:
                mine.update(i for i in by_kind.get(kind.parent, ()) if _is_parent_of(changes[i], change))
            renaming = _renames(kind, change)
            mine.update(renames.get(change.kind, ()))
            if renaming:
                mine.update(by_kind.get(change.kind, ()))
            for ident in _identities(change):
                mine.update(by_object.get(ident, ()))
            by_kind.setdefault(change.kind, []).append(j)
            if renaming:
                renames.setdefault(change.kind, []).append(j)
            for ident in _identities(change):
                by_object.setdefault(ident, []).append(j)
        for request in change.requests:
            made = _creates(change, request)
            if made is not None:
                creator[made] = j
        mine.discard(j)
    return needs


def _identities(change: Change) -> list[tuple[str, str]]:
    found = [(change.kind, "key:" + change.key)]
    if change.object_id:
        found.append((change.kind, "id:" + change.object_id))
    return found


def _renames(kind: Kind[Any], change: Change) -> bool:
    """A change that gives an object another name (frees one name, takes another)."""
    return change.action is Action.UPDATE and any(f.field == kind.key_field for f in change.fields)


def _is_parent_of(parent: Change, child: Change) -> bool:
    """Whether ``child`` is one of ``parent``'s children (by id or by ref); a child whose parent is unknown is
    taken to be, so it is never run ahead of a parent it may need."""
    if child.parent is None:
        return True
    if isinstance(child.parent, Ref):
        return child.parent == parent.creates or any(_creates(parent, r) == child.parent for r in parent.requests)
    return child.parent == parent.object_id


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


@dataclass(frozen=True)
class _Found:
    """What a create gives when its object was found by re-reading instead of answered: the object's id."""

    object_id: str
