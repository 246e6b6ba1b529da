"""The JSON plan document: schemas/plan.schema.json, round trips, and what it must never hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ghlops.errors import ConfigError
from ghlops.plan.render_json import render_json
from ghlops.plan.saved import ManifestSet, SavedPlan, Selection
from tests.plan.sample_plans import sample_plan

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"
DIGEST = "sha256:" + "0" * 64


def saved() -> SavedPlan:
    plan = sample_plan()
    return SavedPlan(
        plan=plan,
        manifests=ManifestSet(("ghl",), ("ghl/a.yaml",), DIGEST),
        live={s.scope_id: DIGEST for s in plan.locations},
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
    again = SavedPlan.from_json(json.loads(render_json(original)))
    assert again.plan == original.plan
    assert again.to_json() == original.to_json()


def test_passwords_stay_placeholders_in_the_document() -> None:
    document = json.loads(render_json(saved()))
    body = document["companies"][0]["changes"][0]["requests"][0]["body"]
    assert body["password"] == {"$secret": None}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("formatVersion"), "not a ghlops plan file (no formatVersion)"),
        (lambda d: d.update(formatVersion=2), "plan file format 2 is not supported (this ghlops reads 1)"),
        (lambda d: d.pop("locations"), "not a valid ghlops plan file: KeyError: 'locations'"),
    ],
)
def test_a_broken_document_is_a_config_error_naming_the_problem(mutate: Any, message: str) -> None:
    document = json.loads(render_json(saved()))
    mutate(document)
    with pytest.raises(ConfigError) as caught:
        SavedPlan.from_json(document)
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
    assert SavedPlan.from_json(document).plan == original.plan


def test_the_schema_refuses_an_unknown_count_without_its_reason() -> None:
    document = json.loads(render_json(with_impacts()))
    change = next(c for loc in document["locations"] for c in loc["changes"] if c.get("impact", {}).get("reason"))
    del change["impact"]["reason"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)
