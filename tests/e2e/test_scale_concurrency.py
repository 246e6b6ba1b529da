"""Many locations at once against the sandbox: bounded concurrency, deterministic output, per-location order."""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.workload import Workload
from ghlops.apply import Executor, Outcome
from ghlops.commands.plan import plan_command
from ghlops.live import READS_PER_LOCATION, LiveReader
from ghlops.output import Io
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations, sandbox_env, seed
from ghlops.workflow import Settings, load, make_client, plan, read


class JitterTransport(httpx.BaseTransport):
    """The real HTTP transport with a random delay before each request, so calls finish in a random order.

    Also records how many requests were in flight at once, and the most reader threads alive meanwhile.
    """

    def __init__(self, seed: int, max_delay_s: float = 0.008) -> None:
        self._inner = httpx.HTTPTransport()
        self._rng = random.Random(seed)
        self._max_delay = max_delay_s
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.max_threads = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            # A floor on the delay keeps calls overlapping even on a loaded machine, so the in-flight counts hold.
            delay = self._rng.uniform(self._max_delay / 4, self._max_delay)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            ours = sum(1 for t in threading.enumerate() if t.name.startswith(("ghlops-read", "ghlops-location")))
            self.max_threads = max(self.max_threads, ours)
        try:
            time.sleep(delay)
            return self._inner.handle_request(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def close(self) -> None:
        self._inner.close()


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(port=0) as sandbox:
        yield sandbox


def drifted(sb: Sandbox, tmp_path: Path, workload: Workload) -> Path:
    """Seed the sandbox with the workload's drifted live state; returns the desired manifests' directory."""
    seed(sb, [workload.write(tmp_path / "seed", seed=True)])
    return workload.write(tmp_path / "desired", seed=False)


def plan_text(sb: Sandbox, manifests: Path, settings: Settings) -> str:
    lines: list[str] = []
    code = plan_command(
        [manifests], locations=(), detailed_exitcode=False, settings=settings, io=Io(out=lines.append, err=print)
    )
    assert code == 0
    return "\n".join(lines)


def test_plan_output_is_identical_whatever_order_the_reads_finish_in(sb: Sandbox, tmp_path: Path) -> None:
    workload = Workload(locations=10, objects=16)
    manifests = drifted(sb, tmp_path, workload)
    env = sandbox_env(sb)
    outputs = []
    transports = []
    for parallelism, jitter_seed in ((8, 1), (8, 2), (1, 3)):
        transport = JitterTransport(jitter_seed)
        transports.append(transport)
        outputs.append(plan_text(sb, manifests, Settings(env=env, parallelism=parallelism, transport=transport)))
    assert "to create" in outputs[0] and "to update" in outputs[0]
    assert outputs[0] == outputs[1] == outputs[2]
    assert transports[0].max_in_flight > 8  # the kinds of a location really were read side by side
    assert transports[2].max_in_flight == 1


SHOP = """apiVersion: ghlops/v1
kind: Location
metadata: {{name: shop-{n}}}
spec:
  locationId: ShopLocation{n:02d}xxxxxx
  products:
"""


def test_reads_keep_requests_and_threads_within_parallelism_times_reads_per_location(
    sb: Sandbox, tmp_path: Path
) -> None:
    # Eight products per location at parallelism 6: a pool per location (or per product list) would have 36+
    # calls in flight; the shared pools keep it to 6 x READS_PER_LOCATION.
    for n in range(6):
        products = "".join(
            f"    - {{name: Product {p}, productType: SERVICE, prices: [{{name: P, type: one_time, amount: 1, "
            "currency: USD}]}\n"
            for p in range(8)
        )
        (tmp_path / f"shop-{n}.yaml").write_text(SHOP.format(n=n) + products)
    seed(sb, [tmp_path])
    transport = JitterTransport(seed=4, max_delay_s=0.004)
    settings = Settings(env=sandbox_env(sb), parallelism=6, transport=transport)
    loaded = load([tmp_path], settings.env).loaded
    done: list[str] = []
    with make_client(settings, loaded) as client:
        snapshot = read(client, loaded, settings, on_location_done=done.append)
    assert sorted(done) == [f"shop-{n}" for n in range(6)]
    assert all(len(live.of("prices")) == 8 for live in snapshot.live.values())
    assert 6 < transport.max_in_flight <= 6 * READS_PER_LOCATION
    # The reader's own threads: one per location being read, and the shared pool for their calls.
    assert transport.max_threads <= 6 + 6 * READS_PER_LOCATION


class TimedTransport(JitterTransport):
    """A JitterTransport that records when each write started and finished, what it sent and what it got."""

    def __init__(self, seed: int, max_delay_s: float = 0.008) -> None:
        super().__init__(seed, max_delay_s)
        self.writes: list[tuple[float, float, str, str, str, str]] = []  # start, end, method, path, sent, answer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        response = super().handle_request(request)
        if request.method != "GET":
            answer = response.read().decode()
            sent = request.content.decode()
            with self._lock:
                self.writes.append((started, time.monotonic(), request.method, request.url.path, sent, answer))
        return response


def test_a_parallel_apply_never_sends_a_write_before_what_it_needs(sb: Sandbox, tmp_path: Path) -> None:
    # Random latency on every call: a location's independent writes run side by side and finish in any order,
    # but a write that uses an id (a price under its product, a calendar's team member) starts only after the
    # write that created it finished, and the plan's requests are all sent, once each.
    workload = Workload(locations=6, objects=30)
    manifests = drifted(sb, tmp_path, workload)
    transport = TimedTransport(seed=5, max_delay_s=0.012)
    settings = Settings(env=sandbox_env(sb), parallelism=8, transport=transport)
    loaded = load([manifests], settings.env).loaded
    printed: list[Outcome] = []
    existing = ids_in(json.dumps([sb.store.users(), *(sb.store.snapshot(i.desired.location_id) for i in loaded)]))
    existing |= {i.desired.location_id for i in loaded}
    with make_client(settings, loaded) as client:
        result = plan(read(client, loaded, settings))
        sb.clear_requests()
        report = Executor(client, LiveReader(client), parallelism=8, env=settings.env, on_outcome=printed.append).apply(
            result
        )
    assert report.ok, [o.error for o in report.failed]
    # Output in plan order, whatever finished first.
    assert (
        [(o.section, o.change.key) for o in printed]
        == [(s.name, c.key) for s in result.locations for c in s.changes]
        == [(o.section, o.change.key) for o in report.outcomes]
    )
    sent: dict[str, list[tuple[str, str]]] = {}
    for r in sb.requests:
        if r.method != "GET" and r.location_id is not None and "/users" not in r.path:
            sent.setdefault(r.location_id, []).append((r.method, kind_of(r.path)))
    planned = {
        section.scope_id: [(req.method, kind_of(req.endpoint)) for c in section.changes for req in c.requests]
        for section in result.locations
        if section.changes
    }
    assert len(planned) == 3  # the drifted half
    assert {k: sorted(v) for k, v in sent.items()} == {k: sorted(v) for k, v in planned.items()}
    # The writes really overlapped within a location (else this proves nothing).
    assert overlapping_writes_of_one_location(transport.writes) > 0
    created: dict[str, float] = {}  # id -> when the write that created it finished
    for _, ended, method, _, _, answer in transport.writes:
        if method == "POST":
            for new_id in ids_in(answer) - existing:
                created.setdefault(new_id, ended)
    checked = 0
    for started, _, _, path, body, _ in transport.writes:
        for used in ids_in(path) | ids_in(body):
            if used in created and created[used] > started:
                raise AssertionError(f"{path} started before the write that created {used} finished")
            if used in created and created[used] <= started:
                checked += 1
    assert checked > 0  # some writes did use ids created in the same run (prices under new products)


def ids_in(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9]{20,24}", text))


def overlapping_writes_of_one_location(writes: list[tuple[float, float, str, str, str, str]]) -> int:
    by_location: dict[str, list[tuple[float, float]]] = {}
    for started, ended, _, path, body, _ in writes:
        location = next(iter(sorted(i for i in ids_in(path + body) if i.startswith("BenchLoc"))), None)
        if location is not None:
            by_location.setdefault(location, []).append((started, ended))
    overlaps = 0
    for spans in by_location.values():
        spans.sort()
        overlaps += sum(1 for (_, end), (start, _) in itertools.pairwise(spans) if start < end)
    return overlaps


def kind_of(path: str) -> str:
    for marker, kind in (
        ("/price", "prices"),
        ("/products", "products"),
        ("/calendars", "calendars"),
        ("/customFields", "customFields"),
        ("/customValues", "customValues"),
        ("/tags", "tags"),
    ):
        if marker in path:
            return kind
    return path


TWIN = """apiVersion: ghlops/v1
kind: Location
metadata: {{name: clinic-{n}}}
spec:
  locationId: TwinClinic{n}xxxxxxxxx
  products:
    - name: Whitening
      productType: SERVICE
      prices: [{{name: Standard, type: one_time, amount: 100, currency: USD}}]
"""


def test_locations_creating_products_of_the_same_name_each_price_their_own_product(sb: Sandbox, tmp_path: Path) -> None:
    for n in (1, 2):
        (tmp_path / f"clinic-{n}.yaml").write_text(TWIN.format(n=n))
    create_locations(sb, [tmp_path])
    settings = Settings(env=sandbox_env(sb), parallelism=2)
    loaded = load([tmp_path], settings.env).loaded
    # Force the interleaving: clinic-2 creates its product first, then waits (between its product and its
    # price) until clinic-1 has created its own product of the same name.
    first_created = threading.Event()

    def interleave(outcome: Outcome) -> None:
        if outcome.change.kind == "products" and outcome.section == "clinic-2":
            assert first_created.wait(5)
        if outcome.change.kind == "products" and outcome.section == "clinic-1":
            first_created.set()

    with make_client(settings, loaded) as client:
        result = plan(read(client, loaded, settings))
        gate = threading.Event()
        original_send = client.send

        def send(req, *, location_id=None, context=None):  # type: ignore[no-untyped-def]
            if location_id == "TwinClinic1xxxxxxxxx" and req.method == "POST" and "price" not in req.endpoint:
                assert gate.wait(5)
            response = original_send(req, location_id=location_id, context=context)
            if location_id == "TwinClinic2xxxxxxxxx" and req.method == "POST":
                gate.set()
            return response

        client.send = send  # type: ignore[method-assign]
        report = Executor(client, LiveReader(client), parallelism=2, env=settings.env, on_outcome=interleave).apply(
            result
        )
    assert report.ok, [o.error for o in report.failed]
    for n in (1, 2):
        (product,) = sb.store.snapshot(f"TwinClinic{n}xxxxxxxxx")["products"]
        assert [price["product"] for price in product["prices"]] == [product["_id"]]


def test_writes_fill_their_workers_from_more_locations_than_parallelism_within_the_same_bounds(
    sb: Sandbox, tmp_path: Path
) -> None:
    # Issue 15: with only `parallelism` locations written at once, a location's own chain (a price after its
    # product) left write workers idle. Now up to parallelism x 4 locations are written at once, while the
    # writes in flight stay within parallelism x 4 in all and 4 per location.
    workload = Workload(locations=8, objects=30)
    manifests = drifted(sb, tmp_path, workload)
    transport = TimedTransport(seed=7, max_delay_s=0.012)
    settings = Settings(env=sandbox_env(sb), parallelism=1, transport=transport)
    loaded = load([manifests], settings.env).loaded
    with make_client(settings, loaded) as client:
        result = plan(read(client, loaded, settings))
        transport.writes.clear()
        executor = Executor(client, LiveReader(client), parallelism=2, env=settings.env)
        assert executor.apply(result).ok
    spans: list[tuple[float, float, str]] = []
    for started, ended, _, path, body, _ in transport.writes:
        location = next(iter(sorted(i for i in ids_in(path + body) if i.startswith("BenchLoc"))), None)
        if location is not None:
            spans.append((started, ended, location))
    assert len({loc for *_, loc in spans}) == 4  # the drifted half

    def most_at_once(chosen: list[tuple[float, float, str]]) -> tuple[int, int]:
        """The most writes in flight at once, and the most locations with a write in flight at once."""
        most_writes = most_locations = 0
        for started, _, _ in chosen:
            during = [s for s in chosen if s[0] <= started < s[1]]
            most_writes = max(most_writes, len(during))
            most_locations = max(most_locations, len({loc for *_, loc in during}))
        return most_writes, most_locations

    writes, locations = most_at_once(spans)
    assert writes <= 2 * 4
    assert locations > 2  # more locations than `parallelism` had writes in flight at once
    for location in {loc for *_, loc in spans}:
        assert most_at_once([s for s in spans if s[2] == location])[0] <= 4
