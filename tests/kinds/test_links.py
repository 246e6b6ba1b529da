"""Trigger links: the model, reading GHL's LinkSchema and the requests for create, update and delete."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ghlops.kinds.base import LiveObject, Resolver
from ghlops.kinds.links import KIND as LINKS
from ghlops.kinds.links import Link

RAW = {
    "id": "l1",
    "name": "Book now",
    "redirectTo": "https://example.com/book",
    "fieldKey": "{{trigger_link.l1}}",
    "locationId": "loc1",
}


def test_a_listed_link_reads_its_name_and_redirect_and_keeps_the_rest_in_the_raw_answer() -> None:
    live = LINKS.live(RAW, Resolver())
    assert (live.id, live.obj.name, live.obj.redirectTo) == ("l1", "Book now", "https://example.com/book")
    assert live.raw["fieldKey"] == "{{trigger_link.l1}}"


def test_a_link_needs_a_name_and_a_redirect() -> None:
    with pytest.raises(ValidationError):
        Link.model_validate({"name": "Book now"})
    with pytest.raises(ValidationError):
        Link.model_validate({"name": "", "redirectTo": "https://x.y"})


def test_create_sends_the_location_name_and_redirect_and_reads_the_id_from_link() -> None:
    request = LINKS.create_request("loc1", Link(name="Book now", redirectTo="https://x.y"), Resolver())
    assert (request.method, request.url_path(), request.id_field) == ("POST", "/links/", ("link", "id"))
    assert request.body == {"locationId": "loc1", "name": "Book now", "redirectTo": "https://x.y"}


def test_an_update_sends_both_fields_keeping_a_redirect_the_manifest_ignores() -> None:
    live: LiveObject[Link] = LINKS.live(RAW, Resolver())
    desired = Link(name="Book today", redirectTo="https://elsewhere", ignoreChanges=["redirectTo"])
    request = LINKS.update_request("loc1", live, desired, ["name"], Resolver())
    assert (request.method, request.url_path()) == ("PUT", "/links/l1")
    assert request.body == {"name": "Book today", "redirectTo": "https://example.com/book"}


def test_delete_names_the_link_by_id() -> None:
    request = LINKS.delete_request("loc1", LINKS.live(RAW, Resolver()))
    assert (request.method, request.url_path()) == ("DELETE", "/links/l1")
