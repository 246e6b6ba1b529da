"""Paging as real GHL does it (issue 9, section 3): a page may hold fewer items than the ``limit`` asked for,
while the answer reports the real total. A client that pages on the total finds everything, in order; one that
stops at "a page shorter than asked" does not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghlops.sandbox import Sandbox
from tests.sandbox.conftest import COMPANY, LOC, NewUser

PRODUCTS = 47
PRICES = 23
USERS = 31

# One list endpoint: (path, query, offset parameter, items key, total from an answer).
Listing = tuple[str, dict[str, str], str, str, Callable[[dict[str, Any]], int]]


@pytest.fixture
def listings(api: httpx.Client, new_user: NewUser) -> dict[str, tuple[Listing, list[str]]]:
    """Products, one product's prices and the company's users, created once, with their ids in order."""
    products = []
    for i in range(PRODUCTS):
        body = {"locationId": LOC, "name": f"P{i:02d}", "productType": "SERVICE"}
        products.append(api.post("/products/", json=body).json()["_id"])
    prices_url = f"/products/{products[0]}/price"
    prices = []
    for i in range(PRICES):
        body = {"locationId": LOC, "name": f"Price {i}", "type": "one_time", "currency": "USD", "amount": i}
        prices.append(api.post(prices_url, json=body).json()["_id"])
    users = [new_user()["id"] for _ in range(USERS)]
    return {
        "products": (
            ("/products/", {"locationId": LOC}, "offset", "products", lambda b: int(b["total"][0]["total"])),
            products,
        ),
        "prices": ((prices_url, {"locationId": LOC}, "offset", "prices", lambda b: int(b["total"])), prices),
        "users": (("/users/search", {"companyId": COMPANY}, "skip", "users", lambda b: int(b["count"])), users),
    }


def _id(item: dict[str, Any]) -> str:
    return str(item.get("_id") or item["id"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["products", "prices", "users"]),
    cap=st.integers(min_value=1, max_value=60),
    limit=st.integers(min_value=1, max_value=100),
)
def test_paging_on_the_reported_total_finds_every_item_in_order_whatever_the_cap(
    sb: Sandbox,
    api: httpx.Client,
    agency: httpx.Client,
    listings: dict[str, tuple[Listing, list[str]]],
    kind: str,
    cap: int,
    limit: int,
) -> None:
    (path, query, offset_name, key, total_of), expected = listings[kind]
    setattr(sb.store.page_caps, kind, cap)
    client = agency if kind == "users" else api
    seen: list[str] = []
    while True:
        body = client.get(path, params={**query, "limit": str(limit), offset_name: str(len(seen))}).json()
        assert total_of(body) == len(expected)
        page = [_id(item) for item in body[key]]
        assert len(page) == min(cap, limit, len(expected) - len(seen))
        seen.extend(page)
        if len(seen) >= total_of(body):
            break
    assert seen == expected


def test_stopping_at_the_first_short_page_misses_items(api: httpx.Client) -> None:
    # Why a client must page on the total: 100 asked, 20 answered (the default cap), 25 exist.
    for i in range(25):
        api.post("/products/", json={"locationId": LOC, "name": f"P{i}", "productType": "SERVICE"})
    first = api.get("/products/", params={"locationId": LOC, "limit": 100}).json()
    assert (len(first["products"]), first["total"]) == (20, [{"total": 25}])
