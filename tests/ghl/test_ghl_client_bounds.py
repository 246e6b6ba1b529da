"""Bounded waits and bounded answers (issue 13 §3): the server can't park, hang or flood a run."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghlops.errors import AmbiguousWriteError, ApiError, ApiResponseError, ConfigError, TransportError
from ghlops.ghl import CallContext, GHLClient, RateLimiter, RetryPolicy
from ghlops.ghl.client import json_depth
from ghlops.request import Request

from .fakes import LOCATION_ID, FakeClock, Script, credentials, json_response, make_client
from .servers import dribbling_server

OK = json_response(200, {"ok": True})
GET = Request("GET", ("/calendars/",))
POST = Request("POST", ("/calendars/",), body={"name": "x"})
CTX = CallContext(location="Acme Dental", kind="calendars", obj="Consultations")
NO_JITTER = RetryPolicy(jitter=False)


class Chunks(httpx.SyncByteStream):
    """A response body handed over chunk by chunk, unread until the client reads it (as a socket would)."""

    def __init__(self, *chunks: bytes) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


# -- server-given waits ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_beyond_the_cap_fails_at_once_naming_the_endpoint(status: int) -> None:
    clock = FakeClock()
    script = Script(json_response(status, {}, {"Retry-After": "100000"}), OK)
    with make_client(script, clock) as client, pytest.raises(ApiError) as info:
        client.send(GET, location_id=LOCATION_ID, context=CTX)
    assert script.sends == 1
    assert clock.sleeps == []
    assert str(info.value) == (
        f"location Acme Dental: calendars 'Consultations': GET /calendars/ -> HTTP {status}: "
        "GHL asked to wait 100000s before trying again, more than the 120s ghlops waits"
    )


def test_a_retry_after_at_the_cap_is_still_obeyed() -> None:
    clock = FakeClock()
    script = Script(json_response(429, {}, {"Retry-After": "120"}), OK)
    with make_client(script, clock) as client:
        assert client.send(GET, location_id=LOCATION_ID) == {"ok": True}
    assert clock.sleeps == [120.0]


def test_a_429_naming_a_huge_rate_limit_window_fails_instead_of_waiting_it() -> None:
    clock = FakeClock()
    headers = {"X-RateLimit-Interval-Milliseconds": "100000000", "X-RateLimit-Remaining": "0"}
    script = Script(json_response(429, {}, headers), OK)
    with make_client(script, clock) as client, pytest.raises(ApiError) as info:
        client.send(GET, location_id=LOCATION_ID)
    assert script.sends == 1
    assert info.value.message == "GHL asked to wait 100000s before trying again, more than the 120s ghlops waits"


def test_a_huge_rate_limit_window_on_a_good_answer_makes_the_limiter_wait_at_most_the_cap() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
    headers = {"X-RateLimit-Interval-Milliseconds": "100000000", "X-RateLimit-Remaining": "0"}
    script = Script(json_response(200, {}, headers), OK)
    with make_client(script, limiter=limiter) as client:
        client.send(GET, location_id=LOCATION_ID)
        client.send(GET, location_id=LOCATION_ID)
    assert clock.sleeps == [pytest.approx(120.0)]


# -- deadlines -------------------------------------------------------------------------------------------


def _slow_client(url: str, deadline: float) -> GHLClient:
    # The per-read timeout (5 s) never fires against a server sending a byte every 50 ms: only the deadline can.
    return GHLClient(
        url, credentials(), timeout=5.0, request_deadline=deadline, retry=RetryPolicy(max_attempts=1)
    )


def test_a_server_dribbling_its_headers_is_cut_off_at_the_request_deadline() -> None:
    with (
        dribbling_server(b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 2000) as url,
        _slow_client(url, 0.5) as client,
        pytest.raises(TransportError) as info,
    ):
        client.send(GET, location_id=LOCATION_ID)
    assert info.value.message == "no complete answer within the 0.5s request deadline"


def test_a_server_dribbling_its_body_is_cut_off_at_the_request_deadline() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n"
    with (
        dribbling_server(head, b"[" + b"1," * 999 + b"1]") as url,
        _slow_client(url, 0.5) as client,
        pytest.raises(TransportError) as info,
    ):
        client.send(GET, location_id=LOCATION_ID)
    assert info.value.message == "no complete answer within the 0.5s request deadline"


def test_a_post_cut_off_by_the_deadline_is_an_ambiguous_write() -> None:
    with (
        dribbling_server(b"HTTP/1.1 201 Created\r\n", b"X-Slow: " + b"a" * 2000) as url,
        _slow_client(url, 0.5) as client,
        pytest.raises(AmbiguousWriteError),
    ):
        client.send(POST, location_id=LOCATION_ID)


def test_a_body_streamed_by_an_in_process_transport_is_cut_off_at_the_deadline_too() -> None:
    clock = FakeClock()

    class Slow(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            for _ in range(100):
                clock.advance(1.0)
                yield b" "

    script = Script(httpx.Response(200, stream=Slow()))
    client = GHLClient(
        "https://ghl.test",
        credentials(),
        transport=httpx.MockTransport(script),
        request_deadline=10.0,
        monotonic=clock,
        sleep=clock.sleep,
        retry=RetryPolicy(max_attempts=1),
    )
    with client, pytest.raises(TransportError) as info:
        client.send(GET, location_id=LOCATION_ID)
    assert info.value.message == "no complete answer within the 10s request deadline"


def test_the_run_deadline_stops_retrying_when_the_next_attempt_would_start_after_it() -> None:
    clock = FakeClock(start=0.0)
    script = Script(json_response(503, {"message": "maintenance"}))
    client = GHLClient(
        "https://ghl.test",
        credentials(),
        transport=httpx.MockTransport(script),
        retry=NO_JITTER,
        sleep=clock.sleep,
        monotonic=clock,
        run_deadline=5.0,
    )
    with client, pytest.raises(ApiError) as info:
        client.send(GET, location_id=LOCATION_ID)
    # Backoffs 0.5, 1 and 2 fit in 5 s; the fourth (4 s, up to 7.5 s) would start after the deadline.
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert script.sends == 4
    assert info.value.message == "maintenance (the run's deadline of 5s left no time to retry)"


def test_no_call_starts_once_the_run_deadline_has_passed() -> None:
    clock = FakeClock(start=0.0)
    script = Script(OK)
    client = GHLClient(
        "https://ghl.test", credentials(), transport=httpx.MockTransport(script), monotonic=clock, run_deadline=60.0
    )
    with client:
        client.send(GET, location_id=LOCATION_ID)
        clock.advance(61.0)
        with pytest.raises(TransportError) as info:
            client.send(GET, location_id=LOCATION_ID)
    assert script.sends == 1
    assert info.value.message == "the run's deadline of 60s passed"


@pytest.mark.parametrize("kwargs", [{"request_deadline": 0.0}, {"run_deadline": -1.0}])
def test_a_deadline_that_is_not_positive_is_a_config_error(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="must be a positive number of seconds"):
        GHLClient("https://ghl.test", credentials(), **kwargs)  # type: ignore[arg-type]


# -- answer size -----------------------------------------------------------------------------------------


def _gzip_of_zeros(megabytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = b"\0" * (1024 * 1024)
    return b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


def test_a_gzip_bomb_stops_at_the_default_cap_of_50_mb_after_decompression() -> None:
    bomb = _gzip_of_zeros(64)
    assert len(bomb) < 100_000  # the point of a bomb: tiny on the wire
    answer = httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=Chunks(bomb))
    with make_client(Script(answer)) as client, pytest.raises(ApiResponseError) as info:
        client.send(GET, location_id=LOCATION_ID, context=CTX)
    assert str(info.value) == (
        "location Acme Dental: calendars 'Consultations': GET /calendars/ -> HTTP 200: "
        "the answer is larger than 52,428,800 bytes after decompression (the client's cap)"
    )


def test_a_gzip_answer_under_the_cap_is_decoded() -> None:
    body = gzip.compress(json.dumps({"tags": [{"id": "t1", "name": "vip"}]}).encode())
    answer = httpx.Response(
        200, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}, stream=Chunks(body[:7], body[7:])
    )
    with make_client(Script(answer)) as client:
        assert client.send(GET, location_id=LOCATION_ID) == {"tags": [{"id": "t1", "name": "vip"}]}


def test_a_deflate_answer_is_decoded() -> None:
    body = zlib.compress(b'{"ok": true}')
    answer = httpx.Response(200, headers={"Content-Encoding": "deflate"}, stream=Chunks(body))
    with make_client(Script(answer)) as client:
        assert client.send(GET, location_id=LOCATION_ID) == {"ok": True}


def test_a_plain_answer_over_the_cap_is_refused_from_its_content_length_or_while_streaming() -> None:
    big = b"[" + b"1," * 600 + b"1]"
    declared = httpx.Response(200, headers={"Content-Length": str(len(big))}, stream=Chunks(big))
    streamed = httpx.Response(200, stream=Chunks(big[:500], big[500:]))
    for answer in (declared, streamed):
        client = GHLClient(
            "https://ghl.test", credentials(), transport=httpx.MockTransport(Script(answer)), max_response_bytes=1000
        )
        with client, pytest.raises(ApiResponseError) as info:
            client.send(GET, location_id=LOCATION_ID)
        assert info.value.message == "the answer is larger than 1,000 bytes after decompression (the client's cap)"


def test_an_encoding_ghlops_did_not_ask_for_is_a_clear_error() -> None:
    answer = httpx.Response(200, headers={"Content-Encoding": "br"}, stream=Chunks(b"\x0b\x02\x80"))
    with make_client(Script(answer)) as client, pytest.raises(ApiResponseError) as info:
        client.send(GET, location_id=LOCATION_ID)
    assert info.value.message == "cannot read the answer: unsupported Content-Encoding 'br'"


def test_the_client_asks_only_for_the_encodings_it_decodes_itself() -> None:
    script = Script(OK)
    with make_client(script) as client:
        client.send(GET, location_id=LOCATION_ID)
    assert script.last.headers["Accept-Encoding"] == "gzip, deflate"


# -- nesting ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [150, 5000, 100_000])
def test_json_nested_too_deep_is_one_clear_error_never_a_recursion_error(depth: int) -> None:
    body = b"[" * depth + b"]" * depth
    with make_client(Script(httpx.Response(200, content=body))) as client, pytest.raises(ApiResponseError) as info:
        client.send(GET, location_id=LOCATION_ID)
    assert info.value.message == "the JSON answer is nested more than 100 levels deep"


def test_json_nested_within_the_limit_and_wide_answers_are_read() -> None:
    nested: object = []
    for _ in range(99):
        nested = [nested]
    wide = [{"id": str(i), "tags": [[]]} for i in range(2000)]
    with make_client(Script(json_response(200, nested), json_response(200, wide))) as client:
        assert client.send(GET, location_id=LOCATION_ID) == nested
        assert client.send(GET, location_id=LOCATION_ID) == wide


# -- writes after an ambiguous attempt, reads that are POSTs ---------------------------------------------


def test_a_post_sent_again_after_a_503_waits_the_backoff_of_its_next_attempt() -> None:
    clock = FakeClock()
    script = Script(json_response(503, {}), json_response(503, {}), json_response(201, {"id": "new"}), OK)
    with make_client(script, clock, retry=NO_JITTER) as client:
        for _ in range(2):
            with pytest.raises(AmbiguousWriteError):
                client.send(POST, location_id=LOCATION_ID)
        assert client.send(POST, location_id=LOCATION_ID) == {"id": "new"}
        # Once a send of it succeeded, the write starts afresh.
        client.send(POST, location_id=LOCATION_ID)
    assert clock.sleeps == [0.5, 1.0]
    assert script.sends == 4


def test_a_post_to_another_location_does_not_wait_for_an_ambiguous_one() -> None:
    clock = FakeClock()
    script = Script(json_response(503, {}), OK)
    with make_client(script, clock, retry=NO_JITTER) as client:
        with pytest.raises(AmbiguousWriteError):
            client.send(POST, location_id=LOCATION_ID)
        client.send(POST, location_id="AcmeLoc0000000000001")
    assert clock.sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_contacts_search_answering_5xx_is_retried_like_a_read(status: int) -> None:
    search = Request("POST", ("/contacts/search",), body={"locationId": LOCATION_ID, "pageLimit": 1})
    script = Script(json_response(status, {}), json_response(200, {"contacts": [], "total": 3}))
    with make_client(script) as client:
        assert client.search(search, location_id=LOCATION_ID) == {"contacts": [], "total": 3}
        assert client.send(search, location_id=LOCATION_ID) == {"contacts": [], "total": 3}
    assert script.sends == 3


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\n', max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text('[]{}"\\k', max_size=4), children),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_JSON, st.booleans())
def test_the_depth_measured_on_the_text_is_the_depth_of_the_decoded_json(value: object, ascii_only: bool) -> None:
    # Strings full of brackets, quotes and backslashes must not fool the text-level measure.
    assert json_depth(json.dumps(value, ensure_ascii=ascii_only).encode()) == _depth(value)


def test_brackets_hidden_in_strings_cannot_mask_a_deep_answer() -> None:
    body = json.dumps(["]" * 500, "\\]]]\\\"]]", _nest(150)]).encode()
    with make_client(Script(httpx.Response(200, content=body))) as client, pytest.raises(ApiResponseError) as info:
        client.send(GET, location_id=LOCATION_ID)
    assert info.value.message == "the JSON answer is nested more than 100 levels deep"


def _nest(levels: int) -> object:
    value: object = []
    for _ in range(levels - 1):
        value = [value]
    return value


@pytest.mark.parametrize(("req", "expected"), [(GET, TransportError), (POST, AmbiguousWriteError)])
def test_the_run_deadline_passing_mid_answer_ends_the_call_and_a_write_stays_ambiguous(
    req: Request, expected: type[ApiError]
) -> None:
    clock = FakeClock(start=0.0)

    class Slow(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            for _ in range(100):
                clock.advance(1.0)
                yield b" "

    script = Script(httpx.Response(200, stream=Slow()))
    client = GHLClient(
        "https://ghl.test",
        credentials(),
        transport=httpx.MockTransport(script),
        monotonic=clock,
        sleep=clock.sleep,
        run_deadline=30.0,
    )
    with client, pytest.raises(expected) as info:
        client.send(req, location_id=LOCATION_ID)
    assert script.sends == 1
    assert info.value.message.startswith("the run's deadline of 30s passed before the answer was complete")
