"""Reads live state through the kinds' list endpoints.

Per location: one list call per kind (plus pages), and one price list per product; nothing else (a missing
location shows up as the error of its first list call). Users are company-level: read once per run per company.

Concurrency: up to ``parallelism`` locations at once, and within a location up to ``READS_PER_LOCATION`` calls
side by side (its first call, tags, alone; then the four other kinds; then its products' price lists). All of a
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
from ghlops.kinds import CALENDARS, CUSTOM_FIELDS, CUSTOM_VALUES, PRICES, PRODUCTS, TAGS, USERS
from ghlops.kinds.base import Kind, LiveObject, Resolver
from ghlops.kinds.products import PAGE_SIZE as PRODUCT_PAGE
from ghlops.kinds.products import Price
from ghlops.kinds.users import PAGE_SIZE as USER_PAGE
from ghlops.request import Request
from ghlops.state import CompanyLive, LocationLive

#: What reading one kind gives: its live objects and the warning lines of objects left alone.
Read = tuple[list[LiveObject[Any]], list[str]]

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: Items one kind of one location may hold before the reader stops paging with an error: far beyond any real
#: account, it bounds a server that always reports one more page.
MAX_ITEMS_PER_KIND = 10_000

#: Calls of one location in flight at once: the four kinds read side by side after tags, or four price readers.
READS_PER_LOCATION = 4


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
        what = f"users of company {company_id}"
        raws = self._pages(
            None, None, what, lambda skip: USERS.search_request(company_id, skip), USERS.parse_search, USER_PAGE
        )
        warnings: list[str] = []
        users = []
        for raw in raws:
            if USERS.is_gone(raw):
                continue
            parsed = self._parse(USERS, raw, Resolver(), f"company {company_id}", warnings)
            if parsed is not None:
                users.append(parsed)
        return CompanyLive(company_id=company_id, users=users, warnings=warnings)

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
        simple: tuple[Kind[Any], ...] = (TAGS, CUSTOM_FIELDS, CUSTOM_VALUES, CALENDARS)
        live = LocationLive(location_id=location_id)
        # A location's first call decides whether it exists; the rest then run side by side.
        live.objects[TAGS.name], warnings = self.read_kind_noting(name, location_id, TAGS, resolver)
        live.warnings.extend(warnings)
        tasks: list[tuple[str, Callable[[], Read]]] = [
            (k.name, _bind(self.read_kind_noting, name, location_id, k, resolver)) for k in simple[1:]
        ]
        tasks.append((PRODUCTS.name, _bind(self.read_products_noting, name, location_id, resolver)))
        if calls is None:
            results = {kind: task() for kind, task in tasks}
        else:
            futures = {kind: calls.submit(task) for kind, task in tasks}
            results = {kind: f.result() for kind, f in futures.items()}
        for kind_name, (objects, warnings) in results.items():
            live.objects[kind_name] = objects
            live.warnings.extend(warnings)
        live.objects[PRICES.name], warnings = self.read_prices(
            name, location_id, live.of(PRODUCTS.name), resolver, calls=calls
        )
        live.warnings.extend(warnings)
        return live

    def read_kind(self, name: str, location_id: str, kind: Kind[Any], resolver: Resolver) -> list[LiveObject[Any]]:
        return self.read_kind_noting(name, location_id, kind, resolver)[0]

    def read_kind_noting(self, name: str, location_id: str, kind: Kind[Any], resolver: Resolver) -> Read:
        """One kind's live objects, and a warning line for each object left alone (see _parse)."""
        req = kind.list_request(location_id)
        body = self._send(req, location_id, kind.name, name)
        try:
            raws = kind.parse_list(body)
        except ValueError as exc:
            raise _bad_answer(req, exc, name, kind.name) from exc
        return self._parse_all(kind, raws, resolver, name)

    def read_products(self, name: str, location_id: str, resolver: Resolver) -> list[LiveObject[Any]]:
        return self.read_products_noting(name, location_id, resolver)[0]

    def read_products_noting(self, name: str, location_id: str, resolver: Resolver) -> Read:
        raws = self._pages(
            name,
            location_id,
            PRODUCTS.name,
            lambda off: PRODUCTS.list_page_request(location_id, off),
            PRODUCTS.parse_page,
            PRODUCT_PAGE,
        )
        return self._parse_all(PRODUCTS, raws, resolver, name)

    def read_prices(
        self,
        name: str,
        location_id: str,
        products: Sequence[LiveObject[Any]],
        resolver: Resolver,
        *,
        calls: Executor | None = None,
    ) -> Read:
        """The prices of ``products``, in the products' order; up to READS_PER_LOCATION lists at once on
        ``calls`` (sequentially without a pool)."""

        def one(product: LiveObject[Any]) -> Read:
            return self.read_product_prices(name, location_id, product.id, product.obj.name, resolver)

        groups: list[Read]
        if calls is None or len(products) <= 1:
            groups = [one(p) for p in products]
        else:
            # A few workers pull the next product from a shared queue: the location never holds more than its
            # share of the pool, however many products it has.
            groups = [([], []) for _ in products]
            queue = iter(enumerate(products))
            lock = threading.Lock()

            def worker() -> None:
                while True:
                    with lock:
                        item = next(queue, None)
                    if item is None:
                        return
                    index, product = item
                    groups[index] = one(product)

            workers = [calls.submit(worker) for _ in range(min(READS_PER_LOCATION, len(products)))]
            for future in workers:
                future.result()
        return [p for objects, _ in groups for p in objects], [w for _, warnings in groups for w in warnings]

    def read_product_prices(
        self, name: str, location_id: str, product_id: str, product_name: str, resolver: Resolver
    ) -> Read:
        raws = self._pages(
            name,
            location_id,
            PRICES.name,
            lambda off: PRICES.page_request(location_id, product_id, off),
            PRICES.parse_page,
            PRODUCT_PAGE,
        )
        # The list may omit the product id on each price; the executor needs it for the price's URL.
        with_product = [raw if raw.get("product") else {**raw, "product": product_id} for raw in raws]
        prices, warnings = self._parse_all(PRICES, with_product, resolver, name)
        for live in prices:
            price = live.obj
            assert isinstance(price, Price)
            price.with_product(product_name)
        return prices, warnings

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
            elif len(page) < page_size:
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



def _bad_answer(req: Request, exc: Exception, name: str | None, kind: str) -> ApiResponseError:
    return ApiResponseError(
        f"unexpected answer: {exc}", status=200, method=req.method, endpoint=req.endpoint, location=name, kind=kind
    )



