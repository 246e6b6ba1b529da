"""GHL's burst limit, end to end: the sandbox enforces a (small, fast) window; ghlops stays under it or recovers."""

from __future__ import annotations

from pathlib import Path

from bench.workload import Workload
from ghlops.apply import Executor
from ghlops.live import LiveReader
from ghlops.sandbox import FaultConfig, Sandbox
from ghlops.sandbox.seed import sandbox_env
from ghlops.workflow import Settings, load, make_client, plan, read

# 20 requests per half second per location instead of GHL's 100 per 10 s: the same rule, faster to test.
LIMIT = 20
WINDOW_S = 0.5


def run(sb: Sandbox, manifests: Path, settings: Settings) -> tuple[bool, int, float]:
    """Plan and apply; returns (converged, 429s the client saw, seconds it waited on its own limiter)."""
    loaded = load([manifests], settings.env).loaded
    with make_client(settings, loaded) as client:
        report = Executor(
            client, LiveReader(client, parallelism=settings.parallelism), parallelism=settings.parallelism
        ).apply(plan(read(client, loaded, settings)))
        after = plan(read(client, loaded, settings))
        stats = client.stats
    return report.ok and not after.has_changes and not after.errors, stats.status_429, stats.rate_limit_wait_s


def limited_sandbox(tmp_path: Path, locations: int = 3) -> tuple[Sandbox, Path]:
    workload = Workload(locations=locations, objects=30)  # every object missing: ~35 calls per location
    manifests = workload.write(tmp_path / "desired", seed=False)
    faults = FaultConfig(rate_limit=True, rate_limit_max=LIMIT, rate_limit_window_s=WINDOW_S)
    sb = Sandbox(port=0, faults=faults)
    for location_id, name in workload.locations_with_names():
        sb.store.create_location(location_id, name, sb.company_id)
    return sb, manifests


def test_a_run_with_the_limiter_matching_the_servers_window_gets_no_429(tmp_path: Path) -> None:
    sb, manifests = limited_sandbox(tmp_path)
    with sb:
        settings = Settings(env=sandbox_env(sb), parallelism=8, rate_limit_max=LIMIT, rate_limit_window_s=WINDOW_S)
        converged, client_429s, waited = run(sb, manifests, settings)
        statuses = [r.status for r in sb.requests]
    assert converged
    assert waited > 0  # the limiter, not luck, kept the run under the window
    assert client_429s == 0
    assert statuses.count(429) == 0
    assert len(statuses) > LIMIT * 3  # the locations went past one window's worth each


def test_a_client_configured_looser_than_the_server_adopts_its_limit_from_the_headers(tmp_path: Path) -> None:
    sb, manifests = limited_sandbox(tmp_path, locations=2)
    with sb:
        # Five times the server's rate; X-RateLimit-Max on the first answers brings the client down to it.
        settings = Settings(env=sandbox_env(sb), parallelism=8, rate_limit_max=5 * LIMIT, rate_limit_window_s=WINDOW_S)
        converged, client_429s, waited = run(sb, manifests, settings)
    assert converged
    assert waited > 0
    assert client_429s == 0


def test_a_client_without_a_limiter_gets_429s_and_recovers_from_every_one(tmp_path: Path) -> None:
    sb, manifests = limited_sandbox(tmp_path, locations=2)
    with sb:
        converged, client_429s, _ = run(sb, manifests, Settings(env=sandbox_env(sb), parallelism=8, rate_limit=False))
        statuses = [r.status for r in sb.requests]
    assert client_429s > 0
    assert statuses.count(429) == client_429s
    assert converged  # every refused call was sent again after its Retry-After, and nothing was created twice


def test_injected_429_bursts_are_waited_out_and_the_run_converges(tmp_path: Path) -> None:
    workload = Workload(locations=2, objects=12)
    manifests = workload.write(tmp_path / "desired", seed=False)
    with Sandbox(port=0) as sb:
        for location_id, name in workload.locations_with_names():
            sb.store.create_location(location_id, name, sb.company_id)
        sb.inject("status", status=429, retry_after=0.1, method="GET", path_contains="/customValues", times=2)
        sb.inject("status", status=429, retry_after=0.1, method="POST", path_contains="/tags", times=3)
        converged, client_429s, _ = run(sb, manifests, Settings(env=sandbox_env(sb), parallelism=4))
    assert client_429s == 5
    assert converged


def test_the_cli_client_limits_to_ghls_documented_window_by_default() -> None:
    settings = Settings(env={"GHL_TOKEN": "t", "GHL_BASE_URL": "http://127.0.0.1:9"})
    with make_client(settings, []) as client:
        assert "RateLimiter(max_requests=100, window_s=10)" in repr(client)
