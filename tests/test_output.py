"""ghlops/output.py: a saved plan in each output format, and the GitHub Actions job summary (GITHUB_STEP_SUMMARY)
plan and apply append to: outcome counts, each failure, the plan; a warning, never a failure, when it can't."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghlops.apply import ApplyReport, Outcome, Result
from ghlops.errors import ConfigError
from ghlops.output import Io, apply_summary_markdown, publish_apply_summary, publish_step_summary, render
from ghlops.plan.model import Plan
from ghlops.plan.render_json import render_json
from ghlops.plan.render_markdown import render_markdown
from ghlops.plan.render_text import render_plan
from ghlops.plan.saved import ManifestSet, SavedPlan, Selection
from tests.plan.sample_plans import sample_plan


@pytest.fixture
def planned() -> Plan:
    return sample_plan()


def saved(plan: Plan, shard: str | None = None) -> SavedPlan:
    return SavedPlan(plan=plan, manifests=ManifestSet(("m",), ()), selection=Selection((), shard))


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


def test_each_format_renders_the_saved_plan_with_the_apply_parallelism(planned: Plan) -> None:
    plan = saved(planned, shard="2/3")
    assert render(plan, "text", parallelism=4) == render_plan(planned, parallelism=4)
    assert render(plan, "text", colour=True) == render_plan(planned, colour=True, parallelism=8)
    assert render(plan, "json", parallelism=4) == render_json(plan, parallelism=4)
    # The markdown title names the shard, so a matrix run's comments tell the shards apart.
    assert render(plan, "markdown") == render_markdown(planned, title="ghlops plan (shard 2/3)").rstrip("\n")


def test_an_unknown_format_is_one_error_naming_the_formats(planned: Plan) -> None:
    with pytest.raises(ConfigError) as caught:
        render(saved(planned), "yaml")
    assert str(caught.value) == "--format 'yaml' is not one of text, json, markdown"


def test_plan_appends_its_markdown_plan_to_the_step_summary_or_warns(planned: Plan, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    errors: list[str] = []
    publish_step_summary(saved(planned), {"GITHUB_STEP_SUMMARY": str(summary)}, Io(err=errors.append), parallelism=2)
    assert summary.read_text() == render_markdown(planned, title="ghlops plan", parallelism=2) + "\n"
    target = tmp_path / "missing" / "summary.md"
    publish_step_summary(saved(planned), {"GITHUB_STEP_SUMMARY": str(target)}, Io(err=errors.append))
    assert errors == [f"warning: cannot append the plan to GITHUB_STEP_SUMMARY ({target}): No such file or directory"]
