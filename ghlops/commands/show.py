"""`ghlops show`: render saved plans in any output format, without reading live state or calling the API."""

from __future__ import annotations

from collections.abc import Sequence

from ghlops.commands import exit_codes
from ghlops.output import Io, render
from ghlops.plan.saved import read_plan
from ghlops.saved_plans import distinct_files, merged


def show_command(plan_files: Sequence[str], *, fmt: str, io: Io) -> int:
    """Several files (the shards of one matrix run) render as one plan; a file given twice is refused, not
    counted twice."""
    distinct_files(plan_files)
    saved = merged([read_plan(path) for path in plan_files], plan_files)
    io.out(render(saved, fmt, colour=io.colour))
    return exit_codes.OK
