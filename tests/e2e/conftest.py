from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ghlops.cli import main
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations, sandbox_env

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(db_path=":memory:", port=0) as sb:
        yield sb


class Cli:
    """Runs ghlops commands in-process against a sandbox over real HTTP, with only the sandbox's environment."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.env = sandbox_env(sb)

    def __call__(self, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        runner = CliRunner()
        full_env = {**self.env, **(env or {})}
        return runner.invoke(main, list(args), env=full_env, input=input, catch_exceptions=False)


@pytest.fixture
def cli(sandbox: Sandbox) -> Cli:
    # tests/conftest.py already scrubs GHL credentials and GITHUB_STEP_SUMMARY from the environment.
    create_locations(sandbox, [EXAMPLES])
    return Cli(sandbox)
