"""The composite action's shell step, run for real with bash against the sandbox, as a runner would run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations, sandbox_env

REPO = Path(__file__).resolve().parents[1]
MANIFESTS = REPO / "examples"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the composite action's step runs in bash")


def action_script() -> str:
    action = YAML(typ="safe").load((REPO / "action.yml").read_text())
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "run"]
    return str(step["run"])


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0) as sb:
        create_locations(sb, [MANIFESTS])
        yield sb


class Runner:
    """Runs the action's step with its inputs in the environment, `ghlops` on PATH, and GITHUB_OUTPUT."""

    def __init__(self, sb: Sandbox, work: Path) -> None:
        self.work = work
        bin_dir = work / "bin"
        bin_dir.mkdir()
        shim = bin_dir / "ghlops"
        shim.write_text(f'#!/bin/sh\nPYTHONPATH="{REPO}" exec "{sys.executable}" -m ghlops "$@"\n')
        shim.chmod(0o755)
        (work / "step.sh").write_text(action_script())
        self.base = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(work),
            **sandbox_env(sb),
        }

    def __call__(self, **inputs: str) -> tuple[int, str, dict[str, str]]:
        output = self.work / "github_output"
        output.write_text("")
        env = {
            **self.base,
            "GITHUB_OUTPUT": str(output),
            "GHLOPS_COMMAND": inputs.get("command", "plan"),
            "GHLOPS_PATHS": inputs.get("paths", str(MANIFESTS)),
            "GHLOPS_FORMAT": inputs.get("format", "text"),
            "GHLOPS_ARGS": inputs.get("args", ""),
            "GHLOPS_OUTPUT_FILE": inputs.get("output_file", ""),
            "GHLOPS_FAIL_ON_CHANGES": inputs.get("fail_on_changes", "false"),
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(self.work / "step.sh")],  # as GitHub runs bash
            cwd=self.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        return done.returncode, done.stdout + done.stderr, outputs


@pytest.fixture
def run(sandbox: Sandbox, tmp_path: Path) -> Runner:
    return Runner(sandbox, tmp_path)


def test_a_plan_with_changes_passes_and_reports_exit_code_2_with_the_markdown_in_the_output_file(
    run: Runner,
) -> None:
    code, log, outputs = run(format="markdown", args="--detailed-exitcode --out plan.json", output_file="plan.md")
    assert code == 0, log
    assert outputs == {"exit-code": "2"}
    assert (run.work / "plan.md").read_text().startswith("### ghlops plan\n")
    assert (run.work / "plan.json").exists()
    assert "ghlops: changes planned (exit code 2)" in log


def test_fail_on_changes_turns_exit_code_2_into_a_failed_step(run: Runner) -> None:
    code, _, outputs = run(args="--detailed-exitcode", fail_on_changes="true")
    assert (code, outputs) == (2, {"exit-code": "2"})


def test_an_error_fails_the_step_with_exit_code_1(run: Runner) -> None:
    code, log, outputs = run(paths="no-such-dir")
    assert (code, outputs) == (1, {"exit-code": "1"})
    assert "error: no-such-dir: no such file or directory" in log


def test_the_install_step_installs_the_checkout_of_the_pinned_tag(tmp_path: Path) -> None:
    # The runner puts the action's checkout (of the tag or commit `uses:` names) in GITHUB_ACTION_PATH; pip is
    # replaced by a recorder, so the step's real script shows what it would install.
    action = YAML(typ="safe").load((REPO / "action.yml").read_text())
    (step,) = [s for s in action["runs"]["steps"] if s.get("name") == "Install ghlops"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pip").write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$RECORD"\n')
    (bin_dir / "pip").chmod(0o755)
    checkout = tmp_path / "_actions" / "your-org" / "ghlops" / "v1"
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env={"PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin", "GITHUB_ACTION_PATH": str(checkout),
             "RECORD": str(tmp_path / "argv")},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "argv").read_text().splitlines() == [
        "install", "--disable-pip-version-check", "--quiet", str(checkout),
    ]  # fmt: skip


def test_a_bad_format_is_an_error_never_reported_as_changes_planned(run: Runner) -> None:
    # Click's usage errors exit 1, not 2: a typo must not read as "changes planned" (or open a drift issue).
    code, log, outputs = run(format="md", args="--detailed-exitcode")
    assert (code, outputs) == (1, {"exit-code": "1"})
    assert "changes planned" not in log
    assert "error: Invalid value for '--format': 'md' is not one of 'text', 'json', 'markdown'." in log


def test_an_unknown_command_is_refused_before_running_anything(run: Runner) -> None:
    code, log, outputs = run(command="rm")
    assert (code, outputs) == (1, {})
    assert "::error::ghlops: command must be validate, plan, apply, show or pull, not 'rm'" in log


def test_plan_then_apply_the_saved_plan_then_show_it_by_glob(run: Runner) -> None:
    assert run(args="--out plan.json")[0] == 0
    code, log, outputs = run(command="apply", paths="", args="--plan plan.json --auto-approve")
    assert (code, outputs) == (0, {"exit-code": "0"}), log
    assert "Apply: 22 applied, 0 failed, 0 skipped." in log
    code, log, _ = run(command="show", paths="*.json", format="markdown", output_file="shown.md")
    assert code == 0, log
    assert "**Plan: 22 to create" in (run.work / "shown.md").read_text()
    code, _, outputs = run(args="--detailed-exitcode")
    assert (code, outputs) == (0, {"exit-code": "0"})
