"""The example workflows and the composite action pass the linters a reviewer would run on them.

- zizmor (GitHub Actions security analysis), with the policy in .ci/zizmor.yml (major-tag pins for GitHub's
  actions and ghlops's own, hash pins for anything else);
- check-jsonschema's built-in GitHub workflow and action schemas (SchemaStore's, vendored in the wheel);
- shellcheck on every `run:` script, with each ``${{ }}`` expression replaced by a placeholder word.

zizmor and check-jsonschema come with the `test` extra; shellcheck is a Debian package that .ci/run installs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_FILES = sorted((REPO / "examples" / "github").glob("*.yml"))
ACTION = REPO / "action.yml"
ZIZMOR_CONFIG = REPO / ".ci" / "zizmor.yml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str | None:
    """A tool installed beside this Python (the venv's scripts) or on PATH."""
    beside = BIN / name
    return str(beside) if beside.exists() else shutil.which(name)


def lint(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, cwd=REPO)


def test_zizmor_finds_no_security_problem_in_the_example_workflows_or_the_action() -> None:
    zizmor = tool("zizmor")
    assert zizmor is not None, "zizmor comes with the test extra: pip install -e '.[test]'"
    result = lint([zizmor, "--offline", "--no-progress", "--config", str(ZIZMOR_CONFIG), *map(str, EXAMPLE_FILES),
                   str(ACTION)])  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_does_flag_a_workflow_that_splices_a_pull_request_title_into_a_script(tmp_path: Path) -> None:
    # The linter really runs and fails: the same invocation on a known-bad workflow.
    zizmor = tool("zizmor")
    assert zizmor is not None
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    result = lint([zizmor, "--offline", "--no-progress", "--config", str(ZIZMOR_CONFIG), str(bad)])
    assert result.returncode != 0
    assert "template-injection" in result.stdout + result.stderr


def test_the_example_workflows_match_github_s_workflow_schema() -> None:
    checker = tool("check-jsonschema")
    assert checker is not None, "check-jsonschema comes with the test extra"
    result = lint([checker, "--builtin-schema", "vendor.github-workflows", *map(str, EXAMPLE_FILES)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_composite_action_matches_github_s_action_schema() -> None:
    checker = tool("check-jsonschema")
    assert checker is not None
    result = lint([checker, "--builtin-schema", "vendor.github-actions", str(ACTION)])
    assert result.returncode == 0, result.stdout + result.stderr


def run_scripts() -> list[tuple[str, str]]:
    """(where, script) for every `run:` of the examples and the action, expressions replaced by a placeholder."""
    found = []
    for path in [*EXAMPLE_FILES, ACTION]:
        data: Any = YAML(typ="safe").load(path.read_text())
        jobs = data.get("jobs", {"action": {"steps": data.get("runs", {}).get("steps", [])}})
        for job_name, job in jobs.items():
            for index, s in enumerate(job.get("steps", [])):
                if "run" in s:
                    script = re.sub(r"\$\{\{.*?\}\}", "GHA_EXPRESSION", str(s["run"]))
                    found.append((f"{path.name} {job_name} step {index + 1} ({s.get('name', '')})", script))
    return found


SCRIPTS = run_scripts()


def test_the_examples_and_the_action_have_run_scripts_to_check() -> None:
    assert {where.split()[0] for where, _ in SCRIPTS} == {"action.yml", "ghlops-drift.yml", "ghlops-token-refresh.yml"}


@pytest.mark.parametrize(("where", "script"), SCRIPTS, ids=[w for w, _ in SCRIPTS])
def test_shellcheck_finds_nothing_in_a_run_script(where: str, script: str) -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (a Debian package: apt-get install shellcheck; .ci/run does)")
    result = subprocess.run(
        [shellcheck, "-s", "bash", "-"], input=script, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"{where}:\n{result.stdout}{result.stderr}"
