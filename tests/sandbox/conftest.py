"""Fixtures: a started sandbox with two locations of the default company, and httpx clients for it."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ghlops.sandbox import Sandbox

LOC = "locDowntown000000001"
OTHER_LOC = "locUptown00000000002"
FOREIGN_LOC = "locElsewhere00000003"  # belongs to another company
COMPANY = "sandbox-company"
LOCATION_TOKEN = "sandbox-location-token"
AGENCY_TOKEN = "sandbox-agency-token"

NewUser = Callable[..., dict[str, Any]]

# The sandbox is plain HTTP, but every httpx.Client builds a TLS context (~0.1 s); one shared context keeps
# a suite that opens a few clients per test fast.
_TLS = ssl.create_default_context()


def headers(token: str = LOCATION_TOKEN, version: str = "2021-07-28") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Version": version}


def client(url: str, token: str | None = LOCATION_TOKEN, **kwargs: Any) -> httpx.Client:
    """A client for a sandbox: the token's Authorization (none when None) and the default Version header."""
    default_headers = headers(token) if token is not None else {"Version": "2021-07-28"}
    return httpx.Client(base_url=url, headers=default_headers, timeout=5, verify=_TLS, **kwargs)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(location_token=LOCATION_TOKEN) as sandbox:  # a shared every-location token, for direct calls
        sandbox.store.create_location(LOC, "Downtown Dental")
        sandbox.store.create_location(OTHER_LOC, "Uptown Ortho")
        sandbox.store.create_location(FOREIGN_LOC, "Elsewhere", company_id="another-company")
        yield sandbox


@pytest.fixture
def api(sb: Sandbox) -> Iterator[httpx.Client]:
    """A client with the default location token."""
    with client(sb.url) as api_client:
        yield api_client


@pytest.fixture
def agency(sb: Sandbox) -> Iterator[httpx.Client]:
    """A client with the agency token (users endpoints)."""
    with client(sb.url, AGENCY_TOKEN) as agency_client:
        yield agency_client


@pytest.fixture
def new_user(agency: httpx.Client) -> NewUser:
    """Create a user through the API and return it; keyword arguments override the body."""
    counter = iter(range(1, 10_000))

    def create(**overrides: Any) -> dict[str, Any]:
        n = next(counter)
        body = {
            "companyId": COMPANY,
            "firstName": "Jane",
            "lastName": f"Doe{n}",
            "email": f"jane{n}@example.com",
            "password": "s3cret-pass",
            "type": "account",
            "role": "user",
            "locationIds": [LOC],
            **overrides,
        }
        response = agency.post("/users/", json=body)
        assert response.status_code == 201, response.text
        user: dict[str, Any] = response.json()
        return user

    return create
