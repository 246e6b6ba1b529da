"""Where commands write, and what they write there besides plain lines.

* :class:`Io`: the command's outputs, injected so tests capture them and the CLI decides colour and terminals.
* :func:`render`: a saved plan in one of the output formats (text, json, markdown).
* The GitHub Actions job summary (``GITHUB_STEP_SUMMARY``): plan appends its markdown plan, apply its outcome
  and the plan it applied; outside GitHub Actions (the variable unset) nothing is written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ghlops.apply import ApplyReport, Result
from ghlops.errors import ConfigError
from ghlops.plan.estimate import DEFAULT_PARALLELISM
from ghlops.plan.model import Plan
from ghlops.plan.render_json import render_json
from ghlops.plan.render_markdown import code, render_markdown
from ghlops.plan.render_text import label, render_plan
from ghlops.plan.saved import SavedPlan
from ghlops.redact import scrub

FORMATS = ("text", "json", "markdown")
STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
FAILURES_SHOWN = 50  # the summary stays readable; the run log and the job's output hold every failure


def _stdout(text: str) -> None:
    sys.stdout.write(scrub(text) + "\n")  # known secrets masked (ghlops.redact)
    sys.stdout.flush()


def _stderr(text: str) -> None:
    sys.stderr.write(scrub(text) + "\n")
    sys.stderr.flush()


def _no_answer(prompt: str) -> str:
    return ""


@dataclass
class Io:
    out: Callable[[str], None] = _stdout
    err: Callable[[str], None] = _stderr
    colour: bool = False
    interactive: bool = False  # stdin and stdout are terminals: apply may ask for confirmation
    ask: Callable[[str], str] = field(default=_no_answer)


# -- plans in an output format -----------------------------------------------------------------------------------


def title(saved: SavedPlan) -> str:
    return "ghlops plan" + (f" (shard {saved.selection.shard})" if saved.selection.shard else "")


def render(saved: SavedPlan, fmt: str, *, colour: bool = False, parallelism: int | None = None) -> str:
    """``parallelism``: the apply's, for the apply-time estimate (the default parallelism when None)."""
    workers = DEFAULT_PARALLELISM if parallelism is None else parallelism
    if fmt == "json":
        return render_json(saved, parallelism=workers)
    if fmt == "markdown":
        return render_markdown(saved.plan, title=title(saved), parallelism=workers).rstrip("\n")
    if fmt == "text":
        return render_plan(saved.plan, colour=colour, parallelism=workers)
    raise ConfigError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")


# -- the GitHub Actions job summary ------------------------------------------------------------------------------


def append_step_summary(env: Mapping[str, str], io: Io, what: str, text: Callable[[], str]) -> None:
    """In GitHub Actions, append ``text()`` to the job summary; a warning naming ``what``, never a failure, if the
    file can't be written (the plan or apply itself is done by then)."""
    target = env.get(STEP_SUMMARY_ENV)
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as summary:
            summary.write(scrub(text()) + "\n")  # known secrets masked (ghlops.redact)
    except OSError as exc:
        io.err(f"warning: cannot append {what} to {STEP_SUMMARY_ENV} ({target}): {exc.strerror or exc}")


def publish_step_summary(saved: SavedPlan, env: Mapping[str, str], io: Io, parallelism: int | None = None) -> None:
    """The markdown plan, in the job summary."""
    workers = DEFAULT_PARALLELISM if parallelism is None else parallelism
    append_step_summary(
        env, io, "the plan", lambda: render_markdown(saved.plan, title=title(saved), parallelism=workers)
    )


def apply_summary_markdown(result: Plan, report: ApplyReport, *, title: str = "ghlops apply") -> str:
    """What was applied (counts, then each failure), then the plan that was applied."""
    applied, skipped, failed = report.count(Result.APPLIED), report.count(Result.SKIPPED), report.failed
    mark = ":x:" if failed else ":white_check_mark:"
    lines = [f"### {title}", "", f"{mark} **Apply: {applied} applied, {len(failed)} failed, {skipped} skipped.**"]
    if failed:
        lines.append("")
        for outcome in failed[:FAILURES_SHOWN]:
            c = outcome.change
            lines.append(
                f"- {code(outcome.section)}: {c.action.value} {label(c.kind)} {code(c.display)}: "
                f"{code(outcome.error or 'failed')}"
            )
        if len(failed) > FAILURES_SHOWN:
            lines.append(f"- … and {len(failed) - FAILURES_SHOWN} more (see the job's output and the run log)")
    lines += ["", render_markdown(result, title=f"{title}: the plan applied").rstrip("\n"), ""]
    return "\n".join(lines)


def publish_apply_summary(result: Plan, report: ApplyReport, env: Mapping[str, str], io: Io) -> None:
    """The apply's outcome and the plan it applied, in the job summary (``ghlops apply`` calls it once the
    executor is done)."""
    append_step_summary(env, io, "the apply summary", lambda: apply_summary_markdown(result, report))
