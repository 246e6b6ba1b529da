"""Colour of text output: --color / --no-color, NO_COLOR, FORCE_COLOR (CI logs), TERM=dumb, else a terminal."""

from __future__ import annotations

import pytest

from ghlops.cli import colour_wanted

from .conftest import EXAMPLES, Cli

ESC = "\x1b["


@pytest.mark.parametrize(
    ("flag", "env", "tty", "wanted"),
    [
        (None, {}, True, True),
        (None, {}, False, False),
        (None, {"NO_COLOR": "1"}, True, False),
        (None, {"NO_COLOR": ""}, True, True),  # no-color.org: set and not empty
        (None, {"TERM": "dumb"}, True, False),
        (None, {"FORCE_COLOR": "1"}, False, True),  # a CI log that renders ANSI
        (None, {"FORCE_COLOR": "1", "TERM": "dumb"}, False, True),
        (None, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
        (True, {"NO_COLOR": "1", "TERM": "dumb"}, False, True),
        (False, {"FORCE_COLOR": "1"}, True, False),
    ],
)
def test_the_flag_wins_then_no_color_then_force_color_then_term_dumb_then_the_terminal(
    flag: bool | None, env: dict[str, str], tty: bool, wanted: bool
) -> None:
    assert colour_wanted(flag, env, tty) is wanted


def test_plan_output_off_a_terminal_has_no_colour(cli: Cli) -> None:
    result = cli("plan", str(EXAMPLES), env={"FORCE_COLOR": ""})  # whatever this run's environment says
    assert result.exit_code == 0 and "+ tag" in result.stdout and ESC not in result.stdout


@pytest.mark.parametrize("args", [["--color", "plan"], ["plan", "--color"]])
def test_color_forces_colour_before_or_after_the_subcommand(cli: Cli, args: list[str]) -> None:
    result = cli(*args, str(EXAMPLES), env={"NO_COLOR": "1"})
    assert result.exit_code == 0 and ESC in result.stdout


def test_force_color_colours_a_ci_log_and_no_color_flag_overrides_it(cli: Cli) -> None:
    forced = {"FORCE_COLOR": "1", "NO_COLOR": ""}
    assert ESC in cli("plan", str(EXAMPLES), env=forced).stdout
    assert ESC not in cli("plan", str(EXAMPLES), "--no-color", env=forced).stdout
