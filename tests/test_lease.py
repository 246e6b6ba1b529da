"""The per-location lease (ghlops/lease.py) against the sandbox over real HTTP: one holder at a time, expiry for
crashed holders, bounded waits, force-unlock, and release that never deletes a newer holder's lease."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ghlops.ghl import GHLClient, base_url_from_env
from ghlops.ghl.auth import Credentials, Target
from ghlops.lease import LEASE_NAME, LeaseHeld, LeaseInfo, Leases, LeaseSettings, force_unlock, read_leases
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import sandbox_env

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
