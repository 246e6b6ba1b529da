"""End to end through the CLI over real HTTP against the sandbox: two locations, all six kinds."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests import openapi_contract
from tests.e2e.conftest import EXAMPLES, Cli

DENTAL = "ve9EPM428h8vShlRW1KT"
ORTHO = "Xy7Pq2Lm9Rt4Vb6Nc8Dz"


def names(items: list[dict[str, Any]]) -> list[str]:
    return sorted(i["name"] for i in items)


def test_plan_apply_plan_converges_for_all_six_kinds(cli: Cli) -> None:
    first = cli("plan", str(EXAMPLES), "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert "Plan: 22 to create, 0 to update, 0 to replace, 0 to delete across 2 locations." in first.output

    applied = cli("apply", str(EXAMPLES), "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert "Apply: 22 applied, 0 failed, 0 skipped." in applied.output

    second = cli("plan", str(EXAMPLES), "--detailed-exitcode")
    assert second.exit_code == 0, second.output
    assert second.output.strip().splitlines()[-1] == "No changes. 2 locations match the manifests."

    dental = cli.sb.store.snapshot(DENTAL)
    assert names(dental["tags"]) == ["new-lead", "recall-due", "vip"]
    assert names(dental["customFields"]) == ["Company Size", "Deal Source", "Insurance Provider"]
    options = {f["name"]: f.get("picklistOptions") for f in dental["customFields"]}
    assert options["Company Size"] == ["1-10", "11-50", "51+"]
    assert names(dental["customValues"]) == ["business_hours", "front_desk_phone"]
    (product,) = dental["products"]
    assert names(product["prices"]) == ["Monthly", "Standard"]
    (calendar,) = dental["calendars"]
    users = {u["email"]: u for u in cli.sb.store.users()}
    assert sorted(users) == ["jane@example.com", "omar@example.com"]
    assert sorted(users["jane@example.com"]["roles"]["locationIds"]) == sorted([DENTAL, ORTHO])
    assert sorted(m["userId"] for m in calendar["teamMembers"]) == sorted(
        [users["jane@example.com"]["id"], users["omar@example.com"]["id"]]
    )


def _edit(tmp_path: Path, replacements: dict[str, tuple[str, str]]) -> Path:
    target = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, target)
    for file, (old, new) in replacements.items():
        path = target / file
        text = path.read_text()
        assert old in text, (file, old)
        path.write_text(text.replace(old, new))
    return target


def test_updates_replaces_and_pruned_deletes_land_then_converge(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    edited = _edit(
        tmp_path,
        {
            "downtown-dental.yaml": (
                "  locationId: ve9EPM428h8vShlRW1KT\n",
                "  locationId: ve9EPM428h8vShlRW1KT\n  prune: [tags, users, products]\n",
            ),
        },
    )
    text = (edited / "downtown-dental.yaml").read_text()
    text = text.replace("tags: [vip, new-lead, recall-due]", "tags: [vip, new-lead]")
    text = text.replace("value: Mon-Fri 9am-5pm", "value: Mon-Sat 9am-1pm")
    text = text.replace(
        "    - name: Insurance Provider\n      dataType: TEXT",
        "    - name: Insurance Provider\n      dataType: LARGE_TEXT",
    )
    text = text.replace("          amount: 1500", "          amount: 1750")
    # Omar leaves downtown-dental (his only location) and the calendar; the Monthly price goes.
    text = text.replace(
        "    - email: omar@example.com\n      firstName: Omar\n      lastName: Haddad\n"
        "      type: account\n      role: user\n",
        "",
    )
    text = text.replace("        - user: omar@example.com\n          priority: 0.5\n", "")
    monthly = text[text.index("        - name: Monthly") :]
    text = text.replace(monthly, "")
    (edited / "downtown-dental.yaml").write_text(text)

    plan = cli("plan", str(edited))
    assert plan.exit_code == 0, plan.output + plan.stderr
    out = plan.output
    assert out.index("! ") < out.index("Location downtown-dental")  # destructive changes are called out first
    assert "-/+ custom field contact/Insurance Provider (dataType cannot change in place)" in out
    assert '      dataType: "TEXT" -> "LARGE_TEXT"' in out
    assert "  - tag recall-due" in out
    assert "  - user omar@example.com" in out
    assert "  - price Premium Package/Monthly" in out
    assert '      value: "Mon-Fri 9am-5pm" -> "Mon-Sat 9am-1pm"' in out
    assert "      - member omar@example.com" in out  # one line per member, not two whole teams
    assert out.strip().splitlines()[-2:] == [
        "Plan: 0 to create, 3 to update, 1 to replace, 3 to delete across 1 location.",
        "Apply: 8 writes across 1 location, under a minute at GHL's rate limits.",
    ]

    applied = cli("apply", str(edited), "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr
    again = cli("plan", str(edited), "--detailed-exitcode")
    assert again.exit_code == 0, again.output

    dental = cli.sb.store.snapshot(DENTAL)
    assert names(dental["tags"]) == ["new-lead", "vip"]
    assert {f["name"]: f["dataType"] for f in dental["customFields"]}["Insurance Provider"] == "LARGE_TEXT"
    assert {v["name"]: v["value"] for v in dental["customValues"]}["business_hours"] == "Mon-Sat 9am-1pm"
    (product,) = dental["products"]
    assert [(p["name"], p["amount"]) for p in product["prices"]] == [("Standard", 1750)]
    assert [u["email"] for u in cli.sb.store.users()] == ["jane@example.com"]


def test_a_bad_manifest_exits_1_with_file_line_and_makes_no_api_call(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: ghlops/v1\n"
        "kind: Location\n"
        "metadata:\n"
        "  name: broken\n"
        "spec:\n"
        "  locationId: abc\n"
        "  customFields:\n"
        "    - name: Size\n"
        "      dataType: TEXTT\n"
        "      plceholder: x\n"
    )
    cli.sb.clear_requests()
    result = cli("plan", str(bad))
    assert result.exit_code == 1
    assert f"error: {bad}:9:17: spec.customFields[0].dataType: 'TEXTT' is not one of TEXT, LARGE_TEXT" in result.stderr
    assert (
        f"error: {bad}:10:7: spec.customFields[0]: unknown key 'plceholder' (did you mean 'placeholder'?)"
        in result.stderr
    )
    assert "Traceback" not in result.output + result.stderr
    assert cli.sb.requests == []


def test_apply_refuses_without_a_terminal_unless_auto_approved(cli: Cli) -> None:
    result = cli("apply", str(EXAMPLES))
    assert result.exit_code == 1
    assert "pass --auto-approve" in result.stderr
    assert [r for r in cli.sb.requests if r.method != "GET"] == []


def test_validate_reads_no_live_state(cli: Cli) -> None:
    cli.sb.clear_requests()
    result = cli("validate", str(EXAMPLES))
    assert result.exit_code == 0, result.stderr
    assert result.output.strip() == "Valid: 2 locations, 23 objects in 2 files."
    assert cli.sb.requests == []


def test_reads_are_one_list_call_per_kind_plus_one_price_list_per_product(cli: Cli) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    cli.sb.clear_requests()
    assert cli("plan", str(EXAMPLES)).exit_code == 0
    paths = sorted(f"{r.method} {r.path}" for r in cli.sb.requests)
    # Users once for the company; per location tags, custom fields, custom values, calendar groups, calendars,
    # products, trigger links, the location's profile, one price list per product and one notifications list per
    # calendar (one product and one calendar in each location). Calendar groups, calendar notifications, trigger
    # links and the profile (issue 11) add 1 + 1 + 1 + 1 reads per location.
    assert len(paths) == 1 + 2 * 8 + 2 + 2
    assert paths.count("GET /links/") == 2
    assert paths.count("GET /locations/ve9EPM428h8vShlRW1KT") == paths.count("GET /locations/Xy7Pq2Lm9Rt4Vb6Nc8Dz") == 1
    assert paths.count("GET /users/search") == 1


@pytest.mark.skipif(not openapi_contract.available(), reason=openapi_contract.SKIP_REASON)
def test_every_request_ghlops_sends_conforms_to_the_ghl_openapi_spec(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    edited = _edit(
        tmp_path,
        {
            "downtown-dental.yaml": (
                "  locationId: ve9EPM428h8vShlRW1KT\n",
                "  locationId: ve9EPM428h8vShlRW1KT\n  prune: all\n",
            )
        },
    )
    text = (edited / "downtown-dental.yaml").read_text()
    text = text.replace("amount: 1500", "amount: 99").replace("slotDuration: 30", "slotDuration: 60")
    text = text.replace("Pick one", "Choose").replace("tags: [vip, new-lead, recall-due]", "tags: [vip]")
    (edited / "downtown-dental.yaml").write_text(text)
    assert cli("apply", str(edited), "--auto-approve").exit_code == 0
    methods = {r.method for r in cli.sb.requests}
    assert methods == {"GET", "POST", "PUT", "DELETE"}
    found = []
    for r in cli.sb.requests:
        found.extend(openapi_contract.problems(r.method, urlsplit(r.path).path, r.query, r.headers, r.json))
    assert found == []


def test_on_a_terminal_apply_asks_and_only_yes_applies(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from ghlops.output import Io

    asked: list[str] = []

    def terminal(answer: str) -> Io:
        return Io(interactive=True, ask=lambda prompt: asked.append(prompt) or answer)

    monkeypatch.setattr("ghlops.cli._io", lambda: terminal("no"))
    declined = cli("apply", str(EXAMPLES))
    assert declined.exit_code == 1
    assert "Apply cancelled; nothing was changed." in declined.stderr
    assert [r for r in cli.sb.requests if r.method != "GET"] == []
    monkeypatch.setattr("ghlops.cli._io", lambda: terminal("yes"))
    accepted = cli("apply", str(EXAMPLES))
    assert accepted.exit_code == 0, accepted.stderr
    assert asked == ["Apply these changes? Only 'yes' is accepted"] * 2
