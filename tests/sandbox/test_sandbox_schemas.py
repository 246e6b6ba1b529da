"""Every successful answer of every emulated endpoint validates against GHL's published response schema, except
where real GHL departs from it: those departures are listed, each with its source, and each must still happen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ghlops.sandbox import Sandbox
from ghlops.sandbox.routes import ROUTES
from tests.sandbox import spec
from tests.sandbox.conftest import AGENCY_TOKEN, COMPANY, LOC, client

pytestmark = pytest.mark.skipif(not spec.available(), reason=spec.SKIP_REASON)

Seen = list[tuple[str, str, int, Any]]

# Where the sandbox answers as real GHL does rather than as the documents say (issue 9: recorded answers
# published in public repositories; GoHighLevel/highlevel-api-docs #300 and #82: the documents are incomplete).
# Extra keys are not departures: the response schemas allow additional properties.
KNOWN_DEPARTURES = {
    r"scopes: \[.*\] is not (of type 'string'|one of )": "UserSchema types scopes as one string; GHL answers an array",
    r"appoinmentPerDay: '' is not of type 'number'": "an unset appoinmentPerDay is answered as an empty string",
    r"openHours: \{\} is not of type 'array'": "unset openHours are answered as an empty object",
    r"recurring/bookingOverlapDefaultStatus: '' is not one of": "an unset bookingOverlapDefaultStatus is empty",
}


@pytest.fixture
def seen() -> Seen:
    return []


@pytest.fixture
def recording(sb: Sandbox, seen: Seen) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Location and agency clients that keep every answer they get."""

    def keep(response: httpx.Response) -> None:
        response.read()
        seen.append((response.request.method, response.request.url.path, response.status_code, response.json()))

    hooks = {"response": [keep]}
    with (
        client(sb.url, event_hooks=hooks) as api,
        client(sb.url, AGENCY_TOKEN, event_hooks=hooks) as agency,
    ):
        yield api, agency


def _ok(response: httpx.Response) -> Any:
    assert response.is_success, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def _exercise(api: httpx.Client, agency: httpx.Client) -> None:
    """Call every emulated endpoint once on its success path."""
    loc = f"/locations/{LOC}"
    _ok(api.get(loc))

    tag = _ok(api.post(f"{loc}/tags", json={"name": "Schema"}))["tag"]
    _ok(api.get(f"{loc}/tags"))
    _ok(api.get(f"{loc}/tags/{tag['id']}"))
    _ok(api.put(f"{loc}/tags/{tag['id']}", json={"name": "schema-2"}))
    _ok(api.delete(f"{loc}/tags/{tag['id']}"))

    field_body = {"name": "Choice", "dataType": "RADIO", "options": ["a", "b"], "placeholder": "p"}
    field = _ok(api.post(f"{loc}/customFields", json=field_body))["customField"]
    _ok(api.get(f"{loc}/customFields", params={"model": "all"}))
    _ok(api.get(f"{loc}/customFields/{field['id']}"))
    _ok(api.put(f"{loc}/customFields/{field['id']}", json={"name": "Choice 2", "position": 1}))
    _ok(api.delete(f"{loc}/customFields/{field['id']}"))

    value = _ok(api.post(f"{loc}/customValues", json={"name": "Phone", "value": "555"}))["customValue"]
    _ok(api.get(f"{loc}/customValues"))
    _ok(api.get(f"{loc}/customValues/{value['id']}"))
    _ok(api.put(f"{loc}/customValues/{value['id']}", json={"name": "Phone", "value": "556"}))
    _ok(api.delete(f"{loc}/customValues/{value['id']}"))

    user_body = {
        "companyId": COMPANY,
        "firstName": "Sam",
        "lastName": "Schema",
        "email": "sam@example.com",
        "password": "pw-123456",
        "phone": "+15550100",
        "type": "account",
        "role": "user",
        "locationIds": [LOC],
        "platformLanguage": "en_US",
    }
    user = _ok(agency.post("/users/", json=user_body))
    _ok(agency.get("/users/search", params={"companyId": COMPANY}))
    _ok(agency.get("/locations/search", params={"companyId": COMPANY, "skip": 0, "limit": 10}))
    _ok(api.get("/users/", params={"locationId": LOC}))  # location tokens only (users.json security)
    _ok(agency.get(f"/users/{user['id']}"))
    _ok(agency.put(f"/users/{user['id']}", json={"role": "admin"}))

    calendar_body = {
        "locationId": LOC,
        "name": "Schema Calendar",
        "calendarType": "round_robin",
        "teamMembers": [{"userId": user["id"], "priority": 1, "isPrimary": True}],
        "openHours": [
            {"daysOfTheWeek": [1, 2], "hours": [{"openHour": 9, "openMinute": 0, "closeHour": 17, "closeMinute": 0}]}
        ],
        "lookBusyConfig": {"enabled": True, "LookBusyPercentage": 10},
    }
    calendar = _ok(api.post("/calendars/", json=calendar_body))["calendar"]
    bare = _ok(api.post("/calendars/", json={"locationId": LOC, "name": "Bare Calendar"}))["calendar"]
    _ok(api.get("/calendars/", params={"locationId": LOC}))
    _ok(api.get(f"/calendars/{calendar['id']}"))
    _ok(api.put(f"/calendars/{calendar['id']}", json={"description": "updated", "slotDuration": 45}))
    _ok(api.delete(f"/calendars/{calendar['id']}"))

    group_body = {"locationId": LOC, "name": "Schema Group", "description": "d", "slug": "schema-group"}
    group = _ok(api.post("/calendars/groups", json=group_body))["group"]
    _ok(api.get("/calendars/groups", params={"locationId": LOC}))
    _ok(api.post("/calendars/groups/validate-slug", json={"locationId": LOC, "slug": "schema-group"}))
    _ok(api.put(f"/calendars/groups/{group['id']}", json={"name": "Renamed", "description": "", "slug": "renamed"}))
    _ok(api.put(f"/calendars/groups/{group['id']}/status", json={"isActive": False}))
    _ok(api.put(f"/calendars/{bare['id']}", json={"groupId": group["id"]}))
    _ok(api.delete(f"/calendars/groups/{group['id']}"))

    notifications = f"/calendars/{bare['id']}/notifications"
    reminder = {
        "receiverType": "contact",
        "channel": "email",
        "notificationType": "reminder",
        "subject": "Soon",
        "body": "See you",
        "beforeTime": [{"timeOffset": 1, "unit": "hours"}],
        "additionalEmailIds": ["ops@example.com"],
        "selectedUsers": ["sub_account_admin"],
    }
    created = _ok(api.post(notifications, json=[reminder]))
    _ok(api.get(notifications))
    _ok(api.get(f"{notifications}/{created[0]['_id']}"))
    _ok(api.put(f"{notifications}/{created[0]['_id']}", json={"isActive": False}))
    _ok(api.delete(f"{notifications}/{created[0]['_id']}"))
    _ok(api.delete(f"/calendars/{bare['id']}"))

    profile = {
        "companyId": COMPANY,
        "name": "Downtown Dental",
        "phone": "+15550100",
        "country": "US",
        "timezone": "US/Central",
        "settings": {"allowDuplicateContact": True},
        "social": {"facebookUrl": "https://www.facebook.com/downtown"},
    }
    _ok(agency.put(loc, json=profile))
    _ok(api.get(loc))

    product_body = {
        "locationId": LOC,
        "name": "Schema Product",
        "productType": "PHYSICAL",
        "variants": [{"id": "v1", "name": "Size", "options": [{"id": "s", "name": "Small"}]}],
        "label": {"title": "New"},
    }
    product = _ok(api.post("/products/", json=product_body))
    query = {"locationId": LOC}
    _ok(api.get("/products/", params=query))
    _ok(api.get(f"/products/{product['_id']}", params=query))
    _ok(api.put(f"/products/{product['_id']}", json={**product_body, "name": "Renamed"}))
    prices = f"/products/{product['_id']}/price"
    price_body = {
        "locationId": LOC,
        "name": "Monthly",
        "type": "recurring",
        "currency": "USD",
        "amount": 10,
        "recurring": {"interval": "month", "intervalCount": 1},
        "variantOptionIds": ["s"],
    }
    price = _ok(api.post(prices, json=price_body))
    _ok(api.get(prices, params=query))
    _ok(api.get(f"{prices}/{price['_id']}", params=query))
    _ok(api.put(f"{prices}/{price['_id']}", json={**price_body, "amount": 12}))
    _ok(api.delete(f"{prices}/{price['_id']}", params=query))
    _ok(api.delete(f"/products/{product['_id']}", params=query))

    _ok(agency.delete(f"/users/{user['id']}"))

    # Trigger links (links.json), emulated since links became a built-in kind.
    link = _ok(api.post("/links/", json={"locationId": LOC, "name": "Book", "redirectTo": "https://example.com/a"}))
    link_id = link["link"]["id"]
    _ok(api.get("/links/", params=query))
    _ok(api.put(f"/links/{link_id}", json={"name": "Book now", "redirectTo": "https://example.com/b"}))
    _ok(api.delete(f"/links/{link_id}"))

    _ok(
        api.post(
            "/contacts/search",
            json={"locationId": LOC, "pageLimit": 1, "filters": [{"field": "tags", "operator": "exists"}]},
        )
    )


def test_every_success_answer_matches_its_published_response_schema(
    recording: tuple[httpx.Client, httpx.Client], seen: Seen
) -> None:
    _exercise(*recording)
    problems: list[str] = []
    covered: set[tuple[str, str]] = set()
    for method, path, status, body in seen:
        operation = spec.find(method, path)
        assert operation is not None, f"{method} {path} is not a GHL operation"
        covered.add((method, operation.template))
        if operation.template == "/contacts/search" and operation.response_schema(status) is None:
            # contacts.json publishes no response schema for the search (its 200 is "Success" only); the
            # answer's shape {contacts, total} is checked in tests/sandbox/test_sandbox_contacts.py.
            continue
        problems.extend(operation.errors(status, body))
    departures = {pattern for pattern in KNOWN_DEPARTURES if any(re.search(pattern, p) for p in problems)}
    assert [p for p in problems if not any(re.search(pattern, p) for pattern in KNOWN_DEPARTURES)] == []
    # Every listed departure still happens, so the list cannot outlive the behaviour it excuses.
    assert departures == set(KNOWN_DEPARTURES)
    # Every emulated route was exercised, so the check cannot silently shrink.
    # (The OAuth routes are checked against oauth.json in tests/sandbox/test_sandbox_oauth.py.)
    assert len(covered) == len([r for r in ROUTES if not r.template.startswith("/oauth")]), sorted(covered)


def test_error_answers_match_the_common_error_schemas(api: httpx.Client) -> None:
    unprocessable = api.post(f"/locations/{LOC}/tags", json={"name": 1}).json()
    assert isinstance(unprocessable["message"], list)
    assert unprocessable["statusCode"] == 422 and unprocessable["error"] == "Unprocessable Entity"
    bad_request = api.post(f"/locations/{LOC}/tags", content=b"{", headers={"Content-Type": "application/json"}).json()
    assert isinstance(bad_request["message"], str) and bad_request["statusCode"] == 400
    unauthorized = api.get(f"/locations/{LOC}/tags", headers={"Authorization": "Bearer nope"}).json()
    assert set(unauthorized) == {"statusCode", "message", "error"}
