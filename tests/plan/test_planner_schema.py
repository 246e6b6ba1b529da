"""The plan document's JSON Schema follows the plan models and the kinds registry: a stale file fails here."""

from __future__ import annotations

import json
from pathlib import Path

from ghlops.kinds.registry import KINDS
from ghlops.plan.model import Action, Stage, plan_schema, plan_schema_text

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"


def test_the_checked_in_plan_schema_is_what_the_models_generate() -> None:
    text = SCHEMA.read_text(encoding="utf-8")
    # Regenerate with: python -c "from ghlops.plan.model import *; p='schemas/plan.schema.json';
    #   open(p,'w').write(plan_schema_text(open(p).read()))"
    assert plan_schema_text(text) == text


def test_the_kind_enum_lists_every_registered_kind_in_dependency_order() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$defs"]["kind"]["enum"] == [k.name for k in KINDS]
    change = schema["$defs"]["change"]["properties"]
    assert change["action"]["enum"] == [a.value for a in Action]
    assert change["stage"]["enum"] == [int(s) for s in Stage]


def test_a_stale_kind_enum_is_regenerated() -> None:
    stale = json.loads(SCHEMA.read_text(encoding="utf-8"))
    stale["$defs"]["kind"]["enum"] = ["tags"]
    assert plan_schema(stale)["$defs"]["kind"]["enum"] == [k.name for k in KINDS]
