"""`ghlops plan`: read live state, diff it against the manifests, print the ordered changes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ghlops.commands import exit_codes
from ghlops.commands.io import Io
from ghlops.errors import PlanRefused
from ghlops.plan.model import Plan
from ghlops.plan.render_text import render_plan
from ghlops.workflow import Settings, load, make_client, plan, read, select


def make_plan(paths: Sequence[str | Path], locations: Sequence[str], settings: Settings) -> Plan:
    manifests = load(paths, settings.env)
    selected = select(manifests, locations)
    with make_client(settings, selected) as client:
        return plan(read(client, selected, settings), settings)


def check_errors(result: Plan) -> None:
    if result.errors:
        raise PlanRefused("\n".join(result.errors))


def plan_command(
    paths: Sequence[str | Path],
    *,
    locations: Sequence[str],
    detailed_exitcode: bool,
    settings: Settings,
    io: Io,
) -> int:
    result = make_plan(paths, locations, settings)
    io.out(render_plan(result, colour=io.colour))
    check_errors(result)
    if detailed_exitcode and result.has_changes:
        return exit_codes.CHANGES
    return exit_codes.OK
