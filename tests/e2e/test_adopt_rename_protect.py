"""Renames keep the object, ignored fields are never diffed, protected objects are never deleted or replaced."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import EXAMPLES, Cli

DENTAL = "ve9EPM428h8vShlRW1KT"
HEAD = f"apiVersion: ghlops/v1\nkind: Location\nmetadata: {{name: downtown-dental}}\nspec:\n  locationId: {DENTAL}\n"

TEMPLATE = """\
apiVersion: ghlops/v1
kind: Template
metadata: {name: clinic}
spec:
  tags:
    - {name: vip, protect: true}
    - new-lead
  users:
    - {email: jane@example.com, firstName: Jane, lastName: Smith}
    - {email: omar@example.com, firstName: Omar, lastName: Haddad, protect: true}
"""


def manifest(tmp_path: Path, body: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body)
    return path


def field_id(cli: Cli, name: str) -> str:
    (found,) = [f["id"] for f in cli.sb.store.snapshot(DENTAL)["customFields"] if f["name"] == name]
    return str(found)


def writes(cli: Cli) -> int:
    return sum(1 for r in cli.sb.requests if r.method != "GET")


def test_a_renamed_custom_field_is_updated_in_place_and_keeps_its_id(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    before = field_id(cli, "Insurance Provider")
    path = manifest(
        tmp_path,
        "  customFields:\n    - name: Insurer\n      renamedFrom: [Insurance Provider]\n      dataType: TEXT\n",
    )
    plan = cli("plan", str(path))
    assert plan.exit_code == 0, plan.output
    assert (
        "  ~ custom field contact/Insurer (renamed from 'Insurance Provider')\n"
        '      name: "Insurance Provider" -> "Insurer"\n'
    ) in plan.output
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete across 1 location." in plan.output
    assert cli("apply", str(path), "--auto-approve").exit_code == 0
    assert field_id(cli, "Insurer") == before
    assert cli("plan", str(path), "--detailed-exitcode").exit_code == 0


def test_ignored_fields_are_never_diffed(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    # Someone changes the placeholder in GHL; the manifest still says otherwise.
    edited = manifest(
        tmp_path, "  customFields:\n    - {name: Insurance Provider, dataType: TEXT, placeholder: Changed}\n"
    )
    assert cli("apply", str(edited), "--auto-approve").exit_code == 0
    body = (
        "  customFields:\n    - name: Insurance Provider\n      dataType: TEXT\n      placeholder: e.g. Delta Dental\n"
    )
    plain = manifest(tmp_path, body, "plain.yaml")
    drift = cli("plan", str(plain), "--detailed-exitcode")
    assert drift.exit_code == 2
    assert 'placeholder: "Changed" -> "e.g. Delta Dental"' in drift.output
    ignoring = manifest(tmp_path, body + "      ignoreChanges: [placeholder]\n", "ignoring.yaml")
    quiet = cli("plan", str(ignoring), "--detailed-exitcode")
    assert quiet.exit_code == 0, quiet.output
    assert "No changes." in quiet.output


def test_an_ignore_changes_typo_is_a_validation_error(cli: Cli, tmp_path: Path) -> None:
    path = manifest(tmp_path, "  customFields:\n    - {name: A, dataType: TEXT, ignoreChanges: [placholder]}\n")
    result = cli("validate", str(path))
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: {path}:7:49: spec.customFields[0].ignoreChanges[0]: 'placholder' is not a field of a custom field "
        "(did you mean 'placeholder'?)\n",
    )


def test_protect_refuses_to_replace_and_nothing_is_written(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    path = manifest(
        tmp_path, "  customFields:\n    - {name: Insurance Provider, dataType: LARGE_TEXT, protect: true}\n"
    )
    plan = cli("plan", str(path))
    assert plan.exit_code == 1
    message = (
        "custom field 'contact/Insurance Provider' is protected and would be replaced (dataType cannot change in place)"
    )
    assert f"  error: {message}" in plan.output
    before = writes(cli)
    applied = cli("apply", str(path), "--auto-approve")
    assert applied.exit_code == 1
    assert f"error: downtown-dental: {message}\n" in applied.stderr
    assert writes(cli) == before


def test_protect_on_an_entry_removed_from_a_template_refuses_prune_deletes(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    manifest(tmp_path, "  templates: [clinic]\n  prune: [tags, users]\n  tags: [recall-due]\n")
    assert cli("plan", str(tmp_path), "--detailed-exitcode").exit_code == 0
    manifest(
        tmp_path,
        "  templates: [clinic]\n  prune: [tags, users]\n  tags:\n    - recall-due\n    - {name: vip, remove: true}\n"
        "  users:\n    - {email: omar@example.com, remove: true}\n",
    )
    plan = cli("plan", str(tmp_path))
    assert plan.exit_code == 1
    assert "  error: user 'omar@example.com' is protected and would be removed from location downtown-dental" in (
        plan.output
    )
    assert "  error: tag 'vip' is protected and would be deleted" in plan.output
    before = writes(cli)
    assert cli("apply", str(tmp_path), "--auto-approve").exit_code == 1
    assert writes(cli) == before
    assert "vip" in [t["name"] for t in cli.sb.store.snapshot(DENTAL)["tags"]]
    # Without protect, the same removal deletes the tag.
    (tmp_path / "template.yaml").write_text(TEMPLATE.replace("{name: vip, protect: true}", "vip"))
    manifest(
        tmp_path, "  templates: [clinic]\n  prune: [tags]\n  tags:\n    - recall-due\n    - {name: vip, remove: true}\n"
    )
    plan = cli("plan", str(tmp_path))
    assert plan.exit_code == 0, plan.output
    assert "  - tag vip\n" in plan.output
