"""The GitHub Actions files: CI, the examples users copy, and the composite action.

Each is parsed and checked for its triggers, jobs, least-privilege permissions and the ghlops commands it runs
(every ghlops invocation is parsed by the real CLI, so a renamed or missing option fails here), and for the
properties that keep a GitOps loop safe: validate never holds a GHL secret, applies fail closed, the plan comment
names the pull request's head commit, concurrency groups don't depend on the shard count. The linters run in
test_workflows_lint.py; the github-script steps are executed in test_workflows_scripts.py.
"""

from __future__ import annotations

import json
import re
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
        "ghlops-plan.yml": set(),  # pull-requests: write only in the job that comments
        "ghlops-apply.yml": set(),
        "ghlops-drift.yml": set(),  # issues / contents + pull-requests: write only in the jobs that need them
        "ghlops-matrix.yml": set(),
        "ghlops-token-refresh.yml": set(),  # secrets are written with GHL_SECRETS_WRITER, not GITHUB_TOKEN
    }[path.name]
    top = {k for k, v in workflow["permissions"].items() if v == "write"}
    assert top == allowed_writes
    for job in workflow["jobs"]:
        granted = permissions(workflow, job)
        # Only the drift pull-request job pushes (its branch); it holds no GHL secret.
        assert granted.get("contents") == (
            "write" if (path.name, job) == ("ghlops-drift.yml", "pull-request") else "read"
        )
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
            assert only_own or condition == "github.event_name != 'pull_request'", name


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
    assert workflow["permissions"] == {"contents": "read"}
    assert permissions(workflow, "plan") == {"contents": "read", "pull-requests": "write"}
    (validate,) = ghlops_steps(workflow, "validate")
    (plan,) = ghlops_steps(workflow, "plan")
    assert argv(validate) == ["validate", "--offline", "ghl"]
    # Forks' pull requests are validated (no secret needed) but never planned.
    assert "if" not in workflow["jobs"]["validate"]
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
    (validate,) = ghlops_steps(workflow, "validate")
    plan, apply = ghlops_steps(workflow, "apply")
    assert argv(validate) == ["validate", "--offline", "ghl"]
    assert argv(plan) == ["plan", "--format", "text", "--out", "plan.json", "ghl"]
    assert argv(apply) == ["apply", "--plan", "plan.json", "--auto-approve", "--log-file", "apply-log.jsonl"]


def named_steps(workflow: Any, job: str) -> dict[str, dict[str, Any]]:
    return {str(s.get("name", s.get("uses"))): s for name, s in steps(workflow) if name == job}


@pytest.mark.parametrize(
    ("path", "artifact"),
    [("ghlops-apply.yml", "ghlops-plan"), ("ghlops-matrix.yml", "ghlops-plan-${{ matrix.shard }}")],
)
def test_an_apply_job_runs_only_after_the_reviewed_plan_was_found_and_applies_nothing_else(
    path: str, artifact: str
) -> None:
    workflow = load(EXAMPLES / path)
    jobs = workflow["jobs"]
    # The job that decides holds no GHL secret and fails (so the apply job never starts) without a reviewed plan.
    assert "env" not in jobs["reviewed"] and "secrets." not in json.dumps(jobs["reviewed"])
    (find,) = jobs["reviewed"]["steps"]
    assert find["uses"] == "actions/github-script@v7" and "core.setFailed" in find["with"]["script"]
    assert find["env"]["ACCEPT_FRESH_PLAN"] == "${{ inputs.accept-fresh-plan }}"
    assert jobs["apply"]["needs"] == ["validate", "reviewed"]
    named = named_steps(workflow, "apply")
    download = next(s for s in named.values() if str(s.get("uses", "")).startswith("actions/download-artifact@"))
    assert download["if"] == "needs.reviewed.outputs.run-id != ''"
    assert download["with"] == {
        "name": artifact,
        "run-id": "${{ needs.reviewed.outputs.run-id }}",
        "github-token": "${{ github.token }}",
    }
    plan, apply = ghlops_steps(workflow, "apply")
    # A fresh plan only on the explicit input; the apply is of a saved plan either way, checked for staleness.
    assert plan["if"] == "needs.reviewed.outputs.fresh == 'true'"
    assert "if" not in apply and "--plan" in apply["with"]["args"]
    assert "--allow-mass-delete" not in apply["with"]["args"]
    dispatch = workflow["on"]["workflow_dispatch"]["inputs"]["accept-fresh-plan"]
    assert dispatch == {"description": dispatch["description"], "type": "boolean", "required": True, "default": False}


def test_the_reviewed_plans_the_matrix_looks_for_are_one_per_shard_of_its_matrix() -> None:
    workflow = load(EXAMPLES / "ghlops-matrix.yml")
    (find,) = workflow["jobs"]["reviewed"]["steps"]
    shards = workflow["jobs"]["plan"]["strategy"]["matrix"]["shard"]
    assert find["env"]["PLAN_ARTIFACTS"].split() == [f"ghlops-plan-{i}" for i in shards]
    assert find["env"]["PLAN_WORKFLOW"] == "ghlops-matrix.yml"
    assert load(EXAMPLES / "ghlops-apply.yml")["jobs"]["reviewed"]["steps"][0]["env"]["PLAN_WORKFLOW"] == (
        "ghlops-plan.yml"
    )


# -- drift -------------------------------------------------------------------------------------------------------


def test_the_drift_workflow_plans_on_a_schedule_and_opens_an_issue_a_pull_request_or_both() -> None:
    workflow = load(EXAMPLES / "ghlops-drift.yml")
    assert [s["cron"] for s in workflow["on"]["schedule"]] == ["17 6 * * *"]
    assert workflow["on"]["workflow_dispatch"]["inputs"]["mode"]["options"] == ["issue", "pull-request", "both"]
    assert workflow["permissions"] == {"contents": "read"}
    assert permissions(workflow, "plan") == {"contents": "read"}
    assert permissions(workflow, "issue") == {"contents": "read", "issues": "write"}
    assert permissions(workflow, "pull-request") == {"contents": "write", "pull-requests": "write"}
    # GHL secrets only where GHL is read, never in a job that may write to the repository.
    assert [job for job in workflow["jobs"] if "secrets." in json.dumps(workflow["jobs"][job])] == ["plan"]
    plan, pull = ghlops_steps(workflow)
    assert argv(plan) == ["plan", "--format", "markdown", "--detailed-exitcode", "--out", "plan.json", "ghl"]
    assert argv(pull) == ["pull", "--diff", "ghl"]
    assert pull["if"] == "steps.plan.outputs.exit-code == '2' && steps.mode.outputs.pull-request == 'true'"
    named = {s.get("name"): s for _, s in steps(workflow)}
    opened = named["Open or update the drift issue"]
    assert opened["if"] == "needs.plan.outputs.exit-code == '2'"
    assert "'<!-- ghlops-drift -->'" in opened["with"]["script"]
    assert named["Close the drift issue when there is no drift"]["if"] == "needs.plan.outputs.exit-code == '0'"
    assert workflow["jobs"]["issue"]["if"] == "needs.plan.outputs.issue == 'true'"
    assert workflow["jobs"]["pull-request"]["if"] == "needs.plan.outputs.pull-request == 'true'"
    assert named["Commit the pulled values"]["if"] == "needs.plan.outputs.pulled == 'true'"


# -- the matrix ----------------------------------------------------------------------------------------------------


def test_the_matrix_workflow_shards_plan_and_apply_and_comments_from_one_job() -> None:
    workflow = load(EXAMPLES / "ghlops-matrix.yml")
    for job in ("plan", "apply"):
        assert workflow["jobs"][job]["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
        assert workflow["jobs"][job]["strategy"]["fail-fast"] is False
    (plan,) = ghlops_steps(workflow, "plan")
    assert argv(plan) == ["plan", "--format", "text", "--detailed-exitcode", "--shard", "1/4", "--out", "plan-1.json",
                          "ghl"]  # fmt: skip
    fresh, apply = ghlops_steps(workflow, "apply")
    assert argv(fresh) == ["plan", "--format", "text", "--shard", "1/4", "--out", "plan-1.json", "ghl"]
    assert argv(apply) == ["apply", "--plan", "plan-1.json", "--auto-approve", "--log-file", "apply-log-1.jsonl"]
    assert permissions(workflow, "comment") == {"contents": "read", "pull-requests": "write"}
    assert [job for job in workflow["jobs"] if "write" in permissions(workflow, job).values()] == ["comment"]
    (show,) = ghlops_steps(workflow, "comment")
    assert argv(show) == ["show", "--format", "markdown", "plans/*.json"]


def test_the_matrix_comment_job_runs_after_a_failed_shard_and_says_so() -> None:
    workflow = load(EXAMPLES / "ghlops-matrix.yml")
    comment = workflow["jobs"]["comment"]
    assert comment["needs"] == "plan"
    assert comment["if"].startswith("always() && github.event_name == 'pull_request'")
    named = named_steps(workflow, "comment")
    assert named["All shards as one plan"]["if"] == "needs.plan.result == 'success'"
    post = named["Post or update the plan comment"]
    assert post["if"] == "always()"
    assert post["env"] == {"PLAN_RESULT": "${{ needs.plan.result }}", "SHOW_OUTCOME": "${{ steps.show.outcome }}"}
    assert "plan failed" in post["with"]["script"]


@pytest.mark.parametrize("path", ["ghlops-plan.yml", "ghlops-matrix.yml"])
def test_the_plan_comment_names_the_pull_request_head_commit_not_the_merge_commit(path: str) -> None:
    (script,) = [s for job in ("plan", "comment") for s in scripts(load(EXAMPLES / path), job)]
    assert "const sha = context.payload.pull_request.head.sha.slice(0, 7);" in script
    assert "context.sha" not in script


def test_the_matrix_concurrency_group_is_one_for_all_shards_whatever_their_count() -> None:
    workflow = load(EXAMPLES / "ghlops-matrix.yml")
    group = workflow["concurrency"]["group"]
    assert "matrix." not in group and "strategy." not in group
    # Applies share ghlops-apply.yml's group: a repository moving between the two never applies twice at once.
    assert "|| 'ghlops-apply' }}" in group
    assert workflow["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    for job in workflow["jobs"].values():
        assert "concurrency" not in job  # a job-level group would queue (and cancel) the shards of one run


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_no_workflow_claims_a_queued_run_is_never_cancelled(path: Path) -> None:
    # GitHub keeps one pending run per group and cancels it when a newer one queues: only a running one is safe.
    text = " ".join(line.lstrip("# ") for line in path.read_text().splitlines())
    assert "a queued one waits" not in text
    assert text.count("never cancelled") == text.count("never cancelled while running")
    concurrency = load(path).get("concurrency", {})
    if concurrency.get("cancel-in-progress") is not True and concurrency:
        # A group that is not cancelled says what GitHub does with a pending run, and why that is safe here.
        assert "pending" in text and "cancel" in text, path.name


# -- secrets and validate ----------------------------------------------------------------------------------------


def validate_jobs(workflow: Any) -> list[str]:
    return [name for name, s in steps(workflow) if s.get("with", {}).get("command") == "validate"]


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_validate_step_runs_offline_in_a_job_that_holds_no_ghl_secret(path: Path) -> None:
    workflow = load(path)
    for name in validate_jobs(workflow):
        job = workflow["jobs"][name]
        assert "secrets." not in json.dumps(job), f"{path.name} job {name}"
        assert not any(key.startswith("GHL_") for key in job.get("env", {}))
        for step in ghlops_steps(workflow, name):
            if step["with"]["command"] == "validate":
                assert "--offline" in argv(step)
    expected = {"ghlops-plan.yml", "ghlops-apply.yml", "ghlops-matrix.yml"}
    assert bool(validate_jobs(workflow)) == (path.name in expected)


# -- tags --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_the_examples_use_the_ghlops_action_and_package_by_the_v1_tag(path: Path) -> None:
    text = path.read_text()
    refs = re.findall(r"your-org/ghlops@([\w.-]+)", text)
    assert refs and set(refs) == {"v1"}


def test_readme_pins_the_pre_commit_hook_to_v1_and_says_how_a_release_is_tagged() -> None:
    readme = (REPO / "README.md").read_text()
    assert "  rev: v1\n" in readme and "rev: <tag>" not in readme
    assert "git tag -a v1.2.0" in readme and "git tag -f -a v1" in readme
    assert "rev: v1" in (REPO / ".pre-commit-hooks.yaml").read_text()


# -- the composite action --------------------------------------------------------------------------------------


def test_the_composite_action_installs_ghlops_from_its_own_checkout_and_takes_command_paths_and_format() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert {"command", "paths", "format", "args", "output-file", "fail-on-changes"} <= set(action["inputs"])
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.run.outputs.exit-code }}"
    runs = [s for s in action["runs"]["steps"] if "run" in s]
    (install,) = [s for s in runs if "pip install" in s["run"]]
    # github.action_path as the runner exports it: the checkout of the tag the workflow pinned, never a branch.
    assert install["run"].endswith(' "$GITHUB_ACTION_PATH"')
    assert "git+" not in install["run"] and "@main" not in install["run"]
    assert all(s["shell"] == "bash" for s in runs)


def test_the_composite_action_never_splices_inputs_into_its_scripts() -> None:
    for step in load(ACTION)["runs"]["steps"]:
        assert "inputs." not in str(step.get("run", "")), step.get("name")


def test_the_composite_action_offers_every_output_format_of_the_cli() -> None:
    fmt = next(p for p in main.commands["plan"].params if p.name == "fmt")
    assert isinstance(fmt.type, click.Choice)
    assert "text, json or markdown" in load(ACTION)["inputs"]["format"]["description"]
    assert list(fmt.type.choices) == ["text", "json", "markdown"]


def test_the_example_workflows_are_never_read_as_manifests_of_the_examples_directory() -> None:
    from ghlops.manifest.yaml_io import discover

    assert [p.name for p in discover([REPO / "examples"])] == ["downtown-dental.yaml", "uptown-ortho.yaml"]
