"""A recognisable token never appears in stdout, stderr, plan files, run logs or debug logs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ghlops.cli import main
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations, sandbox_env

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TOKEN = "fake-LOCATION-7f3a9c1e5b2d4f6a8c0e"
AGENCY = "fake-AGENCY-1a2b3c4d5e6f7a8b9c0d"
SECRETS = (TOKEN, AGENCY, "LOCATION-7f3a9c1e5b2d", "AGENCY-1a2b3c4d5e6f")


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(port=0, location_token=TOKEN, agency_token=AGENCY) as sandbox:
        create_locations(sandbox, [EXAMPLES])
        yield sandbox


def run(sb: Sandbox, *args: str, summary: Path | None = None) -> Result:
    env = sandbox_env(sb)
    if summary is not None:
        env["GITHUB_STEP_SUMMARY"] = str(summary)
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_the_token_never_appears_in_any_output_file_or_log(sb: Sandbox, tmp_path: Path) -> None:
    log_file = tmp_path / "run.jsonl"
    outputs: list[str] = []
    plan_file = tmp_path / "plan.json"
    summary = tmp_path / "summary.md"
    for args in (
        ("validate", str(EXAMPLES)),
        ("--debug", "plan", str(EXAMPLES)),
        ("plan", str(EXAMPLES), "--format", "json"),
        ("plan", str(EXAMPLES), "--format", "markdown"),
        ("plan", str(EXAMPLES), "--out", str(plan_file)),
        ("show", str(plan_file), "--format", "markdown"),
        ("--debug", "apply", "--plan", str(plan_file), "--auto-approve", "--log-file", str(log_file)),
        ("--debug", "plan", str(EXAMPLES), "--detailed-exitcode"),
    ):
        result = run(sb, *args, summary=summary)
        assert result.exit_code in (0, 2), result.stderr
        outputs += [result.output, result.stderr]
    debug = outputs[-1]
    assert "Authorization" in debug or "authorization" in debug  # the debug log does show requests...
    assert "Bearer ***" in debug  # ...with the credential masked
    assert log_file.read_text() and plan_file.read_text() and summary.read_text()
    assert_clean(*outputs, log_file.read_text(), plan_file.read_text(), summary.read_text())


def test_failures_do_not_leak_the_token(sb: Sandbox, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: ghlops/v1\nkind: Location\nmetadata: {name: ghost}\nspec:\n  locationId: nope\n  tags: [a]\n"
    )
    missing_location = run(sb, "--debug", "plan", str(bad))
    assert missing_location.exit_code == 1
    assert "HTTP 403" in missing_location.stderr
    sb.inject("status", method="POST", path_contains="/tags", status=422, times=5)
    failed_apply = run(sb, "--debug", "apply", str(EXAMPLES), "--auto-approve")
    assert failed_apply.exit_code == 1
    manifest_error = run(sb, "plan", str(tmp_path / "missing.yaml"))
    assert manifest_error.exit_code == 1
    assert_clean(
        missing_location.output, missing_location.stderr, failed_apply.output, failed_apply.stderr,
        manifest_error.output, manifest_error.stderr,
    )  # fmt: skip


def test_the_sandbox_rejects_requests_without_its_token(sb: Sandbox) -> None:
    env = {**sandbox_env(sb), "GHL_TOKEN": "wrong", "GHL_AGENCY_TOKEN": "wrong"}
    result = CliRunner().invoke(main, ["plan", str(EXAMPLES)], env=env, catch_exceptions=False)
    assert result.exit_code == 1
    assert "HTTP 401" in result.stderr


def test_a_plain_http_base_url_is_refused_unless_it_is_loopback(sb: Sandbox) -> None:
    env = {**sandbox_env(sb), "GHL_BASE_URL": "http://services.example.com"}
    result = CliRunner().invoke(main, ["plan", str(EXAMPLES)], env=env, catch_exceptions=False)
    assert result.exit_code == 1
    assert "https" in result.stderr
