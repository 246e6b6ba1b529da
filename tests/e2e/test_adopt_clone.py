"""`ghlops clone` against the sandbox: A's live setup applied to an empty B converges, also through a Template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import EXAMPLES, Cli

DENTAL = "ve9EPM428h8vShlRW1KT"
NEW = "NewClinicLocation0001"
KINDS = ("tags", "customFields", "customValues", "calendars", "products")


def setup(cli: Cli) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    cli.sb.store.create_location(NEW, "New Clinic", cli.sb.company_id)


def shape(snapshot: dict[str, Any]) -> dict[str, list[str]]:
    out = {kind: sorted(str(o["name"]) for o in snapshot[kind]) for kind in KINDS}
    out["prices"] = sorted(str(p["name"]) for product in snapshot["products"] for p in product["prices"])
    return out


def converge(cli: Cli, manifest: Path) -> None:
    first = cli("plan", str(manifest), "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert "Plan: 12 to create, 2 to update, 0 to replace, 0 to delete across 1 location." in first.output
    applied = cli("apply", str(manifest), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    again = cli("plan", str(manifest), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert again.output.strip().splitlines()[-1] == "No changes. 1 location matches the manifests."


def test_a_clone_applied_to_an_empty_location_converges_to_the_same_setup(cli: Cli, tmp_path: Path) -> None:
    setup(cli)
    out = tmp_path / "new-clinic.yaml"
    cloned = cli("clone", "--from-location-id", DENTAL, "--to-location-id", NEW, "--name", "new-clinic", "-o", str(out))
    assert cloned.exit_code == 0, cloned.output
    text = out.read_text()
    assert text.startswith(
        f"# Cloned by ghlops from location {DENTAL} (profile, customFields, customValues, tags, users, "
        "calendarGroups, calendars, products, links).\n"
        "apiVersion: ghlops/v1\nkind: Location\nmetadata:\n  name: new-clinic\nspec:\n"
        f"  locationId: {NEW}\n  customFields:\n"
    )
    assert DENTAL not in text.split("\n", 1)[1]  # no id of the source location in the manifest itself
    converge(cli, out)
    assert shape(cli.sb.store.snapshot(NEW)) == shape(cli.sb.store.snapshot(DENTAL))
    new_ids = {o["id"] for o in cli.sb.store.snapshot(NEW)["customFields"]}
    assert new_ids.isdisjoint(o["id"] for o in cli.sb.store.snapshot(DENTAL)["customFields"])
    users = {u["email"]: sorted(u["roles"]["locationIds"]) for u in cli.sb.store.users()}
    assert NEW in users["jane@example.com"] and NEW in users["omar@example.com"]


def test_a_clone_as_template_writes_the_template_and_a_location_that_uses_it(cli: Cli, tmp_path: Path) -> None:
    setup(cli)
    out = tmp_path / "clinic.yaml"
    args = ("--from-location-id", DENTAL, "--to-location-id", NEW, "--name", "new-clinic", "-o", str(out))
    cloned = cli("clone", *args, "--as-template", "dental-base")
    assert cloned.exit_code == 0, cloned.output
    text = out.read_text()
    assert "kind: Template\nmetadata:\n  name: dental-base\nspec:\n  customFields:\n" in text
    assert text.endswith(
        "---\napiVersion: ghlops/v1\nkind: Location\nmetadata:\n  name: new-clinic\nspec:\n"
        f"  locationId: {NEW}\n  templates: [dental-base]\n"
    )
    converge(cli, out)
    assert shape(cli.sb.store.snapshot(NEW)) == shape(cli.sb.store.snapshot(DENTAL))


def test_a_template_alone_needs_no_target(cli: Cli) -> None:
    setup(cli)
    result = cli("clone", "--from-location-id", DENTAL, "--as-template", "base", "--kinds", "tags")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"# Cloned by ghlops from location {DENTAL} (tags).\n"
        "apiVersion: ghlops/v1\nkind: Template\nmetadata:\n  name: base\nspec:\n"
        "  tags: [new-lead, recall-due, vip]\n"
    )
