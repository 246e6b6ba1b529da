"""The checked-in JSON Schema is what `ghlops schema` generates, and it accepts what ghlops accepts."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
from click.testing import CliRunner
from ruamel.yaml import YAML

from ghlops.cli import main
from ghlops.manifest.flatten import plain
from ghlops.manifest.schema import schema_text
from ghlops.manifest.yaml_io import load_file, load_text

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schemas" / "ghlops.schema.json"


@functools.cache
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def messages(errors: Iterable[jsonschema.ValidationError]) -> list[str]:
    """Every message, including those of the alternatives of a oneOf/anyOf that failed."""
    found: list[str] = []
    for error in errors:
        found.append(error.message)
        found.extend(messages(error.context or []))
    return found


def problems(text: str) -> list[str]:
    docs, errors = load_text(text, "m.yaml")
    assert errors == []
    return sorted(m for doc in docs for m in messages(validator().iter_errors(plain(doc.data))))


def test_the_checked_in_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "schemas/ghlops.schema.json is stale: run `ghlops schema -o schemas/ghlops.schema.json`"
    )


def test_ghlops_schema_prints_the_same_text_it_writes(tmp_path: Path) -> None:
    printed = CliRunner().invoke(main, ["schema"], catch_exceptions=False)
    assert printed.exit_code == 0
    assert printed.stdout == schema_text()
    out = tmp_path / "schema.json"
    written = CliRunner().invoke(main, ["schema", "-o", str(out)], catch_exceptions=False)
    assert written.exit_code == 0
    assert out.read_text(encoding="utf-8") == schema_text()


def test_the_examples_are_valid_against_the_schema() -> None:
    for path in sorted((REPO / "examples").glob("*.yaml")):
        docs, _ = load_file(path)
        for doc in docs:
            assert list(validator().iter_errors(plain(doc.data))) == [], path


def test_templates_partial_entries_remove_and_var_references_are_valid() -> None:
    text = """\
apiVersion: ghlops/v1
kind: Template
metadata: {name: base}
spec:
  vars: {slots: 45, city: Boston}
  tags: [vip, {name: lead, protect: true}]
  customFields:
    - {name: Insurance Provider, placeholder: "in {{ vars.city }}", ignoreChanges: [position]}
  calendars:
    - {name: Consult, slotDuration: "{{ vars.slots }}", remove: false}
---
apiVersion: ghlops/v1
kind: Location
metadata: {name: downtown}
spec:
  locationId: L1
  templates: base
  prune: tags
  tags: [{name: vip, remove: true}]
"""
    assert problems(text) == []


def test_the_schema_reports_typos_bad_enums_and_template_only_rules() -> None:
    text = """\
apiVersion: ghlops/v1
kind: Template
metadata: {name: base}
spec:
  prune: all
  customFields:
    - {name: A, dataType: TEXTT, ignoreChanges: [placeholdr]}
"""
    found = problems(text)
    assert any("'TEXTT' is not one of" in p for p in found)
    assert any("'placeholdr' is not one of" in p for p in found)
    assert any("'prune' was unexpected" in p for p in found)


def test_entries_carry_descriptions_and_kinds_are_chosen_by_kind() -> None:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["discriminator"]["propertyName"] == "kind"
    assert set(schema["discriminator"]["mapping"]) == {"Location", "Template"}
    field = schema["$defs"]["CustomField"]
    assert field["required"] == ["name", "dataType"]
    assert schema["$defs"]["CustomFieldPartial"]["required"] == ["name"]  # the rest may come from templates
    assert field["properties"]["protect"]["description"].startswith("Refuse any plan")
    assert "dataType" in field["properties"]["ignoreChanges"]["items"]["enum"]


def test_the_pre_commit_hook_runs_validate_on_the_given_directories() -> None:
    (hook,) = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook == {
        "id": "ghlops-validate",
        "name": "ghlops validate",
        "description": "Check ghlops manifests (Location and Template documents) without calling the GHL API.",
        "entry": "ghlops validate --offline",
        "language": "python",
        "files": "\\.ya?ml$",
        "pass_filenames": False,
        "require_serial": True,
    }


def test_the_schema_refuses_what_validate_refuses_in_a_location_without_templates() -> None:
    text = """\
apiVersion: ghlops/v1
kind: Location
metadata: {name: shop}
spec:
  locationId: L1
  companyId: null
  tags: [{name: vip, remove: true}, {name: lead, protect: "${PROTECT}"}]
  customFields: [{name: Plan, dataType: SINGLE_OPTIONS}]
  products:
    - name: Kit
      productType: PHYSICAL
      prices: [{name: Monthly, type: recurring, amount: 5, currency: USD}]
  users: [{email: "not an email", firstName: A, lastName: B}]
  links: [{name: Site}]
"""
    found = problems(text)
    assert "None is not of type 'string'" in found  # explicit null
    assert "Additional properties are not allowed ('remove' was unexpected)" in found  # nothing to remove
    assert "'${PROTECT}' is not of type 'boolean'" in found  # protect takes no reference
    assert "'options' is a required property" in found
    assert "'recurring' is a required property" in found
    assert "'redirectTo' is a required property" in found
    assert any(p.startswith("'not an email' does not match") for p in found)


def test_a_location_with_templates_may_write_partial_entries_and_remove() -> None:
    text = """\
apiVersion: ghlops/v1
kind: Location
metadata: {name: shop}
spec:
  locationId: L1
  templates: [base]
  customFields: [{name: Plan, remove: true}]
  links: [{name: Site}]
"""
    assert problems(text) == []
