from __future__ import annotations

import logging

import httpx
import pytest

from ghlops.errors import ApiError, ApiResponseError, TransportError
from ghlops.ghl import CallContext, RetryPolicy
from ghlops.request import Auth, Request
from ghlops.secret import Secret

from .fakes import (
    ACME_ID,
    ACME_TOKEN,
    AGENCY_TOKEN,
    ALL_TOKENS,
    DEFAULT_TOKEN,
    LOCATION_ID,
    Script,
    credentials,
    json_response,
    make_client,
    no_token_in,
    text_response,
)

CTX = CallContext(location="Acme Dental", kind="calendars", obj="Consultations")


def log_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    texts: list[str] = []
    for record in caplog.records:
        texts.append(record.getMessage())
        texts.append(str(record.args))
        texts.append(str(record.msg))
    return texts


def test_debug_logging_shows_each_attempt_with_the_token_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ghlops.http")
    script = Script(json_response(503, {}), json_response(201, {"calendar": {"id": "c1"}}))
    req = Request("PUT", ("/calendars/", "c1"), params=(("locationId", ACME_ID),), body={"name": "Consults"})
    with make_client(script) as client:
        client.send(req, location_id=ACME_ID, context=CTX)
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(debug) == 2
    first, second = debug
    assert first.startswith(f"PUT https://ghl.test/calendars/c1?locationId={ACME_ID} -> 503 (")
    assert second.splitlines()[0].startswith(
        f"PUT https://ghl.test/calendars/c1?locationId={ACME_ID} -> 201 ("
    )
    assert second.splitlines()[0].endswith(" ms)")
    assert '"Authorization": "Bearer ***"' in second
    assert '"Version": "2021-07-28"' in second
    assert 'request body: {"name":"Consults"}' in second
    assert 'response body: {"calendar":{"id":"c1"}}' in second
    assert all(r.name == "ghlops.http" for r in caplog.records)
    assert no_token_in(log_texts(caplog))


def test_retries_are_logged_at_info_without_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ghlops.http")
    script = Script(json_response(429, {}, {"Retry-After": "2"}), json_response(200, {}))
    with make_client(script) as client:
        client.send(Request("GET", ("/calendars/",)), location_id=LOCATION_ID, context=CTX)
    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        "location Acme Dental: GET /calendars/: HTTP 429, retrying in 2.00s (attempt 2 of 6)"
    )


@pytest.mark.parametrize("token_env", [None, ACME_ID])
def test_a_server_echoing_the_token_in_its_error_never_leaks_it(
    caplog: pytest.LogCaptureFixture, token_env: str | None
) -> None:
    caplog.set_level(logging.DEBUG, logger="ghlops.http")
    token = ACME_TOKEN if token_env else DEFAULT_TOKEN
    body = {"statusCode": 401, "message": f"Invalid token: Bearer {token}"}
    script = Script(json_response(401, body))
    with make_client(script) as client, pytest.raises(ApiError) as info:
        client.send(Request("GET", ("/x",)), location_id=token_env or LOCATION_ID, context=CTX)
    err = info.value
    assert err.message == "Invalid token: Bearer ***"
    assert no_token_in([str(err), repr(err), str(err.args), err.message])
    assert no_token_in(log_texts(caplog))


def test_a_token_echoed_in_a_2xx_html_page_is_redacted_from_the_response_error() -> None:
    page = f"<html><head><title>Hello {AGENCY_TOKEN}</title></head></html>"
    script = Script(text_response(200, page, "text/html"))
    with make_client(script) as client, pytest.raises(ApiResponseError) as info:
        client.send(Request("GET", ("/users/",), auth=Auth.AGENCY))
    assert str(info.value) == "GET /users/ -> HTTP 200: expected JSON, got text/html: Hello ***"


def test_a_token_in_a_transport_error_is_redacted() -> None:
    script = Script(httpx.ConnectError(f"proxy said no to {DEFAULT_TOKEN}"))
    with (
        make_client(script, retry=RetryPolicy(max_attempts=1)) as client,
        pytest.raises(TransportError) as info,
    ):
        client.send(Request("GET", ("/x",)), location_id=LOCATION_ID)
    assert no_token_in([str(info.value), repr(info.value)])
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_a_secret_in_the_body_is_logged_as_the_mask_and_redacted_from_echoes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="ghlops.http")
    password = "Corr3ct-Horse-Battery"
    script = Script(json_response(400, {"message": f"password {password} is too weak"}))
    req = Request(
        "POST", ("/users/",), auth=Auth.AGENCY, body={"email": "a@b.c", "password": Secret(password)}
    )
    with make_client(script) as client, pytest.raises(ApiError) as info:
        client.send(req)
    assert info.value.message == "password *** is too weak"
    messages = [r.getMessage() for r in caplog.records]
    assert any('request body: {"email":"a@b.c","password":"***"}' in m for m in messages)
    assert not any(password in m for m in messages)


def test_repr_of_the_client_and_of_the_credentials_never_shows_a_token() -> None:
    with make_client(Script(json_response(200, {}))) as client:
        texts = [repr(client), str(client), repr(credentials()), str(credentials())]
    assert no_token_in(texts)
    assert repr(client).startswith("GHLClient(base_url='https://ghl.test', timeout=30, retry=RetryPolicy(")


def test_the_tokens_used_in_these_tests_really_are_sent_so_the_checks_above_mean_something() -> None:
    script = Script(json_response(200, {}))
    with make_client(script) as client:
        client.send(Request("GET", ("/x",)), location_id=LOCATION_ID)
        client.send(Request("GET", ("/x",)), location_id=ACME_ID)
        client.send(Request("GET", ("/x",), auth=Auth.AGENCY))
    sent = {r.headers["Authorization"].removeprefix("Bearer ") for r in script.requests}
    assert sent == set(ALL_TOKENS)
