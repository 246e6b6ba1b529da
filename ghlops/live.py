"""Reads live state through the kinds' list endpoints.

Per location: one list call per kind (plus pages), and one price list per product; nothing else (a missing
location shows up as the error of its first list call). Users are company-level: read once per run per company.
Locations are read concurrently, and so are the kinds within a location.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from ghlops.errors import ApiResponseError
from ghlops.ghl.request import Request
from ghlops.kinds import CALENDARS, CUSTOM_FIELDS, CUSTOM_VALUES, PRICES, PRODUCTS, TAGS, USERS
from ghlops.kinds.base import Kind, LiveObject, Resolver
from ghlops.kinds.products import PAGE_SIZE as PRODUCT_PAGE
from ghlops.kinds.products import Price
from ghlops.kinds.users import PAGE_SIZE as USER_PAGE
from ghlops.state import CompanyLive, LocationLive

T = TypeVar("T")


class Sender(Protocol):
    """What the reader needs of the GHL client."""

    def send(self, req: Request, *, location_id: str | None = None, context: Any = None) -> Any: ...


class LiveReader:
    def __init__(self, client: Sender, *, parallelism: int = 8, context_factory: Callable[..., Any] | None = None):
        self._client = client
        self._parallelism = max(1, parallelism)
        self._context = context_factory or _default_context

    # -- company users -------------------------------------------------------------------------------
    def read_company(self, company_id: str) -> CompanyLive:
        raws: list[Mapping[str, Any]] = []
        skip = 0
        while True:
            req = USERS.search_request(company_id, skip)
            body = self._send(req, None, "users", "company " + company_id)
            try:
                page, count = USERS.parse_search(body)
            except ValueError as exc:
                raise _bad_answer(req, exc, None, "users") from exc
            raws.extend(page)
            skip += len(page)
            if len(page) < USER_PAGE or (count is not None and skip >= count):
                break
        users = [self._parse(USERS, raw, Resolver(), None, req) for raw in raws]
        return CompanyLive(company_id=company_id, users=users)

    # -- locations -------------------------------------------------------------------------------------
    def read_locations(
        self, locations: Sequence[tuple[str, str]], resolvers: Mapping[str, Resolver]
    ) -> dict[str, LocationLive]:
        """Read (name, location_id) pairs concurrently; results keyed by location id, errors re-raised."""
        if self._parallelism == 1 or len(locations) <= 1:
            return {lid: self.read_location(name, lid, resolvers[lid]) for name, lid in locations}
        with ThreadPoolExecutor(max_workers=self._parallelism) as pool:
            futures = {lid: pool.submit(self.read_location, name, lid, resolvers[lid]) for name, lid in locations}
            return {lid: f.result() for lid, f in futures.items()}

    def read_location(self, name: str, location_id: str, resolver: Resolver) -> LocationLive:
        simple: tuple[Kind[Any], ...] = (TAGS, CUSTOM_FIELDS, CUSTOM_VALUES, CALENDARS)
        live = LocationLive(location_id=location_id)
        # A location's first call decides whether it exists; the rest then run side by side.
        live.objects[TAGS.name] = self.read_kind(name, location_id, TAGS, resolver)
        tasks: list[tuple[str, Callable[[], list[LiveObject[Any]]]]] = [
            (k.name, _bind(self.read_kind, name, location_id, k, resolver)) for k in simple[1:]
        ]
        tasks.append((PRODUCTS.name, _bind(self.read_products, name, location_id, resolver)))
        if self._parallelism == 1:
            results = {kind: task() for kind, task in tasks}
        else:
            with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
                futures = {kind: pool.submit(task) for kind, task in tasks}
                results = {kind: f.result() for kind, f in futures.items()}
        live.objects.update(results)
        live.objects[PRICES.name] = self.read_prices(name, location_id, live.of(PRODUCTS.name), resolver)
        return live

    def read_kind(self, name: str, location_id: str, kind: Kind[Any], resolver: Resolver) -> list[LiveObject[Any]]:
        req = kind.list_request(location_id)
        body = self._send(req, location_id, kind.name, name)
        try:
            raws = kind.parse_list(body)
        except ValueError as exc:
            raise _bad_answer(req, exc, name, kind.name) from exc
        return [self._parse(kind, raw, resolver, name, req) for raw in raws]

    def read_products(self, name: str, location_id: str, resolver: Resolver) -> list[LiveObject[Any]]:
        raws = self._pages(
            name,
            location_id,
            PRODUCTS.name,
            lambda off: PRODUCTS.list_page_request(location_id, off),
            PRODUCTS.parse_page,
        )
        return [self._parse(PRODUCTS, raw, resolver, name, None) for raw in raws]

    def read_prices(
        self, name: str, location_id: str, products: Sequence[LiveObject[Any]], resolver: Resolver
    ) -> list[LiveObject[Any]]:
        def one(product: LiveObject[Any]) -> list[LiveObject[Any]]:
            return self.read_product_prices(name, location_id, product.id, product.obj.name, resolver)

        if self._parallelism == 1 or len(products) <= 1:
            groups = [one(p) for p in products]
        else:
            with ThreadPoolExecutor(max_workers=min(self._parallelism, len(products))) as pool:
                groups = list(pool.map(one, products))
        return [price for group in groups for price in group]

    def read_product_prices(
        self, name: str, location_id: str, product_id: str, product_name: str, resolver: Resolver
    ) -> list[LiveObject[Any]]:
        raws = self._pages(
            name,
            location_id,
            PRICES.name,
            lambda off: PRICES.page_request(location_id, product_id, off),
            PRICES.parse_page,
        )
        prices = []
        for raw in raws:
            live = self._parse(PRICES, raw, resolver, name, None)
            price = live.obj
            assert isinstance(price, Price)
            price.with_product(product_name)
            # The list may omit the product id on each price; the executor needs it for the price's URL.
            raw_with_product = raw if raw.get("product") else {**raw, "product": product_id}
            prices.append(LiveObject(live.id, price, raw_with_product))
        return prices

    # -- plumbing --------------------------------------------------------------------------------------
    def _pages(
        self,
        name: str,
        location_id: str,
        kind: str,
        request: Callable[[int], Request],
        parse: Callable[[Any], tuple[list[Mapping[str, Any]], int | None]],
    ) -> list[Mapping[str, Any]]:
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
            if len(page) < PRODUCT_PAGE or (total is not None and offset >= total):
                return raws

    def _send(self, req: Request, location_id: str | None, kind: str, name: str | None) -> Any:
        return self._client.send(req, location_id=location_id, context=self._context(name, kind, None))

    def _parse(
        self, kind: Kind[Any], raw: Mapping[str, Any], resolver: Resolver, name: str | None, req: Request | None
    ) -> LiveObject[Any]:
        try:
            return kind.live(raw, resolver)
        except (ValueError, ValidationError, TypeError, KeyError) as exc:
            what = raw.get("name") or raw.get("email") or raw.get("id") or raw.get("_id") or "?"
            detail = _one_line_validation(exc) if isinstance(exc, ValidationError) else str(exc)
            raise ApiResponseError(
                f"unexpected {kind.label} in GHL's answer ({what!s}): {detail}",
                status=200,
                method=req.method if req else "GET",
                endpoint=req.endpoint if req else kind.name,
                location=name,
                kind=kind.name,
            ) from exc


def _bind(fn: Callable[..., T], *args: Any) -> Callable[[], T]:
    return lambda: fn(*args)


def _default_context(location: str | None, kind: str | None, obj: str | None) -> Any:
    from ghlops.ghl.client import CallContext

    return CallContext(location=location, kind=kind, obj=obj)


def _bad_answer(req: Request, exc: Exception, name: str | None, kind: str) -> ApiResponseError:
    return ApiResponseError(
        f"unexpected answer: {exc}", status=200, method=req.method, endpoint=req.endpoint, location=name, kind=kind
    )


def _one_line_validation(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" + (f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else "")
