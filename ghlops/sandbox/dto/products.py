"""Bodies of the Products API: products (CreateProductDto, UpdateProductDto) and their prices."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PlainValidator

from ghlops.sandbox.validation import Dto, Name, Number, one_of

ProductType = Annotated[str, PlainValidator(one_of("DIGITAL", "PHYSICAL", "SERVICE", "PHYSICAL/DIGITAL"))]
PriceType = Annotated[str, PlainValidator(one_of("one_time", "recurring"))]


class ProductMedia(Dto):
    id: str
    title: str | None = None
    url: str
    type: Annotated[str, PlainValidator(one_of("image", "video"))]
    isFeatured: bool | None = None
    priceIds: list[list[Any]] | None = None


class ProductVariantOption(Dto):
    id: str
    name: str


class ProductVariant(Dto):
    id: str
    name: str
    options: list[ProductVariantOption]


class ProductLabel(Dto):
    title: str
    startDate: str | None = None
    endDate: str | None = None


class ProductSeo(Dto):
    title: str | None = None
    description: str | None = None


class CreateProduct(Dto):
    name: Name
    locationId: str
    description: str | None = None
    productType: ProductType
    image: str | None = None
    statementDescriptor: str | None = None
    availableInStore: bool | None = None
    medias: list[ProductMedia] | None = None
    variants: list[ProductVariant] | None = None
    collectionIds: list[str] | None = None
    isTaxesEnabled: bool | None = None
    taxes: list[str] | None = None
    automaticTaxCategoryId: str | None = None
    isLabelEnabled: bool | None = None
    label: ProductLabel | None = None
    slug: str | None = None
    seo: ProductSeo | None = None
    taxInclusive: bool | None = None


class UpdateProduct(CreateProduct):
    prices: list[str] | None = None


class RecurringPrice(Dto):
    interval: Annotated[str, PlainValidator(one_of("day", "month", "week", "year"))]
    intervalCount: Number


class MembershipOffer(Dto):
    label: str
    value: str
    id: str = Field(alias="_id")


class PriceMeta(Dto):
    source: Annotated[str, PlainValidator(one_of("stripe", "woocommerce", "shopify"))]
    sourceId: str | None = None
    stripePriceId: str
    internalSource: Annotated[
        str,
        PlainValidator(one_of("agency_plan", "funnel", "membership", "communities", "gokollab", "calendar")),
    ]


class WeightOptions(Dto):
    value: Number
    unit: Annotated[str, PlainValidator(one_of("kg", "lb", "g", "oz"))]


class PriceDimensions(Dto):
    height: Number
    width: Number
    length: Number
    unit: Annotated[str, PlainValidator(one_of("cm", "in", "m"))]


class ShippingOptions(Dto):
    weight: WeightOptions | None = None
    dimensions: PriceDimensions | None = None


class CreatePrice(Dto):
    name: Name
    type: PriceType
    currency: str
    amount: Number
    recurring: RecurringPrice | None = None
    description: str | None = None
    membershipOffers: list[MembershipOffer] | None = None
    trialPeriod: Number | None = None
    totalCycles: Number | None = None
    setupFee: Number | None = None
    variantOptionIds: list[str] | None = None
    compareAtPrice: Number | None = None
    locationId: str
    userId: str | None = None
    meta: PriceMeta | None = None
    trackInventory: bool | None = None
    availableQuantity: Number | None = None
    allowOutOfStockPurchases: bool | None = None
    sku: str | None = None
    shippingOptions: ShippingOptions | None = None
    isDigitalProduct: bool | None = None
    digitalDelivery: list[str] | None = None


class UpdatePrice(CreatePrice):
    """Same shape as CreatePriceDto; an update replaces the whole price."""
