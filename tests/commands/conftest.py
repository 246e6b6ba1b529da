"""Fixtures for the command tests: the CLI run in-process, or as a real process, against a sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ghlops.cli import main
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations, sandbox_env

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


class Cli:
    """ghlops in-process (click's runner: stdout and stderr apart) with the sandbox's environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env={**self.env, **(env or {})}, catch_exceptions=False)

    def process(self, *args: str, env: dict[str, str] | None = None, **popen: object) -> subprocess.Popen[bytes]:
        """ghlops as a real process (for what only a process has: a closed pipe, file descriptors)."""
        full = {**os.environ, **self.env, "PYTHONPATH": str(REPO), **(env or {})}
        return subprocess.Popen([sys.executable, "-m", "ghlops", *args], env=full, **popen)  # type: ignore[call-overload, no-any-return]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """An empty sandbox (no locations yet): for tests that seed it themselves."""
    with Sandbox(db_path=":memory:", port=0) as sb:
        yield sb


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(db_path=":memory:", port=0) as sandbox:
        create_locations(sandbox, [EXAMPLES])
        yield sandbox


@pytest.fixture
def cli(sb: Sandbox) -> Cli:
    return Cli(sandbox_env(sb))


@pytest.fixture
def offline_cli() -> Cli:
    """For what fails (or needs nothing) before any API call."""
    return Cli({})
