"""Seeding straight into the sandbox's pipeline (ghlops.sandbox.seed) leaves what seeding over HTTP leaves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.workload import Workload
from ghlops.apply import Executor
from ghlops.live import LiveReader
from ghlops.plan.render_text import render_plan
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import sandbox_env, seed_direct
from ghlops.workflow import Settings, load, make_client, plan, read

WORKLOAD = Workload(4, 60)


@pytest.fixture
def sandboxes() -> Iterator[tuple[Sandbox, Sandbox]]:
    over_http, direct = Sandbox().start(), Sandbox().start()
    try:
        yield over_http, direct
    finally:
        over_http.stop()
        direct.stop()


def seed_over_http(sb: Sandbox, seed_dir: Path) -> None:
    """What bench_reconcile's seeding did: ghlops's own plan and apply of the seed manifests, over HTTP."""
    for location_id, name in WORKLOAD.locations_with_names():
        sb.store.create_location(location_id, name, sb.company_id)
    settings = Settings(env=sandbox_env(sb), parallelism=1, rate_limit=False)
    manifests = load([seed_dir], settings.env)
    with make_client(settings, manifests.loaded) as client:
        result = plan(read(client, manifests.loaded, settings), settings)
        report = Executor(client, LiveReader(client, parallelism=1), parallelism=1, env=settings.env).apply(result)
    assert report.ok


def plan_against(sb: Sandbox, desired_dir: Path) -> tuple[str, int, list[tuple[str, str]]]:
    """The plan of the desired manifests: its text, the client's request count and the calls the sandbox got."""
    sb.clear_requests()
    settings = Settings(env=sandbox_env(sb), parallelism=1, rate_limit=False)
    manifests = load([desired_dir], settings.env)
    with make_client(settings, manifests.loaded) as client:
        text = render_plan(plan(read(client, manifests.loaded, settings), settings))
        requests = client.stats.requests
    return text, requests, sorted((r.method, r.path) for r in sb.requests)


STAMPS = frozenset({"createdAt", "updatedAt", "dateAdded", "dateUpdated"})  # the sandbox's clock: when, not what


def state(sb: Sandbox) -> Any:
    return without_stamps(
        {
            "locations": {lid: sb.store.snapshot(lid) for lid, _ in WORKLOAD.locations_with_names()},
            "users": sb.store.users(sb.company_id),
        }
    )


def without_stamps(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_stamps(v) for k, v in value.items() if k not in STAMPS}
    if isinstance(value, list):
        return [without_stamps(v) for v in value]
    return value


def test_direct_seeding_leaves_the_state_http_seeding_leaves_and_the_same_plan(
    sandboxes: tuple[Sandbox, Sandbox], tmp_path: Path
) -> None:
    over_http, direct = sandboxes
    seed_over_http(over_http, WORKLOAD.write(tmp_path / "seed", seed=True))
    calls = seed_direct(direct, WORKLOAD.desired_models(seed=True, company_id=direct.company_id))
    # One create per seeded object, the users once for the company, plus the reads before the plan.
    assert calls == len(over_http.requests)
    assert state(direct) == state(over_http)  # ids included: both created them one at a time in plan order
    desired_dir = WORKLOAD.write(tmp_path / "desired", seed=False)
    text, requests, calls_made = plan_against(over_http, desired_dir)
    assert "47 writes across 2 locations" in text  # the drifted ones
    assert plan_against(direct, desired_dir) == (text, requests, calls_made)


def test_seeding_again_restores_the_drift_after_the_desired_state_was_applied(
    sandboxes: tuple[Sandbox, Sandbox], tmp_path: Path
) -> None:
    _, direct = sandboxes
    seed_direct(direct, WORKLOAD.desired_models(seed=True, company_id=direct.company_id))
    desired_dir = WORKLOAD.write(tmp_path / "desired", seed=False)
    drifted = plan_against(direct, desired_dir)[0]
    seed_direct(direct, WORKLOAD.desired_models(seed=False, company_id=direct.company_id))
    assert "No changes" in plan_against(direct, desired_dir)[0]
    seed_direct(direct, WORKLOAD.desired_models(seed=True, company_id=direct.company_id))
    assert plan_against(direct, desired_dir)[0] == drifted
