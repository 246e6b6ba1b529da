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
