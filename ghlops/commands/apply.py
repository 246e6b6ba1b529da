"""`ghlops apply`: plan, show, confirm, then execute through the executor (the only writer)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ghlops.apply import Executor, Outcome, Result, RunLog
from ghlops.commands import exit_codes
from ghlops.commands.io import Io
from ghlops.commands.plan import check_errors
from ghlops.errors import ConfigError, PlanRefused
from ghlops.live import LiveReader
from ghlops.plan.model import Plan
from ghlops.plan.render_text import label, render_apply_summary, render_plan
from ghlops.workflow import Settings, load, make_client, plan, read, select


def apply_command(
    paths: Sequence[str | Path],
    *,
    locations: Sequence[str],
    auto_approve: bool,
    settings: Settings,
    io: Io,
    log_file: str | None = None,
    allow_mass_delete: bool = False,
) -> int:
    manifests = load(paths, settings.env)
    selected = select(manifests, locations)
    with make_client(settings, selected) as client:
        result = plan(read(client, selected, settings), settings)
        io.out(render_plan(result, colour=io.colour))
        check_errors(result)
        check_guard(result, allow_mass_delete)
        if not result.has_changes:
            return exit_codes.OK
        if not auto_approve:
            if not io.interactive:
                raise ConfigError(
                    "refusing to apply without confirmation: stdin is not a terminal; pass --auto-approve"
                )
            answer = io.ask("Apply these changes? Only 'yes' is accepted: ")
            if answer.strip() != "yes":
                io.err("Apply cancelled; nothing was changed.")
                return exit_codes.ERROR
        io.out("")
        log = RunLog.open(log_file)
        try:
            executor = Executor(
                client,
                LiveReader(client, parallelism=settings.parallelism),
                parallelism=settings.parallelism,
                env=settings.env,
                log=log,
                on_outcome=lambda o: io.out(progress_line(o)),
            )
            report = executor.apply(result)
        finally:
            log.close()
    failed = [(o.section, o.change, o.error or "") for o in report.failed]
    io.out(render_apply_summary(report.count(Result.APPLIED), failed, report.count(Result.SKIPPED)))
    return exit_codes.OK if report.ok else exit_codes.ERROR


def progress_line(outcome: Outcome) -> str:
    c = outcome.change
    verb = {Result.APPLIED: "done", Result.FAILED: "FAILED", Result.SKIPPED: "skipped"}[outcome.result]
    return f"{outcome.section}: {c.action.symbol} {label(c.kind)} {c.display}: {verb}"


def check_guard(result: Plan, allow_mass_delete: bool) -> None:
    """Refuse, before any write, a plan that deletes or replaces too much of what a location holds."""
    mass = result.mass_changes()
    if mass and not allow_mass_delete:
        lines = [f"refusing to apply: {m}" for m in mass]
        lines.append("review the plan; pass --allow-mass-delete if this is intended")
        raise PlanRefused("\n".join(lines))
