from __future__ import annotations

import json

import httpx
import pytest

from ghlops.errors import ApiError, ApiResponseError, ConfigError
from ghlops.ghl import DEFAULT_BASE_URL, CallContext, Credentials, GHLClient, base_url_from_env
from ghlops.ghl.client import _Call
from ghlops.kinds.calendars import VERSION_CALENDARS
from ghlops.request import VERSION_DEFAULT, Auth, Ref, Request
from ghlops.secret import Secret

from .fakes import (
    ACME_ID,
    ACME_TOKEN,
    AGENCY_TOKEN,
    DEFAULT_TOKEN,
    LOCATION_ID,
    Script,
    json_response,
    make_client,
    text_response,
)


def test_a_location_call_sends_the_bearer_token_the_version_and_accept_json() -> None:
    script = Script(json_response(200, {"calendars": []}))
    with make_client(script) as client:
        client.send(Request("GET", ("/calendars/",)), location_id=LOCATION_ID)
    headers = script.last.headers
    assert headers["Authorization"] == f"Bearer {DEFAULT_TOKEN}"
    assert headers["Version"] == VERSION_DEFAULT
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"] == "ghlops/0.1.0"
    assert "Content-Type" not in headers
    assert script.last.content == b""


def test_each_request_sends_its_own_version_header() -> None:
    script = Script(json_response(200, {}))
    with make_client(script) as client:
        client.send(Request("GET", ("/calendars/",), version=VERSION_CALENDARS), location_id=LOCATION_ID)
        client.send(Request("GET", ("/locations/", LOCATION_ID, "/tags")), location_id=LOCATION_ID)
    assert [r.headers["Version"] for r in script.requests] == [VERSION_CALENDARS, VERSION_DEFAULT]


def test_an_agency_call_is_sent_with_the_agency_token() -> None:
    script = Script(json_response(200, {"users": []}))
    with make_client(script) as client:
        client.send(Request("GET", ("/users/",), auth=Auth.AGENCY), location_id=LOCATION_ID)
    assert script.last.headers["Authorization"] == f"Bearer {AGENCY_TOKEN}"


def test_a_location_with_its_own_token_variable_is_sent_with_that_token() -> None:
    script = Script(json_response(200, {}))
    with make_client(script) as client:
        client.send(Request("GET", ("/calendars/",)), location_id=ACME_ID)
        client.send(Request("GET", ("/calendars/",)), location_id=LOCATION_ID)
    assert [r.headers["Authorization"] for r in script.requests] == [
        f"Bearer {ACME_TOKEN}",
        f"Bearer {DEFAULT_TOKEN}",
    ]


def test_the_url_joins_the_base_url_and_the_path_and_encodes_the_query_params() -> None:
    script = Script(json_response(200, {}))
    with make_client(script, base_url="http://127.0.0.1:8080/ghl/") as client:
        req = Request(
            "GET",
            ("/calendars/", "cal123", "/free-slots"),
            params=(("locationId", LOCATION_ID), ("q", "a b&c"), ("q", "two")),
        )
        client.send(req, location_id=LOCATION_ID)
    assert str(script.last.url) == (
        f"http://127.0.0.1:8080/ghl/calendars/cal123/free-slots?locationId={LOCATION_ID}&q=a+b%26c&q=two"
    )


def test_a_body_is_sent_as_json() -> None:
    script = Script(json_response(201, {"calendar": {"id": "new1"}}))
    body = {"name": "Consultations", "slotDuration": 30, "teamMembers": [{"userId": "u1"}], "note": "é"}
    with make_client(script) as client:
        result = client.send(Request("POST", ("/calendars/",), body=body), location_id=LOCATION_ID)
    assert result == {"calendar": {"id": "new1"}}
    assert script.last.headers["Content-Type"] == "application/json"
    assert json.loads(script.last.content) == body


def test_an_empty_body_object_is_still_sent() -> None:
    script = Script(json_response(200, {}))
    with make_client(script) as client:
        client.send(Request("PUT", ("/x",), body={}), location_id=LOCATION_ID)
    assert script.last.content == b"{}"


def test_a_secret_in_the_body_goes_on_the_wire_revealed() -> None:
    script = Script(json_response(201, {}))
    with make_client(script) as client:
        req = Request("POST", ("/users/",), auth=Auth.AGENCY, body={"password": Secret("hunter2-pass")})
        client.send(req)
    assert json.loads(script.last.content) == {"password": "hunter2-pass"}


@pytest.mark.parametrize("data", [{"a": [1, 2]}, [{"id": "x"}], {"meta": None}])
def test_the_decoded_json_is_returned(data: object) -> None:
    with make_client(Script(json_response(200, data))) as client:
        assert client.send(Request("GET", ("/x",)), location_id=LOCATION_ID) == data


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200),
        httpx.Response(204),
        httpx.Response(200, content=b" \n", headers={"Content-Type": "application/json"}),
    ],
)
def test_an_empty_2xx_body_returns_an_empty_dict(response: httpx.Response) -> None:
    with make_client(Script(response)) as client:
        assert client.send(Request("DELETE", ("/x",)), location_id=LOCATION_ID) == {}


def test_json_without_a_content_type_is_still_decoded() -> None:
    response = httpx.Response(200, content=b'{"ok": true}')
    with make_client(Script(response)) as client:
        assert client.send(Request("GET", ("/x",)), location_id=LOCATION_ID) == {"ok": True}


def test_a_2xx_html_page_is_an_api_response_error_naming_the_endpoint() -> None:
    page = "<html><head><title>Just a moment...</title></head><body>checking your browser</body></html>"
    script = Script(text_response(200, page, "text/html; charset=UTF-8"))
    ctx = CallContext(location="Acme Dental", kind="calendars")
    with make_client(script) as client, pytest.raises(ApiResponseError) as info:
        client.send(Request("GET", ("/calendars/",)), location_id=LOCATION_ID, context=ctx)
    assert str(info.value) == (
        "location Acme Dental: calendars: GET /calendars/ -> HTTP 200: "
        "expected JSON, got text/html: Just a moment..."
    )


def test_a_2xx_truncated_json_body_is_an_api_response_error() -> None:
    script = Script(text_response(200, '{"calendars": [{"id": "a"', "application/json"))
    with make_client(script) as client, pytest.raises(ApiResponseError) as info:
        client.send(Request("GET", ("/calendars/",)), location_id=LOCATION_ID)
    assert str(info.value) == (
        f"location {LOCATION_ID}: GET /calendars/ -> HTTP 200: "
        "invalid JSON: Expecting ',' delimiter: line 1 column 26 (char 25)"
    )


def test_a_2xx_plain_text_body_is_an_api_response_error() -> None:
    script = Script(text_response(200, "OK", "text/plain"))
    with (
        make_client(script) as client,
        pytest.raises(ApiResponseError, match=r"expected JSON, got text/plain: OK$"),
    ):
        client.send(Request("GET", ("/x",)), location_id=LOCATION_ID)


def test_a_redirect_is_not_followed_but_reported() -> None:
    script = Script(httpx.Response(302, headers={"Location": "https://elsewhere.test/"}))
    with make_client(script) as client, pytest.raises(ApiError) as info:
        client.send(Request("GET", ("/x",)), location_id=LOCATION_ID)
    assert info.value.status == 302
    assert script.sends == 1


def test_a_missing_token_fails_with_a_config_error_before_anything_is_sent() -> None:
    script = Script(json_response(200, {}))
    with make_client(script, creds=Credentials()) as client, pytest.raises(ConfigError, match="GHL_TOKEN"):
        client.send(Request("GET", ("/x",)), location_id=LOCATION_ID)
    assert script.sends == 0


def test_an_unresolved_reference_is_refused_before_sending() -> None:
    script = Script(json_response(200, {}))
    with make_client(script) as client:
        with pytest.raises(ValueError, match="unresolved"):
            client.send(Request("GET", ("/users/", Ref("users", "a@b.c"))), location_id=LOCATION_ID)
        with pytest.raises(ValueError, match="unresolved"):
            client.send(Request("POST", ("/x",), body={"u": Ref("users", "a@b.c")}), location_id=LOCATION_ID)
    assert script.sends == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://services.leadconnectorhq.com",
        "https://services.leadconnectorhq.com/",
        "http://127.0.0.1:8080",
        "http://127.9.9.9",
        "http://localhost:3000/",
        "http://[::1]:8080",
    ],
)
def test_https_is_accepted_and_plain_http_only_for_a_loopback_host(url: str) -> None:
    with GHLClient(url, Credentials()) as client:
        assert client.base_url == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://services.leadconnectorhq.com", "must use https"),
        ("http://10.0.0.5:8080", "must use https"),
        ("http://localhost.evil.test", "must use https"),
        ("ftp://example.test", "https:// URL with a host"),
        ("services.leadconnectorhq.com", "https:// URL with a host"),
        ("https://user:pw@example.test", "must not contain credentials"),
        ("https://example.test/?a=1", "query or fragment"),
    ],
)
def test_an_unsafe_or_malformed_base_url_is_refused(url: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        GHLClient(url, Credentials())


def test_base_url_from_env_prefers_ghl_base_url_and_defaults_to_leadconnector() -> None:
    assert base_url_from_env({}) == DEFAULT_BASE_URL == "https://services.leadconnectorhq.com"
    assert base_url_from_env({"GHL_BASE_URL": ""}) == DEFAULT_BASE_URL
    assert base_url_from_env({"GHL_BASE_URL": "http://127.0.0.1:9000"}) == "http://127.0.0.1:9000"


def test_counters_group_calls_by_endpoint_with_ids_shown_as_placeholders() -> None:
    script = Script(json_response(200, {}))
    with make_client(script) as client:
        client.send(Request("GET", ("/calendars/", "ve9EPM428h8vShlRW1KT")), location_id=LOCATION_ID)
        client.send(Request("GET", ("/calendars/", "Ab3dEfGhIjKlMnOpQrSt")), location_id=LOCATION_ID)
        client.send(Request("GET", ("/locations/", LOCATION_ID, "/customValues")), location_id=LOCATION_ID)
        stats = client.stats
    assert stats.by_endpoint == {
        ("GET", "/calendars/{id}"): 2,
        ("GET", "/locations/{id}/customValues"): 1,
    }
    assert stats.requests == 3
    assert stats.responses == {"2xx": 3}


class _Placeholder:
    pass


def test_an_unknown_placeholder_left_in_the_body_is_refused_before_sending() -> None:
    script = Script(json_response(200, {}))
    req = Request("POST", ("/users/",), body={"password": _Placeholder()})
    with make_client(script) as client, pytest.raises(ValueError, match="cannot send _Placeholder"):
        client.send(req, location_id=LOCATION_ID)
    assert script.sends == 0


@pytest.mark.parametrize(
    "req",
    [
        Request("GET", ("/calendars/",), params=(("locationId", LOCATION_ID), ("q", "a b&c/é"))),
        Request("POST", ("/locations/", LOCATION_ID, "/tags"), body={"name": "vip"}),
        Request("DELETE", ("/locations/", LOCATION_ID, "/tags/", "t1")),
    ],
    ids=["get-with-params", "post-with-body", "delete"],
)
def test_each_request_is_the_one_httpx_build_request_would_make(req: Request) -> None:
    # Issue 15: the client builds its httpx.Request directly instead of through Client.build_request (a tenth of a
    # read's GIL time); what goes on the wire must not change: URL, headers in order, body, timeouts.
    script = Script(json_response(200, {}))
    with make_client(script) as client:
        client.send(req, location_id=LOCATION_ID)
        sent = script.last
        call = _Call(client, req, LOCATION_ID, CallContext())
        expected = client._http.build_request(call.method, call.target, headers=call.headers, content=call.content)
    assert str(sent.url) == str(expected.url)
    assert [(k, v) for k, v in sent.headers.raw if k.lower() != b"authorization"] == list(expected.headers.raw)
    assert sent.content == expected.content
    assert sent.extensions["timeout"] == expected.extensions["timeout"]
