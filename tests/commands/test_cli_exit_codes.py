"""Exit codes as terraform's: every error is 1 (click's usage errors included), 2 only for changes under
plan --detailed-exitcode; global options before or after the subcommand; a closed stdout ends cleanly."""

from __future__ import annotations

import re
import subprocess

import pytest

from ghlops.live import TOP_KINDS
from ghlops.sandbox import Sandbox

from .conftest import EXAMPLES, Cli


@pytest.mark.parametrize(
    ("args", "env", "stderr"),
    [
        (["plan", str(EXAMPLES), "--bogus"], {},
         "error: No such option '--bogus'. Did you mean '--out'? (see ghlops plan --help)"),
        (["plan", "--format", "md", str(EXAMPLES)], {},
         "error: Invalid value for '--format': 'md' is not one of 'text', 'json', 'markdown'. "
         "(see ghlops plan --help)"),
        (["plan"], {}, "error: Missing argument 'PATHS...'. (see ghlops plan --help)"),
        (["nope"], {}, "error: No such command 'nope'. (see ghlops --help)"),
        (["plan", str(EXAMPLES), "--parallelism", "0"], {},
         "error: Invalid value for '--parallelism': 0 is not in the range x>=1. (see ghlops plan --help)"),
        (["plan", str(EXAMPLES)], {"GHLOPS_PARALLELISM": "0"},
         "error: Invalid value for '--parallelism': 0 is not in the range x>=1. (see ghlops plan --help)"),
        (["apply", str(EXAMPLES), "--max-delete-percent", "150"], {},
         "error: Invalid value for '--max-delete-percent': 150.0 is not in the range 0<=x<=100. "
         "(see ghlops apply --help)"),
        (["plan", str(EXAMPLES), "--max-contacts-affected", "-1"], {},
         "error: Invalid value for '--max-contacts-affected': -1 is not in the range x>=0. (see ghlops plan --help)"),
        (["plan", str(EXAMPLES), "--shard", "5/4"], {},
         "error: --shard '5/4': the shard number must be between 1 and 4"),
        (["auth", "status", "--bogus"], {}, "error: No such option '--bogus'. (see ghlops auth status --help)"),
    ],
)  # fmt: skip
def test_a_usage_error_exits_1_with_one_line_and_calls_nothing(
    cli: Cli, sb: Sandbox, args: list[str], env: dict[str, str], stderr: str
) -> None:
    sb.clear_requests()
    result = cli(*args, env=env)
    assert (result.exit_code, result.stderr, result.stdout) == (1, stderr + "\n", "")
    assert sb.requests == []


def test_exit_2_means_changes_only_under_detailed_exitcode(cli: Cli) -> None:
    assert cli("plan", str(EXAMPLES), "--detailed-exitcode").exit_code == 2
    assert cli("plan", str(EXAMPLES)).exit_code == 0


def test_a_valid_parallelism_from_the_environment_is_used(cli: Cli) -> None:
    assert cli("plan", str(EXAMPLES), env={"GHLOPS_PARALLELISM": "1"}).exit_code == 0


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_logs_every_request_given_before_or_after_the_subcommand(cli: Cli, where: str) -> None:
    args = ["--debug", "plan", str(EXAMPLES)] if where == "before" else ["plan", str(EXAMPLES), "--debug"]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    logged = [line for line in result.stderr.splitlines() if re.search(r" ghlops\.http (GET|POST) .* -> 200 ", line)]
    # The users search, then one list call per location kind per location (nothing live yet, so no child lists):
    # the kinds come from the registry, so each new built-in kind (issue 11) adds one call per location.
    assert len(logged) == 1 + 2 * len(TOP_KINDS)
    assert '"Authorization": "Bearer ***"' in result.stderr


def test_without_debug_no_request_is_logged(cli: Cli) -> None:
    result = cli("plan", str(EXAMPLES))
    assert result.exit_code == 0 and "ghlops.http" not in result.stderr


def closed_stdout(cli: Cli, *args: str) -> tuple[int, str]:
    done = cli.process(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert done.stdout is not None and done.stderr is not None
    done.stdout.close()  # the reader went away before the first line, as `| head -0` would
    stderr = done.stderr.read().decode()
    return done.wait(timeout=120), stderr


@pytest.mark.parametrize("args", [["plan", str(EXAMPLES)], ["schema"], ["validate", "--offline", str(EXAMPLES)]])
def test_a_closed_stdout_ends_cleanly_with_exit_1_and_no_traceback(cli: Cli, args: list[str]) -> None:
    code, stderr = closed_stdout(cli, *args)
    assert code == 1
    assert stderr == "error: standard output was closed before ghlops finished writing (broken pipe)\n"
