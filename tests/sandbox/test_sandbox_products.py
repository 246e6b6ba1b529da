"""Products and prices: `_id`s, whole-object PUT, pagination, location scoping, cascading delete."""

from __future__ import annotations

import re
from typing import Any

import httpx

from ghlops.sandbox import Sandbox
from tests.sandbox.conftest import LOC, OTHER_LOC

HEX_ID = re.compile(r"^[0-9a-f]{24}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def untraced(body: dict[str, Any]) -> dict[str, Any]:
    """An answer without its per-answer traceId (checked to be a UUID)."""
    assert UUID.match(body["traceId"]), body
    return {k: v for k, v in body.items() if k != "traceId"}


def product(api: httpx.Client, **body: Any) -> dict[str, Any]:
    response = api.post("/products/", json={"locationId": LOC, "name": "Whitening", "productType": "SERVICE", **body})
    assert response.status_code == 201, response.text
    return untraced(response.json())


def price_body(**body: Any) -> dict[str, Any]:
    return {"locationId": LOC, "name": "Standard", "type": "one_time", "currency": "USD", "amount": 199, **body}


def test_product_create_answers_the_product_with_a_mongo_id(api: httpx.Client) -> None:
    created = product(api, description="Teeth whitening", availableInStore=True)
    assert HEX_ID.match(created["_id"])
    assert "id" not in created
    assert TIMESTAMP.match(created["createdAt"]) and created["createdAt"] == created["updatedAt"]
    # The keys of a recorded POST /products/ answer (issue 9): Mongo bookkeeping and empty arrays included.
    assert created == {
        "_id": created["_id"],
        "archived": False,
        "deleted": False,
        "rating": [],
        "displayPriority": [],
        "__v": 0,
        "name": "Whitening",
        "locationId": LOC,
        "description": "Teeth whitening",
        "productType": "SERVICE",
        "availableInStore": True,
        "isTaxesEnabled": False,
        "isLabelEnabled": False,
        "taxInclusive": False,
        "medias": [],
        "variants": [],
        "taxes": [],
        "collectionIds": [],
        "createdAt": created["createdAt"],
        "updatedAt": created["updatedAt"],
    }
    assert untraced(api.get(f"/products/{created['_id']}", params={"locationId": LOC}).json()) == created


def test_product_put_replaces_the_whole_product_clearing_unsent_fields(api: httpx.Client) -> None:
    created = product(api, description="Teeth whitening", image="https://img/x.png", collectionIds=["c1"])
    response = api.put(
        f"/products/{created['_id']}", json={"locationId": LOC, "name": "Whitening Pro", "productType": "SERVICE"}
    )
    assert response.status_code == 200
    replaced = untraced(response.json())
    assert replaced["name"] == "Whitening Pro"
    for cleared in ("description", "image"):
        assert cleared not in replaced
    assert replaced["collectionIds"] == []
    assert replaced["createdAt"] == created["createdAt"]
    # GHL's own bookkeeping is not the body's to clear.
    assert (replaced["archived"], replaced["deleted"], replaced["__v"]) == (False, False, 0)
    assert untraced(api.get(f"/products/{created['_id']}", params={"locationId": LOC}).json()) == replaced


def test_product_put_needs_the_required_properties_even_for_a_small_change(api: httpx.Client) -> None:
    created = product(api)
    response = api.put(f"/products/{created['_id']}", json={"name": "Renamed"})
    assert response.status_code == 422
    assert set(response.json()["message"]) == {"locationId should not be empty", "productType should not be empty"}


def test_product_type_is_an_enum_and_unknown_properties_are_rejected(api: httpx.Client) -> None:
    response = api.post("/products/", json={"locationId": LOC, "name": "X", "productType": "GOODS", "price": 10})
    assert response.status_code == 422
    assert response.json() == {
        "statusCode": 422,
        "message": [
            "productType must be one of the following values: DIGITAL, PHYSICAL, SERVICE, PHYSICAL/DIGITAL",
            "property price should not exist",
        ],
        "error": "Unprocessable Entity",
    }


def test_products_list_paginates_in_creation_order_with_a_total(api: httpx.Client) -> None:
    ids = [product(api, name=f"P{i:03d}")["_id"] for i in range(105)]

    def page(**params: Any) -> dict[str, Any]:
        response = api.get("/products/", params={"locationId": LOC, **params})
        assert response.status_code == 200
        return untraced(response.json())

    first = page()
    assert [p["_id"] for p in first["products"]] == ids[:20]
    assert first["total"] == [{"total": 105}]
    assert [p["_id"] for p in page(limit=0)["products"]] == ids[:20]
    assert [p["_id"] for p in page(limit=10, offset=100)["products"]] == ids[100:]
    assert [p["_id"] for p in page(limit=5, offset=3)["products"]] == ids[3:8]
    assert page(search="p10")["total"] == [{"total": 5}]


def test_a_products_page_is_capped_below_the_limit_asked_while_the_total_is_real(
    sb: Sandbox, api: httpx.Client
) -> None:
    ids = [product(api, name=f"P{i:02d}")["_id"] for i in range(45)]
    pages, offset = [], 0
    while True:
        body = untraced(api.get("/products/", params={"locationId": LOC, "limit": 100, "offset": offset}).json())
        assert body["total"] == [{"total": 45}]
        if not body["products"]:
            break
        pages.append([p["_id"] for p in body["products"]])
        offset += len(body["products"])
    assert [len(p) for p in pages] == [20, 20, 5]
    assert [i for page in pages for i in page] == ids
    sb.store.page_caps.products = 7
    capped = untraced(api.get("/products/", params={"locationId": LOC, "limit": 100}).json())
    assert (len(capped["products"]), capped["total"]) == (7, [{"total": 45}])


def test_product_names_need_not_be_unique(api: httpx.Client) -> None:
    # GHL does not enforce unique product names (issue 9).
    first, second = product(api, name="Cleaning"), product(api, name="Cleaning")
    assert first["_id"] != second["_id"]
    listed = untraced(api.get("/products/", params={"locationId": LOC}).json())
    assert [p["name"] for p in listed["products"]] == ["Cleaning", "Cleaning"]


def test_products_list_needs_a_location_and_numeric_paging(api: httpx.Client) -> None:
    missing = api.get("/products/")
    assert missing.status_code == 422
    assert "locationId should not be empty" in missing.json()["message"]
    assert api.get("/products/", params={"locationId": LOC, "limit": "ten"}).status_code == 422
    assert api.get("/products/", params={"locationId": LOC, "offset": "-1"}).status_code == 422


def test_a_product_of_another_location_is_not_found(api: httpx.Client) -> None:
    created = product(api)
    assert api.get(f"/products/{created['_id']}", params={"locationId": OTHER_LOC}).status_code == 404
    put = api.put(f"/products/{created['_id']}", json={"locationId": OTHER_LOC, "name": "X", "productType": "SERVICE"})
    assert put.status_code == 404
    assert api.delete(f"/products/{created['_id']}", params={"locationId": OTHER_LOC}).status_code == 404
    assert api.post(f"/products/{created['_id']}/price", json=price_body(locationId=OTHER_LOC)).status_code == 404


def test_product_delete_needs_the_location_and_takes_the_prices_along(sb: Sandbox, api: httpx.Client) -> None:
    created = product(api)
    api.post(f"/products/{created['_id']}/price", json=price_body())
    assert api.delete(f"/products/{created['_id']}").status_code == 422
    deleted = api.delete(f"/products/{created['_id']}", params={"locationId": LOC})
    assert (deleted.status_code, deleted.json()) == (200, {"status": True})
    assert sb.store.snapshot(LOC)["products"] == []
    assert api.get(f"/products/{created['_id']}", params={"locationId": LOC}).status_code == 404


def test_prices_round_trip(sb: Sandbox, api: httpx.Client) -> None:
    created = product(api)
    response = api.post(f"/products/{created['_id']}/price", json=price_body(compareAtPrice=250))
    assert response.status_code == 201
    price = response.json()
    assert HEX_ID.match(price["_id"])
    # The keys of a recorded POST /products/{id}/price answer (issue 9).
    assert price == {
        "_id": price["_id"],
        "deleted": False,
        "__v": 0,
        "membershipOffers": [],
        "variantOptionIds": [],
        "trackInventory": False,
        "name": "Standard",
        "type": "one_time",
        "currency": "USD",
        "amount": 199,
        "compareAtPrice": 250,
        "locationId": LOC,
        "product": created["_id"],
        "createdAt": price["createdAt"],
        "updatedAt": price["updatedAt"],
    }
    listed = api.get(f"/products/{created['_id']}/price", params={"locationId": LOC})
    assert untraced(listed.json()) == {"prices": [price], "total": 1}
    one = api.get(f"/products/{created['_id']}/price/{price['_id']}", params={"locationId": LOC})
    assert one.json() == price
    assert sb.store.snapshot(LOC)["products"][0]["prices"] == [price]

    replaced = api.put(f"/products/{created['_id']}/price/{price['_id']}", json=price_body(amount=149)).json()
    assert replaced["amount"] == 149
    assert "compareAtPrice" not in replaced  # PUT replaces the whole price
    assert (replaced["deleted"], replaced["__v"], replaced["membershipOffers"]) == (False, 0, [])

    deleted = api.delete(f"/products/{created['_id']}/price/{price['_id']}", params={"locationId": LOC})
    assert deleted.json() == {"status": True}
    gone = api.get(f"/products/{created['_id']}/price/{price['_id']}", params={"locationId": LOC})
    assert gone.status_code == 404
    assert gone.json() == {"status": 404, "message": "Price not found"}


def test_recurring_prices_need_their_recurrence(api: httpx.Client) -> None:
    created = product(api)
    missing = api.post(f"/products/{created['_id']}/price", json=price_body(type="recurring"))
    assert missing.status_code == 422
    assert missing.json()["message"] == ["recurring should not be empty"]
    bad_interval = price_body(type="recurring", recurring={"interval": "fortnight", "intervalCount": 1})
    assert api.post(f"/products/{created['_id']}/price", json=bad_interval).status_code == 422
    good = price_body(type="recurring", recurring={"interval": "month", "intervalCount": 1})
    response = api.post(f"/products/{created['_id']}/price", json=good)
    assert response.status_code == 201
    assert response.json()["recurring"] == {"interval": "month", "intervalCount": 1}


def test_price_type_is_an_enum_and_amount_a_number(api: httpx.Client) -> None:
    created = product(api)
    response = api.post(f"/products/{created['_id']}/price", json=price_body(type="once", amount="199"))
    assert response.status_code == 422
    assert response.json()["message"] == [
        "type must be one of the following values: one_time, recurring",
        "amount must be a number conforming to the specified constraints",
    ]


def test_prices_list_paginates_and_filters_by_ids(api: httpx.Client) -> None:
    created = product(api)
    ids = [
        api.post(f"/products/{created['_id']}/price", json=price_body(name=f"P{i}")).json()["_id"] for i in range(25)
    ]
    url = f"/products/{created['_id']}/price"
    first = api.get(url, params={"locationId": LOC, "limit": 100}).json()
    assert [p["_id"] for p in first["prices"]] == ids[:20]  # capped below the limit asked
    assert first["total"] == 25
    assert [p["_id"] for p in api.get(url, params={"locationId": LOC, "offset": 20}).json()["prices"]] == ids[20:]
    chosen = api.get(url, params={"locationId": LOC, "ids": f"{ids[3]},{ids[7]}"}).json()
    assert [p["_id"] for p in chosen["prices"]] == [ids[3], ids[7]]
    assert chosen["total"] == 2
