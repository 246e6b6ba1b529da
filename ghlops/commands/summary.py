"""The GitHub Actions job summary of an apply (GITHUB_STEP_SUMMARY), as plan writes one for its plan.

``ghlops apply`` calls :func:`publish_apply_summary` once the executor is done, with the plan it applied and
the executor's report; outside GitHub Actions (the variable unset) it does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from ghlops.apply import ApplyReport, Result
from ghlops.commands.io import Io
from ghlops.plan.model import Plan
from ghlops.plan.render_markdown import code, render_markdown
from ghlops.plan.render_text import label
from ghlops.redact import scrub

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
FAILURES_SHOWN = 50  # the summary stays readable; the run log and the job's output hold every failure


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
    """In GitHub Actions, append the apply's outcome and plan to the job summary; a warning, never a failure,
    if the file can't be written (the apply itself is done by then)."""
    target = env.get(STEP_SUMMARY_ENV)
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as summary:
            summary.write(scrub(apply_summary_markdown(result, report)) + "\n")
    except OSError as exc:
        io.err(f"warning: cannot append the apply summary to {STEP_SUMMARY_ENV} ({target}): {exc.strerror or exc}")
