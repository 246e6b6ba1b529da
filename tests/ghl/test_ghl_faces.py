"""The reading and writing faces of the client: readers can't write, by type and at run time."""

from __future__ import annotations

import pytest

from ghlops.ghl import GHLClient, ReadingClient, WritingClient
from ghlops.request import Request

from .fakes import LOCATION_ID, Script, json_response, make_client


def test_the_client_is_both_a_reading_and_a_writing_client() -> None:
    with make_client(Script(json_response(200, {}))) as client:
        assert isinstance(client, ReadingClient)
        assert isinstance(client, WritingClient)


def test_the_reading_face_has_no_way_to_send_a_write() -> None:
    reading = {name for name in dir(ReadingClient) if not name.startswith("_")}
    writing = {name for name in dir(WritingClient) if not name.startswith("_")}
    assert reading == {"get", "search", "stats"}
    assert writing - reading == {"send"}
    assert not hasattr(ReadingClient, "send")
    assert hasattr(GHLClient, "send")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_get_refuses_anything_but_a_get_before_sending(method: str) -> None:
    script = Script(json_response(200, {}))
    refused = f"get\\(\\) sends only GET requests, not {method}"
    with make_client(script) as client, pytest.raises(ValueError, match=refused):
        client.get(Request(method, ("/calendars/",)), location_id=LOCATION_ID)
    assert script.sends == 0


@pytest.mark.parametrize("req", [Request("POST", ("/products/",)), Request("GET", ("/contacts/search",))])
def test_search_refuses_anything_but_a_read_only_search(req: Request) -> None:
    script = Script(json_response(200, {}))
    with make_client(script) as client, pytest.raises(ValueError, match="search\\(\\) sends only read-only searches"):
        client.search(req, location_id=LOCATION_ID)
    assert script.sends == 0


def test_get_and_search_send_their_reads() -> None:
    script = Script(json_response(200, {"tags": []}), json_response(200, {"total": 0}))
    with make_client(script) as client:
        assert client.get(Request("GET", ("/locations/", LOCATION_ID, "/tags")), location_id=LOCATION_ID) == {
            "tags": []
        }
        assert client.search(Request("POST", ("/contacts/search",), body={}), location_id=LOCATION_ID) == {"total": 0}
    assert [(r.method, r.url.path) for r in script.requests] == [
        ("GET", f"/locations/{LOCATION_ID}/tags"),
        ("POST", "/contacts/search"),
    ]
