"""Paths and URLs that can't be forged (issue 13 §4): ids never retarget a call, base URLs never leak a query."""

from __future__ import annotations

import pytest

from ghlops.errors import ApiError, ConfigError
from ghlops.ghl import GHLClient, is_ghl_id
from ghlops.ghl.paths import UnsafePathError, build_path, display_url
from ghlops.request import Request

from .fakes import LOCATION_ID, Script, credentials, json_response, make_client

# Real ids: a location and a calendar id as GHL's docs and the recorded answers show them (20 alphanumerics),
# a product and a price _id (24-hex Mongo ids, as GET /products/ answers).
REAL_IDS = ["ve9EPM428h8vShlRW1KT", "ocQHyuzHvysMo5N5VsXc", "6578278e879ad2646715ba9c", "65782f31879ad2a40315bab4"]


@pytest.mark.parametrize(
    "server_id",
    ["../../users/VICTIM", "..", ".", "x?locationId=other", "x#frag", "a/b", "%2e%2e", "a b", "", "t\r\nX: y"],
)
def test_an_id_that_could_retarget_a_call_is_refused_before_anything_is_sent(server_id: str) -> None:
    script = Script(json_response(200, {}))
    req = Request("DELETE", ("/locations/", LOCATION_ID, "/tags/", server_id))
    with make_client(script) as client, pytest.raises(ApiError) as info:
        client.send(req, location_id=LOCATION_ID)
    assert script.sends == 0
    assert info.value.status is None
    assert info.value.message.startswith(f"refusing to put {server_id!r} in a URL path: an id has only letters")
    assert info.value.message.endswith("; not sent")


def test_a_manifest_location_id_with_a_query_never_reaches_the_server() -> None:
    script = Script(json_response(200, {}))
    with make_client(script) as client, pytest.raises(ApiError, match="refusing to put 'loc\\?x=1'"):
        client.send(Request("GET", ("/locations/", "loc?x=1", "/tags")), location_id="loc?x=1")
    assert script.sends == 0


def test_ids_ghl_issues_and_hand_made_test_ids_go_through_unchanged() -> None:
    script = Script(json_response(200, {}))
    with make_client(script) as client:
        for value in [*REAL_IDS, "cal1", "tag-noname", "cal_odd"]:
            client.send(Request("GET", ("/calendars/", value)), location_id=LOCATION_ID)
    assert [r.url.path for r in script.requests] == [
        f"/calendars/{v}" for v in [*REAL_IDS, "cal1", "tag-noname", "cal_odd"]
    ]


def test_a_literal_path_part_with_a_query_is_refused_too() -> None:
    with pytest.raises(UnsafePathError):
        build_path(["/calendars/?locationId=x"])


def test_build_path_joins_literals_and_values() -> None:
    assert build_path(["/products/", "6578278e879ad2646715ba9c", "/price/", "65782f31879ad2a40315bab4"]) == (
        "/products/6578278e879ad2646715ba9c/price/65782f31879ad2a40315bab4"
    )
    assert build_path(["calendars"]) == "/calendars"


@pytest.mark.parametrize("value", REAL_IDS)
def test_real_ghl_ids_have_the_ghl_id_shape(value: str) -> None:
    assert is_ghl_id(value)


@pytest.mark.parametrize(
    "value",
    ["cal1", "x" * 19, "x" * 25, "ve9EPM428h8vShlRW1K/", "../ve9EPM428h8vShlRW1KT", "ve9EPM428h8vShlRW1K-", None, 12],
)
def test_values_outside_the_ghl_id_shape_are_not_ghl_ids(value: object) -> None:
    assert not is_ghl_id(value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.test/v2?token=SECRET-Q", "https://example.test/v2"),
        ("https://user:SECRET-PW@example.test:8443/x#SECRET-F", "https://example.test:8443/x"),
        ("http://[::1]:9/p?SECRET-Q", "http://[::1]:9/p"),
        ("example.test/p?SECRET-Q", "example.test/p"),
    ],
)
def test_a_displayed_url_keeps_only_scheme_host_and_path(url: str, shown: str) -> None:
    assert display_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "https://example.test/?token=SECRET-Q",
        "http://evil.test/x?token=SECRET-Q",
        "ftp://example.test/?SECRET-Q",
        "https://user:SECRET-PW@example.test/",
        "https://exa mple.test/?SECRET-Q",
    ],
)
def test_a_ghl_base_url_error_never_echoes_its_query_or_userinfo(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        GHLClient(url, credentials())
    assert "SECRET" not in str(info.value)
