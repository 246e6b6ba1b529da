"""The location profile kind (spec.profile, issue 11): model, refused keys, reading GetLocationByIdSchema and the
read-modify-write PUT with companyId and the agency token."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ghlops.kinds.base import Resolver
from ghlops.kinds.profile import COUNTRIES, KIND, Profile
from ghlops.plan.planner import diff_kind
from ghlops.request import Auth
from ghlops.sandbox.dto import locations as sandbox_dto

RAW = {
    "id": "loc1",
    "companyId": "comp1",
    "name": "Downtown Dental",
    "city": "Austin",
    "country": "US",
    "timezone": "US/Central",
    "business": {"name": "Downtown Dental", "city": "Austin"},
    "settings": {"allowDuplicateContact": False, "allowFacebookNameMerge": True},
    "social": {"facebookUrl": "https://facebook.com/dd", "youtube": "https://youtube.com/dd"},
}


@pytest.mark.parametrize("key", ["twilio", "mailgun", "snapshot"])
def test_credentials_and_snapshot_loads_are_refused_with_the_reason(key: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Profile.model_validate({"name": "x", key: {"id": "s"}})
    expected = "a snapshot load" if key == "snapshot" else "credentials"
    assert f"{key} is not accepted here" in str(caught.value) and expected in str(caught.value)


def test_country_follows_the_documents_enum_and_the_sandbox_uses_the_same_one() -> None:
    assert Profile.model_validate({"country": "US"}).country == "US"
    with pytest.raises(ValidationError):
        Profile.model_validate({"country": "USA"})
    assert sandbox_dto.COUNTRIES == COUNTRIES and "XK" in COUNTRIES and "SS" not in COUNTRIES


def test_one_get_per_location_reads_the_profile_under_location() -> None:
    request = KIND.list_request("loc1")
    assert (request.method, request.url_path()) == ("GET", "/locations/loc1")
    (raw,) = KIND.parse_list({"location": RAW})
    live = KIND.live(raw, Resolver())
    assert (live.id, live.obj.city, live.obj.settings.allowFacebookNameMerge) == ("loc1", "Austin", True)


def test_only_fields_the_manifest_sets_are_compared_and_an_equal_profile_plans_nothing() -> None:
    live = KIND.live(RAW, Resolver())
    same = Profile.model_validate({"city": "Austin", "settings": {"allowDuplicateContact": False}})
    assert diff_kind(KIND, [same], [live], Resolver(), "loc1", prune=True).upserts == []


def test_an_update_sends_company_id_and_the_set_fields_keeping_settings_keys_ghl_gave() -> None:
    live = KIND.live(RAW, Resolver())
    desired = Profile.model_validate({"city": "Dallas", "settings": {"allowDuplicateContact": True}})
    result = diff_kind(KIND, [desired], [live], Resolver(), "loc1", prune=True)
    (change,) = result.upserts
    assert [f.field for f in change.fields] == ["city", "settings"]
    (request,) = change.requests
    assert (request.method, request.url_path(), request.auth) == ("PUT", "/locations/loc1", Auth.AGENCY)
    assert request.body == {
        "companyId": "comp1",
        "city": "Dallas",
        "settings": {"allowDuplicateContact": True, "allowFacebookNameMerge": True},
    }


def test_a_profile_is_never_created_nor_deleted() -> None:
    desired = Profile.model_validate({"city": "Dallas"})
    result = diff_kind(KIND, [desired], [], Resolver(), "loc1", prune=True)
    assert result.upserts == [] and result.errors == ["location 'profile' does not exist live; ghlops only updates it"]
    live = KIND.live(RAW, Resolver())
    assert diff_kind(KIND, [], [live], Resolver(), "loc1", prune=True).deletes == []
