from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest

from ghlops.errors import AmbiguousWriteError, ApiError, TransportError
from ghlops.ghl import CallContext, RateLimiter, RetryPolicy
from ghlops.request import Auth, Request

from .fakes import LOCATION_ID, FakeClock, Script, json_response, make_client, refused, reset

OK = json_response(200, {"ok": True})
GET = Request("GET", ("/calendars/",))
PUT = Request("PUT", ("/calendars/", "cal1"), body={"name": "x"})
POST = Request("POST", ("/calendars/",), body={"name": "x"})
DELETE = Request("DELETE", ("/calendars/", "cal1"))
CTX = CallContext(location="Acme Dental", kind="calendars", obj="Consultations")
NO_JITTER = RetryPolicy(jitter=False)


def test_a_429_is_retried_after_the_retry_after_delay() -> None:
    clock = FakeClock()
    script = Script(json_response(429, {"message": "Too many"}, {"Retry-After": "7"}), OK)
    with make_client(script, clock) as client:
        assert client.send(GET, location_id=LOCATION_ID) == {"ok": True}
    assert script.sends == 2
    assert clock.sleeps == [7.0]
    assert client.stats.status_429 == 1
    assert client.stats.retries == 1


def test_a_429_retry_after_given_as_an_http_date_is_honoured() -> None:
    clock = FakeClock()
    now = 1_700_000_000.0
    header = formatdate(now + 12, usegmt=True)
    script = Script(json_response(429, {}, {"Retry-After": header}), OK)
    with make_client(script, clock, wall_clock=lambda: now) as client:
        client.send(GET, location_id=LOCATION_ID)
    assert clock.sleeps == [12.0]


def test_a_429_without_retry_after_backs_off_exponentially() -> None:
    clock = FakeClock()
    script = Script(json_response(429, {}), json_response(429, {}), json_response(429, {}), OK)
    with make_client(script, clock, retry=NO_JITTER) as client:
        client.send(GET, location_id=LOCATION_ID)
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_a_429_on_a_post_is_retried_because_ghl_refused_it_before_doing_anything() -> None:
    script = Script(json_response(429, {}, {"Retry-After": "1"}), json_response(201, {"id": "new"}))
    with make_client(script) as client:
        assert client.send(POST, location_id=LOCATION_ID) == {"id": "new"}
    assert script.sends == 2


def test_a_429_with_the_daily_limit_used_up_fails_at_once() -> None:
    headers = {"X-RateLimit-Daily-Remaining": "0", "X-RateLimit-Limit-Daily": "200000", "Retry-After": "5"}
    script = Script(json_response(429, {}, headers), OK)
    with make_client(script) as client, pytest.raises(ApiError) as info:
        client.send(GET, location_id=LOCATION_ID, context=CTX)
    assert script.sends == 1
    assert info.value.message == "daily API limit of 200000 requests used up; try again tomorrow"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("req", [GET, PUT], ids=["GET", "PUT"])
def test_a_server_error_is_retried_for_idempotent_methods(status: int, req: Request) -> None:
    script = Script(json_response(status, {}), OK)
    with make_client(script) as client:
        assert client.send(req, location_id=LOCATION_ID) == {"ok": True}
    assert script.sends == 2


def test_a_server_error_retry_honours_retry_after() -> None:
    clock = FakeClock()
    script = Script(json_response(503, {}, {"Retry-After": "20"}), OK)
    with make_client(script, clock) as client:
        client.send(GET, location_id=LOCATION_ID)
    assert clock.sleeps == [20.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520])
def test_a_server_error_on_a_post_is_an_ambiguous_write_and_never_resent(status: int) -> None:
    script = Script(json_response(status, {"message": "upstream failed"}), json_response(201, {}))
    with make_client(script) as client, pytest.raises(AmbiguousWriteError) as info:
        client.send(POST, location_id=LOCATION_ID, context=CTX)
    assert script.sends == 1
    assert str(info.value) == (
        f"location Acme Dental: calendars 'Consultations': POST /calendars/ -> HTTP {status}: "
        "upstream failed; the POST may or may not have been applied, so it was not resent"
    )
    assert client.stats.ambiguous_writes == 1


def test_a_connect_error_is_retried_even_for_a_post_because_nothing_was_sent() -> None:
    script = Script(refused(), httpx.ConnectTimeout("t"), OK)
    with make_client(script) as client:
        assert client.send(POST, location_id=LOCATION_ID) == {"ok": True}
    assert script.sends == 3
    assert client.stats.transport_errors == 2


def test_a_pool_timeout_is_retried_for_a_post() -> None:
    script = Script(httpx.PoolTimeout("no connection"), OK)
    with make_client(script) as client:
        client.send(POST, location_id=LOCATION_ID)
    assert script.sends == 2


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        (httpx.ReadTimeout("read"), "timed out after 30s waiting for the response"),
        (reset(), "connection reset while reading the response"),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "connection broken by the server: Server disconnected without sending a response.",
        ),
        (httpx.WriteTimeout("write"), "timed out after 30s sending the request"),
    ],
)
def test_a_failure_after_sending_a_post_is_an_ambiguous_write_after_exactly_one_send(
    exc: Exception, cause: str
) -> None:
    script = Script(exc, json_response(201, {}))
    with make_client(script) as client, pytest.raises(AmbiguousWriteError) as info:
        client.send(POST, location_id=LOCATION_ID, context=CTX)
    assert script.sends == 1
    assert str(info.value) == (
        "location Acme Dental: calendars 'Consultations': POST /calendars/ -> no response: "
        f"{cause} after the request was sent; the POST may or may not have been applied, so it was not resent"
    )


def test_a_patch_is_treated_like_a_post() -> None:
    script = Script(httpx.ReadTimeout("read"), OK)
    with make_client(script) as client, pytest.raises(AmbiguousWriteError):
        client.send(Request("PATCH", ("/x",), body={}), location_id=LOCATION_ID)
    assert script.sends == 1


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadTimeout("read"), httpx.ReadError("reset"), httpx.RemoteProtocolError("closed")],
)
@pytest.mark.parametrize("req", [GET, PUT, DELETE], ids=["GET", "PUT", "DELETE"])
def test_a_failure_after_sending_is_retried_for_idempotent_methods(exc: Exception, req: Request) -> None:
    script = Script(exc, OK)
    with make_client(script) as client:
        assert client.send(req, location_id=LOCATION_ID) == {"ok": True}
    assert script.sends == 2


@pytest.mark.parametrize("first", [json_response(502, {}), httpx.ReadTimeout("read")], ids=["502", "timeout"])
def test_a_delete_answering_404_after_an_interrupted_attempt_counts_as_deleted(
    first: httpx.Response | Exception,
) -> None:
    script = Script(first, json_response(404, {"message": "Calendar not found"}))
    with make_client(script) as client:
        assert client.send(DELETE, location_id=LOCATION_ID) == {}
    assert script.sends == 2


def test_a_delete_answering_404_at_once_is_an_error() -> None:
    script = Script(json_response(404, {"message": "Calendar not found"}))
    with make_client(script) as client, pytest.raises(ApiError) as info:
        client.send(DELETE, location_id=LOCATION_ID)
    assert info.value.status == 404


def test_a_delete_answering_404_after_a_429_is_an_error_because_the_429_did_nothing() -> None:
    script = Script(json_response(429, {}), json_response(404, {}))
    with make_client(script) as client, pytest.raises(ApiError) as info:
        client.send(DELETE, location_id=LOCATION_ID)
    assert info.value.status == 404


def test_a_get_answering_404_after_a_retry_is_still_an_error() -> None:
    script = Script(json_response(503, {}), json_response(404, {}))
    with make_client(script) as client, pytest.raises(ApiError):
        client.send(GET, location_id=LOCATION_ID)


def test_after_the_last_attempt_the_final_status_is_raised() -> None:
    clock = FakeClock()
    script = Script(json_response(503, {"message": "maintenance"}))
    with make_client(script, clock, retry=NO_JITTER) as client, pytest.raises(ApiError) as info:
        client.send(GET, location_id=LOCATION_ID, context=CTX)
    assert script.sends == 6
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert str(info.value) == (
        "location Acme Dental: calendars 'Consultations': GET /calendars/ -> HTTP 503: "
        "maintenance (gave up after 6 attempts)"
    )


def test_a_persistent_429_gives_up_after_max_attempts() -> None:
    script = Script(json_response(429, {"message": "Too Many Requests"}))
    with make_client(script, retry=RetryPolicy(max_attempts=3)) as client, pytest.raises(ApiError) as info:
        client.send(POST, location_id=LOCATION_ID)
    assert script.sends == 3
    assert info.value.status == 429
    assert info.value.message == "Too Many Requests (gave up after 3 attempts)"


def test_a_server_that_cannot_be_reached_is_a_transport_error_after_max_attempts() -> None:
    script = Script(refused())
    with make_client(script) as client, pytest.raises(TransportError) as info:
        client.send(GET, location_id=LOCATION_ID, context=CTX)
    assert script.sends == 6
    assert info.value.status is None
    assert str(info.value) == (
        "location Acme Dental: calendars 'Consultations': GET /calendars/ -> no response: "
        "connection refused (gave up after 6 attempts)"
    )


def test_repeated_read_timeouts_are_a_transport_error_naming_the_timeout() -> None:
    script = Script(httpx.ReadTimeout("read"))
    with (
        make_client(script, retry=RetryPolicy(max_attempts=2)) as client,
        pytest.raises(TransportError) as info,
    ):
        client.send(GET, location_id=LOCATION_ID)
    assert info.value.message == "timed out after 30s waiting for the response (gave up after 2 attempts)"


def test_with_a_single_attempt_nothing_is_retried() -> None:
    script = Script(httpx.ConnectError("unreachable"), OK)
    with (
        make_client(script, retry=RetryPolicy(max_attempts=1)) as client,
        pytest.raises(TransportError) as info,
    ):
        client.send(GET, location_id=LOCATION_ID)
    assert info.value.message == "cannot connect: unreachable"
    assert script.sends == 1


def test_a_request_that_cannot_be_built_is_not_retried() -> None:
    script = Script(httpx.LocalProtocolError("Illegal header value b'Bearer x'"), OK)
    with make_client(script) as client, pytest.raises(TransportError) as info:
        client.send(GET, location_id=LOCATION_ID)
    assert script.sends == 1
    assert "Bearer" not in str(info.value)


def test_jittered_backoff_between_attempts_stays_within_the_exponential_caps() -> None:
    clock = FakeClock()
    script = Script(json_response(503, {}))
    policy = RetryPolicy(max_attempts=6, base_delay=0.5, max_delay=3.0)
    with make_client(script, clock, retry=policy, seed=11) as client, pytest.raises(ApiError):
        client.send(GET, location_id=LOCATION_ID)
    caps = [0.5, 1.0, 2.0, 3.0, 3.0]
    assert len(clock.sleeps) == 5
    assert all(0.0 <= d <= cap for d, cap in zip(clock.sleeps, caps, strict=True))
    assert len(set(clock.sleeps)) == 5
    assert client.stats.backoff_wait_s == pytest.approx(sum(clock.sleeps))


def test_the_rate_limiter_is_consulted_before_every_attempt_and_penalized_on_a_429() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
    script = Script(json_response(429, {}, {"Retry-After": "3"}), OK)
    # The client's own backoff sleeps on a separate fake so the limiter's wait is visible on its own.
    backoff = FakeClock()
    with make_client(script, backoff, limiter=limiter, retry=RetryPolicy(base_delay=0.0)) as client:
        client.send(GET, location_id=LOCATION_ID)
    assert backoff.sleeps == [3.0]
    assert clock.sleeps == [pytest.approx(3.0)]
    assert client.stats.rate_limit_wait_s == pytest.approx(3.0)
    assert limiter.available(LOCATION_ID) == 98
    assert limiter.available("other") == 100


def test_agency_calls_share_one_rate_limit_bucket_whatever_the_location() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
    script = Script(OK)
    with make_client(script, limiter=limiter) as client:
        client.send(Request("GET", ("/users/",), auth=Auth.AGENCY), location_id=LOCATION_ID)
        client.send(Request("GET", ("/users/",), auth=Auth.AGENCY), location_id="other")
    assert limiter.available("agency") == 98
    assert limiter.available(LOCATION_ID) == 100


def test_the_rate_limiter_follows_the_servers_remaining_count() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
    script = Script(json_response(200, {}, {"X-RateLimit-Remaining": "1", "X-RateLimit-Max": "100"}))
    with make_client(script, limiter=limiter) as client:
        client.send(GET, location_id=LOCATION_ID)
        assert limiter.available(LOCATION_ID) == 1
        client.send(GET, location_id=LOCATION_ID)
        client.send(GET, location_id=LOCATION_ID)
    assert clock.sleeps == [pytest.approx(10.0)]


def test_the_rate_limiter_counts_each_call_from_when_its_answer_arrived() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(1, 10.0, clock=clock, sleep=clock.sleep)

    def slow(request: httpx.Request) -> httpx.Response:
        clock.advance(2.0)  # two seconds in transit; the server counted the call somewhere in them
        return json_response(200, {"ok": True})

    with make_client(Script(slow, OK), limiter=limiter) as client:
        client.send(GET, location_id=LOCATION_ID)
        # Sent at t=0, answered at t=2: the next call waits until t=12, not t=10.
        client.send(GET, location_id=LOCATION_ID)
    assert clock.sleeps == [pytest.approx(12.0 - 2.0)]
