"""The live reader over httpx.MockTransport: pagination, request counts, and answers that break the contract."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ghlops.errors import ApiError, ApiResponseError
from ghlops.ghl import GHLClient, RetryPolicy
from ghlops.ghl.auth import Credentials
from ghlops.kinds.base import Resolver
from ghlops.kinds.registry import BY_NAME
from ghlops.live import TOP_KINDS, LiveReader
from ghlops.secret import Secret

LOC = "L1"

Handler = Callable[[httpx.Request], httpx.Response]


def ok(body: Any) -> httpx.Response:
    return httpx.Response(200, json=body)


def empty_location(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path.endswith("/tags"):
        return ok({"tags": []})
    if path.endswith("/customFields"):
        return ok({"customFields": []})
    if path.endswith("/customValues"):
        return ok({"customValues": []})
    if path == "/calendars/":
        return ok({"calendars": []})
    if path == "/calendars/groups":
        return ok({"groups": []})
    if path.startswith("/calendars/") and path.endswith("/notifications"):
        return ok([])  # a bare array (calendars.json)
    if path == "/products/":
        return ok({"products": [], "total": [{"total": 0}]})
    # Kinds registered since (issue 11): trigger links, and the location's profile where it is registered.
    if path == "/links/":
        return ok({"links": []})
    if path.startswith("/locations/") and path.count("/") == 2 and "profile" in BY_NAME:
        location_id = path.split("/")[2]
        return ok({"location": {"id": location_id, "companyId": "C1", "name": "clinic"}})
    raise AssertionError(f"unexpected call {request.method} {request.url}")


def reader(handler: Handler, log: list[httpx.Request]) -> LiveReader:
    def record(request: httpx.Request) -> httpx.Response:
        log.append(request)
        return handler(request)

    creds = Credentials(location_default=Secret("loc-token"), agency=Secret("agency-token"))
    client = GHLClient(
        "http://127.0.0.1:1",
        creds,
        transport=httpx.MockTransport(record),
        retry=RetryPolicy(max_attempts=2, base_delay=0, max_delay=0),
        sleep=lambda _s: None,
    )
    return LiveReader(client, parallelism=1)


def test_products_and_prices_are_read_page_by_page_with_one_price_list_per_product() -> None:
    products = [{"_id": f"p{i:03}", "name": f"P{i}", "productType": "SERVICE", "locationId": LOC} for i in range(230)]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/products/":
            offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
            return ok({"products": products[offset : offset + limit], "total": [{"total": len(products)}]})
        if request.url.path.endswith("/price"):
            pid = request.url.path.split("/")[2]
            price = {"_id": "x" + pid, "name": "Std", "type": "one_time", "amount": 1, "currency": "USD"}
            return ok({"prices": [price], "total": 1})
        return empty_location(request)

    log: list[httpx.Request] = []
    live = reader(handler, log).read_location("clinic", LOC, Resolver())
    assert len(live.of("products")) == 230
    assert len(live.of("prices")) == 230
    assert {p.raw["product"] for p in live.of("prices")} == {p["_id"] for p in products}
    product_pages = [r.url.params["offset"] for r in log if r.url.path == "/products/"]
    assert product_pages == ["0", "100", "200"]
    # One call per other location kind (from the registry: calendar groups, links...) + 3 product pages + 230
    # price lists; nothing else. No calendars, so no notification lists.
    others = len(TOP_KINDS) - 1
    assert len(log) == others + 3 + 230


def test_company_users_are_read_once_in_pages_of_one_hundred() -> None:
    users = [
        {
            "id": f"u{i}",
            "email": f"u{i}@x.com",
            "firstName": "F",
            "lastName": "L",
            "roles": {"type": "account", "role": "user", "locationIds": [LOC]},
        }
        for i in range(205)
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer agency-token"
        skip, limit = int(request.url.params["skip"]), int(request.url.params["limit"])
        return ok({"users": users[skip : skip + limit], "count": len(users)})

    log: list[httpx.Request] = []
    company = reader(handler, log).read_company("co")
    assert len(company.users) == 205
    assert [r.url.params["skip"] for r in log] == ["0", "100", "200"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            httpx.Response(200, text="<html><title>Bad gateway</title></html>", headers={"content-type": "text/html"}),
            "expected JSON",
        ),
        (
            httpx.Response(200, text='{"tags": [{"id": "a", "na', headers={"content-type": "application/json"}),
            "invalid JSON",
        ),
        (httpx.Response(200, json={"something": []}), "HTTP 200: unexpected answer: expected 'tags' to be an array"),
        (httpx.Response(200, json={"tags": "vip"}), "unexpected answer: expected 'tags' to be an array"),
        (httpx.Response(418, json={"message": "I'm a teapot"}), "HTTP 418: I'm a teapot"),
    ],
)
def test_an_answer_that_breaks_the_contract_is_a_clear_error_naming_location_and_endpoint(
    answer: httpx.Response, message: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tags"):
            return httpx.Response(answer.status_code, content=answer.content, headers=answer.headers)
        return empty_location(request)

    with pytest.raises(ApiError) as caught:
        reader(handler, []).read_location("clinic", LOC, Resolver())
    text = str(caught.value)
    assert text.startswith("location clinic: tags: GET /locations/L1/tags -> "), text
    assert message in text
    assert "\n" not in text
    if answer.status_code == 200:
        assert isinstance(caught.value, ApiResponseError)


@pytest.mark.parametrize(
    ("item", "warning"),
    [
        ({"id": "t1", "name": 7}, "clinic: tags: left alone a tag GHL listed (id t1): object without a string 'name'"),
        ({"name": "vip"}, "clinic: tags: left alone a tag GHL listed (without an id): object without an 'id'"),
    ],
)
def test_an_object_without_id_or_natural_key_is_left_alone_with_one_warning_line(
    item: dict[str, object], warning: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tags"):
            return ok({"tags": [item, {"id": "t2", "name": "vip2"}]})
        return empty_location(request)

    live = reader(handler, []).read_location("clinic", LOC, Resolver())
    assert [t.obj.name for t in live.of("tags")] == ["vip2"]
    assert live.warnings == [warning]


def test_a_live_value_of_the_wrong_type_is_kept_as_sent_and_never_aborts_the_read() -> None:
    # Real calendar list items say "appoinmentPerDay": "" and "openHours": {} when unset (issue #9).
    raw = {"id": "c1", "name": "Cal", "slotDuration": "soon", "appoinmentPerDay": "", "openHours": {}}
    raw["slotInterval"] = 15

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/calendars/":
            return ok({"calendars": [{**raw, "locationId": LOC}]})
        return empty_location(request)

    live = reader(handler, []).read_location("clinic", LOC, Resolver())
    (cal,) = live.of("calendars")
    assert (cal.obj.slotDuration, cal.obj.appoinmentPerDay, cal.obj.openHours) == ("soon", "", {})
    assert cal.obj.slotInterval == 15
    assert cal.odd == {("slotDuration",), ("appoinmentPerDay",), ("openHours",)}
    assert live.warnings == []


def test_json_round_trip_of_recorded_bodies_is_plain() -> None:
    # Guard for the helpers above: MockTransport bodies are real JSON bytes.
    assert json.loads(ok({"a": 1}).content) == {"a": 1}


def test_paging_goes_on_past_a_page_ghl_capped_below_the_limit_until_the_reported_total() -> None:
    # GHL may answer fewer items than the limit asked for; only the reported total ends the list (issue #9).
    products = [{"_id": f"p{i:03}", "name": f"P{i}", "productType": "SERVICE", "locationId": LOC} for i in range(45)]
    prices = [{"_id": f"x{i}", "name": f"Std{i}", "type": "one_time", "amount": 1, "currency": "USD"} for i in range(7)]

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", "0"))
        if request.url.path == "/products/":
            return ok({"products": products[offset : offset + 20], "total": [{"total": len(products)}]})
        if request.url.path.endswith("/price"):
            return ok({"prices": prices[offset : offset + 3] if request.url.path == "/products/p044/price" else [],
                       "total": len(prices) if request.url.path == "/products/p044/price" else 0})  # fmt: skip
        return empty_location(request)

    log: list[httpx.Request] = []
    live = reader(handler, log).read_location("clinic", LOC, Resolver())
    assert len(live.of("products")) == 45
    assert [p.obj.name for p in live.of("prices")] == [f"Std{i}" for i in range(7)]
    product_pages = [r.url.params["offset"] for r in log if r.url.path == "/products/"]
    assert product_pages == ["0", "20", "40"]


def test_users_are_paged_until_the_reported_count_even_when_pages_are_short() -> None:
    users = [{"id": f"u{i}", "email": f"u{i}@x.test", "roles": {"type": "account", "role": "user"}} for i in range(55)]

    def handler(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params["skip"])
        return ok({"users": users[skip : skip + 25], "count": len(users)})

    log: list[httpx.Request] = []
    company = reader(handler, log).read_company("co")
    assert len(company.users) == 55
    assert [r.url.params["skip"] for r in log] == ["0", "25", "50"]


def test_a_user_whose_deletion_is_queued_reads_as_gone() -> None:
    users = [
        {"id": "u1", "email": "a@x.test", "roles": {"type": "account", "role": "user"}},
        {"id": "u2", "email": "b@x.test", "roles": {"type": "account", "role": "user"}, "deleted": True},
    ]
    company = reader(lambda r: ok({"users": users, "count": 2}), []).read_company("co")
    assert [u.obj.email for u in company.users] == ["a@x.test"]


def test_a_server_that_always_reports_another_page_is_stopped_with_a_clear_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/products/":
            offset = int(request.url.params["offset"])
            page = [{"_id": f"p{offset + i}", "name": f"P{offset + i}", "productType": "SERVICE"} for i in range(100)]
            return ok({"products": page, "total": [{"total": 10**9}]})
        return empty_location(request)

    with pytest.raises(ApiResponseError) as caught:
        reader(handler, []).read_location("clinic", LOC, Resolver())
    assert "more than 10,000 products listed (GHL reported 1000000000); stopped paging" in str(caught.value)


def test_two_objects_with_the_same_id_in_one_answer_are_an_error_naming_both() -> None:
    # Issue 13, section 7: matching by id would act on whichever came last.
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tags"):
            return ok({"tags": [{"id": "t1", "name": "vip"}, {"id": "t2", "name": "new"}, {"id": "t1", "name": "old"}]})
        return empty_location(request)

    with pytest.raises(ApiResponseError) as caught:
        reader(handler, []).read_location("clinic", LOC, Resolver())
    assert str(caught.value) == (
        "location clinic: tags: GET /locations/L1/tags -> HTTP 200: unexpected answer: GHL listed two tags with the "
        "same id t1: 'vip' and 'old'"
    )


def test_a_price_listed_twice_under_its_product_is_an_error_naming_both() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/products/":
            return ok({"products": [{"_id": "p1", "name": "Whitening", "productType": "SERVICE"}], "total": 1})
        if request.url.path == "/products/p1/price":
            twice = [{"_id": "c1", "name": "Standard", "type": "one_time", "amount": 1, "currency": "USD"}] * 2
            return ok({"prices": twice, "total": 2})
        return empty_location(request)

    with pytest.raises(ApiResponseError) as caught:
        reader(handler, []).read_location("clinic", LOC, Resolver())
    assert "GHL listed two prices with the same id c1: 'Standard' and 'Standard'" in str(caught.value)


def test_reads_of_many_locations_share_one_set_of_workers_and_keep_each_locations_order() -> None:
    # Issue 15: one queue of calls for the whole run; a location's other kinds only after its first one, its
    # price lists only after its products, and the result the same as reading the locations one by one.
    import threading
    import time

    lock = threading.Lock()
    in_flight = [0, 0]  # now, most
    seen: dict[str, list[str]] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        location = request.url.params.get("locationId") or request.url.path.split("/")[2]
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])
            seen.setdefault(location, []).append(request.url.path)
        time.sleep(0.002)
        with lock:
            in_flight[0] -= 1
        return _priced_location(request)

    creds = Credentials(location_default=Secret("loc-token"), agency=Secret("agency-token"))
    client = GHLClient("http://127.0.0.1:1", creds, transport=httpx.MockTransport(handler))
    locations = [(f"clinic-{n}", f"L{n}") for n in range(6)]
    resolvers = {lid: Resolver() for _, lid in locations}
    done: list[str] = []
    parallel = LiveReader(client, parallelism=2, on_location_done=done.append)
    got = parallel.read_locations(locations, resolvers)
    assert parallel.concurrency == 8 and 1 < in_flight[1] <= 8
    assert sorted(done) == sorted(n for n, _ in locations)
    for _, lid in locations:
        calls = seen[lid]
        assert calls[0].endswith("/tags")  # the first kind alone, before the rest
        first_price = next(i for i, p in enumerate(calls) if p.endswith("/price"))
        assert "/products/" in calls[:first_price]
    one_by_one = LiveReader(client, parallelism=1).read_locations(locations, resolvers)
    assert list(got) == [lid for _, lid in locations]
    for lid, live in got.items():
        assert {k: [o.id for o in v] for k, v in live.objects.items()} == {
            k: [o.id for o in v] for k, v in one_by_one[lid].objects.items()
        }
        assert [o.id for o in live.of("prices")] == [f"{lid}p{n}c" for n in range(3)]


def first_calls_at_once(starting_at_once: int | None) -> int:
    """Read 8 locations on 8 workers and return the most first-step calls (tags) that were in flight at once.
    Each tags call waits (up to 5 s) until 8 are in flight, so a reader that lets 8 locations start together
    shows 8 whatever the machine's speed, and one that lets fewer start shows that many."""
    import threading

    cond = threading.Condition()
    now_and_most = [0, 0]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tags"):
            with cond:
                now_and_most[0] += 1
                now_and_most[1] = max(now_and_most[1], now_and_most[0])
                cond.notify_all()
                cond.wait_for(lambda: now_and_most[1] >= 8, timeout=5 if starting_at_once else 0.2)
                now_and_most[0] -= 1
        return empty_location(request)

    creds = Credentials(location_default=Secret("loc-token"), agency=Secret("agency-token"))
    client = GHLClient("http://127.0.0.1:1", creds, transport=httpx.MockTransport(handler))
    locations = [(f"clinic-{n}", f"L{n}") for n in range(8)]
    resolvers = {lid: Resolver() for _, lid in locations}
    reader = LiveReader(client, parallelism=2, locations_at_once=8, starting_at_once=starting_at_once)
    assert len(reader.read_locations(locations, resolvers)) == 8
    return now_and_most[1]


def test_locations_start_parallelism_at_a_time_unless_the_caller_lifts_it() -> None:
    # A location's first call may mint its token (an agency call GHL meters per company): by default only
    # `parallelism` locations are in their first step at once. Callers whose tokens are not minted lift that
    # (issue 15: at 8 starting, workers waited for new locations a tenth of the read at 200 x 60).
    assert first_calls_at_once(None) == 2
    assert first_calls_at_once(8) == 8


def _priced_location(request: httpx.Request) -> httpx.Response:
    """A location with three products of one price each (ids named after the location)."""
    path = request.url.path
    location = request.url.params.get("locationId") or path.split("/")[2]
    if path == "/products/":
        products = [{"_id": f"{location}p{n}", "name": f"P{n}", "productType": "SERVICE"} for n in range(3)]
        return ok({"products": products, "total": 3})
    if path.endswith("/price"):
        product = path.split("/")[2]
        price = {"_id": f"{product}c", "name": "S", "type": "one_time", "amount": 1, "currency": "USD"}
        return ok({"prices": [price], "total": 1})
    return empty_location(request)


def _ids(live: Any) -> dict[str, list[str]]:
    return {k: [o.id for o in v] for k, v in live.objects.items()}


@pytest.mark.parametrize("parallelism", [1, 2])
def test_streamed_locations_are_handed_over_once_each_on_the_calling_thread_as_read_locations_reads_them(
    parallelism: int,
) -> None:
    # Issue 15: plan --out plans each location as it is read and keeps none of its live state.
    import threading

    creds = Credentials(location_default=Secret("loc-token"), agency=Secret("agency-token"))
    client = GHLClient("http://127.0.0.1:1", creds, transport=httpx.MockTransport(_priced_location))
    locations = [(f"clinic-{n}", f"L{n}") for n in range(7)]
    resolvers = {lid: Resolver() for _, lid in locations}
    handed: list[tuple[int, Any, str]] = []
    done: list[str] = []
    streaming = LiveReader(client, parallelism=parallelism, on_location_done=done.append)
    streaming.stream_locations(
        locations, resolvers, lambda i, live: handed.append((i, live, threading.current_thread().name))
    )
    expected = LiveReader(client, parallelism=1).read_locations(locations, resolvers)
    assert sorted(i for i, _, _ in handed) == list(range(len(locations)))
    assert {t for _, _, t in handed} == {threading.current_thread().name}
    assert sorted(done) == sorted(n for n, _ in locations)
    for i, live, _ in handed:
        lid = locations[i][1]
        assert live.location_id == lid
        assert list(live.objects) == list(expected[lid].objects)  # registry order, as read_locations files them
        assert _ids(live) == _ids(expected[lid])


@pytest.mark.parametrize("parallelism", [1, 2])
def test_a_failed_read_while_streaming_is_read_locations_error_and_nothing_is_handed_over_after_it(
    parallelism: int,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/locations/L3/tags":
            return httpx.Response(400, json={"message": "no such location"})
        return _priced_location(request)

    creds = Credentials(location_default=Secret("loc-token"), agency=Secret("agency-token"))
    client = GHLClient("http://127.0.0.1:1", creds, transport=httpx.MockTransport(handler))
    locations = [(f"clinic-{n}", f"L{n}") for n in range(6)]
    resolvers = {lid: Resolver() for _, lid in locations}
    with pytest.raises(ApiError) as expected:
        LiveReader(client, parallelism=parallelism).read_locations(locations, resolvers)
    handed: list[int] = []
    with pytest.raises(ApiError) as streamed:
        LiveReader(client, parallelism=parallelism).stream_locations(
            locations, resolvers, lambda i, _live: handed.append(i)
        )
    assert type(streamed.value) is type(expected.value) and str(streamed.value) == str(expected.value)
    assert "no such location" in str(streamed.value)
    assert 3 not in handed and len(handed) == len(set(handed))


def test_an_error_of_the_consumer_stops_the_streamed_reads_and_is_raised() -> None:
    import threading

    calls: list[str] = []
    consumed = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        # Locations past the first 8 (those read at once at parallelism 2) wait until the consumer has seen one:
        # else, with answers that cost nothing, the workers could read all 40 before the calling thread runs.
        where = request.url.params.get("locationId") or request.url.path.split("/")[2]
        if where.startswith("L") and where[1:].isdigit() and int(where[1:]) >= 8:
            consumed.wait(timeout=10)
        return _priced_location(request)

    creds = Credentials(location_default=Secret("loc-token"), agency=Secret("agency-token"))
    client = GHLClient("http://127.0.0.1:1", creds, transport=httpx.MockTransport(handler))
    locations = [(f"clinic-{n}", f"L{n}") for n in range(40)]
    resolvers = {lid: Resolver() for _, lid in locations}

    def refuse(_index: int, _live: Any) -> None:
        consumed.set()
        raise ValueError("planner failed")

    for parallelism in (1, 2):
        calls.clear()
        consumed.clear()
        with pytest.raises(ValueError, match="planner failed"):
            LiveReader(client, parallelism=parallelism).stream_locations(locations, resolvers, refuse)
        per_location = 8 + 3  # the top kinds and three price lists (see _priced_location)
        assert len(calls) < per_location * len(locations)  # stopped well before the end
