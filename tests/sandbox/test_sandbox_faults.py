"""Simulated failures: one-shot faults, random faults, latency, and GHL's rate limit."""

from __future__ import annotations

import httpx
import pytest

from ghlops.sandbox import FaultConfig, Sandbox
from tests.sandbox.conftest import COMPANY, LOC, LOCATION_TOKEN, OTHER_LOC, client

RATE_HEADERS = (
    "x-ratelimit-max",
    "x-ratelimit-remaining",
    "x-ratelimit-interval-milliseconds",
    "x-ratelimit-limit-daily",
    "x-ratelimit-daily-remaining",
)


def test_an_injected_reset_drops_the_connection_before_any_work(sb: Sandbox, api: httpx.Client) -> None:
    sb.inject("reset", method="POST", path_contains="/tags")
    with pytest.raises(httpx.TransportError):
        api.post(f"/locations/{LOC}/tags", json={"name": "lost"})
    assert sb.store.snapshot(LOC)["tags"] == []
    assert (sb.requests[-1].status, sb.requests[-1].fault) == (None, "reset")
    # One-shot: the retry goes through on a fresh connection.
    assert api.post(f"/locations/{LOC}/tags", json={"name": "lost"}).status_code == 201


def test_an_injected_ambiguous_create_commits_but_never_answers(sb: Sandbox, api: httpx.Client) -> None:
    sb.inject("ambiguous", method="POST", path_contains="/customValues")
    with pytest.raises(httpx.TransportError):
        api.post(f"/locations/{LOC}/customValues", json={"name": "Phone", "value": "555"})
    [value] = sb.store.snapshot(LOC)["customValues"]
    assert value["name"] == "Phone"
    assert api.get(f"/locations/{LOC}/customValues").json() == {"customValues": [value]}
    # A blind retry now collides with what the lost answer created.
    assert api.post(f"/locations/{LOC}/customValues", json={"name": "Phone", "value": "555"}).status_code == 400


def test_an_injected_status_answers_without_doing_the_work(sb: Sandbox, api: httpx.Client) -> None:
    sb.inject("status", path_contains="/tags", status=503, times=2)
    for _ in range(2):
        response = api.post(f"/locations/{LOC}/tags", json={"name": "x"})
        assert response.status_code == 503
        assert response.json() == {"statusCode": 503, "message": "Service Unavailable"}
    assert sb.store.snapshot(LOC)["tags"] == []
    assert api.post(f"/locations/{LOC}/tags", json={"name": "x"}).status_code == 201


def test_an_injected_429_carries_retry_after(sb: Sandbox, api: httpx.Client) -> None:
    sb.inject("status", status=429, retry_after=3)
    response = api.get(f"/locations/{LOC}/tags")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json() == {"statusCode": 429, "message": "Too many requests"}


def test_injected_faults_match_only_their_method_and_path(sb: Sandbox, api: httpx.Client) -> None:
    sb.inject("status", method="DELETE", path_contains="/tags/", status=500)
    assert api.get(f"/locations/{LOC}/tags").status_code == 200
    assert api.post(f"/locations/{LOC}/tags", json={"name": "t"}).status_code == 201
    tag = api.get(f"/locations/{LOC}/tags").json()["tags"][0]
    assert api.delete(f"/locations/{LOC}/tags/{tag['id']}").status_code == 500
    assert api.delete(f"/locations/{LOC}/tags/{tag['id']}").status_code == 200


def test_an_unknown_fault_kind_is_refused(sb: Sandbox) -> None:
    with pytest.raises(ValueError):
        sb.inject("explode")  # type: ignore[arg-type]


def test_random_failures_are_reproducible_for_a_seed() -> None:
    def statuses(seed: int) -> list[int]:
        with Sandbox(location_token=LOCATION_TOKEN, faults=FaultConfig(fail_rate=0.5, seed=seed)) as sb:
            sb.store.create_location(LOC, "Downtown")
            with client(sb.url) as api:
                return [api.get(f"/locations/{LOC}/tags").status_code for _ in range(30)]

    first = statuses(7)
    assert first == statuses(7)
    assert set(first) - {200} <= {500, 502, 503}
    assert 200 in first and len(set(first)) > 1
    assert first != statuses(8)


def test_random_resets_and_ambiguous_creates_happen_at_their_rates(sb: Sandbox, api: httpx.Client) -> None:
    sb.faults = FaultConfig(reset_rate=1.0)
    with pytest.raises(httpx.TransportError):
        api.get(f"/locations/{LOC}/tags")
    sb.faults = FaultConfig(ambiguous_rate=1.0)
    assert api.get(f"/locations/{LOC}/tags").status_code == 200  # only creates are ambiguous
    with pytest.raises(httpx.TransportError):
        api.post(f"/locations/{LOC}/tags", json={"name": "maybe"})
    assert [t["name"] for t in sb.store.snapshot(LOC)["tags"]] == ["maybe"]


def test_ids_are_reproducible_for_a_seed_whatever_the_faults() -> None:
    def first_tag_id(config: FaultConfig) -> str:
        with Sandbox(location_token=LOCATION_TOKEN, faults=config) as sb:
            sb.store.create_location(LOC, "Downtown")
            with client(sb.url) as api:
                tag: str = api.post(f"/locations/{LOC}/tags", json={"name": "a"}).json()["tag"]["id"]
                return tag

    assert first_tag_id(FaultConfig(seed=3)) == first_tag_id(FaultConfig(seed=3, latency_ms=1))
    assert first_tag_id(FaultConfig(seed=3)) != first_tag_id(FaultConfig(seed=4))


def test_latency_delays_every_answer() -> None:
    slept: list[float] = []  # the sandbox's sleep, injected: the delay is counted, not timed
    with Sandbox(location_token=LOCATION_TOKEN, faults=FaultConfig(latency_ms=150), sleep=slept.append) as sb:
        sb.store.create_location(LOC, "Downtown")
        with client(sb.url) as api:
            assert api.get(f"/locations/{LOC}/tags").status_code == 200
            assert api.post(f"/locations/{LOC}/tags", json={"name": "late"}).status_code == 201
            assert api.get("/nowhere").status_code == 404
    assert slept == [0.15, 0.15, 0.15]


def test_rate_limit_headers_are_sent_on_every_answer(api: httpx.Client) -> None:
    first = api.get(f"/locations/{LOC}/tags")
    second = api.get(f"/locations/{LOC}/tags")
    for response in (first, second, api.get("/nowhere")):
        assert all(name in response.headers for name in RATE_HEADERS)
    assert first.headers["x-ratelimit-max"] == "100"
    assert first.headers["x-ratelimit-interval-milliseconds"] == "10000"
    assert first.headers["x-ratelimit-limit-daily"] == "200000"
    assert int(second.headers["x-ratelimit-remaining"]) == int(first.headers["x-ratelimit-remaining"]) - 1
    assert second.headers["x-ratelimit-daily-remaining"] == "199998"


def test_the_burst_limit_answers_429_per_location_until_the_window_slides() -> None:
    now = [1000.0]  # the sandbox's monotonic clock, injected: the window slides when the test says so
    faults = FaultConfig(rate_limit=True, rate_limit_max=5, rate_limit_window_s=0.5)
    with Sandbox(location_token=LOCATION_TOKEN, faults=faults, monotonic=lambda: now[0]) as sb, client(sb.url) as api:
        sb.store.create_location(LOC, "Downtown")
        sb.store.create_location(OTHER_LOC, "Uptown")
        statuses = [api.get(f"/locations/{LOC}/tags").status_code for _ in range(5)]
        assert statuses == [200] * 5
        limited = api.post(f"/locations/{LOC}/tags", json={"name": "too-many"})
        assert limited.status_code == 429
        assert limited.json() == {"statusCode": 429, "message": "Too many requests"}
        assert limited.headers["retry-after"] == "1"
        assert limited.headers["x-ratelimit-remaining"] == "0"
        assert sb.store.snapshot(LOC)["tags"] == []  # refused before the work
        # Another location has its own window.
        assert api.get(f"/locations/{OTHER_LOC}/tags").status_code == 200
        now[0] += 0.49  # still inside the window
        assert api.get(f"/locations/{LOC}/tags").status_code == 429
        now[0] += 0.01  # the first five requests leave the window together
        assert api.get(f"/locations/{LOC}/tags").status_code == 200


def test_users_endpoints_count_against_the_company(sb: Sandbox, agency: httpx.Client, api: httpx.Client) -> None:
    sb.faults = FaultConfig(rate_limit=True, rate_limit_max=3, rate_limit_window_s=5)
    statuses = [agency.get("/users/search", params={"companyId": COMPANY}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert api.get(f"/locations/{LOC}/tags").status_code == 200
