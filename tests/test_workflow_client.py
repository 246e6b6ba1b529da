"""The run's client as workflow.make_client builds it: connections sized to the calls in flight, the run deadline."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghlops.errors import ConfigError
from ghlops.workflow import Settings, calls_in_flight, load, make_client

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ENV = {"GHL_BASE_URL": "http://127.0.0.1:1", "GHL_TOKEN": "t", "GHL_AGENCY_TOKEN": "a", "GHL_COMPANY_ID": "c"}


@pytest.mark.parametrize(("parallelism", "calls"), [(1, 1), (2, 8), (8, 32), (16, 64)])
def test_the_client_keeps_as_many_connections_as_the_run_has_calls_in_flight(parallelism: int, calls: int) -> None:
    # Issue 15: with fewer idle connections than calls in flight, thousands of connections were opened anew.
    assert calls_in_flight(parallelism) == calls
    settings = Settings(env=ENV, parallelism=parallelism)
    with make_client(settings, load([EXAMPLES], ENV).loaded) as client:
        assert client.limits.max_keepalive_connections == calls


def test_the_run_deadline_comes_from_the_settings_or_the_environment() -> None:
    loaded = load([EXAMPLES], ENV).loaded
    with make_client(Settings(env={**ENV, "GHLOPS_RUN_DEADLINE": "90"}), loaded) as client:
        assert client._run_deadline == 90.0
    with make_client(Settings(env=ENV, run_deadline=5.0), loaded) as client:
        assert client._run_deadline == 5.0
    with make_client(Settings(env=ENV), loaded) as client:
        assert client._run_deadline is None


@pytest.mark.parametrize("raw", ["soon", "0", "-3", "nan", "inf"])
def test_a_run_deadline_that_is_not_a_positive_number_is_one_clear_error(raw: str) -> None:
    with pytest.raises(ConfigError, match="GHLOPS_RUN_DEADLINE must be a"):
        make_client(Settings(env={**ENV, "GHLOPS_RUN_DEADLINE": raw}), load([EXAMPLES], ENV).loaded)
