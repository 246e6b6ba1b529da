"""Gateway behaviour: tokens, the Version header, unknown routes and locations, malformed bodies."""

from __future__ import annotations

import httpx
import pytest

from ghlops.sandbox import Sandbox
from tests.sandbox.conftest import COMPANY, FOREIGN_LOC, LOC, LOCATION_TOKEN, OTHER_LOC, client

INVALID_TOKEN = {"statusCode": 401, "message": "Invalid token: access token is invalid", "error": "Unauthorized"}
NO_ACCESS = {"statusCode": 403, "message": "The token does not have access to this location."}


def test_a_request_without_a_token_is_unauthorized(sb: Sandbox) -> None:
    with client(sb.url, token=None) as anonymous:
        response = anonymous.get(f"/locations/{LOC}/tags")
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    assert response.headers["content-type"].startswith("application/json")


def test_a_request_with_an_unknown_token_is_unauthorized(sb: Sandbox) -> None:
    with client(sb.url, "not-a-token") as stranger:
        response = stranger.get(f"/locations/{LOC}/tags")
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_a_non_bearer_authorization_is_unauthorized(api: httpx.Client) -> None:
    response = api.get(f"/locations/{LOC}/tags", headers={"Authorization": "Basic c2FuZGJveDpwdw=="})
    assert response.status_code == 401


def test_a_missing_version_header_is_refused(sb: Sandbox) -> None:
    with httpx.Client(base_url=sb.url, headers={"Authorization": "Bearer sandbox-location-token"}) as unversioned:
        response = unversioned.get(f"/locations/{LOC}/tags")
    assert response.status_code == 401
    assert response.json() == {"statusCode": 401, "message": "Version header was not found"}


def test_an_unknown_version_header_is_refused(api: httpx.Client) -> None:
    response = api.get(f"/locations/{LOC}/tags", headers={"Version": "2024-01-01"})
    assert response.status_code == 401
    assert response.json() == {"statusCode": 401, "message": "Invalid version header"}


@pytest.mark.parametrize("version", ["2021-04-15", "2021-07-28", "2023-02-21", "v3"])
def test_every_published_version_is_accepted_on_every_api(api: httpx.Client, version: str) -> None:
    assert api.get(f"/locations/{LOC}/tags", headers={"Version": version}).status_code == 200
    assert api.get("/calendars/", params={"locationId": LOC}, headers={"Version": version}).status_code == 200
    assert api.get("/products/", params={"locationId": LOC}, headers={"Version": version}).status_code == 200


def test_the_agency_token_is_refused_on_location_endpoints_as_not_in_scope(agency: httpx.Client) -> None:
    # GHL: an agency token cannot call location-level routes (highlevel-api-docs #226).
    for path, params in ((f"/locations/{LOC}/tags", {}), ("/calendars/", {"locationId": LOC})):
        response = agency.get(path, params=params)
        assert response.status_code == 401
        assert response.json() == {"statusCode": 401, "message": "The token is not authorized for this scope."}


def test_a_location_token_is_refused_on_agency_only_users_endpoints(api: httpx.Client) -> None:
    response = api.post("/users/", json={"companyId": COMPANY})
    assert response.status_code == 401
    assert "IAM" in response.json()["message"]


def test_users_search_accepts_agency_and_location_tokens(sb: Sandbox, agency: httpx.Client) -> None:
    with client(sb.url, sb.token_for(LOC)) as own:
        assert own.get("/users/search", params={"companyId": COMPANY}).status_code == 200
    assert agency.get("/users/search", params={"companyId": COMPANY}).status_code == 200


def test_users_of_a_location_refuse_the_agency_token_with_a_user_type_mismatch(
    sb: Sandbox, agency: httpx.Client
) -> None:
    response = agency.get("/users/", params={"locationId": LOC})
    assert response.status_code == 401
    assert response.json() == {"statusCode": 401, "message": "Token's user type mismatch!"}
    with client(sb.url, sb.token_for(LOC)) as own:
        assert own.get("/users/", params={"locationId": LOC}).status_code == 200


def test_each_location_has_its_own_token_that_reaches_only_that_location() -> None:
    with Sandbox() as sb:
        sb.store.create_location(LOC, "Downtown Dental")
        sb.store.create_location(OTHER_LOC, "Uptown Ortho")
        assert sb.token_for(LOC) != sb.token_for(OTHER_LOC)
        assert sb.token_for(LOC) == sb.token_for(LOC)
        with client(sb.url, sb.token_for(LOC)) as own:
            assert own.get(f"/locations/{LOC}/tags").status_code == 200
            assert own.get(f"/locations/{OTHER_LOC}/tags").status_code == 403
            assert own.get("/calendars/", params={"locationId": OTHER_LOC}).json() == NO_ACCESS


def test_a_realistic_sandbox_has_no_token_valid_for_every_location() -> None:
    with Sandbox() as sb:
        sb.store.create_location(LOC, "Downtown Dental")
        with pytest.raises(RuntimeError, match="token_for"):
            _ = sb.location_token
        with client(sb.url, LOCATION_TOKEN) as shared:
            assert shared.get(f"/locations/{LOC}/tags").status_code == 401


def test_a_location_that_was_never_created_is_forbidden_even_on_list_calls(api: httpx.Client) -> None:
    for path, params in (
        ("/locations/nowhere/tags", {}),
        ("/locations/nowhere/customFields", {"model": "all"}),
        ("/locations/nowhere/customValues", {}),
        ("/calendars/", {"locationId": "nowhere"}),
        ("/products/", {"locationId": "nowhere"}),
    ):
        response = api.get(path, params=params)
        assert response.status_code == 403, path
        assert response.json() == NO_ACCESS


def test_a_per_location_token_reaches_its_own_location_only(sb: Sandbox) -> None:
    sb.store.set_location_token(LOC, "downtown-only")
    with client(sb.url, "downtown-only") as downtown:
        assert downtown.get(f"/locations/{LOC}/tags").status_code == 200
        assert downtown.post(f"/locations/{LOC}/tags", json={"name": "mine"}).status_code == 201
        other = downtown.get(f"/locations/{OTHER_LOC}/tags")
        assert other.status_code == 403
        assert other.json() == NO_ACCESS
        product = {"locationId": OTHER_LOC, "name": "x", "productType": "SERVICE"}
        assert downtown.post("/products/", json=product).status_code == 403


def test_a_per_location_token_cannot_reach_another_locations_calendar_by_id(sb: Sandbox, api: httpx.Client) -> None:
    calendar = api.post("/calendars/", json={"locationId": OTHER_LOC, "name": "Uptown intro"}).json()["calendar"]
    sb.store.set_location_token(LOC, "downtown-only")
    response = api.get(f"/calendars/{calendar['id']}", headers={"Authorization": "Bearer downtown-only"})
    assert response.status_code == 403


def test_setting_a_token_for_a_location_that_does_not_exist_fails(sb: Sandbox) -> None:
    with pytest.raises(KeyError):
        sb.store.set_location_token("nowhere", "t")


def test_get_location_answers_the_location_for_a_location_or_agency_token(
    api: httpx.Client, agency: httpx.Client
) -> None:
    expected = {"location": {"id": LOC, "companyId": COMPANY, "name": "Downtown Dental"}}
    assert api.get(f"/locations/{LOC}").json() == expected
    assert agency.get(f"/locations/{LOC}").json() == expected
    assert agency.get(f"/locations/{FOREIGN_LOC}").status_code == 403


def test_an_unknown_route_answers_nest_style_404(api: httpx.Client) -> None:
    response = api.get("/contacts/whatever")
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "message": "Cannot GET /contacts/whatever", "error": "Not Found"}
    assert api.patch(f"/locations/{LOC}/tags").json()["message"] == f"Cannot PATCH /locations/{LOC}/tags"


def test_a_malformed_json_body_is_a_bad_request(api: httpx.Client) -> None:
    response = api.post(f"/locations/{LOC}/tags", content=b'{"name": }', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "message": "Unexpected token } in JSON at position 9",
        "error": "Bad Request",
    }


def test_javascript_rejects_nan_so_the_sandbox_does_too(api: httpx.Client) -> None:
    response = api.post(
        f"/locations/{LOC}/customFields",
        content=b'{"name": "n", "dataType": "NUMERICAL", "position": NaN}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("Unexpected token N")


def test_a_truncated_json_body_is_a_bad_request(api: httpx.Client) -> None:
    response = api.post(f"/locations/{LOC}/tags", content=b'{"name": "x', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["message"] == "Unexpected end of JSON input"


def test_a_body_sent_without_json_content_type_is_ignored_like_express_does(api: httpx.Client) -> None:
    response = api.post(f"/locations/{LOC}/tags", content=b'{"name": "x"}', headers={"Content-Type": "text/plain"})
    assert response.status_code == 422
    assert response.json()["message"] == ["name should not be empty"]


def test_a_crashing_handler_answers_500_json_and_the_server_keeps_serving(
    sb: Sandbox, api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(sb.store, "find", explode)
    response = api.get(f"/locations/{LOC}/tags")
    assert response.status_code == 500
    assert response.json() == {"statusCode": 500, "message": "Internal server error"}
    monkeypatch.undo()
    assert api.get(f"/locations/{LOC}/tags").status_code == 200


def test_every_request_is_recorded_with_the_token_masked(sb: Sandbox, api: httpx.Client) -> None:
    sb.clear_requests()
    api.post(f"/locations/{LOC}/tags", json={"name": "Recorded"}, params={"trace": "1"})
    api.get("/nowhere")
    first, second = sb.requests
    assert (first.method, first.path, first.status, first.location_id) == ("POST", f"/locations/{LOC}/tags", 201, LOC)
    assert first.query == {"trace": ["1"]}
    assert first.json == {"name": "Recorded"}
    assert first.headers["authorization"] == "***"
    assert first.headers["version"] == "2021-07-28"
    assert (second.status, second.json, second.location_id) == (404, None, None)
    sb.clear_requests()
    assert sb.requests == []
