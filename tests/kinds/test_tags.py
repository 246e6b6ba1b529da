"""kinds/tags.py: a tag is a name (a plain string in manifests), matched without letter case, exported as a string."""

from __future__ import annotations

from ghlops.kinds import TAGS
from ghlops.kinds.base import LiveObject, Resolver
from ghlops.kinds.tags import Tag
from ghlops.request import Request


def test_a_tag_may_be_a_plain_string_or_a_mapping() -> None:
    assert Tag.model_validate("vip") == Tag(name="vip")
    assert Tag.model_validate({"name": "vip", "protect": True}).protect is True


def test_tags_compare_without_letter_case() -> None:
    assert TAGS.compare_value("name", Tag(name="VIP"), Resolver()) == "vip"


def test_live_tags_keep_the_name_as_ghl_stores_it() -> None:
    # GHL lower-cases tags and does not trim them (see parse_live): matched as stored.
    live = TAGS.live({"id": "t1", "name": " vip ", "locationId": "L1"}, Resolver())
    assert (live.id, live.obj.name) == ("t1", " vip ")
    assert TAGS.parse_list({"tags": [{"id": "t1", "name": "a"}]}) == [{"id": "t1", "name": "a"}]


def test_writes_go_to_the_location_tags_endpoints() -> None:
    live = LiveObject("t1", Tag(name="old"), {"id": "t1"})
    assert TAGS.create_request("L1", Tag(name="New"), Resolver()) == Request(
        "POST", ("/locations/", "L1", "/tags"), body={"name": "New"}, id_field=("tag", "id")
    )
    assert TAGS.update_request("L1", live, Tag(name="New"), ["name"], Resolver()) == Request(
        "PUT", ("/locations/", "L1", "/tags/", "t1"), body={"name": "New"}
    )
    assert TAGS.delete_request("L1", live) == Request("DELETE", ("/locations/", "L1", "/tags/", "t1"))


def test_an_exported_tag_is_a_plain_string() -> None:
    live = LiveObject("t1", Tag(name="vip"), {"id": "t1", "name": "vip"})
    assert TAGS.export_entry({"name": "vip"}, live, []) == "vip"
