from __future__ import annotations

from collections.abc import Iterator

import pytest

from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations
from tests.e2e.conftest import EXAMPLES, Cli


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(db_path=":memory:", port=0) as sb:
        yield sb


@pytest.fixture
def cli(sandbox: Sandbox) -> Cli:
    create_locations(sandbox, [EXAMPLES])
    return Cli(sandbox)
