"""kinds/products.py: products and their prices (a child kind), read by `_id`, updated by sending back what GHL
holds (its PUT replaces the whole object), prices addressed under their product."""

from __future__ import annotations

import pytest

from ghlops.kinds import PRICES, PRODUCTS
from ghlops.kinds.base import LiveObject, Resolver
from ghlops.kinds.products import Price, Product
from ghlops.request import Ref, Request

PRICE = {"name": "Std", "type": "one_time", "amount": 5, "currency": "USD"}


def test_live_products_and_prices_use_underscore_id() -> None:
    product = PRODUCTS.live({"_id": "p1", "name": "P", "productType": "SERVICE"}, Resolver())
    assert product.id == "p1"
    price = PRICES.live({"_id": "x1", **PRICE}, Resolver())
    assert price.id == "x1"
    with pytest.raises(ValueError, match="without an '_id'"):
        PRODUCTS.live({"id": "p1", "name": "P", "productType": "SERVICE"}, Resolver())


def test_a_price_belongs_to_its_product_by_name() -> None:
    price = Price.model_validate({**PRICE, "amount": 1}).with_product("P")
    assert (PRICES.key(price), PRICES.display(price)) == ("p/std", "P/Std")


def test_the_product_total_is_read_in_the_documented_shape_or_as_a_bare_number() -> None:
    # The spec documents total as [{"total": N}]; a bare number is accepted too.
    assert PRODUCTS.parse_page({"products": [], "total": [{"total": 7}]}) == ([], 7)
    assert PRODUCTS.parse_page({"products": [], "total": 7}) == ([], 7)
    assert PRODUCTS.parse_page({"products": []}) == ([], None)


def test_prices_are_listed_per_product_and_keep_their_product_id() -> None:
    parent = LiveObject("p1", Product(name="Kit", productType="SERVICE"), {"_id": "p1"})
    assert PRICES.list_page("L1", 100, parent) == Request(
        "GET", ("/products/", "p1", "/price"), params=(("locationId", "L1"), ("limit", "100"), ("offset", "100"))
    )
    with pytest.raises(ValueError, match="per product"):
        PRICES.list_page("L1", 0)
    assert PRICES.attach({"_id": "x1"}, parent) == {"_id": "x1", "product": "p1"}
    assert PRICES.attach({"_id": "x1", "product": "p9"}, parent) == {"_id": "x1", "product": "p9"}


def test_a_price_of_a_product_created_in_the_same_run_is_created_under_its_ref() -> None:
    price = Price.model_validate(PRICE).with_product("Kit")
    create = PRICES.create_request("L1", price, Resolver())
    assert create.path == ("/products/", Ref("products", "kit"), "/price")
    assert create.body == {"locationId": "L1", **PRICE}
    assert PRICES.parent_of_create(Request("POST", ("/products/", "p1", "/price"))) == "p1"


def test_a_product_update_sends_back_the_writable_fields_ghl_holds_and_the_changed_ones() -> None:
    raw = {"_id": "p1", "name": "Kit", "productType": "SERVICE", "medias": [{"url": "m"}], "archived": False}
    live = PRODUCTS.live(raw, Resolver())
    desired = Product(name="Kit", productType="SERVICE", description="new")
    update = PRODUCTS.update_request("L1", live, desired, ["description"], Resolver())
    # archived is not writable; medias (not modelled) goes back exactly as GHL gave it.
    assert update == Request(
        "PUT",
        ("/products/", "p1"),
        body={
            "name": "Kit",
            "productType": "SERVICE",
            "medias": [{"url": "m"}],
            "description": "new",
            "locationId": "L1",
        },
    )
    assert PRODUCTS.delete_request("L1", live) == Request(
        "DELETE", ("/products/", "p1"), params=(("locationId", "L1"),)
    )


def test_the_export_leaves_out_prices_and_empty_lists() -> None:
    live = LiveObject("p1", Product(name="Kit", productType="SERVICE"), {"_id": "p1"})
    data = {"name": "Kit", "productType": "SERVICE", "prices": [], "collectionIds": [], "taxes": []}
    assert PRODUCTS.export_entry(data, live, []) == {"name": "Kit", "productType": "SERVICE"}
