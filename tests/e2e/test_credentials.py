"""One credential for many locations, end to end over the sandbox: a token map, agency OAuth with minted
location tokens and one refresh per run, `ghlops auth`, and the failures found before any write."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from ghlops.cli import main
from ghlops.commands.auth import auth_login
from ghlops.output import Io
from ghlops.sandbox import Sandbox


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(db_path=":memory:", port=0) as sandbox:
        yield sandbox


def location_id(n: int) -> str:
    return f"loc{n:017d}"


def manifests(sb: Sandbox, tmp_path: Path, count: int) -> Path:
    folder = tmp_path / "manifests"
    folder.mkdir()
    for n in range(count):
        sb.store.create_location(location_id(n), f"clinic-{n:02d}", sb.company_id)
        (folder / f"clinic-{n:02d}.yaml").write_text(
            "apiVersion: ghlops/v1\nkind: Location\n"
            f"metadata: {{name: clinic-{n:02d}}}\n"
            f"spec:\n  locationId: {location_id(n)}\n  tags: [vip, clinic-{n}]\n"
        )
    return folder


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def writes(sb: Sandbox) -> list[str]:
    return [f"{r.method} {r.path}" for r in sb.requests if r.method not in ("GET",) and not r.path.startswith("/oauth")]


def assert_no_secret(sb: Sandbox, *texts: str) -> None:
    secrets = {sb.oauth_client_secret, sb.agency_token, *sb.gatekeeper.issued()}
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_a_token_map_serves_twelve_locations_each_with_its_own_token(sb: Sandbox, tmp_path: Path) -> None:
    folder = manifests(sb, tmp_path, 12)
    tokens = sb.location_tokens()
    # Keys may be location ids or manifest names.
    token_map = {(f"clinic-{n:02d}" if n % 2 else location_id(n)): tokens[location_id(n)] for n in range(12)}
    env = {"GHL_BASE_URL": sb.url, "GHL_LOCATION_TOKENS": json.dumps(token_map)}
    applied = run(env, "--debug", "apply", str(folder), "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    assert "location clinic-03 (loc00000000000000003): token from GHL_LOCATION_TOKENS" in applied.stderr
    for n in range(12):
        assert sorted(t["name"] for t in sb.store.snapshot(location_id(n))["tags"]) == sorted(["vip", f"clinic-{n}"])
    again = run(env, "plan", str(folder), "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.output
    assert sb.gatekeeper.mints == 0
    assert_no_secret(sb, applied.output, applied.stderr, again.output)


def test_a_token_map_file_serves_locations_past_what_one_environment_variable_holds(
    sb: Sandbox, tmp_path: Path
) -> None:
    # Issue 15: GHL_LOCATION_TOKENS for ~1,500+ locations is over Linux's 128 KB for one variable ("Argument
    # list too long"); GHL_LOCATION_TOKENS_FILE names a file holding the same JSON object.
    folder = manifests(sb, tmp_path, 3)
    tokens = sb.location_tokens()
    token_file = tmp_path / "tokens.json"
    token_file.write_text(json.dumps({location_id(n): tokens[location_id(n)] for n in range(3)}))
    env = {"GHL_BASE_URL": sb.url, "GHL_LOCATION_TOKENS_FILE": str(token_file)}
    applied = run(env, "apply", str(folder), "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    again = run(env, "plan", str(folder), "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.output
    assert_no_secret(sb, applied.output, applied.stderr, again.output)
    for text in (applied.output, applied.stderr):
        assert not any(token in text for token in tokens.values())


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (None, "cannot read GHL_LOCATION_TOKENS_FILE ({file}): No such file or directory"),
        ("", "GHL_LOCATION_TOKENS_FILE ({file}) is empty"),
        (
            '["pit-abcdefgh-secret"]',
            'GHL_LOCATION_TOKENS_FILE ({file}) must be a JSON object {{"<locationId>": "<token>", ...}}',
        ),
        ('{"loc": 12345678}', "GHL_LOCATION_TOKENS_FILE ({file}): the entry for 'loc' must be a non-empty string"),
        (
            "pit-abcdefgh-secret",
            'GHL_LOCATION_TOKENS_FILE ({file}) must be a JSON object {{"<locationId>": "<token>", ...}}',
        ),
    ],
    ids=["missing", "empty", "a-list", "not-a-string", "not-json"],
)
def test_a_bad_token_map_file_is_one_error_line_naming_the_file_never_its_content(
    sb: Sandbox, tmp_path: Path, content: str | None, error: str
) -> None:
    folder = manifests(sb, tmp_path, 1)
    token_file = tmp_path / "tokens.json"
    if content is not None:
        token_file.write_text(content)
    env = {"GHL_BASE_URL": sb.url, "GHL_LOCATION_TOKENS_FILE": str(token_file)}
    result = run(env, "plan", str(folder))
    assert result.exit_code == 1
    # One line, on the first manifest (where every credential problem is reported before any call).
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and line.endswith(f": {error.format(file=token_file)}")
    assert "pit-abcdefgh-secret" not in result.stderr + result.output


def test_the_token_map_and_its_file_together_are_refused(sb: Sandbox, tmp_path: Path) -> None:
    folder = manifests(sb, tmp_path, 1)
    token_file = tmp_path / "tokens.json"
    token_file.write_text("{}")
    env = {"GHL_BASE_URL": sb.url, "GHL_LOCATION_TOKENS_FILE": str(token_file), "GHL_LOCATION_TOKENS": "{}"}
    result = run(env, "plan", str(folder))
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.endswith(": set GHL_LOCATION_TOKENS or GHL_LOCATION_TOKENS_FILE, not both")


def oauth_env(sb: Sandbox, tmp_path: Path) -> tuple[dict[str, str], Path, str]:
    refresh = tmp_path / "refresh-token"
    first = sb.issue_refresh_token()
    refresh.write_text(first + "\n")
    refresh.chmod(0o600)
    env = {
        "GHL_BASE_URL": sb.url,
        "GHL_OAUTH_CLIENT_ID": sb.oauth_client_id,
        "GHL_OAUTH_CLIENT_SECRET": sb.oauth_client_secret,
        "GHL_OAUTH_REFRESH_TOKEN_FILE": str(refresh),
    }
    return env, refresh, first


def test_agency_oauth_serves_twenty_locations_with_one_refresh_and_one_mint_each(sb: Sandbox, tmp_path: Path) -> None:
    folder = manifests(sb, tmp_path, 20)
    env, refresh, first = oauth_env(sb, tmp_path)
    applied = run(env, "--debug", "apply", str(folder), "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    assert (sb.gatekeeper.refreshes, sb.gatekeeper.mints) == (1, 20)
    latest = refresh.read_text().strip()
    assert latest != first and first in sb.gatekeeper.used_refresh_tokens
    assert latest not in sb.gatekeeper.used_refresh_tokens  # the file holds the live successor
    assert stat.S_IMODE(refresh.stat().st_mode) == 0o600
    assert "token from the agency OAuth token (minted per location)" in applied.stderr
    # The next run refreshes once more from the file, never reusing a spent refresh token.
    again = run(env, "plan", str(folder), "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.output, again.stderr
    assert (sb.gatekeeper.refreshes, sb.gatekeeper.mints) == (2, 40)
    assert refresh.read_text().strip() not in sb.gatekeeper.used_refresh_tokens
    assert_no_secret(sb, applied.output, applied.stderr, again.output, again.stderr)


def test_a_refresh_token_from_the_environment_with_nowhere_to_save_its_successor_is_not_spent(
    sb: Sandbox, tmp_path: Path
) -> None:
    folder = manifests(sb, tmp_path, 2)
    env = {
        "GHL_BASE_URL": sb.url,
        "GHL_OAUTH_CLIENT_ID": sb.oauth_client_id,
        "GHL_OAUTH_CLIENT_SECRET": sb.oauth_client_secret,
        "GHL_OAUTH_REFRESH_TOKEN": sb.issue_refresh_token(),
    }
    result = run(env, "apply", str(folder), "--auto-approve")
    assert result.exit_code == 1
    assert "nowhere to save the refresh token" in result.stderr
    assert sb.gatekeeper.refreshes == 0 and sb.requests == []


def test_a_private_integration_token_where_a_mint_is_needed_fails_before_any_call(sb: Sandbox, tmp_path: Path) -> None:
    folder = manifests(sb, tmp_path, 3)
    env = {"GHL_BASE_URL": sb.url, "GHL_AGENCY_TOKEN": sb.agency_token}
    for command in (("apply", str(folder), "--auto-approve"), ("validate", str(folder))):
        result = run(env, *command)
        assert result.exit_code == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 3, result.stderr
        for n, line in enumerate(lines):
            assert (
                f"location clinic-{n:02d}: no token of its own, and GHL_AGENCY_TOKEN is a Private Integration" in line
            )
            assert "GHL_LOCATION_TOKENS" in line
    assert sb.requests == []
    offline = run(env, "validate", "--offline", str(folder))
    assert offline.exit_code == 0


def test_one_location_token_used_for_another_location_is_one_clear_line_and_nothing_is_written(
    sb: Sandbox, tmp_path: Path
) -> None:
    folder = manifests(sb, tmp_path, 2)
    env = {"GHL_BASE_URL": sb.url, "GHL_TOKEN": sb.token_for(location_id(0))}
    result = run(env, "apply", str(folder), "--auto-approve")
    assert result.exit_code == 1
    assert "HTTP 403" in result.stderr
    assert "the token from GHL_TOKEN does not reach location clinic-01" in result.stderr
    assert "GHL_LOCATION_TOKENS" in result.stderr and "Traceback" not in result.output
    assert writes(sb) == []
    assert sb.store.snapshot(location_id(0))["tags"] == []


def test_auth_login_follows_the_sandbox_redirect_and_stores_the_credentials_0600(sb: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "config" / "credentials.json"
    env = {
        "GHL_BASE_URL": sb.url,
        "GHL_MARKETPLACE_URL": sb.url,
        "GHL_OAUTH_CLIENT_SECRET": sb.oauth_client_secret,
        "GHLOPS_CREDENTIALS_FILE": str(store),
    }
    out: list[str] = []
    browsed: list[int] = []

    def browser(url: str) -> None:
        # Stands in for the user's browser: GHL's consent page redirects to the loopback listener.
        def visit() -> None:
            answer = httpx.get(url, follow_redirects=True, timeout=10)
            browsed.append(answer.status_code)

        threading.Thread(target=visit, daemon=True).start()

    def no_prompt(text: str, hidden: bool) -> str:
        raise AssertionError(f"prompted for {text}")

    code = auth_login(
        env=env, io=Io(out=out.append, err=out.append), client_id=sb.oauth_client_id, white_label=False, port=0,
        prompt=no_prompt, open_browser=browser, timeout_s=20,
    )  # fmt: skip
    assert code == 0 and browsed == [200]
    assert any(line.startswith(f"{sb.url}/oauth/chooselocation?response_type=code") for line in out)
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    saved = json.loads(store.read_text())
    assert saved["client_id"] == sb.oauth_client_id and saved["company_id"] == sb.company_id
    assert_no_secret(sb, *out)

    # The stored credentials alone now serve a run: it refreshes once and stores the rotated token.
    folder = manifests(sb, tmp_path, 2)
    run_env = {"GHL_BASE_URL": sb.url, "GHLOPS_CREDENTIALS_FILE": str(store)}
    applied = run(run_env, "apply", str(folder), "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    assert json.loads(store.read_text())["refresh_token"] != saved["refresh_token"]
    assert saved["refresh_token"] in sb.gatekeeper.used_refresh_tokens
    logout = run(run_env, "auth", "logout")
    assert logout.exit_code == 0 and not store.exists()


def test_auth_status_shows_sources_company_expiry_scopes_installs_and_missing_tokens(
    sb: Sandbox, tmp_path: Path
) -> None:
    folder = manifests(sb, tmp_path, 2)
    (folder / "elsewhere.yaml").write_text(
        "apiVersion: ghlops/v1\nkind: Location\nmetadata: {name: elsewhere}\n"
        "spec:\n  locationId: notInstalled000000001\n  tokenEnv: ELSEWHERE_TOKEN\n  tags: [a]\n"
    )
    env = {"GHL_BASE_URL": sb.url, "GHL_AGENCY_TOKEN": sb.agency_access_token}
    result = run(env, "auth", "status", str(folder))
    assert result.exit_code == 1
    out = result.output
    assert "GHL_AGENCY_TOKEN: agency OAuth token" in out
    assert f"Agency OAuth token: company {sb.company_id}, expires " in out
    assert "all that the managed kinds need" in out
    minted = "token from the agency OAuth token (minted per location)"
    assert f"clinic-00 (loc00000000000000000): {minted}, app installed" in out
    assert "elsewhere (notInstalled000000001): NO TOKEN, app NOT installed" in out
    assert "spec.tokenEnv names ELSEWHERE_TOKEN, but ELSEWHERE_TOKEN is unset or empty" in out
    assert "1 location(s) would have no token" in result.stderr
    assert_no_secret(sb, out, result.stderr)
    fine = run({**env, "ELSEWHERE_TOKEN": "x"}, "auth", "status", str(folder))
    assert fine.exit_code == 0, fine.output


def test_auth_refresh_saves_the_rotated_refresh_token_and_writes_the_access_token_0600(
    sb: Sandbox, tmp_path: Path
) -> None:
    env, refresh, first = oauth_env(sb, tmp_path)
    access = tmp_path / "access-token"
    result = run(env, "auth", "refresh", "--access-token-file", str(access))
    assert result.exit_code == 0, result.stderr
    assert sb.gatekeeper.refreshes == 1 and first in sb.gatekeeper.used_refresh_tokens
    assert stat.S_IMODE(access.stat().st_mode) == 0o600 and stat.S_IMODE(refresh.stat().st_mode) == 0o600
    # The fresh access token alone (what plan/apply jobs get) mints location tokens and never refreshes.
    folder = manifests(sb, tmp_path, 3)
    job_env = {"GHL_BASE_URL": sb.url, "GHL_AGENCY_TOKEN": access.read_text().strip()}
    planned = run(job_env, "plan", str(folder))
    assert planned.exit_code == 0, planned.stderr
    assert (sb.gatekeeper.refreshes, sb.gatekeeper.mints) == (1, 3)
    assert_no_secret(sb, result.output, result.stderr, planned.output, planned.stderr)
    assert os.environ.get("GHL_OAUTH_REFRESH_TOKEN") is None


def test_an_agency_token_the_sandbox_refuses_is_refreshed_once_across_parallel_threads(tmp_path: Path) -> None:
    # The token still looks valid to ghlops (its exp claim is ahead of ghlops's clock) but GHL answers 401
    # "Invalid JWT" (revoked or clock skew): every thread minting at once must share one refresh.
    import time

    offset = [0.0]
    with Sandbox(db_path=":memory:", port=0, token_ttl_s=1000, clock=lambda: time.time() + offset[0]) as sandbox:
        folder = manifests(sandbox, tmp_path, 8)
        env, refresh, first = oauth_env(sandbox, tmp_path)
        env["GHL_AGENCY_TOKEN"] = sandbox.gatekeeper.issue_agency_access_token()
        offset[0] = 2000.0
        applied = run(env, "apply", str(folder), "--auto-approve", "--parallelism", "4")
        assert applied.exit_code == 0, applied.stderr
        assert (sandbox.gatekeeper.refreshes, sandbox.gatekeeper.mints) == (1, 8)
        latest = refresh.read_text().strip()
        assert first in sandbox.gatekeeper.used_refresh_tokens
        assert latest != first and latest not in sandbox.gatekeeper.used_refresh_tokens
        assert stat.S_IMODE(refresh.stat().st_mode) == 0o600


def test_a_minted_location_token_refused_with_invalid_jwt_is_reminted_once_and_the_run_succeeds(
    sb: Sandbox, tmp_path: Path
) -> None:
    folder = manifests(sb, tmp_path, 3)
    env, _, _ = oauth_env(sb, tmp_path)
    sb.gatekeeper.refuse_next_mints(location_id(1), 1)
    applied = run(env, "apply", str(folder), "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    # One mint per location plus exactly one re-mint for the refused one; the agency token is not refreshed again.
    assert (sb.gatekeeper.refreshes, sb.gatekeeper.mints) == (1, 4)
    refused = [(r.method, r.path) for r in sb.requests if r.status == 401]
    assert refused == [("GET", f"/locations/{location_id(1)}/tags")]
    assert sorted(t["name"] for t in sb.store.snapshot(location_id(1))["tags"]) == ["clinic-1", "vip"]
    assert_no_secret(sb, applied.output, applied.stderr)


def test_a_location_token_refused_again_after_its_remint_is_one_clear_error_and_no_loop(
    sb: Sandbox, tmp_path: Path
) -> None:
    folder = manifests(sb, tmp_path, 2)
    env, _, _ = oauth_env(sb, tmp_path)
    sb.gatekeeper.refuse_next_mints(location_id(1), 1000)
    applied = run(env, "apply", str(folder), "--auto-approve")
    assert applied.exit_code == 1
    assert (sb.gatekeeper.refreshes, sb.gatekeeper.mints) == (1, 3)
    # The refused call is tried twice (old token, re-minted token) and the run stops: no third mint, no loop.
    refused = [(r.method, r.path) for r in sb.requests if r.status == 401]
    assert refused == [("GET", f"/locations/{location_id(1)}/tags")] * 2
    assert applied.stderr.strip().splitlines() == [
        f"error: location clinic-01: tags: GET /locations/{location_id(1)}/tags -> HTTP 401: Invalid JWT; GHL "
        "refused the location token minted from the agency OAuth token even after minting a new one: is the app "
        "installed on this location with the scopes ghlops needs? (see `ghlops auth status`)"
    ]
    assert writes(sb) == []
    assert_no_secret(sb, applied.output, applied.stderr)


def test_an_agency_token_already_expired_at_start_is_refreshed_once_and_the_file_is_written_before_it_is_used(
    tmp_path: Path,
) -> None:
    import time

    offset = [-5000.0]
    with Sandbox(db_path=":memory:", port=0, token_ttl_s=1000, clock=lambda: time.time() + offset[0]) as sandbox:
        folder = manifests(sandbox, tmp_path, 3)
        env, refresh, first = oauth_env(sandbox, tmp_path)
        # Issued 5000 s ago with a 1000 s lifetime: its exp claim is in the past when ghlops starts.
        env["GHL_AGENCY_TOKEN"] = sandbox.gatekeeper.issue_agency_access_token()
        offset[0] = 0.0
        on_disk_at_first_use: list[str] = []
        mint = sandbox.gatekeeper.mint

        def spy(identity: Any, company_id: str, location: str) -> dict[str, object]:
            # The first call made with the new agency access token: the rotated refresh token is already saved.
            on_disk_at_first_use.append(refresh.read_text().strip())
            return mint(identity, company_id, location)

        sandbox.gatekeeper.mint = spy  # type: ignore[method-assign]
        applied = run(env, "--debug", "apply", str(folder), "--auto-approve")
        assert applied.exit_code == 0, applied.stderr
        assert (sandbox.gatekeeper.refreshes, sandbox.gatekeeper.mints) == (1, 3)
        # The expired token was never sent: the refresh came first, and GHL refused nothing.
        assert next(r.path for r in sandbox.requests) == "/oauth/token"
        assert [r for r in sandbox.requests if r.status == 401] == []
        latest = refresh.read_text().strip()
        assert first in sandbox.gatekeeper.used_refresh_tokens and latest not in sandbox.gatekeeper.used_refresh_tokens
        assert on_disk_at_first_use == [latest] * 3
        assert stat.S_IMODE(refresh.stat().st_mode) == 0o600
        assert_no_secret(sandbox, applied.output, applied.stderr)


def test_an_expired_agency_token_with_no_way_to_refresh_is_one_line_per_location_before_any_call(
    tmp_path: Path,
) -> None:
    import time

    with Sandbox(db_path=":memory:", port=0, token_ttl_s=1000, clock=lambda: time.time() - 5000) as sandbox:
        folder = manifests(sandbox, tmp_path, 2)
        env = {"GHL_BASE_URL": sandbox.url, "GHL_AGENCY_TOKEN": sandbox.gatekeeper.issue_agency_access_token()}
        result = run(env, "plan", str(folder))
        assert result.exit_code == 1
        assert result.stderr.strip().splitlines() == [
            f"error: {folder}/clinic-{n:02d}.yaml:3:18: metadata.name: location clinic-{n:02d}: no token of its "
            "own, and none can be minted: "
            "GHL_AGENCY_TOKEN (an agency OAuth token) has expired: run the token-refresh workflow or "
            "`ghlops auth refresh`"
            for n in range(2)
        ]
        assert sandbox.requests == []


def test_a_mint_that_fails_on_ghls_side_is_retried_and_the_run_succeeds(sb: Sandbox, tmp_path: Path) -> None:
    folder = manifests(sb, tmp_path, 2)
    env, _, _ = oauth_env(sb, tmp_path)
    sb.inject("status", method="POST", path_contains="/oauth/locationToken", status=503, times=1)
    applied = run(env, "apply", str(folder), "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    mint_answers = sorted(r.status or 0 for r in sb.requests if r.path == "/oauth/locationToken")
    assert mint_answers == [201, 201, 503]
    assert (sb.gatekeeper.refreshes, sb.gatekeeper.mints) == (1, 2)


def test_mints_for_many_locations_stay_inside_the_agencys_rate_limit_window(tmp_path: Path) -> None:
    # GHL meters calls made with the agency token per company; minting every location at once must pace itself
    # (the sandbox enforces a window of 6 requests per 0.5 s here) instead of bouncing off 429s. Parallelism 4
    # keeps the first burst, sent before GHL's first answer advertises its window, inside it.
    from ghlops.sandbox import FaultConfig

    faults = FaultConfig(rate_limit=True, rate_limit_max=6, rate_limit_window_s=0.5)
    with Sandbox(db_path=":memory:", port=0, faults=faults) as sandbox:
        folder = manifests(sandbox, tmp_path, 14)
        env, _, _ = oauth_env(sandbox, tmp_path)
        planned = run(env, "plan", str(folder), "--parallelism", "4")
        assert planned.exit_code == 0, planned.stderr
        assert (sandbox.gatekeeper.refreshes, sandbox.gatekeeper.mints) == (1, 14)
        assert [r.path for r in sandbox.requests if r.status == 429] == []


def test_the_company_id_is_known_from_the_variable_the_credentials_store_or_the_agency_oauth_token(
    sb: Sandbox, tmp_path: Path
) -> None:
    from ghlops.ghl.auth import known_company_id
    from ghlops.ghl.credentials_store import StoredCredentials, save_store
    from ghlops.secret import Secret

    nowhere = {"GHLOPS_CREDENTIALS_FILE": str(tmp_path / "none.json")}
    assert known_company_id({**nowhere, "GHL_COMPANY_ID": "from-env"}) == "from-env"
    assert known_company_id({**nowhere, "GHL_AGENCY_TOKEN": sb.agency_access_token}) == sb.company_id
    assert known_company_id({**nowhere, "GHL_AGENCY_TOKEN": sb.agency_token}) is None  # a PIT says nothing
    store = tmp_path / "credentials.json"
    save_store(
        store,
        StoredCredentials(
            client_id=sb.oauth_client_id,
            client_secret=Secret(sb.oauth_client_secret),
            refresh_token=Secret(sb.issue_refresh_token()),
            company_id="from-store",
            white_label=False,
        ),
    )
    assert known_company_id({"GHLOPS_CREDENTIALS_FILE": str(store)}) == "from-store"
    assert sb.requests == []


def test_an_agency_token_ghl_refuses_with_no_way_to_refresh_is_one_line_saying_how_to_renew_it(
    sb: Sandbox, tmp_path: Path
) -> None:
    folder = manifests(sb, tmp_path, 3)
    agency = sb.gatekeeper.issue_agency_access_token()
    sb.gatekeeper.revoke(agency)  # still valid by its exp claim, refused by GHL
    result = run({"GHL_BASE_URL": sb.url, "GHL_AGENCY_TOKEN": agency}, "plan", str(folder), "--parallelism", "3")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: the agency OAuth token cannot be renewed (GHL answered Invalid JWT): set GHL_OAUTH_CLIENT_ID, "
        "GHL_OAUTH_CLIENT_SECRET and GHL_OAUTH_REFRESH_TOKEN_FILE, or run the token-refresh workflow"
    ]
    assert sb.gatekeeper.mints == 0 and sb.gatekeeper.refreshes == 0 and writes(sb) == []


def test_a_refresh_token_whose_successor_cannot_be_saved_is_not_spent(sb: Sandbox, tmp_path: Path) -> None:
    folder = manifests(sb, tmp_path, 2)
    nowhere = tmp_path / "missing-dir" / "refresh-token"
    env = {
        "GHL_BASE_URL": sb.url,
        "GHL_OAUTH_CLIENT_ID": sb.oauth_client_id,
        "GHL_OAUTH_CLIENT_SECRET": sb.oauth_client_secret,
        "GHL_OAUTH_REFRESH_TOKEN": sb.issue_refresh_token(),
        "GHL_OAUTH_REFRESH_TOKEN_FILE": str(nowhere),
    }
    result = run(env, "apply", str(folder), "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: cannot save the rotated refresh token: directory {nowhere.parent} does not exist"
    ]
    assert sb.gatekeeper.refreshes == 0 and sb.gatekeeper.used_refresh_tokens == frozenset()
    assert writes(sb) == []


def test_users_need_no_company_id_variable_when_the_agency_oauth_token_names_the_company(
    sb: Sandbox, tmp_path: Path
) -> None:
    # Issue 12: an agency on OAuth needs only its OAuth credentials; the access token's claim names the company.
    folder = manifests(sb, tmp_path, 2)
    clinic = folder / "clinic-00.yaml"
    user = "  users:\n    - {email: jane@example.com, firstName: Jane, lastName: Doe}\n"
    clinic.write_text(clinic.read_text() + user)
    env = {"GHL_BASE_URL": sb.url, "GHL_AGENCY_TOKEN": sb.agency_access_token}
    planned = run(env, "plan", str(folder))
    assert planned.exit_code == 0, planned.stderr
    assert "+ user jane@example.com" in planned.output
    assert_no_secret(sb, planned.output, planned.stderr)
