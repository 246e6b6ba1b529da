"""`ghlops plan`: read live state, diff it against the manifests, print the ordered changes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ghlops.commands import exit_codes
from ghlops.errors import ConfigError, PlanRefused
from ghlops.output import Io
from ghlops.plan.model import Plan
from ghlops.workflow import Settings


def check_errors(result: Plan) -> None:
    if result.errors:
        raise PlanRefused("\n".join(result.errors))


def check_impact_options(settings: Settings, impact: bool) -> None:
    if not impact and settings.guard.max_contacts_affected is not None:
        raise ConfigError("--max-contacts-affected needs the contacts count: drop --no-impact")


def check_out(out: str) -> None:
    """Where plan --out writes must exist before anything is read: a typo in the directory fails in an instant,
    not after minutes of reading hundreds of locations."""
    parent = Path(out).parent
    if not parent.is_dir():
        raise ConfigError(f"--out {out}: directory {parent} does not exist")


def plan_command(
    paths: Sequence[str | Path],
    *,
    locations: Sequence[str],
    detailed_exitcode: bool,
    settings: Settings,
    io: Io,
    fmt: str = "text",
    out: str | None = None,
    shard: str | None = None,
    impact: bool = True,
) -> int:
    from ghlops.output import publish_step_summary, render
    from ghlops.plan.saved import write_plan
    from ghlops.saved_plans import make_saved_plan
    from ghlops.selection import optional_shard

    check_impact_options(settings, impact)
    if out is not None:
        check_out(out)
    saved = make_saved_plan(paths, locations, settings, optional_shard(shard), impact=impact)
    result = saved.plan
    io.out(render(saved, fmt, colour=io.colour, parallelism=settings.parallelism))
    publish_step_summary(saved, settings.env, io, settings.parallelism)
    check_errors(result)
    if out is not None:
        write_plan(out, saved)
        io.err(f"Saved the plan to {out}; apply exactly this plan with: ghlops apply --plan {out}")
    if detailed_exitcode and result.has_changes:
        return exit_codes.CHANGES
    return exit_codes.OK
