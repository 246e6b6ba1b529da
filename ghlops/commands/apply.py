"""`ghlops apply`: plan, show, confirm, then execute through the executor (the only writer).

With ``--plan FILE`` the reviewed plan is the approval (as terraform applies a saved plan): no prompt unless
``confirm``. The file's requests are never sent: the plan is re-derived from the manifests and the live state
read now, and applied only if it is exactly the saved one (ghlops.plan.saved.verify).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from select import select as wait_readable
from typing import Any, TypeVar, cast

from ghlops import redact
from ghlops.apply import ApplyReport, Executor, Outcome, Result, RunLog
from ghlops.commands import exit_codes
from ghlops.commands.plan import check_errors, check_impact_options
from ghlops.errors import ConfigError, PlanRefused
from ghlops.ghl import GHLClient
from ghlops.impact import count_impact
from ghlops.lease import Leases, LeaseSettings, holder_from, run_id_from
from ghlops.live import LiveReader
from ghlops.manifest.loader import Loaded
from ghlops.output import Io, publish_apply_summary
from ghlops.plan.model import Action, Plan
from ghlops.plan.render_text import label, render_apply_summary, render_plan
from ghlops.plan.saved import differences, with_counts
from ghlops.progress import Progress
from ghlops.workflow import Settings, calls_in_flight, load, make_client, plan, read, select

logger = logging.getLogger("ghlops.lease")

T = TypeVar("T")


def apply_command(
    paths: Sequence[str | Path],
    *,
    locations: Sequence[str],
    auto_approve: bool,
    settings: Settings,
    io: Io,
    log_file: str | None = None,
    allow_mass_delete: bool = False,
    plan_file: str | Sequence[str] | None = None,
    shard: str | None = None,
    impact: bool = True,
    confirm: bool = False,
    lock_timeout: float = 0.0,
    allow_mass_update: bool = False,
) -> int:
    """``plan_file``: the --plan value(s); more than one (or one file twice) is refused. ``confirm``: ask before
    applying a saved plan too (a saved plan is otherwise its own approval). ``lock_timeout``: how long to wait for
    a location another apply holds (ghlops.lease), in seconds."""
    from ghlops import saved_plans
    from ghlops.selection import in_shard, optional_shard

    check_impact_options(settings, impact)
    if confirm and auto_approve:
        raise ConfigError("--confirm and --auto-approve contradict each other; give one")
    given = [] if plan_file is None else [plan_file] if isinstance(plan_file, str) else list(plan_file)
    saved = saved_plans.open_for_apply(given, paths, locations, shard) if given else None
    if saved is None and not paths:
        raise ConfigError("apply needs manifest PATHs, or --plan FILE (a plan saved with plan --out)")
    if saved is not None:
        # The plan names its manifests; they and the live state it was made from must be unchanged.
        paths = saved_plans.unchanged_manifests(saved)
    manifests = load(paths, settings.env, keep_trees=False)
    if saved is not None:
        selected = saved_plans.select_saved(saved, manifests)
    else:
        selected = in_shard(select(manifests, locations), optional_shard(shard))
    # The run log is opened (and an unwritable path refused) before the first write, the leases' included.
    log = RunLog.open(log_file)
    try:
        return _apply_logged(
            selected, saved, settings, io, log, lock_timeout=lock_timeout, impact=impact, confirm=confirm,
            auto_approve=auto_approve, allow_mass_delete=allow_mass_delete, allow_mass_update=allow_mass_update,
        )  # fmt: skip
    finally:
        log.close()


def _apply_logged(
    selected: Sequence[Loaded],
    saved: Any,
    settings: Settings,
    io: Io,
    log: RunLog,
    *,
    lock_timeout: float,
    impact: bool,
    confirm: bool,
    auto_approve: bool,
    allow_mass_delete: bool,
    allow_mass_update: bool,
) -> int:
    from ghlops import saved_plans

    with make_client(settings, selected) as client, lease_scope(client, settings, lock_timeout) as leases:
        snapshot = read(client, selected, settings)
        if saved is not None:
            # Never the file's requests: the plan made again now, if it is the reviewed one (with the reviewed
            # guard and contact counts).
            result = saved_plans.re_derive(saved, snapshot, settings)
        else:
            result = plan(snapshot, settings)
            if impact and not result.errors:  # a plan with errors is refused anyway
                result = count_impact(client, result, parallelism=settings.parallelism)
        io.out(render_plan(result, colour=io.colour, parallelism=settings.parallelism))
        check_errors(result)
        check_guard(result, allow_mass_delete, allow_mass_update)
        if not result.has_changes:
            return exit_codes.OK
        ask = confirm if saved is not None else not auto_approve
        if ask:
            if not io.interactive:
                raise ConfigError(
                    "refusing to apply without confirmation: stdin is not a terminal; "
                    + ("drop --confirm" if saved is not None else "pass --auto-approve")
                )
            answer = io.ask("Apply these changes? Only 'yes' is accepted")
            if answer.strip() != "yes":
                io.err("Apply cancelled; nothing was changed.")
                return exit_codes.ERROR
        # The plan was made before any lease was held: take the leases of the locations it writes to, read those
        # again, and apply only if the plan made now is the approved one (another apply may have run meanwhile).
        # A refused plan takes no lease and writes nothing.
        leases.acquire(changed_locations(result), workers=calls_in_flight(settings.parallelism))
        # Renewed every third of their life until released, so an apply longer than the TTL keeps its locations.
        leases.start_renewing(workers=calls_in_flight(settings.parallelism))
        result = replan_leased(client, selected, settings, result)
        io.out("")
        reporter = start_progress(settings, result, client)
        try:
            executor = Executor(
                client,
                LiveReader(client, parallelism=settings.parallelism),
                parallelism=settings.parallelism,
                env=settings.env,
                log=log,
                on_outcome=lambda o: above(reporter, lambda: io.out(progress_line(o))),
                on_location_done=reporter.location_done if reporter is not None else None,
                lock_lost=leases.lost,  # a location whose lock a renewal found lost starts no more writes
            )
            with Interrupts(executor, io, log) as interrupts:
                report = interrupts.run(lambda: executor.apply(result))
        except BaseException:
            if reporter is not None:
                reporter.stop(failed=True)
            raise
        if reporter is not None:
            reporter.stop(failed=not report.ok)
    failed = [(o.section, o.change, o.error or "") for o in report.failed]
    for line in created_lines(report):
        io.out(line)
    io.out(render_apply_summary(report.count(Result.APPLIED), failed, report.count(Result.SKIPPED)))
    publish_apply_summary(result, report, settings.env, io)
    if log.failure is not None:
        io.err(f"warning: {log.failure}")
    if report.interrupted:
        summary = interrupted_summary(report)
        io.err(summary)
        log.note({"summary": summary, "applied": report.count(Result.APPLIED), "failed": len(report.failed),
                  "neverStarted": len(report.never_started), "interrupted": True})  # fmt: skip
        return exit_codes.INTERRUPTED
    return exit_codes.OK if report.ok else exit_codes.ERROR


def interrupted_summary(report: ApplyReport) -> str:
    """The line an interrupted apply ends with (stderr and the run log)."""
    return (
        f"Apply interrupted: {report.count(Result.APPLIED)} applied, {len(report.failed)} failed, "
        f"{len(report.never_started)} never started; run apply again to finish."
    )


class Interrupts:
    """Ctrl-C during the writes (issue 13, section 6): the first SIGINT starts no more writes and lets the ones in
    flight finish (each bounded by the client's request deadline), the apply then ends with its summary and
    exit code 130; a second SIGINT aborts at once. Only in the main thread (signals go nowhere else).

    Python runs a signal's handler only in the main thread, and only once that thread executes bytecode again;
    the kernel hands a process's SIGINT to any of its threads that doesn't block it. So the work goes through
    ``run``: it runs in a thread of its own while the main thread only waits on a socket that CPython's C-level
    handler writes to whichever thread received the signal (signal.set_wakeup_fd). Blocked in a lock instead (a
    future's result, a pool's map), the main thread never woke while every write hung in a slow server: the
    handler waited as long as they did, and Ctrl-C, the first or the second, did nothing."""

    def __init__(self, executor: Executor, io: Io, log: RunLog, abort: Callable[[int], Any] = os._exit) -> None:
        self._executor = executor
        self._io = io
        self._log = log
        self._abort = abort
        self._previous: Any = None
        self._installed = False
        self._wakeup: tuple[socket.socket, socket.socket] | None = None
        self._previous_wakeup = -1

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            receive, wake = socket.socketpair()
            receive.setblocking(False)
            wake.setblocking(False)  # set_wakeup_fd needs it: a signal handler must never block
            self._wakeup = (receive, wake)
            self._previous_wakeup = signal.set_wakeup_fd(wake.fileno(), warn_on_full_buffer=False)
            self._previous = signal.signal(signal.SIGINT, self.handle)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            signal.set_wakeup_fd(self._previous_wakeup)
            self._installed = False
        if self._wakeup is not None:
            for end in self._wakeup:
                end.close()
            self._wakeup = None

    def run(self, work: Callable[[], T]) -> T:
        """``work()``, in a thread of its own while the main thread waits for it, woken by each signal so the
        handler runs at once; its result or its exception. Outside the main thread (no handler), just work()."""
        if self._wakeup is None:
            return work()
        receive, wake = self._wakeup
        outcome: list[tuple[bool, Any]] = []
        context = contextvars.copy_context()  # the work sees what it would have seen in the main thread

        def target() -> None:
            try:
                outcome.append((True, context.run(work)))
            except BaseException as exc:
                outcome.append((False, exc))
            finally:
                with contextlib.suppress(OSError):
                    wake.sendall(b"\0")  # wakes the main thread (a full buffer has a byte waiting already)

        worker = threading.Thread(target=target, name="ghlops-apply-run")
        worker.start()
        while not outcome:
            # Returns on the work's byte or a signal's (written by the C-level handler in any thread); back in
            # bytecode, the main thread runs the Python handler before the loop goes on.
            wait_readable([receive], [], [])
            with contextlib.suppress(BlockingIOError):
                while receive.recv(512):
                    pass
        worker.join()
        ((ok, value),) = outcome
        if not ok:
            raise value
        return cast(T, value)

    def handle(self, signum: int, frame: object) -> None:
        if not self._executor.interrupted:
            self._executor.interrupt()
            self._say(
                f"interrupted: starting no more writes; waiting for the {self._executor.in_flight} in flight "
                "(Ctrl-C again aborts at once)"
            )
            return
        line = "aborted: the writes in flight may or may not have been made; run plan to see what is left"
        self._say(line)
        self._log.note({"summary": line, "interrupted": True, "aborted": True})
        self._log.close()
        self._abort(exit_codes.INTERRUPTED)

    def _say(self, line: str) -> None:
        """The handler's line on stderr, never an exception in the interrupted code: the handler runs between any
        two bytecodes of the main thread, which may itself be inside a write to stderr, and Python then refuses
        a reentrant write (RuntimeError). Then the line goes to the file descriptor directly (already masked)."""
        try:
            self._io.err(line)
        except (RuntimeError, OSError, ValueError):
            with contextlib.suppress(OSError):
                os.write(2, (redact.scrub(line) + "\n").encode("utf-8", "replace"))


def changed_locations(result: Plan) -> list[tuple[str, str]]:
    """(location id, name) of every location the plan writes to, in plan order: the leases an apply takes."""
    return [(s.scope_id, s.name) for s in result.locations if s.changes]


@contextmanager
def lease_scope(client: GHLClient, settings: Settings, lock_timeout: float) -> Iterator[Leases]:
    """The run's leases, released after the last write whatever happens (a release that fails is reported;
    the lease then expires by itself)."""
    if lock_timeout < 0:
        raise ConfigError("--lock-timeout must be 0 or more seconds")
    leases = Leases(
        client,
        holder=holder_from(settings.env),
        run=run_id_from(settings.env),
        settings=LeaseSettings(timeout_s=lock_timeout),
    )
    try:
        yield leases
    finally:
        for line in leases.release_all(workers=calls_in_flight(settings.parallelism)):
            logger.warning("%s", line)


def replan_leased(client: GHLClient, selected: Sequence[Loaded], settings: Settings, approved: Plan) -> Plan:
    """The approved plan, checked against the live state of the locations it changes, read again under their
    leases. PlanRefused when it differs (another run or a UI edit changed them since the plan was shown)."""
    changed = {location_id for location_id, _ in changed_locations(approved)}
    if not changed:
        return approved
    again = [item for item in selected if item.desired.location_id in changed]
    fresh = plan(read(client, again, settings), settings)
    before = tuple(s for s in approved.locations if s.scope_id in changed)
    now = tuple(s for s in fresh.locations if s.scope_id in changed)
    found = differences(replace(approved, sections=before), replace(fresh, sections=now))
    if fresh.errors or found:
        problems = [*fresh.errors, *found]
        raise PlanRefused(
            "refusing to apply: the live state changed while the plan waited for approval ("
            + "; ".join(problems[:5])
            + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            + "); run apply again to see the new plan"
        )
    by_id = {s.scope_id: s for s in with_counts(replace(fresh, sections=now), approved).sections}
    return replace(
        approved, sections=tuple(by_id.get(s.scope_id, s) if not s.is_company else s for s in approved.sections)
    )


def created_id(outcome: Outcome) -> str | None:
    """The server id of the object an applied create or replace made (None when GHL's answer named none)."""
    value = outcome.created_id
    return value if isinstance(value, str) and value else None


def created_lines(report: ApplyReport) -> list[str]:
    """One line per object the apply created (or replaced under a new id), with its new id when known."""
    lines = []
    for o in report.outcomes:
        if o.result is Result.APPLIED and o.change.action in (Action.CREATE, Action.REPLACE):
            new_id = created_id(o)
            suffix = f" (id {new_id})" if new_id else ""
            lines.append(f"created: {o.section}: {label(o.change.kind)} {o.change.display}{suffix}")
    return lines


def start_progress(settings: Settings, result: Plan, client: GHLClient) -> Progress | None:
    """The apply phase's progress reporter on stderr (None when the settings want none)."""
    if settings.progress is None:
        return None
    total = sum(1 for section in result.locations if section.changes)
    return settings.progress("apply", total, lambda: client.stats.requests).start()


def above(reporter: Progress | None, write: Callable[[], None]) -> None:
    """Print a stdout line without tangling it with a progress line redrawn on the same terminal."""
    if reporter is None:
        write()
    else:
        reporter.above(write)


def progress_line(outcome: Outcome) -> str:
    c = outcome.change
    verb = {Result.APPLIED: "done", Result.FAILED: "FAILED", Result.SKIPPED: "skipped"}[outcome.result]
    return f"{outcome.section}: {c.action.symbol} {label(c.kind)} {c.display}: {verb}"


def check_guard(result: Plan, allow_mass_delete: bool, allow_mass_update: bool = False) -> None:
    """Refuse, before any write, a plan that deletes or replaces too much of what a location holds, or whose
    destructive changes take data from more contacts than --max-contacts-affected allows (--allow-mass-delete), or
    that updates too much at once (--allow-mass-update; octoDNS's update threshold)."""
    lines = [] if allow_mass_delete else [f"refusing to apply: {m}" for m in result.mass_changes()]
    affected = result.contacts_affected()
    if affected.over and not allow_mass_delete:
        lines.append(f"refusing to apply: {affected}")
    flags = ["--allow-mass-delete"] if lines else []
    if not allow_mass_update:
        updates = [f"refusing to apply: {m}" for m in result.mass_updates()]
        if updates:
            lines += updates
            flags.append("--allow-mass-update")
    if lines:
        lines.append(f"review the plan; pass {' and '.join(flags)} (or --allow-mass-change) if this is intended")
        raise PlanRefused("\n".join(lines))
