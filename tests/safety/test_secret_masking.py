"""The last line of defence (issue 13, section 1): a secret that reaches output by a way validate can't refuse (a
live value in GHL that is the token, a pasted token in a manifest error) is masked as *** in every plan format,
the plan file, the job summary, apply's lines, the run log and errors, through ghlops.redact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ghlops import redact
from ghlops.cli import main
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import sandbox_env
from ghlops.secret import Secret

DENTAL = "ve9EPM428h8vShlRW1KT"
MANIFEST = (
    "apiVersion: ghlops/v1\nkind: Location\nmetadata: {name: clinic}\nspec:\n  locationId: ve9EPM428h8vShlRW1KT\n"
    "  prune: [tags]\n  customValues:\n    - {name: api key, value: rotated}\n  tags: [vip]\n"
)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(port=0) as sandbox:
        sandbox.store.create_location(DENTAL, "Clinic")
        token = sandbox.location_tokens()[DENTAL]
        # GHL already holds the location's token: once as a custom value, once inside a tag's name.
        cv = {"id": "cv0000000000000000001", "name": "api key", "value": token, "locationId": DENTAL}
        sandbox.store.add("customValue", cv["id"], DENTAL, {**cv, "fieldKey": "{{ custom_values.api_key }}"})
        tag = {"id": "tg0000000000000000001", "name": f"old {token}", "locationId": DENTAL}
        sandbox.store.add("tag", tag["id"], DENTAL, tag)
        yield sandbox


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "clinic.yaml").write_text(MANIFEST, encoding="utf-8")
    return folder


def run(sb: Sandbox, *args: str, summary: Path | None = None) -> Result:
    env = sandbox_env(sb)
    if summary is not None:
        env["GITHUB_STEP_SUMMARY"] = str(summary)
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def token_of(sb: Sandbox) -> str:
    return sb.location_tokens()[DENTAL]


def test_plan_text_shows_a_live_value_that_is_the_token_as_stars(sb: Sandbox, manifests: Path) -> None:
    result = run(sb, "plan", str(manifests))
    assert result.exit_code == 0, result.stderr
    assert token_of(sb) not in result.output + result.stderr
    assert result.output.splitlines()[4:10] == [
        "Location clinic (ve9EPM428h8vShlRW1KT)",
        "  - tag old ***",
        "      ! 0 contacts carry this tag",
        "  + tag vip",
        "  ~ custom value api key",
        '      value: "***" -> "rotated"',
    ]


def test_plan_markdown_json_the_plan_file_and_the_job_summary_are_masked(
    sb: Sandbox, manifests: Path, tmp_path: Path
) -> None:
    markdown = run(sb, "plan", str(manifests), "--format", "markdown")
    assert "- tag old ***\n" in markdown.output and '      value: "***" -> "rotated"\n' in markdown.output
    as_json = json.loads(run(sb, "plan", str(manifests), "--format", "json").output)
    changes = {c["action"]: c for c in as_json["locations"][0]["changes"]}
    assert changes["update"]["fields"] == [{"field": "value", "old": "***", "new": "rotated"}]
    assert changes["delete"]["display"] == "old ***"
    plan_file, summary = tmp_path / "plan.json", tmp_path / "summary.md"
    assert run(sb, "plan", str(manifests), "--out", str(plan_file), summary=summary).exit_code == 0
    for written in (plan_file.read_text(encoding="utf-8"), summary.read_text(encoding="utf-8")):
        assert token_of(sb) not in written
        assert "old ***" in written
    for text in (markdown.output, json.dumps(as_json)):
        assert token_of(sb) not in text


def test_apply_lines_the_run_log_and_the_apply_summary_are_masked(sb: Sandbox, manifests: Path, tmp_path: Path) -> None:
    log, summary = tmp_path / "run.jsonl", tmp_path / "summary.md"
    result = run(sb, "apply", str(manifests), "--auto-approve", "--log-file", str(log), summary=summary)
    assert result.exit_code == 0, result.stderr
    assert "clinic: - tag old ***: done" in result.output.splitlines()
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [line["object"] for line in lines if line.get("action") == "delete"] == ["old ***"]
    for text in (result.output, result.stderr, log.read_text(encoding="utf-8"), summary.read_text(encoding="utf-8")):
        assert token_of(sb) not in text


def test_an_error_quoting_a_pasted_token_prints_it_as_stars(sb: Sandbox, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    token = token_of(sb)
    bad.write_text(MANIFEST + f"  users:\n    - {{email: '{token}', firstName: J, lastName: D}}\n", encoding="utf-8")
    result = run(sb, "validate", str(bad))
    assert result.exit_code == 1
    assert f"error: {bad}:11:15: spec.users[0].email: '***' is not an email address" == result.stderr.splitlines()[0]
    assert token not in result.output + result.stderr


def test_the_registry_masks_only_inside_a_session_longest_secret_first_and_never_short_values() -> None:
    with redact.session({"GHL_TOKEN": "tok-1234567890", "GHL_AGENCY_TOKEN": "abc"}, ["GHL_TOKEN", "GHL_AGENCY_TOKEN"]):
        redact.remember(Secret("tok-1234567890-longer"), None, "")
        assert redact.scrub("a tok-1234567890-longer b tok-1234567890 c abc") == "a *** b *** c abc"
    assert redact.known() == ()
    redact.remember("outside-a-session")
    assert redact.scrub("outside-a-session") == "outside-a-session"


def test_location_token_maps_register_each_token() -> None:
    env = {"GHL_LOCATION_TOKENS": '{"a": "token-aaaaaaaa", "b": "token-bbbbbbbb"}'}
    assert redact.credential_values(env, ["GHL_LOCATION_TOKENS"]) == {
        "token-aaaaaaaa": "GHL_LOCATION_TOKENS",
        "token-bbbbbbbb": "GHL_LOCATION_TOKENS",
    }
