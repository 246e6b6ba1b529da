"""Products API: products and their prices. Objects carry Mongo-style ``_id``s; PUT replaces them whole.

Answers carry what real GHL's Mongo documents hold beyond the spec (recorded create answers published in
public repositories): ``archived``, ``deleted``, ``__v``, ``rating``, ``displayPriority`` on products,
``membershipOffers``, ``variantOptionIds``, ``deleted``, ``__v`` on prices, and a ``traceId`` on product answers.
Product names are not unique: GHL does not enforce it. Pages are capped (``Store.page_caps``) below the
``limit`` a client may ask for, while ``total`` reports every match.
"""

from __future__ import annotations

from ghlops.sandbox.dto.products import CreatePrice, CreateProduct, UpdatePrice, UpdateProduct
from ghlops.sandbox.replies import HttpError, Reply, not_found, timestamp, traced, unprocessable
from ghlops.sandbox.routing import Call, Route, from_body, from_query
from ghlops.sandbox.store import JsonObject, Kind
from ghlops.sandbox.validation import compact, parse

# Declared defaults of CreateProductDto: a PUT that leaves these out resets them here.
PRODUCT_DEFAULTS: JsonObject = {"isTaxesEnabled": False, "isLabelEnabled": False, "taxInclusive": False}
# What GHL's product document holds whatever the body says (a PUT keeps them: they are not the client's).
PRODUCT_SERVER_KEYS: JsonObject = {"archived": False, "deleted": False, "rating": [], "displayPriority": [], "__v": 0}
# Arrays GHL answers empty when the body leaves them out.
PRODUCT_EMPTY_LISTS = ("medias", "variants", "taxes", "collectionIds")
PRICE_DEFAULTS: JsonObject = {"membershipOffers": [], "variantOptionIds": [], "trackInventory": False}
PRICE_SERVER_KEYS: JsonObject = {"deleted": False, "__v": 0}
_PAGE_DEFAULT = 20  # products.json: limit's example value


def _product_not_found(product_id: str) -> HttpError:
    return not_found(f"Product with id {product_id} not found")


def _price_not_found() -> HttpError:
    return not_found("Price not found", "status")


def _product(call: Call, product_id: str) -> JsonObject:
    """The product, if it belongs to the location the call names (another location's is 'not found')."""
    stored = call.store.get(Kind.PRODUCT, product_id)
    if stored is None or stored.owner != call.location:
        raise _product_not_found(product_id)
    return stored.data


def _price(call: Call) -> JsonObject:
    product = _product(call, call.params["productId"])
    stored = call.store.get(Kind.PRICE, call.params["priceId"])
    if stored is None or stored.parent != product["_id"]:
        raise _price_not_found()
    return stored.data


# -- products ------------------------------------------------------------------------------------------------


def list_products(call: Call) -> Reply:
    location_id = call.required_arg("locationId")
    offset, limit = call.page(default=_PAGE_DEFAULT, maximum=call.store.page_caps.products)
    search = (call.arg("search") or "").casefold()
    products = [p for p in call.store.find(Kind.PRODUCT, owner=location_id) if search in p["name"].casefold()]
    # ListProductsResponseDto: the total is an array of one stats object.
    body = {"products": products[offset : offset + limit], "total": [{"total": len(products)}]}
    return Reply(200, traced(body, call.store.new_uuid()))


def get_product(call: Call) -> Reply:
    call.required_arg("locationId")
    return Reply(200, traced(_product(call, call.params["productId"]), call.store.new_uuid()))


def _product_body(dto: CreateProduct) -> JsonObject:
    values = compact(dto.sent())
    # UpdateProductDto's price id list is an instruction, not a property of the stored product.
    values.pop("prices", None)
    defaults = {**PRODUCT_DEFAULTS, **{k: [] for k in PRODUCT_EMPTY_LISTS}}
    return {**values, **{k: v for k, v in defaults.items() if k not in values}}


def create_product(call: Call) -> Reply:
    dto = parse(CreateProduct, call.body)
    now = timestamp()
    with call.store.transaction():
        product = {
            "_id": call.store.new_id(hex_id=True),
            **PRODUCT_SERVER_KEYS,
            **_product_body(dto),
            "createdAt": now,
            "updatedAt": now,
        }
        call.store.add(Kind.PRODUCT, product["_id"], dto.locationId, product)
    return Reply(201, traced(product, call.store.new_uuid()))


def update_product(call: Call) -> Reply:
    dto = parse(UpdateProduct, call.body)
    with call.store.transaction():
        old = _product(call, call.params["productId"])
        # A replacement, not a merge: every optional property the body leaves out is gone afterwards.
        product = {
            "_id": old["_id"],
            **{k: old.get(k, v) for k, v in PRODUCT_SERVER_KEYS.items()},
            **_product_body(dto),
            "createdAt": old["createdAt"],
            "updatedAt": timestamp(),
        }
        call.store.replace(Kind.PRODUCT, product["_id"], product)
    return Reply(200, traced(product, call.store.new_uuid()))


def delete_product(call: Call) -> Reply:
    call.required_arg("locationId")
    with call.store.transaction():
        product = _product(call, call.params["productId"])
        call.store.remove(Kind.PRODUCT, product["_id"])  # takes its prices along
    return Reply(200, {"status": True})


# -- prices --------------------------------------------------------------------------------------------------


def _price_body(dto: CreatePrice) -> JsonObject:
    if dto.type == "recurring" and dto.recurring is None:
        raise unprocessable(["recurring should not be empty"])
    values = compact(dto.sent())
    return {**values, **{k: v for k, v in PRICE_DEFAULTS.items() if k not in values}}


def list_prices(call: Call) -> Reply:
    call.required_arg("locationId")
    product = _product(call, call.params["productId"])
    offset, limit = call.page(default=_PAGE_DEFAULT, maximum=call.store.page_caps.prices)
    prices = call.store.find(Kind.PRICE, parent=product["_id"])
    ids = call.arg("ids")
    if ids:
        wanted = {i.strip() for i in ids.split(",")}
        prices = [p for p in prices if p["_id"] in wanted]
    body = {"prices": prices[offset : offset + limit], "total": len(prices)}
    return Reply(200, traced(body, call.store.new_uuid()))


def get_price(call: Call) -> Reply:
    call.required_arg("locationId")
    return Reply(200, _price(call))


def create_price(call: Call) -> Reply:
    dto = parse(CreatePrice, call.body)
    body = _price_body(dto)
    now = timestamp()
    with call.store.transaction():
        product = _product(call, call.params["productId"])
        price = {
            "_id": call.store.new_id(hex_id=True),
            **PRICE_SERVER_KEYS,
            **body,
            "product": product["_id"],
            "createdAt": now,
            "updatedAt": now,
        }
        call.store.add(Kind.PRICE, price["_id"], call.location, price, parent=product["_id"])
    return Reply(201, price)


def update_price(call: Call) -> Reply:
    dto = parse(UpdatePrice, call.body)
    body = _price_body(dto)
    with call.store.transaction():
        old = _price(call)
        price = {
            "_id": old["_id"],
            **{k: old.get(k, v) for k, v in PRICE_SERVER_KEYS.items()},
            **body,
            "product": old["product"],
            "createdAt": old["createdAt"],
            "updatedAt": timestamp(),
        }
        call.store.replace(Kind.PRICE, price["_id"], price)
    return Reply(200, price)


def delete_price(call: Call) -> Reply:
    call.required_arg("locationId")
    with call.store.transaction():
        price = _price(call)
        call.store.remove(Kind.PRICE, price["_id"])
    return Reply(200, {"status": True})


_QUERY = from_query("locationId")
_BODY = from_body("locationId")
_PRICES = "/products/{productId}/price"

ROUTES = (
    Route("GET", "/products/", list_products, locate=_QUERY),
    Route("POST", "/products/", create_product, locate=_BODY),
    Route("GET", "/products/{productId}", get_product, locate=_QUERY),
    Route("PUT", "/products/{productId}", update_product, locate=_BODY),
    Route("DELETE", "/products/{productId}", delete_product, locate=_QUERY),
    Route("GET", _PRICES, list_prices, locate=_QUERY),
    Route("POST", _PRICES, create_price, locate=_BODY),
    Route("GET", f"{_PRICES}/{{priceId}}", get_price, locate=_QUERY),
    Route("PUT", f"{_PRICES}/{{priceId}}", update_price, locate=_BODY),
    Route("DELETE", f"{_PRICES}/{{priceId}}", delete_price, locate=_QUERY),
)
