"""`ghlops apply`: plan, show, confirm, then execute through the executor (the only writer)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ghlops.apply import Executor, Outcome, Result, RunLog
from ghlops.commands import exit_codes
from ghlops.commands.io import Io
from ghlops.commands.plan import check_errors, check_impact_options
from ghlops.errors import ConfigError, PlanRefused
from ghlops.ghl import GHLClient
from ghlops.impact import count_impact
from ghlops.live import LiveReader
from ghlops.plan.model import Plan
from ghlops.plan.render_text import label, render_apply_summary, render_plan
from ghlops.progress import Progress
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
    plan_file: str | None = None,
    shard: str | None = None,
    impact: bool = True,
) -> int:
    from ghlops.commands import saved as saved_plans
    from ghlops.plan.saved import check_live
    from ghlops.selection import in_shard, optional_shard

    check_impact_options(settings, impact)
    saved = saved_plans.open_for_apply(plan_file, paths, locations, shard) if plan_file is not None else None
    if saved is None and not paths:
        raise ConfigError("apply needs manifest PATHs, or --plan FILE (a plan saved with plan --out)")
    if saved is not None:
        # The plan names its manifests; they and the live state it was made from must be unchanged.
        paths = saved_plans.unchanged_manifests(saved)
    manifests = load(paths, settings.env)
    if saved is not None:
        selected = saved_plans.select_saved(saved, manifests)
    else:
        selected = in_shard(select(manifests, locations), optional_shard(shard))
    with make_client(settings, selected) as client:
        snapshot = read(client, selected, settings)
        if saved is not None:
            # The saved plan keeps the counts (and the guard) it was reviewed with.
            check_live(saved, saved_plans.digests(snapshot))
            result = saved.plan
        else:
            result = plan(snapshot, settings)
            if impact and not result.errors:  # a plan with errors is refused anyway
                result = count_impact(client, result, parallelism=settings.parallelism)
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
            answer = io.ask("Apply these changes? Only 'yes' is accepted")
            if answer.strip() != "yes":
                io.err("Apply cancelled; nothing was changed.")
                return exit_codes.ERROR
        io.out("")
        log = RunLog.open(log_file)
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
            )
            report = executor.apply(result)
        finally:
            if reporter is not None:
                reporter.stop()
            log.close()
    failed = [(o.section, o.change, o.error or "") for o in report.failed]
    io.out(render_apply_summary(report.count(Result.APPLIED), failed, report.count(Result.SKIPPED)))
    return exit_codes.OK if report.ok else exit_codes.ERROR


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


def check_guard(result: Plan, allow_mass_delete: bool) -> None:
    """Refuse, before any write, a plan that deletes or replaces too much of what a location holds, or whose
    destructive changes take data from more contacts than --max-contacts-affected allows."""
    lines = [f"refusing to apply: {m}" for m in result.mass_changes()]
    affected = result.contacts_affected()
    if affected.over:
        lines.append(f"refusing to apply: {affected}")
    if lines and not allow_mass_delete:
        lines.append("review the plan; pass --allow-mass-delete if this is intended")
        raise PlanRefused("\n".join(lines))
