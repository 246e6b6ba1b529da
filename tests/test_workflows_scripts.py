"""The github-script steps of the example workflows, run for real with node against a recorded fake GitHub API.

These are the steps that decide whether an apply may run (fail closed) and what the sticky plan comment says, so
they are executed, not just read: each scenario gives the script an event, the pull requests, plan runs and
artifacts the API would answer, and checks what the script did (failed with a message, set outputs, wrote a
comment). Skipped only where node is not installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "github"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: the github-script steps run in node")

# A stand-in for what actions/github-script passes the script (github, context, core, require), recording calls.
HARNESS = r"""
const fs = require('fs');
const scenario = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const script = fs.readFileSync(process.argv[3], 'utf8');
const calls = [];
const record = (name, answer) => async (args) => { calls.push([name, args]); return { data: answer(args) }; };
const pulls = () => scenario.pulls || [];
const runs = (a) => (scenario.runs || []).filter((r) =>
  r.head_sha === a.head_sha && r.conclusion === a.status && r.event === a.event && r.workflow === a.workflow_id);
const artifacts = (a) => (scenario.artifacts || {})[String(a.run_id)] || [];
const github = {
  rest: {
    repos: { listPullRequestsAssociatedWithCommit: record('listPullRequestsAssociatedWithCommit', pulls) },
    actions: {
      listWorkflowRuns: record('listWorkflowRuns', (a) => ({ workflow_runs: runs(a) })),
      listWorkflowRunArtifacts: record('listWorkflowRunArtifacts', (a) => ({ artifacts: artifacts(a) })),
    },
    issues: {
      listComments: record('listComments', () => scenario.comments || []),
      updateComment: record('updateComment', () => ({})),
      createComment: record('createComment', () => ({})),
    },
    pulls: {
      list: record('pulls.list', () => scenario.open_pulls || []),
      create: record('pulls.create', () => ({ number: 31 })),
      update: record('pulls.update', () => ({})),
    },
  },
  paginate: async (fn, args) => (await fn(args)).data,
};
const outputs = {};
let failed = null;
const core = {
  setFailed: (m) => { failed = m; }, setOutput: (k, v) => { outputs[k] = v; },
  info: () => {}, warning: (m) => calls.push(['warning', m]),
};
const context = scenario.context;
context.repo = { owner: 'acme', repo: 'ghl-config' };
context.issue = { number: 7 };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('github', 'context', 'core', 'require', script)(github, context, core, require).then(() => {
  process.stdout.write(JSON.stringify({ failed, outputs, calls }));
}, (e) => { process.stdout.write(JSON.stringify({ crashed: String(e) })); });
"""

MERGE = "m" * 40
HEAD = "h" * 40


def step(workflow: str, name: str) -> dict[str, Any]:
    data = YAML(typ="safe").load((EXAMPLES / workflow).read_text())
    for job in data["jobs"].values():
        for s in job.get("steps", []):
            if s.get("name") == name:
                return dict(s)
    raise AssertionError(f"{workflow} has no step {name!r}")


def run(tmp_path: Path, workflow: str, name: str, scenario: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    s = step(workflow, name)
    (tmp_path / "harness.js").write_text(HARNESS)
    (tmp_path / "script.js").write_text(s["with"]["script"])
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    done = subprocess.run(
        [str(NODE), "harness.js", "scenario.json", "script.js"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", **{k: str(v) for k, v in s.get("env", {}).items()}, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    assert "crashed" not in result, result
    return result


def push() -> dict[str, Any]:
    return {"eventName": "push", "sha": MERGE}


def merged_pull(merge_sha: str = MERGE) -> dict[str, Any]:
    return {"number": 12, "merged_at": "2026-01-01T00:00:00Z", "merge_commit_sha": merge_sha, "head": {"sha": HEAD}}


def plan_run(workflow: str, conclusion: str = "success", head: str = HEAD) -> dict[str, Any]:
    return {"id": 99, "head_sha": head, "conclusion": conclusion, "event": "pull_request", "workflow": workflow,
            "html_url": "https://github.example/run/99"}  # fmt: skip


APPLY = ("ghlops-apply.yml", "Find the plan reviewed on the merged pull request")
MATRIX = ("ghlops-matrix.yml", "Find the plans reviewed on the merged pull request")
SHARDS = [{"name": f"ghlops-plan-{i}", "expired": False} for i in (1, 2, 3, 4)]


def test_a_push_that_merged_a_reviewed_pull_request_applies_that_plan_run(tmp_path: Path) -> None:
    scenario = {"context": push(), "pulls": [merged_pull()], "runs": [plan_run("ghlops-plan.yml")],
                "artifacts": {"99": [{"name": "ghlops-plan", "expired": False}]}}  # fmt: skip
    result = run(tmp_path, *APPLY, scenario, {})
    assert result["failed"] is None
    assert result["outputs"] == {"run-id": "99"}


@pytest.mark.parametrize(
    ("scenario", "says"),
    [
        ({"pulls": []}, "is not the merge commit of a pull request (a direct push?)"),
        # A pull request that contains this commit but was merged as another commit is not this push's review.
        ({"pulls": [merged_pull("x" * 40)], "runs": [plan_run("ghlops-plan.yml")]}, "is not the merge commit"),
        ({"pulls": [merged_pull()], "runs": [plan_run("ghlops-plan.yml", "failure")]}, "No successful ghlops-plan"),
        ({"pulls": [merged_pull()], "runs": [plan_run("ghlops-plan.yml", "cancelled")]}, "No successful"),
        ({"pulls": [merged_pull()], "runs": [plan_run("ghlops-plan.yml", head="o" * 40)]}, "No successful"),
        # A fork's pull request: the plan job was skipped, so the successful run kept no plan.
        ({"pulls": [merged_pull()], "runs": [plan_run("ghlops-plan.yml")], "artifacts": {}}, "kept no ghlops-plan"),
        ({"pulls": [merged_pull()], "runs": [plan_run("ghlops-plan.yml")],
          "artifacts": {"99": [{"name": "ghlops-plan", "expired": True}]}}, "kept no ghlops-plan"),
    ],
)  # fmt: skip
def test_a_push_without_a_reviewed_plan_for_exactly_its_commit_fails_saying_how_to_proceed(
    tmp_path: Path, scenario: dict[str, Any], says: str
) -> None:
    result = run(tmp_path, *APPLY, {"context": push(), **scenario}, {})
    assert result["outputs"] == {}
    assert says in result["failed"]
    assert "nothing applied" in result["failed"]
    assert "re-run the plan workflow" in result["failed"] and "accept-fresh-plan" in result["failed"]


def test_a_run_by_hand_plans_afresh_only_when_accept_fresh_plan_is_ticked(tmp_path: Path) -> None:
    dispatch = {"context": {"eventName": "workflow_dispatch", "sha": MERGE}}
    refused = run(tmp_path, *APPLY, dispatch, {"ACCEPT_FRESH_PLAN": "false"})
    assert refused["outputs"] == {} and "without accept-fresh-plan: nothing applied" in refused["failed"]
    accepted = run(tmp_path, *APPLY, dispatch, {"ACCEPT_FRESH_PLAN": "true"})
    assert accepted["failed"] is None and accepted["outputs"] == {"fresh": "true"}
    assert ["warning", "accept-fresh-plan: planning main as it is now and applying it without review."] in accepted[
        "calls"
    ]


def test_the_matrix_applies_only_when_every_shard_kept_its_reviewed_plan(tmp_path: Path) -> None:
    base = {"context": push(), "pulls": [merged_pull()], "runs": [plan_run("ghlops-matrix.yml")]}
    complete = run(tmp_path, *MATRIX, {**base, "artifacts": {"99": SHARDS}}, {})
    assert (complete["failed"], complete["outputs"]) == (None, {"run-id": "99"})
    partial = run(tmp_path, *MATRIX, {**base, "artifacts": {"99": SHARDS[:2]}}, {})
    assert partial["outputs"] == {}
    assert "kept no ghlops-plan-3, ghlops-plan-4" in partial["failed"]


def pull_request_context() -> dict[str, Any]:
    return {"eventName": "pull_request", "sha": MERGE, "runId": 5, "serverUrl": "https://github.example",
            "payload": {"pull_request": {"head": {"sha": HEAD}, "base": {"ref": "main"}}}}  # fmt: skip


def comment_body(result: dict[str, Any]) -> str:
    (call,) = [args for name, args in result["calls"] if name in ("createComment", "updateComment")]
    return str(call["body"])


def test_the_matrix_comment_says_the_plan_failed_when_a_shard_failed_and_names_the_head_commit(
    tmp_path: Path,
) -> None:
    scenario = {"context": pull_request_context(), "comments": [{"id": 3, "user": {"type": "Bot"},
                "body": "<!-- ghlops-plan -->\nold plan"}]}  # fmt: skip
    result = run(
        tmp_path, "ghlops-matrix.yml", "Post or update the plan comment", scenario,
        {"PLAN_RESULT": "failure", "SHOW_OUTCOME": "skipped"},
    )  # fmt: skip
    (update,) = [args for name, args in result["calls"] if name == "updateComment"]
    assert update["comment_id"] == 3
    body = comment_body(result)
    assert ":x: **plan failed** for hhhhhhh (a shard's plan: failure)" in body
    assert "Plan of hhhhhhh merged into main" in body
    assert "mmmmmmm" not in body  # never the merge commit the checkout holds


@pytest.mark.parametrize("workflow", ["ghlops-matrix.yml", "ghlops-plan.yml"])
def test_the_plan_comment_shows_the_plan_of_the_head_commit_when_the_plan_succeeded(
    tmp_path: Path, workflow: str
) -> None:
    (tmp_path / "plan.md").write_text("### ghlops plan\n\n**Plan: 1 to create**\n")
    env = {"PLAN_RESULT": "success", "SHOW_OUTCOME": "success", "PLAN_OUTCOME": "success"}
    result = run(tmp_path, workflow, "Post or update the plan comment", {"context": pull_request_context()}, env)
    body = comment_body(result)
    assert body.startswith("<!-- ghlops-plan -->\n### ghlops plan\n\n**Plan: 1 to create**\n")
    assert "Plan of hhhhhhh merged into main" in body and "mmmmmmm" not in body


def test_the_single_plan_comment_says_the_plan_failed_when_it_did(tmp_path: Path) -> None:
    result = run(
        tmp_path, "ghlops-plan.yml", "Post or update the plan comment", {"context": pull_request_context()},
        {"PLAN_OUTCOME": "failure"},
    )  # fmt: skip
    assert ":x: **plan failed** for hhhhhhh" in comment_body(result)


# -- the drift pull request ------------------------------------------------------------------------------------

DRIFT = "ghlops-drift.yml"
DRIFT_CONTEXT = {"eventName": "schedule", "sha": MERGE, "ref": "refs/heads/main", "runId": 77,
                 "serverUrl": "https://github.example"}  # fmt: skip


def drift_pull(number: int = 30, ref: str = "ghlops/drift-41", repo: str = "acme/ghl-config") -> dict[str, Any]:
    return {"number": number, "body": "<!-- ghlops-drift-pull -->\nold plan", "head": {"ref": ref,
            "repo": {"full_name": repo}}}  # fmt: skip


def test_the_first_drift_opens_a_pull_request_on_a_new_branch_with_the_plan_as_its_body(tmp_path: Path) -> None:
    found = run(tmp_path, DRIFT, "Find the drift pull request", {"context": DRIFT_CONTEXT}, {})
    assert found["outputs"] == {"number": "", "branch": "ghlops/drift-77"}
    (tmp_path / "plan.md").write_text("### ghlops plan\n\n**Plan: 1 to update**\n")
    env = {"BRANCH": "ghlops/drift-77", "NUMBER": "", "PLAN": str(tmp_path / "plan.md")}
    opened = run(tmp_path, DRIFT, "Open or update the drift pull request", {"context": DRIFT_CONTEXT}, env)
    (create,) = [args for name, args in opened["calls"] if name == "pulls.create"]
    assert (create["head"], create["base"]) == ("ghlops/drift-77", "main")
    assert create["body"].startswith("<!-- ghlops-drift-pull -->\n")
    assert "### ghlops plan\n\n**Plan: 1 to update**\n" in create["body"]
    assert [name for name, _ in opened["calls"]] == ["pulls.create"]


def test_a_later_drift_reuses_the_open_pull_request_s_branch_and_updates_its_body(tmp_path: Path) -> None:
    scenario = {"context": DRIFT_CONTEXT, "open_pulls": [drift_pull()]}
    found = run(tmp_path, DRIFT, "Find the drift pull request", scenario, {})
    assert found["outputs"] == {"number": "30", "branch": "ghlops/drift-41"}
    (tmp_path / "plan.md").write_text("**Plan: 2 to update**\n")
    env = {"BRANCH": "ghlops/drift-41", "NUMBER": "30", "PLAN": str(tmp_path / "plan.md")}
    updated = run(tmp_path, DRIFT, "Open or update the drift pull request", scenario, env)
    (update,) = [args for name, args in updated["calls"] if name == "pulls.update"]
    assert update["pull_number"] == 30 and "**Plan: 2 to update**" in update["body"]
    assert [name for name, _ in updated["calls"]] == ["pulls.update"]


@pytest.mark.parametrize(
    "other",
    [drift_pull(ref="main"), drift_pull(repo="fork/ghl-config"), {**drift_pull(), "body": "someone's pull request"}],
    ids=["not a drift branch", "from a fork", "without the marker"],
)
def test_an_open_pull_request_that_is_not_the_drift_one_is_never_pushed_to(
    tmp_path: Path, other: dict[str, Any]
) -> None:
    found = run(tmp_path, DRIFT, "Find the drift pull request", {"context": DRIFT_CONTEXT, "open_pulls": [other]}, {})
    assert found["outputs"] == {"number": "", "branch": "ghlops/drift-77"}


def test_nothing_to_pull_opens_no_pull_request_and_closes_the_open_one(tmp_path: Path) -> None:
    none_open = run(tmp_path, DRIFT, "Close the drift pull request when there is nothing to pull",
                    {"context": DRIFT_CONTEXT}, {"NUMBER": ""})  # fmt: skip
    assert none_open["calls"] == []
    closed = run(tmp_path, DRIFT, "Close the drift pull request when there is nothing to pull",
                 {"context": DRIFT_CONTEXT}, {"NUMBER": "30"})  # fmt: skip
    assert [name for name, _ in closed["calls"]] == ["createComment", "pulls.update"]
    assert closed["calls"][1][1] == {"owner": "acme", "repo": "ghl-config", "pull_number": 30, "state": "closed"}


@pytest.mark.skipif(shutil.which("git") is None, reason="the commit step runs git")
def test_the_commit_step_applies_pull_s_patch_and_force_pushes_it_to_the_drift_branch(tmp_path: Path) -> None:
    from ghlops.commands.pull import unified_diff

    def git(*args: str, cwd: Path = tmp_path / "work") -> str:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout

    (tmp_path / "work" / "ghl").mkdir(parents=True)
    (tmp_path / "remote.git").mkdir()
    git("init", "-q", "--bare", cwd=tmp_path / "remote.git")
    before = "spec:\n  tags: [vip]  # kept\n"
    (tmp_path / "work" / "ghl" / "m.yaml").write_text(before)
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "manifests")
    (tmp_path / "drift").mkdir()
    after = "spec:\n  tags: [vip, new]  # kept\n"
    (tmp_path / "drift" / "drift.patch").write_text(unified_diff("ghl/m.yaml", before, after))
    script = step(DRIFT, "Commit the pulled values")["run"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RUNNER_TEMP": str(tmp_path), "BRANCH": "ghlops/drift-77",
           "GH_TOKEN": "t0ken", "GITHUB_SERVER_URL": f"file://{tmp_path}", "GITHUB_REPOSITORY": "remote"}  # fmt: skip
    for _ in range(2):  # the second run rewrites the branch
        done = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=tmp_path / "work", env=env,
                              capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        git("checkout", "-q", "--", ".")
        git("reset", "-q", "--hard", "HEAD~1")
    shown = git("show", "ghlops/drift-77:ghl/m.yaml", cwd=tmp_path / "remote.git")
    assert shown == after
    assert git("rev-list", "--count", "ghlops/drift-77", cwd=tmp_path / "remote.git").strip() == "2"
    assert "t0ken" not in done.stdout + done.stderr
