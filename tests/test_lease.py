"""The per-location lease (ghlops/lease.py) against the sandbox over real HTTP: one holder at a time, expiry for
crashed holders, bounded waits, force-unlock, release that never deletes a newer holder's lease, and renewal while
an apply writes (clocks and renewal ticks are injected: nothing waits on the wall clock)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ghlops.apply import Executor, Result
from ghlops.errors import ApiError
from ghlops.ghl import GHLClient, base_url_from_env
from ghlops.ghl.auth import Credentials, Target
from ghlops.lease import LEASE_NAME, LeaseHeld, LeaseInfo, Leases, LeaseSettings, Renewer, force_unlock, read_leases
from ghlops.live import LiveReader
from ghlops.request import Request
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations, sandbox_env
from ghlops.workflow import Settings, load, make_client, plan, read

LOC = "a1B2c3D4e5F6g7H8i9J0"


class Clock:
    """A clock the waiting loop advances by sleeping: no test really sleeps."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(db_path=":memory:", port=0) as sandbox:
        sandbox.store.create_location(LOC, "Downtown Dental", sandbox.company_id)
        yield sandbox


@pytest.fixture
def client(sb: Sandbox) -> Iterator[GHLClient]:
    env = sandbox_env(sb)
    credentials = Credentials.from_env(env, targets=[Target(LOC, "Downtown Dental")])
    with GHLClient(base_url_from_env(env), credentials) as c:
        yield c


def leases(client: GHLClient, clock: Clock, run: str, **settings: float) -> Leases:
    return Leases(
        client,
        holder=f"holder-{run}",
        run=run,
        settings=LeaseSettings(**settings),
        clock=clock,
        sleep=clock.sleep,
    )


def test_a_run_takes_the_free_lease_and_release_removes_it(client: GHLClient) -> None:
    clock = Clock()
    run = leases(client, clock, "run-a")
    run.acquire([(LOC, "Downtown Dental")])
    [info] = read_leases(client, LOC)
    assert (info.holder, info.run) == ("holder-run-a", "run-a")
    assert info.expires is not None and info.expires.timestamp() == clock.now + 15 * 60
    assert run.release_all() == []
    assert read_leases(client, LOC) == []


def test_a_second_run_fails_at_once_naming_the_holder_when_it_may_not_wait(client: GHLClient) -> None:
    clock = Clock()
    leases(client, clock, "run-a").acquire([(LOC, "Downtown Dental")])
    with pytest.raises(LeaseHeld) as caught:
        leases(client, clock, "run-b").acquire([(LOC, "Downtown Dental")])
    assert str(caught.value) == (
        "location Downtown Dental: another apply holds its lock: holder-run-a (run run-a), until "
        "2027-01-15 08:15:00 UTC; wait for it to finish, raise --lock-timeout, or run "
        "`ghlops force-unlock Downtown Dental` if that run is gone"
    )
    # The refused run left nothing behind: only the holder's lease exists.
    assert [i.run for i in read_leases(client, LOC)] == ["run-a"]


def test_a_waiting_run_takes_the_lease_once_the_holder_releases_it(client: GHLClient) -> None:
    clock = Clock()
    first = leases(client, clock, "run-a")
    first.acquire([(LOC, "Downtown Dental")])
    second = leases(client, clock, "run-b", timeout_s=60.0, poll_s=5.0)

    def release_on_second_sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if len(clock.sleeps) == 2:
            first.release_all()

    second._sleep = release_on_second_sleep
    second.acquire([(LOC, "Downtown Dental")])
    assert len(clock.sleeps) == 2
    assert all(2.5 <= s <= 7.5 for s in clock.sleeps)  # jittered around the poll interval
    assert [i.run for i in read_leases(client, LOC)] == ["run-b"]


def test_a_wait_is_bounded_by_the_lock_timeout(client: GHLClient) -> None:
    clock = Clock()
    leases(client, clock, "run-a").acquire([(LOC, "Downtown Dental")])
    start = clock.now
    with pytest.raises(LeaseHeld):
        leases(client, clock, "run-b", timeout_s=30.0, poll_s=5.0).acquire([(LOC, "Downtown Dental")])
    assert clock.now - start == pytest.approx(30.0)


def test_an_expired_lease_of_a_crashed_run_is_removed_and_taken_over(client: GHLClient) -> None:
    clock = Clock()
    leases(client, clock, "crashed", ttl_s=60.0).acquire([(LOC, "Downtown Dental")])
    clock.now += 61
    leases(client, clock, "run-b").acquire([(LOC, "Downtown Dental")])
    assert [i.run for i in read_leases(client, LOC)] == ["run-b"]


def test_release_after_expiry_never_deletes_the_newer_holders_lease(client: GHLClient) -> None:
    clock = Clock()
    slow = leases(client, clock, "slow", ttl_s=60.0)
    slow.acquire([(LOC, "Downtown Dental")])
    clock.now += 61
    leases(client, clock, "run-b").acquire([(LOC, "Downtown Dental")])
    assert slow.release_all() == []  # its own lease is already gone: a 404, not an error
    assert [i.run for i in read_leases(client, LOC)] == ["run-b"]


def test_a_lease_ghlops_cannot_read_never_expires_by_itself(client: GHLClient, sb: Sandbox) -> None:
    clock = Clock()
    from ghlops.request import Request

    client.send(
        Request("POST", ("/locations/", LOC, "/customValues"), body={"name": LEASE_NAME, "value": "hands off"}),
        location_id=LOC,
    )
    clock.now += 10**7
    with pytest.raises(LeaseHeld, match="unknown \\(not written by ghlops\\)"):
        leases(client, clock, "run-b").acquire([(LOC, "Downtown Dental")])


def test_force_unlock_removes_every_lease_and_reports_what_it_held(client: GHLClient) -> None:
    clock = Clock()
    leases(client, clock, "run-a").acquire([(LOC, "Downtown Dental")])
    [info] = force_unlock(client, LOC, "Downtown Dental")
    assert info.run == "run-a"
    assert read_leases(client, LOC) == []
    assert force_unlock(client, LOC) == []


def test_two_runs_racing_never_both_hold_the_lease(client: GHLClient) -> None:
    # Real threads and real HTTP: whatever the interleaving, at most one of them holds it.
    clock = Clock()
    outcomes: dict[str, str] = {}
    barrier = threading.Barrier(4)

    def run(name: str) -> None:
        barrier.wait()
        try:
            leases(client, clock, name).acquire_one(LOC, "Downtown Dental")
            outcomes[name] = "held"
        except LeaseHeld:
            outcomes[name] = "refused"

    threads = [threading.Thread(target=run, args=(f"run-{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    held = [n for n, o in outcomes.items() if o == "held"]
    assert len(held) <= 1
    assert [i.run for i in read_leases(client, LOC)] == held


def test_a_lease_value_round_trips_and_odd_values_are_read_tolerantly() -> None:
    info = LeaseInfo.from_value('{"holder": "ci", "run": "r1", "expires": "2026-12-03T07:00:00Z"}')
    assert info.describe() == "ci (run r1), until 2026-12-03 07:00:00 UTC"
    assert LeaseInfo.from_value(info.to_value()) == info
    assert LeaseInfo.from_value(None).expires is None
    assert LeaseInfo.from_value('{"holder": 3, "expires": "soon"}') == LeaseInfo("unknown", "", None)


class RefusingLister:
    """A server that refuses every lease create as a duplicate and lists no lease: the loop must end."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, req: object, *, location_id: str | None = None, context: object = None) -> object:
        from ghlops.errors import ApiError

        self.calls += 1
        if getattr(req, "method", "") == "POST":
            raise ApiError("Custom value with this name already exists", status=400)
        return {"customValues": []}


def test_a_server_refusing_the_create_but_listing_no_lease_ends_with_one_error() -> None:
    server = RefusingLister()
    clock = Clock()
    run = Leases(server, holder="h", run="r", clock=clock, sleep=clock.sleep)
    with pytest.raises(LeaseHeld, match=r"GHL refuses the custom value 'ghlops\.lock' but lists none"):
        run.acquire_one(LOC, "Downtown Dental")
    assert server.calls == 12  # six creates and six listings, then it stops


def test_a_lease_left_on_this_machine_by_a_process_that_is_gone_is_taken_over_at_once(client: GHLClient) -> None:
    # A laptop run killed mid-apply (SIGKILL: no release) must not block the next run for the whole TTL.
    from ghlops.request import Request

    value = LeaseInfo("me@laptop", "killed", None, host="laptop", pid=4242).to_value()
    client.send(
        Request("POST", ("/locations/", LOC, "/customValues"), body={"name": LEASE_NAME, "value": value}),
        location_id=LOC,
    )
    clock = Clock()
    elsewhere = Leases(
        client, holder="ci", run="ci-run", clock=clock, sleep=clock.sleep, host="runner", alive=lambda p: False
    )
    with pytest.raises(LeaseHeld):
        elsewhere.acquire_one(LOC, "Downtown Dental")  # another machine can't tell: it waits for the expiry
    here = Leases(
        client, holder="me", run="next", clock=clock, sleep=clock.sleep, host="laptop", alive=lambda p: p != 4242
    )
    here.acquire_one(LOC, "Downtown Dental")
    assert [i.run for i in read_leases(client, LOC)] == ["next"]


# -- renewal (issue 13, section 2): an apply longer than the lease's life keeps its locations -----------------

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DENTAL = "ve9EPM428h8vShlRW1KT"
TTL = 15 * 60.0


class Ticks:
    """The renewer's wait, driven by the test: ``tick()`` lets one renewal run and returns once it is done."""

    def __init__(self) -> None:
        self._waiting: queue.Queue[float] = queue.Queue()
        self._go: queue.Queue[bool] = queue.Queue()

    def __call__(self, seconds: float) -> bool:
        self._waiting.put(seconds)
        return self._go.get(timeout=10)

    def tick(self) -> float:
        """One renewal; returns the interval the renewer asked to wait."""
        interval = self._waiting.get(timeout=10)
        self._go.put(False)
        self._waiting.get(timeout=10)  # the renewer waits again: the renewal is done
        self._waiting.put(interval)  # (still waiting: keep it for the next tick)
        return interval

    def finish(self) -> None:
        self._go.put(True)


def expiry(client: GHLClient) -> float:
    [info] = read_leases(client, LOC)
    assert info.expires is not None
    return info.expires.timestamp()


def test_a_renewal_moves_the_expiry_a_lease_life_past_now(client: GHLClient) -> None:
    clock = Clock()
    run = leases(client, clock, "run-a")
    run.acquire([(LOC, "Downtown Dental")])
    clock.now += 10 * 60
    assert run.renew_all() == []
    assert expiry(client) == clock.now + TTL
    assert run.lost(LOC) is None


def test_an_apply_longer_than_the_lease_life_keeps_its_location_from_another_run(client: GHLClient) -> None:
    clock = Clock()
    start = clock.now
    first = leases(client, clock, "run-a")
    first.acquire([(LOC, "Downtown Dental")])
    for _ in range(4):  # renewed every third of its life, for 20 minutes
        clock.now += TTL / 3
        assert first.renew_all() == []
    assert clock.now - start > TTL
    second = leases(client, clock, "run-b")
    with pytest.raises(LeaseHeld, match="another apply holds its lock: holder-run-a \\(run run-a\\)"):
        second.acquire([(LOC, "Downtown Dental")])
    assert first.release_all() == []
    second.acquire([(LOC, "Downtown Dental")])


def test_a_renewal_that_finds_the_lease_gone_marks_the_location_lost_and_never_releases_it(client: GHLClient) -> None:
    clock = Clock()
    run = leases(client, clock, "run-a")
    run.acquire([(LOC, "Downtown Dental")])
    force_unlock(client, LOC)
    line = (
        "location Downtown Dental: the lock was lost while applying: its lease is gone (force-unlocked, or "
        "expired and removed by another run); no more writes start there"
    )
    assert run.renew_all() == [line]
    assert run.lost(LOC) == line
    assert run.held == {}
    assert run.release_all() == []


def test_a_renewal_that_finds_another_run_holding_the_location_marks_it_lost(client: GHLClient) -> None:
    clock = Clock()
    first = leases(client, clock, "run-a")
    first.acquire([(LOC, "Downtown Dental")])
    clock.now += TTL + 1  # not renewed in time (a suspended laptop): another run takes over
    second = leases(client, clock, "run-b")
    second.acquire([(LOC, "Downtown Dental")])
    (line,) = first.renew_all()
    assert line.startswith("location Downtown Dental: the lock was lost while applying: its lease is gone")
    assert [info.run for info in read_leases(client, LOC)] == ["run-b"]  # the newer holder's lease is untouched


def test_a_lease_another_unexpired_lease_sits_beside_is_lost(client: GHLClient, sb: Sandbox) -> None:
    clock = Clock()
    run = leases(client, clock, "run-a")
    run.acquire([(LOC, "Downtown Dental")])
    # Written beside ours by something else (GHL keeps custom value names unique, so not through the API).
    other = {"id": "cvOther0000000000001", "name": LEASE_NAME, "value": "not json", "locationId": LOC}
    sb.store.add("customValue", other["id"], LOC, {**other, "fieldKey": "{{ custom_values.ghlopslock }}"})
    assert run.renew_all() == [
        "location Downtown Dental: the lock was lost while applying: another run holds it: unknown (not written "
        "by ghlops); no more writes start there"
    ]


class FlakyGhl:
    """A location whose lease is listed as ours, and whose PUTs fail with a 503 (GHL down)."""

    def __init__(self, leases_value: str) -> None:
        self.value = leases_value
        self.puts = 0

    def send(self, req: Request, **kwargs: Any) -> Any:
        if req.method == "POST":
            return {"customValue": {"id": "lease1"}}
        if req.method == "PUT":
            self.puts += 1
            raise ApiError("Service Unavailable", status=503, method="PUT", endpoint=req.endpoint)
        return {"customValues": [{"id": "lease1", "name": LEASE_NAME, "value": self.value}]}


def test_a_failed_renewal_is_tried_again_and_lost_only_once_the_lease_would_have_expired() -> None:
    clock = Clock()
    ghl = FlakyGhl(LeaseInfo("holder-run-a", "run-a", None).to_value())
    run = Leases(ghl, holder="holder-run-a", run="run-a", clock=clock, sleep=clock.sleep)
    run.acquire([(LOC, "clinic")])
    clock.now += TTL / 3
    assert run.renew_all() == []  # a warning; the lease is still valid for 10 minutes
    clock.now += TTL / 3
    assert run.renew_all() == []
    clock.now += TTL / 3
    (line,) = run.renew_all()
    assert line == (
        "location clinic: the lock was lost while applying: it could not be renewed before it expired (PUT "
        f"/locations/{LOC}/customValues/lease1 -> HTTP 503: Service Unavailable); no more writes start there"
    )
    assert ghl.puts == 3


def test_the_renewer_renews_each_tick_from_its_thread_and_stops_at_release(client: GHLClient) -> None:
    clock = Clock()
    run = leases(client, clock, "run-a")
    run.acquire([(LOC, "Downtown Dental")])
    ticks = Ticks()
    renewer = run.start_renewing(wait=ticks)
    assert isinstance(renewer, Renewer)
    for _ in range(2):
        clock.now += TTL / 3
        assert ticks.tick() == TTL / 3  # a third of the lease's life
        assert expiry(client) == clock.now + TTL
    ticks.finish()
    assert run.release_all() == []
    assert read_leases(client, LOC) == []


@pytest.fixture
def examples() -> Iterator[Sandbox]:
    with Sandbox(port=0) as sandbox:
        create_locations(sandbox, [EXAMPLES])
        yield sandbox


def test_a_location_whose_lock_was_lost_starts_no_more_writes_and_fails_the_apply(examples: Sandbox) -> None:
    settings = Settings(env=sandbox_env(examples), parallelism=1)
    manifests = load([EXAMPLES], settings.env)
    line = "location downtown-dental: the lock was lost while applying: its lease is gone; no more writes start there"
    lost = {DENTAL: line}
    with make_client(settings, manifests.loaded) as ghl:
        result = plan(read(ghl, manifests.loaded, settings))
        report = Executor(ghl, LiveReader(ghl), env=settings.env, parallelism=1, lock_lost=lost.get).apply(result)
    dental = [o for o in report.outcomes if o.section == "downtown-dental"]
    assert dental[0].result is Result.FAILED and dental[0].error == line
    assert {o.result for o in dental[1:]} == {Result.SKIPPED}
    assert not report.ok
    assert not any(r.method != "GET" and DENTAL in r.path for r in examples.requests)
    others = [o for o in report.outcomes if o.section == "uptown-ortho"]
    assert others and {o.result for o in others} == {Result.APPLIED}
