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
def cli(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Cli:
    # The runner adds to os.environ; make sure no real credentials from the developer's shell leak in.
    # GITHUB_STEP_SUMMARY too: when the suite runs in GitHub Actions, plans must not land in its job summary.
    for name in (
        "GHL_TOKEN",
        "GHL_AGENCY_TOKEN",
        "GHL_COMPANY_ID",
        "GHL_BASE_URL",
        "GHLOPS_PARALLELISM",
        "NO_COLOR",
        "GITHUB_STEP_SUMMARY",
    ):
        monkeypatch.delenv(name, raising=False)
    create_locations(sandbox, [EXAMPLES])
    return Cli(sandbox)
