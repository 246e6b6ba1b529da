"""Starting, stopping and persisting sandboxes; behaviour under concurrent requests."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ghlops.sandbox import Sandbox
from ghlops.sandbox.server import _Handler
from tests.sandbox.conftest import LOC, client

# How long a stop (or a start) may take before the test says it hangs: far above what a loaded 2-core machine
# needs (milliseconds), far below the hour an idle connection would hold a stop that waited for it.
STOP_BOUND_S = 60.0


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_stop_does_not_wait_for_a_pooled_connection_and_frees_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    # An idle keep-alive connection holds its handler for the handler's timeout; made an hour here, a stop that
    # waited for it would hang the test for an hour instead of returning within the (generous) bound.
    monkeypatch.setattr(_Handler, "timeout", 3600)
    sb = Sandbox().start()
    sb.store.create_location(LOC, "Downtown")
    port = int(sb.url.rsplit(":", 1)[1])
    with client(sb.url, sb.token_for(LOC)) as api:
        assert api.get(f"/locations/{LOC}/tags").status_code == 200  # leaves a keep-alive connection open
        stopping = threading.Thread(target=sb.stop, daemon=True)
        stopping.start()
        stopping.join(timeout=STOP_BOUND_S)
        assert not stopping.is_alive()
        assert _port_is_free(port)
        with pytest.raises(httpx.TransportError):
            api.get(f"/locations/{LOC}/tags")
    sb.stop()  # idempotent


def test_a_fixed_port_can_be_reused_right_after_stop() -> None:
    first = Sandbox().start()
    port = int(first.url.rsplit(":", 1)[1])
    first.stop()
    with Sandbox(port=port) as second:
        assert second.url == f"http://127.0.0.1:{port}"


def test_many_sandboxes_run_side_by_side_with_separate_state() -> None:
    sandboxes = [Sandbox().start() for _ in range(5)]
    try:
        for index, sb in enumerate(sandboxes):
            sb.store.create_location(LOC, f"Location {index}")
            with client(sb.url, sb.token_for(LOC)) as api:
                assert api.post(f"/locations/{LOC}/tags", json={"name": f"tag-{index}"}).status_code == 201
        assert len({sb.url for sb in sandboxes}) == 5
        for index, sb in enumerate(sandboxes):
            assert [t["name"] for t in sb.store.snapshot(LOC)["tags"]] == [f"tag-{index}"]
    finally:
        for sb in sandboxes:
            sb.stop()


def test_url_needs_a_started_sandbox_and_state_survives_stop() -> None:
    sb = Sandbox()
    with pytest.raises(RuntimeError):
        _ = sb.url
    sb.store.create_location(LOC, "Downtown")
    with sb, client(sb.url, sb.token_for(LOC)) as api:
        api.post(f"/locations/{LOC}/tags", json={"name": "kept"})
    assert sb.store.snapshot(LOC)["tags"][0]["name"] == "kept"


def test_tokens_and_company_are_readable_for_clients() -> None:
    sb = Sandbox(location_token="loc-t", agency_token="agency-t", company_id="c1")
    assert (sb.location_token, sb.agency_token, sb.company_id) == ("loc-t", "agency-t", "c1")


def test_serve_forever_blocks_until_stopped_from_another_thread() -> None:
    sb = Sandbox()
    sb.store.create_location(LOC, "Downtown")
    thread = threading.Thread(target=sb.serve_forever, daemon=True)
    thread.start()
    deadline = time.monotonic() + STOP_BOUND_S  # a bound on a wait, not on speed: the loop ends when serving
    while True:
        try:
            url = sb.url
            break
        except RuntimeError:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    with client(url, sb.token_for(LOC)) as api:
        assert api.get(f"/locations/{LOC}/tags").status_code == 200
    sb.stop()
    thread.join(timeout=STOP_BOUND_S)
    assert not thread.is_alive()


def test_a_file_database_keeps_state_across_sandboxes_without_id_clashes(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    with Sandbox(db_path=db) as first, client(first.url, first.token_for(LOC)) as api:
        first.store.create_location(LOC, "Downtown")
        tag = api.post(f"/locations/{LOC}/tags", json={"name": "persisted"}).json()["tag"]
    # Same seed, so the id stream starts over: the store must skip ids it already holds.
    with Sandbox(db_path=db) as second, client(second.url, second.token_for(LOC)) as api:
        assert api.get(f"/locations/{LOC}/tags").json()["tags"] == [tag]
        again = api.post(f"/locations/{LOC}/tags", json={"name": "second"})
        assert again.status_code == 201
        assert again.json()["tag"]["id"] != tag["id"]


def test_concurrent_creates_of_the_same_name_yield_exactly_one_object(sb: Sandbox) -> None:
    def create(_: int) -> int:
        with client(sb.url, sb.token_for(LOC)) as api:
            return api.post(f"/locations/{LOC}/customValues", json={"name": "Race", "value": "v"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(16)))
    assert sorted(statuses) == [201] + [400] * 15
    assert len(sb.store.snapshot(LOC)["customValues"]) == 1


def test_concurrent_requests_on_pooled_connections_all_succeed(sb: Sandbox, api: httpx.Client) -> None:
    def create(index: int) -> int:
        return api.post(f"/locations/{LOC}/tags", json={"name": f"t{index}"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(create, range(40))) == {201}
    assert len(sb.store.snapshot(LOC)["tags"]) == 40
