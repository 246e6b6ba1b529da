"""The location profile (spec.profile, issue 11) end to end against the sandbox: plan -> apply -> plan empty with
only the fields the manifest sets compared and sent (settings and social keys GHL holds kept), export -> plan
empty, a template's profile settings merged with the location's own, credentials and snapshot loads refused."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ghlops.sandbox.routes.locations import PROFILE
from tests import openapi_contract
from tests.e2e.conftest import Cli

DENTAL = "ve9EPM428h8vShlRW1KT"

HEAD = f"""apiVersion: ghlops/v1
kind: Location
metadata:
  name: downtown-dental
spec:
  locationId: {DENTAL}
"""

PROFILE_YAML = """  profile:
    city: Austin
    country: US
    timezone: US/Central
    settings:
      allowDuplicateContact: true
    social:
      facebookUrl: https://www.facebook.com/downtown
"""


def _profile(cli: Cli) -> dict[str, object]:
    stored = cli.sb.store.get(PROFILE, DENTAL)
    assert stored is not None
    return stored.data


def change_lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip() and line.strip()[0] in "+~-"]


@pytest.mark.skipif(not openapi_contract.available(), reason=openapi_contract.SKIP_REASON)
def test_the_profile_converges_keeping_what_ghl_holds_and_exports_to_an_empty_plan(cli: Cli, tmp_path: Path) -> None:
    # What GHL already holds: settings and social keys the manifest never mentions.
    cli.sb.store.add(
        PROFILE,
        DENTAL,
        DENTAL,
        {"city": "Dallas", "settings": {"allowFacebookNameMerge": True}, "social": {"youtube": "https://yt/dd"}},
    )
    path = tmp_path / "dental.yaml"
    path.write_text(HEAD + PROFILE_YAML)
    planned = cli("plan", str(path), "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output + planned.stderr
    assert change_lines(planned.output) == ["~ location profile"]
    cli.sb.clear_requests()
    applied = cli("apply", str(path), "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr
    (put,) = [r for r in cli.sb.requests if r.method == "PUT"]
    assert put.path == f"/locations/{DENTAL}"
    assert put.json == {
        "companyId": cli.sb.company_id,
        "city": "Austin",
        "country": "US",
        "timezone": "US/Central",
        "settings": {"allowFacebookNameMerge": True, "allowDuplicateContact": True},
        "social": {"youtube": "https://yt/dd", "facebookUrl": "https://www.facebook.com/downtown"},
    }
    stored = _profile(cli)
    assert stored["settings"] == {"allowFacebookNameMerge": True, "allowDuplicateContact": True}
    assert cli("plan", str(path), "--detailed-exitcode").exit_code == 0
    # One GET per location reads it.
    cli.sb.clear_requests()
    assert cli("plan", str(path)).exit_code == 0
    assert [r.path for r in cli.sb.requests if r.path == f"/locations/{DENTAL}"] == [f"/locations/{DENTAL}"]

    out = tmp_path / "export" / "dental.yaml"
    out.parent.mkdir()
    exported = cli("export", "--location-id", DENTAL, "--name", "downtown-dental", "--kinds", "profile", "-o", str(out))
    assert exported.exit_code == 0, exported.output + exported.stderr
    text = out.read_text()
    assert "  profile:\n" in text and "    city: Austin\n" in text and "      allowFacebookNameMerge: true\n" in text
    assert cli("plan", str(out), "--detailed-exitcode").exit_code == 0

    problems = [
        p
        for r in cli.sb.requests
        if not r.path.startswith("/oauth/")
        for p in openapi_contract.problems(r.method, urlsplit(r.path).path, r.query, r.headers, r.json)
    ]
    assert problems == []


def test_a_templates_profile_settings_merge_with_the_locations_own_profile(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        "apiVersion: ghlops/v1\nkind: Template\nmetadata:\n  name: clinic\nspec:\n"
        "  profile:\n    timezone: US/Eastern\n    settings:\n      allowDuplicateOpportunity: false\n"
    )
    (tmp_path / "dental.yaml").write_text(
        HEAD + "  templates: [clinic]\n  profile:\n    city: Austin\n    settings:\n      allowDuplicateContact: true\n"
    )
    applied = cli("apply", str(tmp_path), "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr
    stored = _profile(cli)
    assert (stored["city"], stored["timezone"]) == ("Austin", "US/Eastern")
    assert stored["settings"] == {"allowDuplicateOpportunity": False, "allowDuplicateContact": True}
    assert cli("plan", str(tmp_path), "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("twilio", "twilio holds credentials"),
        ("mailgun", "mailgun holds credentials"),
        ("snapshot", "snapshot starts a snapshot load, an action rather than a setting"),
    ],
)
def test_credentials_and_snapshot_loads_are_refused_in_manifests_with_the_reason(
    cli: Cli, tmp_path: Path, key: str, why: str
) -> None:
    path = tmp_path / "dental.yaml"
    path.write_text(HEAD + f"  profile:\n    city: Austin\n    {key}:\n      id: x\n")
    result = cli("validate", str(path))
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {path}:8:5: spec.profile: {key} is not accepted here: ") and why in line, line
