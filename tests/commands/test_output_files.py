"""render --location globs; render -o, schema -o and plan --out: no overwrite without --force, no read first."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ghlops.manifest.schema import schema_text
from ghlops.sandbox import Sandbox

from .conftest import EXAMPLES, Cli


def documents(text: str) -> list[str]:
    return [doc["metadata"]["name"] for doc in YAML(typ="safe").load_all(text)]


def test_render_location_takes_globs_like_plan_and_prints_one_document_per_match(offline_cli: Cli) -> None:
    result = offline_cli("render", str(EXAMPLES), "--location", "*-*")
    assert result.exit_code == 0, result.stderr
    assert documents(result.stdout) == ["downtown-dental", "uptown-ortho"]
    one = offline_cli("render", str(EXAMPLES), "--location", "up*")
    assert documents(one.stdout) == ["uptown-ortho"]
    both = offline_cli("render", str(EXAMPLES), "--location", "uptown-ortho", "--location", "*")
    assert documents(both.stdout) == ["uptown-ortho", "downtown-dental"]  # each once, in the order asked


def test_a_render_glob_that_matches_nothing_is_one_error_naming_the_known_locations(offline_cli: Cli) -> None:
    result = offline_cli("render", str(EXAMPLES), "--location", "mid*")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: --location 'mid*' matches no Location document (known: downtown-dental, uptown-ortho)\n"
    )


@pytest.mark.parametrize("command", [["schema"], ["render", str(EXAMPLES), "--location", "uptown-ortho"]])
def test_render_and_schema_refuse_to_overwrite_a_file_without_force(
    offline_cli: Cli, tmp_path: Path, command: list[str]
) -> None:
    out = tmp_path / "out.txt"
    out.write_text("keep me")
    refused = offline_cli(*command, "-o", str(out))
    assert (refused.exit_code, refused.stderr) == (1, f"error: {out} already exists; pass --force to overwrite it\n")
    assert out.read_text() == "keep me"
    forced = offline_cli(*command, "-o", str(out), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert out.read_text() != "keep me"
    if command == ["schema"]:
        assert out.read_text() == schema_text()


def test_plan_out_into_a_missing_directory_fails_before_any_read(cli: Cli, sb: Sandbox, tmp_path: Path) -> None:
    sb.clear_requests()
    out = tmp_path / "no-such-dir" / "plan.json"
    result = cli("plan", str(EXAMPLES), "--out", str(out))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: --out {out}: directory {out.parent} does not exist\n"
    assert sb.requests == []
