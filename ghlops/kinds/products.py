"""Products and their prices. Both carry `_id`, and GHL's PUT replaces the whole object, so updates are
read-modify-write: every field the manifest does not manage is sent back with its live value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from ghlops.kinds.base import (
    Entry,
    Kind,
    LiveObject,
    Model,
    Name,
    Resolver,
    expect_list,
    is_live,
    name_field,
    new_list,
    plain,
    require_str,
)
from ghlops.request import Ref, Request

PAGE_SIZE = 100


class ProductType(StrEnum):
    DIGITAL = "DIGITAL"
    PHYSICAL = "PHYSICAL"
    SERVICE = "SERVICE"
    PHYSICAL_DIGITAL = "PHYSICAL/DIGITAL"


class RecurringInterval(Model):
    interval: Literal["day", "week", "month", "year"]
    intervalCount: int = Field(ge=1)


class Price(Entry):
    name: Name = name_field("Price name, unique within its product.")
    type: Literal["one_time", "recurring"] = Field(description="one_time or recurring.")
    # Finite and not negative (issue 13, section 7): NaN and Infinity are not JSON, and GHL has no negative price.
    amount: float = Field(ge=0, allow_inf_nan=False, description="Amount in the currency's main unit (>= 0).")
    currency: str = Field(min_length=3, max_length=3, description="ISO currency code, e.g. USD.")
    recurring: RecurringInterval | None = Field(default=None, description="Required for recurring prices.")
    description: str | None = None
    trialPeriod: int | None = Field(default=None, ge=0)
    totalCycles: int | None = Field(default=None, ge=0)
    setupFee: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    compareAtPrice: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    trackInventory: bool | None = None
    availableQuantity: int | None = None
    allowOutOfStockPurchases: bool | None = None
    sku: str | None = None

    _product: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _recurring_has_its_interval(self, info: ValidationInfo) -> Price:
        # GHL refuses a recurring price without its interval (CreatePriceDto): a validation error, not a 422 at
        # apply time. Live prices are taken as they are.
        if self.type == "recurring" and self.recurring is None and not is_live(info):
            raise ValueError("a recurring price needs 'recurring' (interval and intervalCount)")
        return self

    def with_product(self, product: str) -> Price:
        self._product = product
        return self

    @property
    def product_name(self) -> str:
        """The name of the product this price belongs to (set by the loader and the reader)."""
        # Read from the private slot directly: attribute access to a private field goes through pydantic's
        # __getattr__, a slow path the planner took once per price (issue 15).
        private = self.__pydantic_private__
        return str(private.get("_product", "")) if private else ""


class Label(Model):
    title: str
    startDate: str | None = None
    endDate: str | None = None


class Seo(Model):
    title: str | None = None
    description: str | None = None


class Product(Entry):
    name: Name = name_field("Product name; the natural key.")
    productType: ProductType = Field(description="DIGITAL, PHYSICAL, SERVICE or PHYSICAL/DIGITAL.")
    description: str | None = None
    image: str | None = None
    statementDescriptor: str | None = None
    availableInStore: bool | None = None
    collectionIds: list[str] | None = None
    isTaxesEnabled: bool | None = None
    taxes: list[str] | None = None
    automaticTaxCategoryId: str | None = None
    isLabelEnabled: bool | None = None
    label: Label | None = None
    slug: str | None = None
    seo: Seo | None = None
    taxInclusive: bool | None = None
    prices: list[Price] = Field(default_factory=new_list, description="Prices, matched by name within the product.")


# The writable fields of UpdateProductDto / UpdatePriceDto: what a read-modify-write sends back.
PRODUCT_WRITABLE = (
    "name", "locationId", "description", "productType", "image", "statementDescriptor", "availableInStore",
    "medias", "variants", "collectionIds", "isTaxesEnabled", "taxes", "automaticTaxCategoryId",
    "isLabelEnabled", "label", "slug", "seo", "taxInclusive",
)  # fmt: skip
PRICE_WRITABLE = (
    "name", "type", "currency", "amount", "recurring", "description", "membershipOffers", "trialPeriod",
    "totalCycles", "setupFee", "variantOptionIds", "compareAtPrice", "locationId", "userId", "meta",
    "trackInventory", "availableQuantity", "allowOutOfStockPurchases", "sku", "shippingOptions",
    "isDigitalProduct", "digitalDelivery",
)  # fmt: skip
_PRODUCT_FIELDS = frozenset(Product.model_fields) - {"prices", "renamedFrom", "ignoreChanges", "protect"}
_PRICE_FIELDS = frozenset(Price.model_fields) - {"renamedFrom", "ignoreChanges", "protect"}


def _id(raw: Mapping[str, Any]) -> str:
    value = raw.get("_id")
    if not isinstance(value, str) or not value:
        raise ValueError("object without an '_id'")
    return value


class Products(Kind[Product]):
    name = "products"
    label = "product"
    model = Product
    children = frozenset({"prices"})
    delete_warning = "its prices are deleted with it and checkout links that use them stop working"
    section_description = "Products with their prices."
    document_order = 60
    page_size = PAGE_SIZE
    stored_as = "product"
    # CreateProductDto's documented defaults.
    export_defaults = {"isTaxesEnabled": False, "isLabelEnabled": False, "taxInclusive": False}
    # Ids of product collections and taxes, which ghlops does not manage.
    location_references = ("collectionIds", "taxes")
    # GHL's product list answers carry none of these (issue 13, section 7).
    not_readable = frozenset({"seo", "taxInclusive", "isLabelEnabled"})

    def list_page_request(self, location_id: str, offset: int) -> Request:
        return Request(
            "GET",
            ("/products/",),
            params=(("locationId", location_id), ("limit", str(PAGE_SIZE)), ("offset", str(offset))),
        )

    def list_request(self, location_id: str) -> Request:
        return self.list_page_request(location_id, 0)

    def list_page(self, scope_id: str, offset: int, parent: LiveObject[Any] | None = None) -> Request:
        return self.list_page_request(scope_id, offset)

    def export_entry(self, data: dict[str, Any], live: LiveObject[Product], notes: list[str]) -> Any:
        data.pop("prices", None)
        for key in [k for k, v in data.items() if v == []]:
            del data[key]  # GHL lists unset arrays (collectionIds, taxes) as []
        return data

    def parse_page(self, body: Any) -> tuple[list[Mapping[str, Any]], int | None]:
        items = expect_list(body, "products")
        total = body.get("total")
        # The spec documents total as [{"total": N}]; accept a bare number too.
        if isinstance(total, list) and total and isinstance(total[0], Mapping):
            total = total[0].get("total")
        return items, int(total) if isinstance(total, int | float) else None

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        return self.parse_page(body)[0]

    def raw_id(self, raw: Mapping[str, Any]) -> str:
        return _id(raw)

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
        # Real products also carry archived, deleted, __v, rating, displayPriority, traceId, ...: kept in the raw
        # answer; the writable ones go back on every update (PRODUCT_WRITABLE).
        data = {k: v for k, v in raw.items() if k in _PRODUCT_FIELDS and v is not None}
        data["name"] = require_str(raw, "name")
        return data

    def create_request(self, location_id: str, desired: Product, resolver: Resolver) -> Request:
        body = {"locationId": location_id, **{f: plain(getattr(desired, f)) for f in _managed(desired)}}
        body.setdefault("productType", str(desired.productType))
        return Request("POST", ("/products/",), body=body, binds=Ref("products", self.key(desired)), id_field=("_id",))

    def update_request(
        self, location_id: str, live: LiveObject[Product], desired: Product, fields: Sequence[str], resolver: Resolver
    ) -> Request:
        body = _read_back(live, PRODUCT_WRITABLE)
        body.update({f: plain(getattr(desired, f)) for f in fields})
        body["locationId"] = location_id
        return Request("PUT", ("/products/", live.id), body=body)

    def delete_request(self, location_id: str, live: LiveObject[Product]) -> Request:
        return Request("DELETE", ("/products/", live.id), params=(("locationId", location_id),))


def _managed(desired: Product) -> list[str]:
    return [f for f in desired.managed_fields() if f != "prices"]


class Prices(Kind[Price]):
    name = "prices"
    label = "price"
    model = Price
    delete_warning = "checkout links and subscriptions on this price stop working"
    parent = "products"
    parent_field = "prices"
    page_size = PAGE_SIZE
    stored_as = "price"
    # What GHL answers for a price created without these.
    export_defaults = {"trackInventory": False}
    # GHL's price list answers carry none of these (issue 13, section 7).
    not_readable = frozenset({"description", "sku", "trialPeriod", "totalCycles", "setupFee"})

    def key(self, obj: Price) -> str:
        return f"{obj.product_name.casefold()}/{obj.name.casefold()}"

    def display(self, obj: Price) -> str:
        return f"{obj.product_name}/{obj.name}"

    def key_for_name(self, obj: Price, name: str) -> str:
        return f"{obj.product_name.casefold()}/{name.casefold()}"

    def page_request(self, location_id: str, product_id: str, offset: int) -> Request:
        return Request(
            "GET",
            ("/products/", product_id, "/price"),
            params=(("locationId", location_id), ("limit", str(PAGE_SIZE)), ("offset", str(offset))),
        )

    def parse_page(self, body: Any) -> tuple[list[Mapping[str, Any]], int | None]:
        items = expect_list(body, "prices")
        total = body.get("total")
        return items, int(total) if isinstance(total, int | float) else None

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        return self.parse_page(body)[0]

    def list_page(self, scope_id: str, offset: int, parent: LiveObject[Any] | None = None) -> Request:
        if parent is None:
            raise ValueError("prices are listed per product")
        return self.page_request(scope_id, parent.id, offset)

    def attach(self, raw: Mapping[str, Any], parent: LiveObject[Any]) -> Mapping[str, Any]:
        # The list may omit the product id on each price; updates and deletes need it for the price's URL.
        return raw if raw.get("product") else {**raw, "product": parent.id}

    def adopt_parent(self, obj: Price, parent: LiveObject[Any] | Entry) -> None:
        product = parent.obj if isinstance(parent, LiveObject) else parent
        obj.with_product(str(getattr(product, "name", "")))

    def parent_key(self, obj: Price) -> str | None:
        return obj.product_name.casefold()

    def parent_of_create(self, create: Request) -> str | None:
        # POST /products/{productId}/price
        product = create.path[1] if len(create.path) > 1 else None
        return product if isinstance(product, str) else None

    def find_again(self, key: str, objects: Sequence[LiveObject[Price]]) -> LiveObject[Price] | None:
        # Read again under the one product the create was for: matched by the price's own name within it.
        name = key.rsplit("/", 1)[-1]
        return next((o for o in objects if o.obj.name.casefold() == name), None)

    def raw_id(self, raw: Mapping[str, Any]) -> str:
        return _id(raw)

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
        # Real prices also carry membershipOffers, variantOptionIds, __v, ...: see PRICE_WRITABLE.
        data = {k: v for k, v in raw.items() if k in _PRICE_FIELDS and v is not None}
        data["name"] = require_str(raw, "name")
        return data

    def create_request(self, location_id: str, desired: Price, resolver: Resolver) -> Request:
        product = resolver.ref(PRODUCTS.name, desired.product_name.casefold())
        body = {"locationId": location_id, **{f: plain(getattr(desired, f)) for f in desired.managed_fields()}}
        return Request("POST", ("/products/", product, "/price"), body=body, id_field=("_id",))

    def update_request(
        self, location_id: str, live: LiveObject[Price], desired: Price, fields: Sequence[str], resolver: Resolver
    ) -> Request:
        body = _read_back(live, PRICE_WRITABLE)
        body.update({f: plain(getattr(desired, f)) for f in fields})
        body["locationId"] = location_id
        return Request("PUT", ("/products/", _product_id(live), "/price/", live.id), body=body)

    def delete_request(self, location_id: str, live: LiveObject[Price]) -> Request:
        return Request(
            "DELETE", ("/products/", _product_id(live), "/price/", live.id), params=(("locationId", location_id),)
        )


def _read_back(live: LiveObject[Any], writable: Sequence[str]) -> dict[str, Any]:
    """What GHL holds of the writable fields, sent back (its PUT replaces the whole object).

    Fields ghlops doesn't model (medias, variants, membershipOffers...) and nested values go back as GHL gave
    them, every key included; a modelled scalar goes back as the model read it (GHL's 0 for a boolean becomes
    false: the update DTO refuses the 0); a value that doesn't fit its documented type at all is left out, since
    sending it would be refused, so the update of the other fields goes through."""
    odd = {str(path[0]) for path in live.odd}
    fields = type(live.obj).model_fields
    body: dict[str, Any] = {}
    for key in writable:
        value = live.raw.get(key)
        if value is None or key in odd:
            continue
        if key in fields and not isinstance(value, Mapping | list):
            value = plain(getattr(live.obj, key))
        body[key] = value
    return body


def _product_id(live: LiveObject[Price]) -> str:
    return str(live.raw["product"])


PRODUCTS = Products()
PRICES = Prices()
KINDS = (PRODUCTS, PRICES)
