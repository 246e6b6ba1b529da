"""The JSON plan (the saved-plan document) from a real sandbox run validates against schemas/plan.schema.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from ghlops.kinds import BY_NAME
from ghlops.plan.saved import document as plan_document
from ghlops.plan.saved import parse_document
from tests.e2e.conftest import EXAMPLES, REPO, Cli

SCHEMA = REPO / "schemas" / "plan.schema.json"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def every_kind_of_change(cli: Cli, tmp_path: Path) -> Path:
    """Live state and manifests that plan creates, updates, replaces and deletes, with unmanaged objects."""
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    headers = {"Authorization": f"Bearer {cli.sb.token_for('Xy7Pq2Lm9Rt4Vb6Nc8Dz')}", "Version": "2021-07-28"}
    answer = httpx.post(f"{cli.sb.url}/locations/Xy7Pq2Lm9Rt4Vb6Nc8Dz/tags", json={"name": "legacy"}, headers=headers)
    assert answer.status_code in (200, 201)
    target = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, target)
    dental = target / "downtown-dental.yaml"
    text = dental.read_text()
    text = text.replace("  locationId: ve9EPM428h8vShlRW1KT\n", "  locationId: ve9EPM428h8vShlRW1KT\n  prune: [tags]\n")
    text = text.replace("tags: [vip, new-lead, recall-due]", "tags: [vip, new-lead, walk-in]")
    text = text.replace("value: Mon-Fri 9am-5pm", "value: Mon-Sat 9am-1pm")
    text = text.replace(
        "    - name: Insurance Provider\n      dataType: TEXT",
        "    - name: Insurance Provider\n      dataType: LARGE_TEXT",
    )
    dental.write_text(text)
    return target


def test_the_json_plan_of_a_real_run_validates_against_the_schema(
    cli: Cli, tmp_path: Path, schema: dict[str, Any]
) -> None:
    manifests = every_kind_of_change(cli, tmp_path)
    out = tmp_path / "plan.json"

    result = cli("plan", str(manifests), "--format", "json", "--out", str(out), "--detailed-exitcode")

    assert result.exit_code == 2, result.output + result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    assert document == json.loads(out.read_text())  # one document: printed and saved
    actions = {(c["action"], c["kind"], c["display"]) for loc in document["locations"] for c in loc["changes"]}
    assert actions == {
        ("create", "tags", "walk-in"),
        ("update", "customValues", "business_hours"),
        ("replace", "customFields", "contact/Insurance Provider"),
        ("delete", "tags", "recall-due"),
    }
    ortho = document["locations"][1]
    assert ortho["name"] == "uptown-ortho" and ortho["locationId"] == "Xy7Pq2Lm9Rt4Vb6Nc8Dz"
    assert ortho["unmanaged"] == [{"kind": "tags", "count": 1, "keys": ["legacy"]}]
    (update,) = [c for c in document["locations"][0]["changes"] if c["action"] == "update"]
    assert update["fields"] == [{"field": "value", "old": "Mon-Fri 9am-5pm", "new": "Mon-Sat 9am-1pm"}]
    (replace,) = [c for c in document["locations"][0]["changes"] if c["action"] == "replace"]
    assert replace["warnings"] and replace["destructive"] is True
    assert document["counts"] == {"create": 1, "update": 1, "replace": 1, "delete": 1}


def test_a_saved_plan_reads_back_as_the_same_plan(cli: Cli, tmp_path: Path) -> None:
    manifests = every_kind_of_change(cli, tmp_path)
    result = cli("plan", str(manifests), "--format", "json")
    document = json.loads(result.stdout)
    saved = parse_document(document)
    assert plan_document(saved) == document


def test_the_schema_names_every_kind_ghlops_plans(schema: dict[str, Any]) -> None:
    assert set(schema["$defs"]["kind"]["enum"]) == set(BY_NAME)


def test_the_schema_rejects_a_document_with_a_destructive_flag_that_contradicts_its_action(
    cli: Cli, tmp_path: Path, schema: dict[str, Any]
) -> None:
    manifests = every_kind_of_change(cli, tmp_path)
    document = json.loads(cli("plan", str(manifests), "--format", "json").stdout)
    document["locations"][0]["changes"][0]["destructive"] = not document["locations"][0]["changes"][0]["destructive"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
