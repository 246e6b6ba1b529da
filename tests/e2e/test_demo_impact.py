"""The demo seeds contacts, so its plan shows what its replace and its removed option cost, and still converges."""

from __future__ import annotations

from click.testing import CliRunner

from ghlops.cli import main
from ghlops.commands.demo import demo_dirs
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import seed
from ghlops.sandbox.store import Kind


def test_seeding_the_demo_loads_its_contacts_fixture_with_the_seeded_field_ids() -> None:
    _, seed_dir = demo_dirs()
    with Sandbox(port=0) as sb:
        seed(sb, [seed_dir])
        contacts = sb.store.find(Kind.CONTACT, owner="ve9EPM428h8vShlRW1KT")
        fields = {f["id"]: f["name"] for f in sb.store.find(Kind.CUSTOM_FIELD, owner="ve9EPM428h8vShlRW1KT")}
    assert len(contacts) == 14
    held = [fields[v["id"]] for c in contacts for v in c["customFields"]]
    assert held.count("Insurance Provider") == 13
    assert held.count("Company Size") == 4


def test_the_demo_plan_shows_the_contacts_its_destructive_changes_cost_and_converges() -> None:
    result = CliRunner().invoke(main, ["demo"], env={"NO_COLOR": "1"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    first_plan = result.output.split("== 3/4")[0]
    assert (
        "! 2 destructive changes:\n"
        "!   downtown-dental: replace custom field contact/Insurance Provider: 13 contacts hold a value\n"
        "!   downtown-dental: update custom field contact/Company Size: 3 contacts hold a removed option\n"
        "!   contacts affected in total: 16\n"
    ) in first_plan
    assert "      ! 13 contacts hold a value for this field (erased by the replace)\n" in first_plan
    assert '      ! 3 contacts hold "500+", no longer offered\n' in first_plan
    assert "Converged: the second plan shows no changes." in result.output
