"""Every request a sandbox accepted (answered 2xx) must be valid against the GHL OpenAPI documents: the sandbox
must be at least as strict as the documents, so a client that passes against it sends only conforming calls."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from ghlops.sandbox import Sandbox
from tests import openapi_contract
from tests.sandbox.conftest import client


def departures(sb: Sandbox) -> list[str]:
    """How the accepted requests so far depart from the documents (empty when all conform)."""
    found: list[str] = []
    for r in sb.requests:
        if r.status is not None and 200 <= r.status < 300:
            found.extend(openapi_contract.problems(r.method, urlsplit(r.path).path, r.query, r.headers, r.json))
    return found


CALENDARS_VERSION = {"Version": "2021-04-15"}  # the only Version calendars.json publishes


def calendars_client(url: str, token: str | None = None) -> httpx.Client:
    """A client for the Calendars API: the shared location token unless told, and calendars.json's Version."""
    api_client = client(url) if token is None else client(url, token)
    api_client.headers.update(CALENDARS_VERSION)
    return api_client
