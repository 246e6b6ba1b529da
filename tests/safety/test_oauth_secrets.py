"""Token hygiene for agency OAuth: the client secret, every refresh token, every agency access token and every
minted location token stay out of stdout, stderr, --debug logs, plan files (text, JSON, markdown, --out),
run logs, the step summary, `ghlops auth` output and error messages; the files holding them are 0600.

The secrets are the ones the sandbox actually issued during the test (``Gatekeeper.issued()``), so a token
minted or rotated mid-run is checked as well as the ones the test handed in.
"""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ghlops.cli import main
from ghlops.ghl.credentials_store import StoredCredentials, save_store
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations
from ghlops.secret import Secret

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(db_path=":memory:", port=0) as sandbox:
        create_locations(sandbox, [EXAMPLES])
        yield sandbox


def oauth_env(sb: Sandbox, tmp_path: Path) -> tuple[dict[str, str], Path]:
    """Only the three OAuth variables, the refresh token in a file (what an agency's CI holds)."""
    refresh = tmp_path / "refresh-token"
    refresh.write_text(sb.issue_refresh_token() + "\n")
    refresh.chmod(0o600)
    env = {
        "GHL_BASE_URL": sb.url,
        "GHL_OAUTH_CLIENT_ID": sb.oauth_client_id,
        "GHL_OAUTH_CLIENT_SECRET": sb.oauth_client_secret,
        "GHL_OAUTH_REFRESH_TOKEN_FILE": str(refresh),
        "GHLOPS_CREDENTIALS_FILE": str(tmp_path / "no-store.json"),
        # The examples manage users, which need the company id before any call (not a secret).
        "GHL_COMPANY_ID": sb.company_id,
    }
    return env, refresh


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def every_secret(sb: Sandbox) -> set[str]:
    """Every secret the sandbox handed out, plus the parts of each JWT that identify it (a truncated or
    re-encoded leak still shows its payload or signature)."""
    found = {sb.oauth_client_secret, sb.agency_token, *sb.gatekeeper.issued()}
    for token in list(found):
        if token.count(".") == 2:
            _, payload, signature = token.split(".")
            found.update({payload, signature, payload[-40:]})
    return found


def assert_clean(sb: Sandbox, texts: dict[str, str]) -> None:
    secrets = every_secret(sb)
    for where, text in texts.items():
        leaked = [s[:12] + "..." for s in secrets if s in text]
        assert leaked == [], f"secret in {where}: {leaked}"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_no_oauth_secret_appears_in_any_output_plan_file_run_log_or_debug_log(sb: Sandbox, tmp_path: Path) -> None:
    env, refresh = oauth_env(sb, tmp_path)
    plan_file = tmp_path / "plan.json"
    log_file = tmp_path / "run.jsonl"
    summary = tmp_path / "summary.md"
    access_file = tmp_path / "access-token"
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    texts: dict[str, str] = {}
    for args in (
        ("validate", str(EXAMPLES)),
        ("--debug", "plan", str(EXAMPLES)),
        ("plan", str(EXAMPLES), "--format", "json"),
        ("plan", str(EXAMPLES), "--format", "markdown"),
        ("--debug", "plan", str(EXAMPLES), "--out", str(plan_file)),
        ("show", str(plan_file), "--format", "markdown"),
        ("--debug", "apply", "--plan", str(plan_file), "--auto-approve", "--log-file", str(log_file)),
        ("--debug", "plan", str(EXAMPLES), "--detailed-exitcode"),
        ("auth", "status", str(EXAMPLES)),
        ("auth", "refresh", "--access-token-file", str(access_file)),
    ):
        result = run(env, *args)
        assert result.exit_code in (0, 2), (args, result.stderr)
        texts[f"stdout of {args}"] = result.output
        texts[f"stderr of {args}"] = result.stderr
    # An agency access token alone (what plan/apply jobs get from the refresh workflow) mints too.
    job_env = {
        "GHL_BASE_URL": sb.url,
        "GHL_AGENCY_TOKEN": access_file.read_text().strip(),
        "GHL_COMPANY_ID": sb.company_id,
    }
    for args in (("--debug", "plan", str(EXAMPLES)), ("auth", "status", str(EXAMPLES))):
        result = run(job_env, *args)
        assert result.exit_code == 0, (args, result.stderr)
        texts[f"stdout of job {args}"] = result.output
        texts[f"stderr of job {args}"] = result.stderr
    debug = texts[f"stderr of {('--debug', 'plan', str(EXAMPLES), '--detailed-exitcode')}"]
    assert "Bearer ***" in debug and "POST /oauth/locationToken -> 201 (OAuth; body not logged)" in debug
    assert "POST /oauth/token -> 200 (OAuth; body not logged)" in debug
    # Each of the five plans, the apply and `auth refresh` refreshed once; validate, show and status never do.
    assert sb.gatekeeper.refreshes == 7 and sb.gatekeeper.mints > 8
    texts["plan file"] = plan_file.read_text()
    texts["run log"] = log_file.read_text()
    texts["step summary"] = summary.read_text()
    assert texts["plan file"] and texts["run log"] and texts["step summary"]
    # Every run's minted location tokens and rotated refresh and access tokens are among those grepped for.
    assert len(sb.gatekeeper.issued()) >= 1 + 1 + 2 * 7 + sb.gatekeeper.mints
    assert_clean(sb, texts)
    # The files that must hold secrets hold exactly the live ones, readable by the owner only.
    assert refresh.read_text().strip() in sb.gatekeeper.issued()
    assert refresh.read_text().strip() not in sb.gatekeeper.used_refresh_tokens
    assert mode(refresh) == 0o600 and mode(access_file) == 0o600


def test_failed_refreshes_and_mints_say_what_failed_without_any_secret(sb: Sandbox, tmp_path: Path) -> None:
    env, refresh = oauth_env(sb, tmp_path)
    texts: dict[str, str] = {}
    # A refresh token already spent elsewhere (another job refreshed first): GHL refuses it.
    spent = refresh.read_text().strip()
    assert run(env, "auth", "refresh").exit_code == 0
    refresh.write_text(spent + "\n")
    refused = run(env, "--debug", "plan", str(EXAMPLES))
    assert refused.exit_code == 1
    assert "POST /oauth/token -> HTTP 401: Invalid grant: refresh token is invalid" in refused.stderr
    texts |= {"refused refresh out": refused.output, "refused refresh err": refused.stderr}
    # The wrong client secret.
    (tmp_path / "second").mkdir()
    env2, _ = oauth_env(sb, tmp_path / "second")
    wrong_secret = "wrong-client-secret-0a9b8c7d6e5f"
    bad_client = run({**env2, "GHL_OAUTH_CLIENT_SECRET": wrong_secret}, "--debug", "plan", str(EXAMPLES))
    assert bad_client.exit_code == 1
    assert "HTTP 401: Invalid client credentials" in bad_client.stderr
    assert wrong_secret not in bad_client.output + bad_client.stderr
    texts |= {"bad client out": bad_client.output, "bad client err": bad_client.stderr}
    # A mint GHL refuses (a location outside the agency) and one that fails on GHL's side.
    ghost = tmp_path / "ghost.yaml"
    ghost.write_text(
        "apiVersion: ghlops/v1\nkind: Location\nmetadata: {name: ghost}\n"
        "spec:\n  locationId: ghostLocation000000001\n  tags: [a]\n"
    )
    sb.store.create_location("ghostLocation000000001", "ghost", "another-company")
    job_env = {"GHL_BASE_URL": sb.url, "GHL_AGENCY_TOKEN": sb.agency_access_token, "GHL_COMPANY_ID": sb.company_id}
    outside = run(job_env, "--debug", "plan", str(ghost))
    assert outside.exit_code == 1
    assert outside.stderr.strip().splitlines()[-1:] == [
        "error: location ghostLocation000000001: POST /oauth/locationToken -> HTTP 403: The token does not have "
        "access to this location.: is the app installed on this location? (`ghlops auth status` lists where it is)"
    ]
    sb.inject("status", method="POST", path_contains="/oauth/locationToken", status=500, times=10)
    failing = run(job_env, "--debug", "plan", str(EXAMPLES))
    assert failing.exit_code == 1
    assert "POST /oauth/locationToken -> HTTP 500: Internal server error (after 3 attempts)" in failing.stderr
    texts |= {
        "outside out": outside.output, "outside err": outside.stderr,
        "failing mint out": failing.output, "failing mint err": failing.stderr,
    }  # fmt: skip
    # An expired agency token: auth status says so rather than calling GHL with it.
    offset = [0.0]
    with Sandbox(db_path=":memory:", port=0, token_ttl_s=100, clock=lambda: time.time() + offset[0]) as old:
        create_locations(old, [EXAMPLES])
        offset[0] = -1000.0
        expired = old.gatekeeper.issue_agency_access_token()  # expired 900 s ago
        offset[0] = 0.0
        old.clear_requests()
        expired_env = {"GHL_BASE_URL": old.url, "GHL_AGENCY_TOKEN": expired, "GHL_COMPANY_ID": old.company_id}
        status = run(expired_env, "auth", "status", str(EXAMPLES))
        assert status.exit_code == 1
        assert "(EXPIRED: run the token-refresh workflow or `ghlops auth refresh`)" in status.output
        assert [r.path for r in old.requests] == []
        assert_clean(old, {"expired status out": status.output, "expired status err": status.stderr})
    assert_clean(sb, texts)


def test_a_refresh_rewrites_the_refresh_token_file_and_the_credentials_store_0600(sb: Sandbox, tmp_path: Path) -> None:
    env, refresh = oauth_env(sb, tmp_path)
    refresh.chmod(0o644)  # a file someone created carelessly: the rotated token is still written owner-only
    assert run(env, "auth", "refresh").exit_code == 0
    assert mode(refresh) == 0o600
    store = tmp_path / "config" / "credentials.json"
    save_store(
        store,
        StoredCredentials(
            client_id=sb.oauth_client_id,
            client_secret=Secret(sb.oauth_client_secret),
            refresh_token=Secret(sb.issue_refresh_token()),
            company_id=sb.company_id,
            white_label=False,
        ),
    )
    assert mode(store) == 0o600
    before = json.loads(store.read_text())["refresh_token"]
    store_env = {"GHL_BASE_URL": sb.url, "GHLOPS_CREDENTIALS_FILE": str(store), "GHL_COMPANY_ID": sb.company_id}
    status = run(store_env, "auth", "status")
    applied = run(store_env, "apply", str(EXAMPLES), "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    after = json.loads(store.read_text())["refresh_token"]
    assert after != before and before in sb.gatekeeper.used_refresh_tokens
    assert mode(store) == 0o600
    assert "credentials store: " in status.output and "refresh token from store" in status.output
    assert f"Agency OAuth token: none yet, company {sb.company_id} (a run refreshes one;" in status.output
    assert sb.gatekeeper.refreshes == 2  # `auth refresh` and the apply: status spent nothing
    assert_clean(sb, {"status": status.output + status.stderr, "apply": applied.output + applied.stderr})
