"""The location's own profile: PUT /locations/{locationId} with the agency token (companyId required, partial,
settings and social merged key by key), GET answering what PUT set, and every refusal
(ghlops/sandbox/routes/locations.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ghlops.sandbox import Sandbox
from tests.sandbox import spec
from tests.sandbox.accepted import departures
from tests.sandbox.conftest import COMPANY, FOREIGN_LOC, LOC, OTHER_LOC, client

PROFILE = {
    "companyId": COMPANY,
    "name": "Downtown Dental & Co",
    "phone": "+15550100",
    "address": "1 Main St",
    "city": "Springfield",
    "state": "Illinois",
    "country": "US",
    "postalCode": "62701",
    "website": "https://downtown.example.com",
    "timezone": "US/Central",
    "settings": {"allowDuplicateContact": True, "disableContactTimezone": False},
    "social": {"facebookUrl": "https://www.facebook.com/downtown", "youtube": "https://www.youtube.com/@dd"},
}


@pytest.fixture(autouse=True)
def accepted_requests_conform(sb: Sandbox) -> Iterator[None]:
    yield
    if spec.available():
        assert departures(sb) == []


def location(api: httpx.Client, location_id: str = LOC) -> dict[str, Any]:
    response = api.get(f"/locations/{location_id}")
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()["location"]
    return answer


def test_put_answers_the_profile_flat_and_get_returns_what_put_set(api: httpx.Client, agency: httpx.Client) -> None:
    response = agency.put(f"/locations/{LOC}", json=PROFILE)
    assert response.status_code == 200
    flat = {k: v for k, v in PROFILE.items() if k != "companyId"}
    assert response.json() == {"id": LOC, "companyId": COMPANY, **flat}
    assert location(api) == {
        "id": LOC,
        "companyId": COMPANY,
        **flat,
        "business": {
            "name": "Downtown Dental & Co",
            "address": "1 Main St",
            "city": "Springfield",
            "state": "Illinois",
            "country": "US",
            "postalCode": "62701",
            "website": "https://downtown.example.com",
            "timezone": "US/Central",
        },
    }
    # The rename is the location's own name (what the agency sees too), and other locations are untouched.
    assert location(agency)["name"] == "Downtown Dental & Co"
    assert location(api, OTHER_LOC) == {"id": OTHER_LOC, "companyId": COMPANY, "name": "Uptown Ortho"}


def test_what_a_put_leaves_out_keeps_its_value_settings_and_social_key_by_key(
    api: httpx.Client, agency: httpx.Client
) -> None:
    assert agency.put(f"/locations/{LOC}", json=PROFILE).status_code == 200
    later = {
        "companyId": COMPANY,
        "city": "Shelbyville",
        "settings": {"allowFacebookNameMerge": True},
        "social": {"youtube": "https://www.youtube.com/@dd2", "linkedIn": "https://www.linkedin.com/company/dd"},
    }
    assert agency.put(f"/locations/{LOC}", json=later).status_code == 200
    answer = location(api)
    assert (answer["name"], answer["phone"], answer["city"]) == ("Downtown Dental & Co", "+15550100", "Shelbyville")
    assert answer["settings"] == {
        "allowDuplicateContact": True,
        "disableContactTimezone": False,
        "allowFacebookNameMerge": True,
    }
    assert answer["social"] == {
        "facebookUrl": "https://www.facebook.com/downtown",
        "youtube": "https://www.youtube.com/@dd2",
        "linkedIn": "https://www.linkedin.com/company/dd",
    }
    assert answer["business"]["city"] == "Shelbyville"


def test_prospect_info_answers_as_first_name_last_name_and_email(api: httpx.Client, agency: httpx.Client) -> None:
    prospect = {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"}
    assert agency.put(f"/locations/{LOC}", json={"companyId": COMPANY, "prospectInfo": prospect}).status_code == 200
    answer = location(api)
    assert {k: answer[k] for k in prospect} == prospect
    assert "prospectInfo" not in answer


def test_credentials_and_snapshot_loads_are_taken_but_never_answered(api: httpx.Client, agency: httpx.Client) -> None:
    body = {
        "companyId": COMPANY,
        "twilio": {"sid": "AC_1", "authToken": "77_secret"},
        "mailgun": {"apiKey": "key-secret", "domain": "replies.example.com"},
        "snapshot": {"id": "snap1", "override": False},
    }
    response = agency.put(f"/locations/{LOC}", json=body)
    assert response.status_code == 200
    assert "secret" not in response.text
    answer = location(api)
    assert not {"twilio", "mailgun", "snapshot"} & set(answer)
    assert "secret" not in str(answer)


def test_a_location_token_cannot_put_the_profile(sb: Sandbox, api: httpx.Client) -> None:
    # locations.json: PUT /locations/{locationId} is Agency-Access only; the gateway refuses a sub-account token
    # as on every agency route (ghlops/sandbox/auth.py).
    with client(sb.url, sb.token_for(LOC)) as own:
        response = own.put(f"/locations/{LOC}", json=PROFILE)
    assert response.status_code == 401
    assert response.json() == {
        "statusCode": 401,
        "message": "This route is not yet supported by the IAM Service.",
        "error": "Unauthorized",
    }
    assert location(api)["name"] == "Downtown Dental"


def test_the_body_needs_the_locations_company_id(api: httpx.Client, agency: httpx.Client) -> None:
    missing = agency.put(f"/locations/{LOC}", json={"name": "X"})
    assert (missing.status_code, missing.json()["message"]) == (422, ["companyId should not be empty"])
    wrong = agency.put(f"/locations/{LOC}", json={"companyId": "another-company", "name": "X"})
    assert wrong.status_code == 400
    assert wrong.json()["message"] == f"Location {LOC} does not belong to company another-company"
    assert location(api)["name"] == "Downtown Dental"


def test_a_location_of_another_company_is_refused(agency: httpx.Client) -> None:
    response = agency.put(f"/locations/{FOREIGN_LOC}", json={"companyId": COMPANY, "name": "Mine now"})
    assert response.status_code == 403


def test_the_profile_body_is_as_strict_as_update_location_dto(api: httpx.Client, agency: httpx.Client) -> None:
    cases = [
        ({"country": "USA"}, "country must be one of the following values: AF, AX, AL"),
        ({"country": "SS"}, "country must be one of the following values: AF, AX, AL"),
        ({"settings": {"allowDuplicateContact": "yes"}}, "settings.allowDuplicateContact must be a boolean value"),
        ({"settings": {"allowDuplicates": True}}, "property settings.allowDuplicates should not exist"),
        ({"social": {"tiktok": "https://tiktok.com/@dd"}}, "property social.tiktok should not exist"),
        ({"email": "front@example.com"}, "property email should not exist"),
        ({"twilio": {"sid": "AC_1"}}, "twilio.authToken should not be empty"),
        ({"name": ""}, "name should not be empty"),
    ]
    for body, message in cases:
        response = agency.put(f"/locations/{LOC}", json={"companyId": COMPANY, **body})
        assert response.status_code == 422, body
        assert response.json()["message"][0].startswith(message), (body, response.json())
    assert location(api) == {"id": LOC, "companyId": COMPANY, "name": "Downtown Dental"}
