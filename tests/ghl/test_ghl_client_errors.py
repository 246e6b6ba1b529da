from __future__ import annotations

import pytest

from ghlops.errors import ApiError, ApiResponseError, TransportError
from ghlops.ghl import CallContext
from ghlops.request import Request

from .fakes import LOCATION_ID, Script, json_response, make_client, text_response

CTX = CallContext(location="Acme Dental", kind="calendars", obj="Consultations")


def test_a_4xx_is_an_api_error_carrying_the_servers_message_and_the_whole_context() -> None:
    body = {
        "statusCode": 422,
        "message": ["name should not be empty", "slug must be a string"],
        "error": "Unprocessable Entity",
    }
    script = Script(json_response(422, body))
    with make_client(script) as client, pytest.raises(ApiError) as info:
        client.send(Request("PUT", ("/calendars/", "cal1"), body={}), location_id=LOCATION_ID, context=CTX)
    err = info.value
    assert type(err) is ApiError
    assert str(err) == (
        "location Acme Dental: calendars 'Consultations': PUT /calendars/cal1 -> HTTP 422: "
        "name should not be empty; slug must be a string"
    )
    assert (err.status, err.method, err.endpoint) == (422, "PUT", "/calendars/cal1")
    assert (err.location, err.kind, err.obj) == ("Acme Dental", "calendars", "Consultations")
    assert err.message == "name should not be empty; slug must be a string"


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (400, {"statusCode": 400, "message": "Invalid slug"}, "Invalid slug"),
        (401, {"msg": "Invalid JWT"}, "Invalid JWT"),
        (
            403,
            {"error": "The token is not authorized for this scope."},
            "The token is not authorized for this scope.",
        ),
        (404, {"status": 404, "message": "Calendar not found"}, "Calendar not found"),
        (409, {}, "Conflict"),
        (422, {"errors": [{"field": "slug", "message": "taken"}]}, "slug: taken"),
    ],
)
def test_a_client_error_is_raised_at_once_without_retrying(status: int, body: object, message: str) -> None:
    script = Script(json_response(status, body), json_response(200, {}))
    with make_client(script) as client, pytest.raises(ApiError) as info:
        client.send(Request("GET", ("/calendars/", "cal1")), location_id=LOCATION_ID, context=CTX)
    assert script.sends == 1
    assert str(info.value) == (
        f"location Acme Dental: calendars 'Consultations': GET /calendars/cal1 -> HTTP {status}: {message}"
    )


def test_an_html_error_page_becomes_its_title() -> None:
    page = "<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1></body></html>"
    with (
        make_client(Script(text_response(403, page, "text/html"))) as client,
        pytest.raises(ApiError) as info,
    ):
        client.send(Request("GET", ("/x",)), location_id=LOCATION_ID, context=CTX)
    assert info.value.message == "403 Forbidden"


def test_without_a_display_name_the_error_names_the_location_by_id() -> None:
    with make_client(Script(json_response(404, {}))) as client, pytest.raises(ApiError) as info:
        client.send(Request("GET", ("/x",)), location_id=LOCATION_ID)
    assert str(info.value) == f"location {LOCATION_ID}: GET /x -> HTTP 404: Not Found"


def test_without_any_context_the_error_names_only_the_call() -> None:
    with (
        make_client(Script(json_response(404, {"message": "gone"}))) as client,
        pytest.raises(ApiError) as info,
    ):
        client.send(Request("GET", ("/x",)))
    assert str(info.value) == "GET /x -> HTTP 404: gone"


def test_context_kind_without_an_object_is_named_alone() -> None:
    ctx = CallContext(location="Acme Dental", kind="tags")
    with (
        make_client(Script(json_response(400, {"message": "bad"}))) as client,
        pytest.raises(ApiError) as info,
    ):
        client.send(Request("POST", ("/tags",), body={}), location_id=LOCATION_ID, context=ctx)
    assert str(info.value) == "location Acme Dental: tags: POST /tags -> HTTP 400: bad"


def test_every_error_class_derives_from_api_error_so_one_handler_catches_all() -> None:
    assert issubclass(ApiResponseError, ApiError)
    assert issubclass(TransportError, ApiError)
