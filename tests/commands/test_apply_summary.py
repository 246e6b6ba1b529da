"""The apply's GitHub Actions job summary (GITHUB_STEP_SUMMARY): outcome counts, each failure, the plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghlops.apply import ApplyReport, Outcome, Result
from ghlops.output import Io, apply_summary_markdown, publish_apply_summary
from ghlops.plan.model import Plan
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import sandbox_env
from ghlops.saved_plans import make_saved_plan
from ghlops.workflow import Settings

from .conftest import EXAMPLES


@pytest.fixture
def planned(sb: Sandbox) -> Plan:
    return make_saved_plan([EXAMPLES], (), Settings(env=sandbox_env(sb)), impact=False).plan


def report_of(plan: Plan, failed: int) -> ApplyReport:
    """Every change of the plan applied, except the first ``failed`` (with GHL's answer as the error)."""
    changes = [(section.name, change) for section in plan.locations for change in section.changes]
    return ApplyReport(
        [
            Outcome(name, change, Result.FAILED, "HTTP 422: name | <b>bad</b>")
            if i < failed
            else Outcome(name, change, Result.APPLIED)
            for i, (name, change) in enumerate(changes)
        ]
    )


def test_a_clean_apply_summary_gives_the_counts_then_the_plan_applied(planned: Plan) -> None:
    text = apply_summary_markdown(planned, report_of(planned, 0))
    lines = text.splitlines()
    total = sum(len(s.changes) for s in planned.locations)
    assert lines[:3] == ["### ghlops apply", "", f":white_check_mark: **Apply: {total} applied, 0 failed, 0 skipped.**"]
    assert "### ghlops apply: the plan applied" in text


def test_failures_are_listed_with_the_error_kept_inert(planned: Plan) -> None:
    text = apply_summary_markdown(planned, report_of(planned, 2))
    assert ":x: **Apply:" in text and ", 2 failed, 0 skipped.**" in text
    failures = [line for line in text.splitlines() if line.startswith("- `")]
    assert len(failures) == 2
    assert all(line.endswith(": `HTTP 422: name | <b>bad</b>`") for line in failures)


def test_publish_appends_to_the_step_summary_file_and_does_nothing_outside_actions(
    planned: Plan, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("### ghlops plan\n")
    errors: list[str] = []
    publish_apply_summary(planned, report_of(planned, 0), {"GITHUB_STEP_SUMMARY": str(summary)}, Io(err=errors.append))
    assert summary.read_text().startswith("### ghlops plan\n### ghlops apply\n")
    publish_apply_summary(planned, report_of(planned, 0), {}, Io(err=errors.append))
    assert errors == []


def test_an_unwritable_step_summary_is_a_warning_not_a_failure(planned: Plan, tmp_path: Path) -> None:
    errors: list[str] = []
    target = tmp_path / "missing" / "summary.md"
    publish_apply_summary(planned, report_of(planned, 0), {"GITHUB_STEP_SUMMARY": str(target)}, Io(err=errors.append))
    assert errors == [
        f"warning: cannot append the apply summary to GITHUB_STEP_SUMMARY ({target}): No such file or directory"
    ]
