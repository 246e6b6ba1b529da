"""The sandbox's failure modes from the command line, and a whole run through them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

import ghlops.commands.sandbox as sandbox_command
import ghlops.sandbox
from bench.workload import Workload
from ghlops.apply import Executor
from ghlops.cli import main
from ghlops.live import LiveReader
from ghlops.sandbox import FaultConfig, Sandbox
from ghlops.sandbox.seed import sandbox_env
from ghlops.workflow import Settings, load, make_client, plan, read
from tests.e2e.conftest import EXAMPLES


def stop_at_once(seconds: float) -> None:
    raise KeyboardInterrupt


def test_the_sandbox_command_hands_every_fault_option_to_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Sandbox] = []

    class Spy(Sandbox):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(ghlops.sandbox, "Sandbox", Spy)
    monkeypatch.setattr(sandbox_command, "time", SimpleNamespace(sleep=stop_at_once))
    args = ["sandbox", "--port", "0", "--seed", str(EXAMPLES), "--latency-ms", "25", "--fail-rate", "0.05"]
    args += ["--reset-rate", "0.02", "--ambiguous-rate", "0.1", "--rate-limit", "--fault-seed", "7"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "seeded 2 location(s)" in result.output
    (sb,) = started
    assert dataclasses.asdict(sb.faults) == dataclasses.asdict(
        FaultConfig(latency_ms=25, fail_rate=0.05, reset_rate=0.02, ambiguous_rate=0.1, rate_limit=True, seed=7)
    )
    # Seeding ran before the faults were switched on: not one of its requests failed.
    assert all(r.fault is None and r.status is not None and r.status < 300 for r in sb.requests)


@pytest.mark.parametrize("option", ["--reset-rate", "--ambiguous-rate", "--fail-rate"])
def test_a_fault_rate_outside_zero_to_one_is_refused(option: str) -> None:
    result = CliRunner().invoke(main, ["sandbox", "--port", "0", option, "1.5"])
    assert result.exit_code == 1
    assert f"error: {option} must be between 0 and 1" in result.output


def test_a_run_through_resets_ambiguous_creates_and_5xx_converges_without_duplicates(tmp_path: Path) -> None:
    workload = Workload(locations=3, objects=16)
    manifests = workload.write(tmp_path, seed=False)
    faults = FaultConfig(reset_rate=0.02, ambiguous_rate=0.2, fail_rate=0.02, seed=11)
    with Sandbox(port=0, faults=faults) as sb:
        for location_id, name in workload.locations_with_names():
            sb.store.create_location(location_id, name, sb.company_id)
        # One of each for certain, on top of the random ones.
        sb.inject("reset", method="GET", path_contains="/calendars")
        sb.inject("status", status=502, method="GET", path_contains="/tags")
        sb.inject("ambiguous", method="POST", path_contains="/customValues")
        settings = Settings(env=sandbox_env(sb), parallelism=4)
        loaded = load([manifests], settings.env).loaded
        with make_client(settings, loaded) as client:
            Executor(client, LiveReader(client), env=settings.env).apply(plan(read(client, loaded, settings)))
        hit = {r.fault for r in sb.requests}
        sb.faults = FaultConfig()
        with make_client(settings, loaded) as client:
            result = plan(read(client, loaded, settings))
        assert {"reset", "ambiguous", "status"} <= hit
        # A failed change (an ambiguous create of a user may stay unknown) is finished by the next run; never a
        # duplicate: two live objects sharing a name would be a plan error.
        assert not result.errors
        with make_client(settings, loaded) as client:
            Executor(client, LiveReader(client), env=settings.env).apply(result)
            assert not plan(read(client, loaded, settings)).has_changes
        for location_id, _ in workload.locations_with_names():
            snapshot = sb.store.snapshot(location_id)
            for kind in ("tags", "customFields", "customValues", "calendars", "products"):
                names = [obj["name"] for obj in snapshot[kind]]
                assert len(names) == len(set(names)), (location_id, kind)
