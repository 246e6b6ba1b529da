"""Fields GHL's list answers never return (Kind.not_readable, issue 13 section 7), through the planner: never the
sole cause of an update, sent along with an update of other fields, one note per field; compared when present."""

from __future__ import annotations

import logging

from ghlops.kinds.base import Resolver
from ghlops.kinds.products import PRICES, PRODUCTS, Price, Product
from ghlops.kinds.users import KIND as USERS
from ghlops.kinds.users import User
from ghlops.plan.planner import build_plan, diff_kind
from ghlops.state import LocationDesired, LocationLive

PRICE_RAW = {"_id": "p1", "product": "prod1", "name": "Std", "type": "one_time", "amount": 10, "currency": "USD"}


def _price(**extra: object) -> Price:
    price = Price.model_validate({"name": "Std", "type": "one_time", "amount": 10, "currency": "USD", **extra})
    return price.with_product("Kit")


def _live_price(**extra: object):  # type: ignore[no-untyped-def]
    live = PRICES.live({**PRICE_RAW, **extra}, Resolver())
    live.obj.with_product("Kit")
    return live


def test_a_field_ghl_never_returns_is_not_an_update_on_its_own_but_is_noted() -> None:
    result = diff_kind(PRICES, [_price(sku="K-1")], [_live_price()], Resolver(), "loc1", prune=False)
    assert result.upserts == []
    assert result.notes == ["GHL doesn't return sku for prices: drift on it can't be seen"]


def test_it_goes_along_with_an_update_of_another_field() -> None:
    result = diff_kind(PRICES, [_price(sku="K-1", amount=12)], [_live_price()], Resolver(), "loc1", prune=False)
    (change,) = result.upserts
    assert [f.field for f in change.fields] == ["amount"]
    assert (change.requests[0].body["amount"], change.requests[0].body["sku"]) == (12, "K-1")


def test_when_an_answer_does_carry_it_it_is_compared() -> None:
    result = diff_kind(PRICES, [_price(sku="K-2")], [_live_price(sku="K-1")], Resolver(), "loc1", prune=False)
    (change,) = result.upserts
    assert [(f.field, f.old, f.new) for f in change.fields] == [("sku", "K-1", "K-2")]
    assert result.notes == []


def test_an_empty_user_phone_ghl_reads_back_as_none_converges() -> None:
    raw = {"id": "u1", "email": "jane@example.com", "firstName": "Jane", "lastName": "Doe", "phone": ""}
    desired = User.model_validate({"email": "jane@example.com", "firstName": "Jane", "lastName": "Doe", "phone": ""})
    result = diff_kind(USERS, [desired], [USERS.live(raw, Resolver())], Resolver(), "loc1", prune=False)
    assert result.upserts == [] and result.notes == ["GHL doesn't return phone for users: drift on it can't be seen"]


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_plan_reports_each_note_once_per_run() -> None:
    live = LocationLive(location_id="loc1")
    live.objects["products"] = [PRODUCTS.live({"_id": "k1", "name": "Kit", "productType": "SERVICE"}, Resolver())]
    kit = Product.model_validate({"name": "Kit", "productType": "SERVICE", "seo": {"title": "Kit"}})
    desired = [
        LocationDesired(name=n, location_id="loc1", company_id=None, token_env=None, prune=frozenset(),
                        entries={"products": [kit]}, source="x")
        for n in ("a", "b")
    ]  # fmt: skip
    lines = _Lines()
    logger = logging.getLogger("ghlops.plan.planner")
    logger.addHandler(lines)
    try:
        plan = build_plan(desired, {"loc1": live}, {})
    finally:
        logger.removeHandler(lines)
    assert plan.notes == ["GHL doesn't return seo for products: drift on it can't be seen"]
    assert lines.lines == ["note: GHL doesn't return seo for products: drift on it can't be seen"]
