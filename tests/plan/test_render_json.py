"""The JSON plan document: schemas/plan.schema.json, round trips, and what it must never hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ghlops.errors import ConfigError
from ghlops.plan.render_json import render_json
from ghlops.plan.saved import Dependency, ManifestFile, ManifestSet, SavedPlan, Selection, document, parse_document
from tests.plan.sample_plans import sample_plan

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"
DIGEST = "sha256:" + "0" * 64


def saved() -> SavedPlan:
    plan = sample_plan()
    return SavedPlan(
        plan=plan,
        manifests=ManifestSet(("ghl",), (ManifestFile("ghl/a.yaml", DIGEST),)),
        depends={
            s.scope_id: (Dependency("tags", "vip", "vip", DIGEST), Dependency("tags", "new", "new", None))
            for s in plan.locations
        },
        selection=Selection(("*-clinic",), "2/4"),
    )


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text())
    return loaded


def test_a_plan_with_mass_changes_errors_users_and_hostile_names_validates_against_the_schema() -> None:
    document = json.loads(render_json(saved()))
    jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)
    assert [m["location"] for m in document["massChanges"]] == ["uptown-ortho"]
    assert document["errors"] == ["broken-clinic: tag 'vip|<b>' is protected and would be deleted"]
    assert document["companies"][0]["touches"] == [["downtown-dental"], ["downtown-dental"]]
    assert document["selection"] == {"locations": ["*-clinic"], "shard": "2/4"}


def test_the_document_reads_back_as_the_same_plan() -> None:
    original = saved()
    again = parse_document(json.loads(render_json(original)))
    assert again.plan == original.plan
    assert document(again) == document(original)


def test_passwords_stay_placeholders_in_the_document() -> None:
    document = json.loads(render_json(saved()))
    body = document["companies"][0]["changes"][0]["requests"][0]["body"]
    assert body["password"] == {"$secret": None}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("formatVersion"), "not a ghlops plan file (no formatVersion)"),
        (lambda d: d.update(formatVersion=3), "plan file format 3 is not supported (this ghlops reads 2)"),
        (lambda d: d.pop("locations"), "not a valid ghlops plan file: no 'locations'"),
    ],
)
def test_a_broken_document_is_a_config_error_naming_the_problem(mutate: Any, message: str) -> None:
    document = json.loads(render_json(saved()))
    mutate(document)
    with pytest.raises(ConfigError) as caught:
        parse_document(document)
    assert str(caught.value) == message


def with_impacts() -> SavedPlan:
    """The sample plan with a count on each destructive change, one unknown, and a contacts limit."""
    from dataclasses import replace

    from ghlops.plan.model import Guard, Impact, OptionImpact

    plan = sample_plan()
    impacts = iter([Impact(1284), Impact(None, "the contacts search failed: HTTP 503: Service Unavailable")])
    sections = []
    for sec in plan.sections:
        changes = tuple(
            replace(c, impact=next(impacts, Impact(45, None, (OptionImpact("51+", 45),))))
            if c.destructive and not sec.is_company
            else c
            for c in sec.changes
        )
        sections.append(replace(sec, changes=changes))
    counted = replace(plan, sections=tuple(sections), guard=Guard(max_contacts_affected=1000))
    return replace(saved(), plan=counted)


def test_impacts_and_the_contacts_limit_validate_against_the_schema_and_read_back() -> None:
    original = with_impacts()
    document = json.loads(render_json(original))
    jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)
    impacts = [c["impact"] for loc in document["locations"] for c in loc["changes"] if "impact" in c]
    assert {"contacts": 1284} in impacts
    assert {"contacts": None, "reason": "the contacts search failed: HTTP 503: Service Unavailable"} in impacts
    assert document["guard"]["maxContactsAffected"] == 1000
    assert document["contactsAffected"]["limit"] == 1000
    assert document["contactsAffected"]["over"] is (document["contactsAffected"]["total"] > 1000)
    assert parse_document(document).plan == original.plan


def test_the_schema_refuses_an_unknown_count_without_its_reason() -> None:
    document = json.loads(render_json(with_impacts()))
    change = next(c for loc in document["locations"] for c in loc["changes"] if c.get("impact", {}).get("reason"))
    del change["impact"]["reason"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)


# -- the review object (render_json(review=True)) -------------------------------------------------------------------

REVIEW_FRAGMENT = Path(__file__).parent / "plan_schema_review.json"


def schema_with_review() -> dict[str, Any]:
    """The repository schema with the ``review`` property kinds is asked to add (tests/plan/plan_schema_review.json)."""
    extended = schema()
    extended["properties"].update(json.loads(REVIEW_FRAGMENT.read_text()))
    return extended


def renamed() -> SavedPlan:
    from ghlops.plan.model import Action, Change, FieldChange, Plan, Section
    from ghlops.request import Request

    changes = (
        Change(
            Action.CREATE,
            "customValues",
            "opening hours",
            "Opening Hours",
            (Request("POST", ("/locations/", "loc-1", "/customValues")),),
            fields=(FieldChange("name", None, "Opening Hours"), FieldChange("value", None, "9-5")),
        ),
        Change(
            Action.DELETE,
            "customValues",
            "hours",
            "Hours",
            (Request("DELETE", ("/locations/", "loc-1", "/customValues/", "cv-1")),),
            object_id="cv-1",
            fields=(FieldChange("name", "Hours", None), FieldChange("value", "9-5", None)),
        ),
    )
    plan = Plan((Section("dental", "loc-1", changes),))
    return SavedPlan(plan=plan, manifests=ManifestSet(("ghl",), (ManifestFile("ghl/a.yaml", DIGEST),)))


def test_the_review_object_holds_the_estimate_and_the_rename_hints_and_validates_with_the_proposed_schema() -> None:
    document = json.loads(render_json(renamed(), parallelism=4, review=True))
    jsonschema.validate(document, schema_with_review(), cls=jsonschema.Draft202012Validator)
    assert document["review"] == {
        "refused": False,
        "applyEstimate": {
            "writes": 2,
            "locations": 1,
            "parallelism": 4,
            "seconds": 0.2,
            "message": "Apply: 2 writes across 1 location, under a minute at GHL's rate limits.",
        },
        "renameHints": [
            {
                "location": "dental",
                "locationId": "loc-1",
                "kind": "customValues",
                "from": "Hours",
                "to": "Opening Hours",
                "renamedFrom": "Hours",
                "message": "looks like a rename: add renamedFrom: [Hours] to keep the id",
            }
        ],
    }
    assert parse_document(document).plan == renamed().plan  # derived: reading a plan ignores it


def test_a_refused_plan_has_no_estimate_in_its_review_object_and_the_sample_validates_too() -> None:
    document = json.loads(render_json(saved(), review=True))
    jsonschema.validate(document, schema_with_review(), cls=jsonschema.Draft202012Validator)
    assert document["review"]["refused"] is True
    assert document["review"]["applyEstimate"] is None
    assert document["summary"].startswith("Plan refused: 1 error in broken-clinic;")


def test_without_review_the_document_is_the_one_the_current_schema_describes() -> None:
    assert "review" not in json.loads(render_json(renamed()))
