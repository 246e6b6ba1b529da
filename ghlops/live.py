"""Reads live state through the kinds' list endpoints.

What is read, and in which order, comes from the registry: per location one list call per kind (plus pages),
and one list per live parent object for child kinds (a price list per product); nothing else (a missing
location shows up as the error of its first list call). Company-level kinds (users) are read once per run per
company.

Concurrency (issue 15): all of a run's list calls go through one queue served by ``parallelism x
READS_PER_LOCATION`` workers (32 at the default 8), so that many calls are in flight whenever there are that many
to make, whatever the locations' shapes; no pool per location or per product list. ``parallelism`` locations are
read at once (a new one starts when one finishes: its first call may mint its token, which GHL meters per
company), each in steps: the kind that reads first alone (it decides whether the location exists), then its other
kinds side by side, then one list per live parent for the child kinds (a price list per product). Results are
assembled in a fixed order (registry order, then the parents' order), so what finished first never shows.
"""

from __future__ import annotations

import heapq
import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar

from ghlops.errors import ApiResponseError
from ghlops.ghl.client import CallContext
from ghlops.ghl.faces import ReadingClient
from ghlops.ids import id_problem
from ghlops.kinds.base import Kind, LiveObject, Resolver
from ghlops.kinds.registry import BY_NAME, COMPANY_KINDS, LOCATION_KINDS
from ghlops.request import Request
from ghlops.state import CompanyLive, LocationDesired, LocationLive

#: What reading one kind gives: its live objects and the warning lines of objects left alone.
Read = tuple[list[LiveObject[Any]], list[str]]

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: Items one kind of one location may hold before the reader stops paging with an error: far beyond any real
#: account, it bounds a server that always reports one more page.
MAX_ITEMS_PER_KIND = 10_000

#: Calls of one location in flight at once: the kinds read side by side after the first, or four child readers.
READS_PER_LOCATION = 4

#: Location kinds listed once per location: the one that reads first, then the others (registry order).
TOP_KINDS: tuple[Kind[Any], ...] = tuple(k for k in LOCATION_KINDS if k.parent is None)
FIRST_KINDS: tuple[Kind[Any], ...] = tuple(k for k in TOP_KINDS if k.read_first) or TOP_KINDS[:1]
#: Child kinds, listed per live parent object once the parents are read.
CHILD_KINDS: tuple[Kind[Any], ...] = tuple(k for k in LOCATION_KINDS if k.parent is not None)


def read_order() -> list[list[str]]:
    """The kinds a location read lists, step by step: each step's kinds side by side, after the step before."""
    rest = [k.name for k in TOP_KINDS if k not in FIRST_KINDS]
    return [[k.name for k in FIRST_KINDS], rest, [k.name for k in CHILD_KINDS]]


class LiveReader:
    def __init__(
        self,
        client: ReadingClient,
        *,
        parallelism: int = 8,
        on_location_done: Callable[[str], None] | None = None,
        locations_at_once: int | None = None,
        starting_at_once: int | None = None,
    ):
        self._client = client
        self._parallelism = max(1, parallelism)
        # Locations read at once (default ``parallelism``). More keeps every worker busy (a location's steps leave
        # gaps); only ``parallelism`` when the locations' tokens are minted on their first call, so mints (agency
        # calls GHL meters per company) start no faster than locations finish.
        self.locations_at_once = max(1, locations_at_once or self._parallelism)
        # Locations in their first step at once (default ``parallelism``): a location's first call may mint its
        # token, an agency call GHL meters per company, so mints start ``parallelism`` at a time. With no mints
        # the callers lift it to ``locations_at_once``: at 8 starting, the workers waited for new locations about
        # a tenth of the time (28.4 of 32 calls in flight on average at 200 x 60, issue 15; 30.6 lifted).
        self.starting_at_once = max(1, starting_at_once or self._parallelism)
        self._context = CallContext
        # Called with a location's name once it is read (from the reading thread; progress reporting).
        self._on_location_done = on_location_done

    # -- company users -------------------------------------------------------------------------------
    def read_company(self, company_id: str) -> CompanyLive:
        """The company-level objects of one company (its users)."""
        warnings: list[str] = []
        objects: dict[str, list[LiveObject[Any]]] = {}
        for kind in COMPANY_KINDS:
            what = f"{kind.name} of company {company_id}"
            raws = self._pages(
                None, None, what, _bind_page(kind, company_id, None), kind.parse_page, kind.page_size or 0
            )
            found = []
            for raw in raws:
                if kind.is_gone(raw):
                    continue
                parsed = self._parse(kind, raw, Resolver(), f"company {company_id}", warnings)
                if parsed is not None:
                    found.append(parsed)
            _check_ids(kind, found, f"company {company_id}", kind.list_page(company_id, 0, None).endpoint)
            objects[kind.name] = found
        return CompanyLive(company_id=company_id, users=objects.get("users", []), warnings=warnings)

    # -- locations -------------------------------------------------------------------------------------
    def read_locations(
        self,
        locations: Sequence[tuple[str, str]],
        resolvers: Mapping[str, Resolver],
        declared: Mapping[str, Declared] | None = None,
    ) -> dict[str, LocationLive]:
        """Read (name, location_id) pairs; results keyed by location id, in the order given. The first error
        (in the locations' order) is raised once the calls in flight finish; no call starts after an error.
        ``declared`` (per location id, see declared_parents) limits the child kinds that read only under declared
        parents; a location it doesn't name has all its children read."""
        width = self.concurrency if self._parallelism > 1 else 1
        return _ReadRun(self, list(locations), resolvers, width, declared=declared or {}).run()

    def stream_locations(
        self,
        locations: Sequence[tuple[str, str]],
        resolvers: Mapping[str, Resolver],
        on_read: Callable[[int, LocationLive], None],
        declared: Mapping[str, Declared] | None = None,
    ) -> None:
        """read_locations, handing each location's live state to ``on_read`` (its index in ``locations``, its
        state) as soon as it is read, and keeping none of it: a run then holds the live state of the locations
        being read and not yet handed over, not of all of them (issue 15: plan's memory per location).

        ``on_read`` runs on the calling thread, while the other locations are read, in the order they finish
        (roughly the order given); a location is handed over only while no read failed. Errors are
        read_locations': the first (in the locations' order) is raised once the calls in flight finish. An
        exception from ``on_read`` stops the reads (no call starts after it) and is raised once they stop."""
        width = self.concurrency if self._parallelism > 1 else 1
        _ReadRun(self, list(locations), resolvers, width, declared=declared or {}, on_read=on_read).run()

    @property
    def concurrency(self) -> int:
        """The most read calls in flight at once: ``parallelism x READS_PER_LOCATION``."""
        return self._parallelism * READS_PER_LOCATION if self._parallelism > 1 else 1

    def read_location(
        self, name: str, location_id: str, resolver: Resolver, *, calls: Executor | None = None
    ) -> LocationLive:
        """Read one location (``calls`` is accepted for older callers and not used: the run's own workers read)."""
        del calls
        return _ReadRun(self, [(name, location_id)], {location_id: resolver}, self.concurrency, notify=False).run()[
            location_id
        ]

    def read_kind(self, name: str, location_id: str, kind: Kind[Any], resolver: Resolver) -> list[LiveObject[Any]]:
        return self.read_kind_noting(name, location_id, kind, resolver)[0]

    def read_kind_noting(self, name: str, location_id: str, kind: Kind[Any], resolver: Resolver) -> Read:
        """One kind's live objects (every page), and a warning line for each object left alone (see _parse)."""
        if kind.page_size:
            raws = self._pages(
                name, location_id, kind.name, _bind_page(kind, location_id, None), kind.parse_page, kind.page_size
            )
            return self._parse_all(kind, raws, resolver, name, kind.list_page(location_id, 0, None).endpoint)
        req = kind.list_request(location_id)
        body = self._send(req, location_id, kind.name, name)
        try:
            raws = kind.parse_list(body)
        except ValueError as exc:
            raise _bad_answer(req, exc, name, kind.name) from exc
        return self._parse_all(kind, raws, resolver, name, req.endpoint)

    def read_products(self, name: str, location_id: str, resolver: Resolver) -> list[LiveObject[Any]]:
        return self.read_kind_noting(name, location_id, BY_NAME["products"], resolver)[0]

    def read_products_noting(self, name: str, location_id: str, resolver: Resolver) -> Read:
        return self.read_kind_noting(name, location_id, BY_NAME["products"], resolver)

    def read_prices(
        self,
        name: str,
        location_id: str,
        products: Sequence[LiveObject[Any]],
        resolver: Resolver,
        *,
        calls: Executor | None = None,
    ) -> Read:
        """The prices of ``products`` (see read_children)."""
        return self.read_children(name, location_id, BY_NAME["prices"], products, resolver, calls=calls)

    def read_children(
        self,
        name: str,
        location_id: str,
        kind: Kind[Any],
        parents: Sequence[LiveObject[Any]],
        resolver: Resolver,
        *,
        calls: Executor | None = None,
    ) -> Read:
        """The children of ``parents``, in the parents' order; up to READS_PER_LOCATION lists at once on
        ``calls`` (sequentially without a pool)."""

        def one(parent: LiveObject[Any]) -> Read:
            return self.read_children_of(name, location_id, kind, parent, resolver)

        groups: list[Read]
        if calls is None or len(parents) <= 1:
            groups = [one(p) for p in parents]
        else:
            # A few workers pull the next parent from a shared queue: the location never holds more than its
            # share of the pool, however many parents it has.
            groups = [([], []) for _ in parents]
            queue = iter(enumerate(parents))
            lock = threading.Lock()

            def worker() -> None:
                while True:
                    with lock:
                        item = next(queue, None)
                    if item is None:
                        return
                    index, parent = item
                    groups[index] = one(parent)

            workers = [calls.submit(worker) for _ in range(min(READS_PER_LOCATION, len(parents)))]
            for future in workers:
                future.result()
        return [p for objects, _ in groups for p in objects], [w for _, warnings in groups for w in warnings]

    def read_children_of(
        self, name: str, location_id: str, kind: Kind[Any], parent: LiveObject[Any], resolver: Resolver
    ) -> Read:
        """The children of one live parent object (a product's prices), each knowing its parent."""
        raws = self._pages(
            name, location_id, kind.name, _bind_page(kind, location_id, parent), kind.parse_page, kind.page_size or 0
        )
        endpoint = kind.list_page(location_id, 0, parent).endpoint
        children, warnings = self._parse_all(kind, [kind.attach(raw, parent) for raw in raws], resolver, name, endpoint)
        for live in children:
            kind.adopt_parent(live.obj, parent)
        return children, warnings

    def read_product_prices(
        self, name: str, location_id: str, product_id: str, product_name: str, resolver: Resolver
    ) -> Read:
        products = BY_NAME["products"]
        parent = LiveObject(product_id, products.model.model_construct(name=product_name), {"_id": product_id})
        return self.read_children_of(name, location_id, BY_NAME["prices"], parent, resolver)

    # -- plumbing --------------------------------------------------------------------------------------
    def _pages(
        self,
        name: str | None,
        location_id: str | None,
        kind: str,
        request: Callable[[int], Request],
        parse: Callable[[Any], tuple[list[Mapping[str, Any]], int | None]],
        page_size: int,
    ) -> list[Mapping[str, Any]]:
        """Every item of a paged list. Pages until the total GHL reports, since GHL may cap a page below the
        limit asked for (a short page is not the last one). Only where an answer reports no total does a page
        shorter than the limit (or an empty one) end the list."""
        raws: list[Mapping[str, Any]] = []
        offset = 0
        while True:
            req = request(offset)
            body = self._send(req, location_id, kind, name)
            try:
                page, total = parse(body)
            except ValueError as exc:
                raise _bad_answer(req, exc, name, kind) from exc
            raws.extend(page)
            offset += len(page)
            if not page:
                return raws
            if total is not None:
                if offset >= total:
                    return raws
            elif not page_size or len(page) < page_size:
                return raws
            if offset >= MAX_ITEMS_PER_KIND:
                raise ApiResponseError(
                    f"more than {MAX_ITEMS_PER_KIND:,} {kind} listed (GHL reported {total}); stopped paging",
                    status=200,
                    method=req.method,
                    endpoint=req.endpoint,
                    location=name,
                    kind=kind,
                )

    def _send(self, req: Request, location_id: str | None, kind: str, name: str | None) -> Any:
        return self._client.get(req, location_id=location_id, context=self._context(name, kind, None))

    def _parse_all(
        self,
        kind: Kind[Any],
        raws: Sequence[Mapping[str, Any]],
        resolver: Resolver,
        where: str | None,
        endpoint: str = "",
    ) -> Read:
        warnings: list[str] = []
        objects = []
        for raw in raws:
            parsed = self._parse(kind, raw, resolver, where, warnings)
            if parsed is not None:
                objects.append(parsed)
        _check_ids(kind, objects, where, endpoint)
        return objects, warnings

    def _parse(
        self,
        kind: Kind[Any],
        raw: Mapping[str, Any],
        resolver: Resolver,
        where: str | None,
        warnings: list[str],
    ) -> LiveObject[Any] | None:
        """The live object, or None (and a warning line) for one GHL listed without an id or natural key:
        nothing can match it, so it is left alone and never blocks the rest of the location."""
        try:
            return kind.live(raw, resolver)
        except ValueError as exc:
            ident = raw.get("id") or raw.get("_id")
            what = f"id {ident}" if isinstance(ident, str) and ident else "without an id"
            line = f"{where or '?'}: {kind.name}: left alone a {kind.label} GHL listed ({what}): {exc}"
            logger.warning("warning: %s", line)
            warnings.append(line)
            return None


#: Per parent kind, the natural keys of the parent objects a location's manifest declares (see declared_parents).
Declared = Mapping[str, frozenset[str]]


def declared_parents(desired: LocationDesired) -> dict[str, frozenset[str]]:
    """The keys of the parents whose children a plan of ``desired`` needs, for the child kinds that read only
    under declared parents: each declared parent's key, and the keys of its earlier names (renamedFrom: the live
    parent still has the old one)."""
    found: dict[str, frozenset[str]] = {}
    for child in CHILD_KINDS:
        if not child.read_declared_parents_only or child.parent is None or child.parent in found:
            continue
        parent = BY_NAME[child.parent]
        keys = set()
        for entry in desired.of(parent.name):
            keys.add(parent.key(entry))
            keys.update(parent.key_for_name(entry, old) for old in getattr(entry, "renamedFrom", []))
        found[parent.name] = frozenset(keys)
    return found


def children_to_read(
    kind: Kind[Any], parents: Sequence[LiveObject[Any]], declared: Declared | None
) -> list[LiveObject[Any]]:
    """The live parents whose children of ``kind`` a read lists: all, unless the kind reads only under declared
    parents and ``declared`` (None: no manifest, as in export) says which."""
    if declared is None or not kind.read_declared_parents_only or kind.parent is None:
        return list(parents)
    keys = declared.get(kind.parent, frozenset())
    parent = BY_NAME[kind.parent]
    return [p for p in parents if parent.key(p.obj) in keys]


class _Location:
    """One location being read: its live state so far and the calls of its current step still running."""

    def __init__(
        self, index: int, name: str, location_id: str, resolver: Resolver, declared: Declared | None = None
    ) -> None:
        self.index = index
        self.declared = declared
        self.name = name
        self.location_id = location_id
        self.resolver = resolver
        self.live = LocationLive(location_id=location_id)
        self.step = 0  # FIRST_KINDS one by one, then the other kinds, then waves of child kinds
        self.outstanding = 0
        self.read_kinds: set[str] = set()
        self.children: dict[str, list[Read | None]] = {}
        self.pending_children: list[Kind[Any]] = list(CHILD_KINDS)
        self.results: dict[str, Read] = {}
        self.error: BaseException | None = None
        self.done = False


class _ReadRun:
    """All of a run's reads over one set of ``width`` workers (issue 15): every call of every location is one
    task in a queue ordered by (location, step), so ``width`` calls are in flight as long as there is any call
    to make, whatever the locations' shapes. A location's steps keep their order: its first kind alone (it
    decides whether the location exists), then its other kinds side by side, then one list per live parent for
    the child kinds. The earlier locations' calls go first, so locations finish roughly in order."""

    def __init__(
        self,
        reader: LiveReader,
        locations: list[tuple[str, str]],
        resolvers: Mapping[str, Resolver],
        width: int,
        *,
        notify: bool = True,
        declared: Mapping[str, Declared] | None = None,
        on_read: Callable[[int, LocationLive], None] | None = None,
    ) -> None:
        self._reader = reader
        self._locations = [
            _Location(i, n, lid, resolvers[lid], (declared or {}).get(lid)) for i, (n, lid) in enumerate(locations)
        ]
        self._width = max(1, width)
        self._notify = notify
        self._queue: list[tuple[int, int, Callable[[], None]]] = []
        self._seq = 0
        self._running = 0
        self._failed = False
        lock = threading.RLock()
        self._cond = threading.Condition(lock)
        # Locations read and not yet handed to on_read, and the workers still running; the calling thread waits on
        # its own condition (same lock), so a queued call's notify always wakes a worker, never the caller.
        self._on_read = on_read
        self._finished: deque[_Location] = deque()
        self._workers = 0
        self._ready = threading.Condition(lock)
        # Locations in their first step at once: a location's first call may mint its token (an agency call GHL
        # meters per company), so only ``parallelism`` of them start together, as before issue 15; the later
        # steps fill the workers.
        self._starting = 0
        self._start_slots = reader.starting_at_once
        # Locations read at once (LiveReader.locations_at_once): a new one starts when one finishes.
        self._active = 0
        self._active_slots = reader.locations_at_once if width > 1 else 1
        self._waiting = list(reversed(self._locations))

    def run(self) -> dict[str, LocationLive]:
        with self._cond:
            self._admit()
        if self._width == 1:
            self._workers = 1
            self._work()
        else:
            threads = [
                threading.Thread(target=self._work, name=f"ghlops-read-{n}", daemon=True) for n in range(self._width)
            ]
            self._workers = len(threads)
            for thread in threads:
                thread.start()
            if self._on_read is not None:
                try:
                    self._hand_over()
                except Exception:
                    self._stop()
                    for thread in threads:
                        thread.join()
                    raise
                except BaseException:  # Ctrl-C: out at once, as from the joins below
                    self._stop()
                    raise
            for thread in threads:
                thread.join()
        for location in self._locations:
            if location.error is not None:
                raise location.error
        for location in self._locations:
            if not location.done:  # pragma: no cover - every step ends in _finish or an error
                raise RuntimeError(f"location {location.name}: its read stopped unfinished")
        return {loc.location_id: loc.live for loc in self._locations}

    # -- handing locations over (on_read) ---------------------------------------------------------------
    def _hand_over(self) -> None:
        """On the calling thread: give each location read to on_read, until the workers are done."""
        while True:
            with self._cond:
                while not self._finished and self._workers:
                    self._ready.wait()
                if not self._finished:
                    return
                location = self._finished.popleft()
            self._give(location)

    def _give(self, location: _Location) -> None:
        assert self._on_read is not None
        live = location.live
        # The reader keeps nothing of a location handed over: its objects are on_read's to keep or let go.
        location.live = LocationLive(location_id=location.location_id)
        location.results.clear()
        if not self._failed:  # the run raises anyway: no use planning what it will not return
            self._on_read(location.index, live)

    def _stop(self) -> None:
        with self._cond:
            self._failed = True
            self._finished.clear()
            self._cond.notify_all()

    # -- the workers -----------------------------------------------------------------------------------
    def _work(self) -> None:
        try:
            self._serve()
        finally:
            with self._cond:
                self._workers -= 1
                self._ready.notify_all()

    def _serve(self) -> None:
        while True:
            if self._width == 1 and self._finished:
                # One worker, on the calling thread: it hands each location over between calls.
                with self._cond:
                    location = self._finished.popleft()
                self._give(location)
                continue
            with self._cond:
                while not self._queue and self._running and not self._failed:
                    self._cond.wait()
                if self._failed or not self._queue:
                    self._cond.notify_all()
                    return
                _, _, task = heapq.heappop(self._queue)
                self._running += 1
            try:
                task()
            finally:
                with self._cond:
                    self._running -= 1
                    # Each queued call already woke one worker (_push); all of them are woken only when the run
                    # is over (nothing queued or running) or failed, for them to return. Waking all 32 after every
                    # call was lock traffic that grew with the parallelism (issue 15's read CPU profile).
                    if self._failed or (not self._queue and self._running == 0):
                        self._cond.notify_all()

    def _push(self, location: _Location, task: Callable[[], None]) -> None:
        """Queue one call of ``location`` (the caller holds the lock)."""
        self._seq += 1
        location.outstanding += 1
        heapq.heappush(self._queue, (location.index, self._seq, task))
        self._cond.notify()

    def _call(self, location: _Location, what: Callable[[], T], keep: Callable[[T], None]) -> Callable[[], None]:
        """A task: make the call, keep its result, and move the location on when its step is complete."""

        def task() -> None:
            try:
                result = what()
            except BaseException as exc:  # re-raised by run(), in the locations' order
                with self._cond:
                    location.error = location.error or exc
                    self._failed = True
                    location.outstanding -= 1
                return
            with self._cond:
                keep(result)
                location.outstanding -= 1
                if location.outstanding == 0 and location.error is None:
                    self._next_step(location)

        return task

    # -- one location's steps (the caller holds the lock) ----------------------------------------------
    def _admit(self) -> None:
        while (
            self._waiting
            and self._starting < self._start_slots
            and self._active < self._active_slots
            and not self._failed
        ):
            self._starting += 1
            self._active += 1
            self._next_step(self._waiting.pop())

    def _next_step(self, location: _Location) -> None:
        reader = self._reader
        while not location.done:
            step = location.step
            location.step += 1
            if step < len(FIRST_KINDS):
                kind = FIRST_KINDS[step]
                self._push_kind(location, kind)
                return
            if step == len(FIRST_KINDS):
                self._starting -= 1
                self._admit()
                rest = [k for k in TOP_KINDS if k not in FIRST_KINDS]
                for kind in rest:
                    self._push_kind(location, kind)
                if rest:
                    return
                continue
            self._gather_children(location)
            wave = [k for k in location.pending_children if k.parent in location.read_kinds]
            location.pending_children = [k for k in location.pending_children if k not in wave]
            for child in wave:
                parents = children_to_read(child, location.live.of(child.parent or ""), location.declared)
                slots: list[Read | None] = [None] * len(parents)
                location.children[child.name] = slots
                for i, parent in enumerate(parents):
                    self._push(
                        location,
                        self._call(
                            location,
                            _bind(reader.read_children_of, location.name, location.location_id, child, parent,
                                  location.resolver),
                            _store(slots, i),
                        ),
                    )  # fmt: skip
            if location.outstanding:
                return
            if not wave:
                self._finish(location)
                return

    def _push_kind(self, location: _Location, kind: Kind[Any]) -> None:
        def keep(result: Read) -> None:
            location.live.objects[kind.name] = result[0]
            location.results[kind.name] = result
            location.read_kinds.add(kind.name)

        read = _bind(self._reader.read_kind_noting, location.name, location.location_id, kind, location.resolver)
        self._push(location, self._call(location, read, keep))

    def _gather_children(self, location: _Location) -> None:
        """File the child lists of the wave just read under their kinds, in the parents' order."""
        for name, slots in list(location.children.items()):
            groups = [g for g in slots if g is not None]
            location.live.objects[name] = [p for objects, _ in groups for p in objects]
            location.results[name] = (location.live.objects[name], [w for _, ws in groups for w in ws])
            location.read_kinds.add(name)
        location.children.clear()

    def _finish(self, location: _Location) -> None:
        live = location.live
        # Objects and warnings in registry order, whatever finished first.
        live.objects = {k.name: live.objects[k.name] for k in LOCATION_KINDS if k.name in live.objects}
        live.warnings = [w for k in LOCATION_KINDS if k.name in location.results for w in location.results[k.name][1]]
        location.done = True
        self._active -= 1
        self._admit()
        if self._on_read is not None:
            self._finished.append(location)
            self._ready.notify()
        callback = self._reader._on_location_done
        if self._notify and callback is not None:
            callback(location.name)


def _check_ids(kind: Kind[Any], objects: Sequence[LiveObject[Any]], where: str | None, endpoint: str) -> None:
    """Every id one answer (all pages of one list) holds must be id-shaped and unique, before anything uses it
    (issue 13, sections 4 and 7): an id such as ``../../users/X`` or one holding a newline would be put in later
    calls and printed; the same id twice would make matching, updates and deletes act on whichever came last.
    Either is an error naming the object(s) and the endpoint."""
    seen: dict[str, LiveObject[Any]] = {}
    for live in objects:
        problem = id_problem(live.id, which=True)
        if problem is not None:
            message = (
                f"unexpected answer: GHL listed the {kind.label} {kind.display_name(live.obj)!r} with the id "
                f"{problem}; refusing to use it"
            )
        else:
            first = seen.setdefault(live.id, live)
            if first is live:
                continue
            message = (
                f"unexpected answer: GHL listed two {kind.label}s with the same id {live.id}: "
                f"{kind.display_name(first.obj)!r} and {kind.display_name(live.obj)!r}"
            )
        raise ApiResponseError(message, status=200, method="GET", endpoint=endpoint, location=where, kind=kind.name)


def _store(slots: list[Read | None], index: int) -> Callable[[Read], None]:
    def keep(result: Read) -> None:
        slots[index] = result

    return keep


def _bind(fn: Callable[..., T], *args: Any) -> Callable[[], T]:
    return lambda: fn(*args)


def _bind_page(kind: Kind[Any], scope_id: str, parent: LiveObject[Any] | None) -> Callable[[int], Request]:
    return lambda offset: kind.list_page(scope_id, offset, parent)


def _bad_answer(req: Request, exc: Exception, name: str | None, kind: str) -> ApiResponseError:
    return ApiResponseError(
        f"unexpected answer: {exc}", status=200, method=req.method, endpoint=req.endpoint, location=name, kind=kind
    )
