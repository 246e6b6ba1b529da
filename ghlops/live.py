"""Reads live state through the kinds' list endpoints.

What is read, and in which order, comes from the registry: per location one list call per kind (plus pages),
and one list per live parent object for child kinds (a price list per product); nothing else (a missing
location shows up as the error of its first list call). Company-level kinds (users) are read once per run per
company.

Concurrency: up to ``parallelism`` locations at once, and within a location up to ``READS_PER_LOCATION`` calls
side by side (its first call, the kind that reads first, alone; then the other kinds; then the child lists). All of a
run's reads share two thread pools: one of ``parallelism`` threads, one per location being read, and one of
``parallelism x READS_PER_LOCATION`` threads for the calls within them. So the threads and the requests in
flight never exceed ``parallelism x READS_PER_LOCATION`` (32 at the default 8), whatever the number of
locations or products: no pool per location, and a location with many products (or one slowed by its rate
limit) holds at most its own share of the threads. Results are assembled in a fixed order (kinds, then the
products' order), so what finished first never shows in the result.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from ghlops.errors import ApiResponseError
from ghlops.ghl.client import CallContext
from ghlops.kinds.base import Kind, LiveObject, Resolver
from ghlops.kinds.registry import BY_NAME, COMPANY_KINDS, LOCATION_KINDS
from ghlops.request import Request
from ghlops.state import CompanyLive, LocationLive

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


class Sender(Protocol):
    """What the reader needs of the GHL client."""

    def send(self, req: Request, *, location_id: str | None = None, context: Any = None) -> Any: ...


class LiveReader:
    def __init__(
        self,
        client: Sender,
        *,
        parallelism: int = 8,
        on_location_done: Callable[[str], None] | None = None,
    ):
        self._client = client
        self._parallelism = max(1, parallelism)
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
            objects[kind.name] = found
        return CompanyLive(company_id=company_id, users=objects.get("users", []), warnings=warnings)

    # -- locations -------------------------------------------------------------------------------------
    def read_locations(
        self, locations: Sequence[tuple[str, str]], resolvers: Mapping[str, Resolver]
    ) -> dict[str, LocationLive]:
        """Read (name, location_id) pairs concurrently; results keyed by location id, errors re-raised."""
        if self._parallelism == 1:
            return {lid: self._read_done(name, lid, resolvers[lid], None) for name, lid in locations}
        outer = min(self._parallelism, len(locations)) or 1
        # Closed in reverse order: the locations' pool first, since its tasks wait on the calls pool.
        with (
            ThreadPoolExecutor(max_workers=outer * READS_PER_LOCATION, thread_name_prefix="ghlops-read") as calls,
            ThreadPoolExecutor(max_workers=outer, thread_name_prefix="ghlops-location") as pool,
        ):
            futures = {lid: pool.submit(self._read_done, name, lid, resolvers[lid], calls) for name, lid in locations}
            return {lid: f.result() for lid, f in futures.items()}

    def _read_done(self, name: str, location_id: str, resolver: Resolver, calls: Executor | None) -> LocationLive:
        live = self.read_location(name, location_id, resolver, calls=calls)
        if self._on_location_done is not None:
            self._on_location_done(name)
        return live

    def read_location(
        self, name: str, location_id: str, resolver: Resolver, *, calls: Executor | None = None
    ) -> LocationLive:
        """Read one location; ``calls`` is the pool its concurrent calls run on (a pool of its own when None).

        The pool must not be one the caller itself runs on: a location waits for its calls.
        """
        if calls is None and self._parallelism > 1:
            with ThreadPoolExecutor(max_workers=READS_PER_LOCATION, thread_name_prefix="ghlops-read") as own:
                return self.read_location(name, location_id, resolver, calls=own)
        live = LocationLive(location_id=location_id)
        # A location's first call decides whether it exists; the rest then run side by side.
        for kind in FIRST_KINDS:
            live.objects[kind.name], warnings = self.read_kind_noting(name, location_id, kind, resolver)
            live.warnings.extend(warnings)
        tasks: list[tuple[str, Callable[[], Read]]] = [
            (k.name, _bind(self.read_kind_noting, name, location_id, k, resolver))
            for k in TOP_KINDS
            if k not in FIRST_KINDS
        ]
        if calls is None:
            results = {kind: task() for kind, task in tasks}
        else:
            futures = {kind: calls.submit(task) for kind, task in tasks}
            results = {kind: f.result() for kind, f in futures.items()}
        for kind_name, (objects, warnings) in results.items():
            live.objects[kind_name] = objects
            live.warnings.extend(warnings)
        for child in CHILD_KINDS:
            assert child.parent is not None
            live.objects[child.name], warnings = self.read_children(
                name, location_id, child, live.of(child.parent), resolver, calls=calls
            )
            live.warnings.extend(warnings)
        # Objects in registry order, whatever finished first.
        live.objects = {k.name: live.objects[k.name] for k in LOCATION_KINDS if k.name in live.objects}
        return live

    def read_kind(self, name: str, location_id: str, kind: Kind[Any], resolver: Resolver) -> list[LiveObject[Any]]:
        return self.read_kind_noting(name, location_id, kind, resolver)[0]

    def read_kind_noting(self, name: str, location_id: str, kind: Kind[Any], resolver: Resolver) -> Read:
        """One kind's live objects (every page), and a warning line for each object left alone (see _parse)."""
        if kind.page_size:
            raws = self._pages(
                name, location_id, kind.name, _bind_page(kind, location_id, None), kind.parse_page, kind.page_size
            )
            return self._parse_all(kind, raws, resolver, name)
        req = kind.list_request(location_id)
        body = self._send(req, location_id, kind.name, name)
        try:
            raws = kind.parse_list(body)
        except ValueError as exc:
            raise _bad_answer(req, exc, name, kind.name) from exc
        return self._parse_all(kind, raws, resolver, name)

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
        children, warnings = self._parse_all(kind, [kind.attach(raw, parent) for raw in raws], resolver, name)
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
        return self._client.send(req, location_id=location_id, context=self._context(name, kind, None))

    def _parse_all(
        self, kind: Kind[Any], raws: Sequence[Mapping[str, Any]], resolver: Resolver, where: str | None
    ) -> Read:
        warnings: list[str] = []
        objects = []
        for raw in raws:
            parsed = self._parse(kind, raw, resolver, where, warnings)
            if parsed is not None:
                objects.append(parsed)
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


def _bind(fn: Callable[..., T], *args: Any) -> Callable[[], T]:
    return lambda: fn(*args)


def _bind_page(kind: Kind[Any], scope_id: str, parent: LiveObject[Any] | None) -> Callable[[int], Request]:
    return lambda offset: kind.list_page(scope_id, offset, parent)


def _bad_answer(req: Request, exc: Exception, name: str | None, kind: str) -> ApiResponseError:
    return ApiResponseError(
        f"unexpected answer: {exc}", status=200, method=req.method, endpoint=req.endpoint, location=name, kind=kind
    )
