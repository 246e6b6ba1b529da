"""`ghlops auth`: log in with the agency OAuth app, see what a run would use, refresh, log out.

No secret is ever printed: tokens, the client secret and the refresh token go to the 0600 credentials file
(or the refresh-token file), and messages name sources and paths only.
"""

from __future__ import annotations

import contextlib
import http.server
import secrets
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from ghlops.commands import exit_codes
from ghlops.errors import ConfigError
from ghlops.ghl import base_url_from_env
from ghlops.ghl.auth import (
    ENV_AGENCY_TOKEN,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_LOCATION_TOKEN,
    ENV_LOCATION_TOKENS,
    ENV_REFRESH_TOKEN_FILE,
    OAuthConfig,
    Target,
    oauth_config,
    parse_token_map,
    resolve,
    token_expiry,
    token_kind,
    token_scopes,
)
from ghlops.ghl.client import validate_base_url
from ghlops.ghl.credentials_store import (
    StoredCredentials,
    credentials_path,
    delete_store,
    load_store,
    save_store,
    write_secret_file,
)
from ghlops.ghl.oauth import INSTALLED_LOCATIONS_PATH, AgencyOAuth, OAuthHttp, exchange_code
from ghlops.ghl.scopes import missing_scopes
from ghlops.identity import jwt_claims
from ghlops.output import Io
from ghlops.secret import Secret

MARKETPLACE_URL = "https://marketplace.gohighlevel.com"
WHITE_LABEL_MARKETPLACE_URL = "https://marketplace.leadconnectorhq.com"
ENV_MARKETPLACE_URL = "GHL_MARKETPLACE_URL"
CALLBACK_PATH = "/callback"

Prompt = Callable[[str, bool], str]


def _when(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch)) if epoch else "unknown"


def _http(env: Mapping[str, str]) -> tuple[httpx.Client, str]:
    base = validate_base_url(base_url_from_env(env))
    return httpx.Client(timeout=30.0, verify=True, follow_redirects=False), base


# -- login ------------------------------------------------------------------------------------------------------


class _Catcher(http.server.BaseHTTPRequestHandler):
    """The one-shot loopback listener: takes the ``code`` GHL redirects back with."""

    server: _OneShot

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path != CALLBACK_PATH:
            self.send_error(404)
            return
        self.server.answer = {k: v[0] for k, v in query.items() if v}
        body = b"ghlops: authorised. You can close this tab and return to the terminal.\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # the query holds the code: never log it
        return


class _OneShot(http.server.HTTPServer):
    answer: dict[str, str] | None = None


def auth_login(
    *,
    env: Mapping[str, str],
    io: Io,
    client_id: str | None,
    white_label: bool,
    port: int,
    prompt: Prompt,
    open_browser: Callable[[str], object] | None = None,
    timeout_s: float = 300.0,
) -> int:
    """The authorisation-code flow with a loopback redirect; stores client id, secret and refresh token."""
    client_id = client_id or env.get(ENV_CLIENT_ID, "").strip() or prompt("OAuth client id", False).strip()
    secret_raw = env.get(ENV_CLIENT_SECRET, "").strip() or prompt("OAuth client secret", True).strip()
    if not client_id or not secret_raw:
        raise ConfigError("auth login needs the app's client id and client secret")
    client_secret = Secret(secret_raw)
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port} is out of range (0-65535)")
    try:
        server = _OneShot(("127.0.0.1", port), _Catcher)
    except OSError as exc:
        raise ConfigError(f"--port {port}: cannot listen on 127.0.0.1: {exc.strerror or exc}") from None
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}{CALLBACK_PATH}"
    state = secrets.token_urlsafe(16)
    marketplace = env.get(ENV_MARKETPLACE_URL, "").strip() or (
        WHITE_LABEL_MARKETPLACE_URL if white_label else MARKETPLACE_URL
    )
    from ghlops.ghl.scopes import all_scopes

    query = {
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "scope": " ".join(all_scopes()),
        "state": state,
    }
    url = f"{marketplace.rstrip('/')}/oauth/chooselocation?{urlencode(query)}"
    io.err("Open this URL to authorise ghlops for the agency (choose the agency and all sub-accounts):")
    io.out(url)
    io.err(f"Waiting for GHL to redirect to {redirect_uri} ...")
    server.timeout = 1.0
    thread = threading.Thread(target=_serve_until_answer, args=(server, timeout_s), daemon=True)
    thread.start()
    try:
        (open_browser or _open_browser)(url)
        thread.join(timeout_s + 2)
    finally:
        server.server_close()
    answer = server.answer
    if answer is None:
        raise ConfigError(f"no redirect from GHL within {timeout_s:g}s; run `ghlops auth login` again")
    if answer.get("state") != state:
        raise ConfigError("the redirect carried the wrong state: refusing the code (was the URL tampered with?)")
    if "code" not in answer:
        raise ConfigError(f"GHL did not authorise: {answer.get('error', 'no code in the redirect')}")
    http, base = _http(env)
    with http:
        grant = exchange_code(
            OAuthHttp(http, base, "ghlops", lambda: (client_secret,)),
            client_id,
            client_secret,
            Secret(answer["code"]),
            redirect_uri,
            time.time(),
        )
    if grant.refresh_token is None:
        raise ConfigError("GHL answered no refresh token: is the app's distribution type Agency (Company)?")
    path = credentials_path(env)
    save_store(
        path,
        StoredCredentials(
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=grant.refresh_token,
            company_id=grant.company_id,
            white_label=white_label,
        ),
    )
    io.out(f"Logged in: company {grant.company_id or 'unknown'}; credentials stored in {path} (mode 0600).")
    return exit_codes.OK


def _serve_until_answer(server: _OneShot, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while server.answer is None and time.monotonic() < deadline:
        server.handle_request()


def _open_browser(url: str) -> None:
    with contextlib.suppress(webbrowser.Error):  # no browser here: the URL is printed
        webbrowser.open(url)


# -- refresh and logout -----------------------------------------------------------------------------------------


def auth_refresh(*, env: Mapping[str, str], io: Io, access_token_file: str | None) -> int:
    """Refresh now; the rotated refresh token is saved where it came from, the access token to a file."""
    config = oauth_config(env)
    if not config.has_refresh:
        raise ConfigError(
            f"nothing to refresh: set {ENV_CLIENT_ID}, {ENV_CLIENT_SECRET} and {ENV_REFRESH_TOKEN_FILE} "
            "(or run `ghlops auth login`)"
        )
    http, base = _http(env)
    with http:
        oauth = AgencyOAuth(config, OAuthHttp(http, base, "ghlops", config.secrets))
        grant = oauth.refresh()
    where = config.refresh_file or config.store_path
    if access_token_file:
        write_secret_file(Path(access_token_file), grant.access_token.reveal() + "\n")
    io.out(
        f"Refreshed: company {grant.company_id or 'unknown'}, access token valid until {_when(grant.expires_at)}; "
        f"rotated refresh token saved to {where}"
        + (f"; access token written to {access_token_file}" if access_token_file else "")
        + "."
    )
    return exit_codes.OK


def auth_logout(*, env: Mapping[str, str], io: Io) -> int:
    path = credentials_path(env)
    if delete_store(path):
        io.out(f"Removed {path}.")
    else:
        io.out(f"No stored credentials at {path}.")
    return exit_codes.OK


# -- status -----------------------------------------------------------------------------------------------------


def auth_status(*, env: Mapping[str, str], io: Io, paths: Sequence[str]) -> int:
    """What a run would use: sources, the agency token's company, expiry and scopes, and per location."""
    config = oauth_config(env)
    store = credentials_path(env)
    stored = load_store(store)
    token_map = parse_token_map(env)
    agency_raw = env.get(ENV_AGENCY_TOKEN, "").strip()
    agency = Secret(agency_raw) if agency_raw else None
    io.out("Credential sources:")
    io.out(f"  {ENV_LOCATION_TOKEN}: {'set' if env.get(ENV_LOCATION_TOKEN, '').strip() else 'not set'}")
    io.out(
        f"  {ENV_LOCATION_TOKENS}: {len(token_map)} location(s)" if token_map else f"  {ENV_LOCATION_TOKENS}: not set"
    )
    kinds = {
        "oauth-company": "agency OAuth token",
        "pit": "Private Integration token",
        "oauth-location": "location OAuth token",
    }
    io.out(f"  {ENV_AGENCY_TOKEN}: {kinds.get(token_kind(agency), 'not set')}")
    refresh_from = config.refresh_origin or "none"
    io.out(
        f"  OAuth refresh: client id {'set' if config.client_id else 'not set'}, "
        f"client secret {'set' if config.client_secret else 'not set'}, refresh token from {refresh_from}"
    )
    io.out(f"  credentials store: {store} ({'present' if stored else 'absent'})")
    refusal = config.refresh_refusal()
    if refusal:
        io.out(f"  warning: {refusal}")

    oauth_token = config.access_token
    scopes: tuple[str, ...] | None = None
    expired = oauth_token is not None and not config.access_valid(time.time())
    if oauth_token is not None:
        io.out(
            f"Agency OAuth token: company {config.company_id or 'unknown'}, expires {_when(token_expiry(oauth_token))}"
            + (" (EXPIRED: run the token-refresh workflow or `ghlops auth refresh`)" if expired else "")
        )
        scopes = token_scopes(oauth_token)
    elif config.has_refresh:
        # Status never spends the single-use refresh token: expiry, scopes and installations need an access token.
        io.out(
            f"Agency OAuth token: none yet, company {config.company_id or 'unknown'} (a run refreshes one; "
            "`ghlops auth refresh` does it now, and `auth status` with GHL_AGENCY_TOKEN set shows its scopes "
            "and installations)"
        )

    problems = 0
    if paths:
        from ghlops.workflow import load

        manifests = load(paths, env, offline=True)
        targets = [Target(i.desired.location_id, i.desired.name, i.desired.token_env) for i in manifests.loaded]
        managed = sorted({kind for i in manifests.loaded for kind, entries in i.desired.entries.items() if entries})
        if scopes is not None:
            missing = missing_scopes(managed, scopes)
            io.out(f"Scopes: {len(scopes)} granted; " + ("all that the managed kinds need" if not missing else ""))
            for kind, needed in missing.items():
                io.out(f"  missing for {kind}: {', '.join(needed)}")
        # GHL would answer an expired token 401 "Invalid JWT": the installations are unknown until a refresh.
        installed = _installed(env, config) if oauth_token is not None and not expired else None
        resolution = resolve(env, targets)
        reasons = dict((t.location_id, m) for t, m in resolution.problems)
        io.out("Locations:")
        for target in targets:
            source = resolution.sources.get(target.location_id)
            line = f"  {target.label}: " + (f"token from {source.value}" if source else "NO TOKEN")
            if installed is not None:
                line += ", app installed" if target.location_id in installed else ", app NOT installed"
            io.out(line)
            if target.location_id in reasons:
                problems += 1
                io.out(f"    {reasons[target.location_id]}")
    if problems:
        io.err(f"{problems} location(s) would have no token")
        return exit_codes.ERROR
    return exit_codes.OK


def _installed(env: Mapping[str, str], config: OAuthConfig) -> set[str] | None:
    """Location ids the app is installed on (GET /oauth/installedLocations), None when the app is unknown."""
    assert config.access_token is not None
    meta = jwt_claims(config.access_token.reveal()).get("oauthMeta")
    # The token names its app; else GHL's client ids are "<appId>-<suffix>".
    app_id = meta.get("client") if isinstance(meta, dict) else None
    if not isinstance(app_id, str) or not app_id:
        app_id = config.client_id.split("-")[0] if config.client_id else None
    if not app_id:
        return None
    http, base = _http(env)
    found: set[str] = set()
    with http:
        caller = OAuthHttp(http, base, "ghlops", config.secrets)
        skip = 0
        while True:
            params = {"companyId": config.company_id or "", "appId": app_id, "skip": str(skip), "limit": "100"}
            _, body = caller.call(
                "GET", INSTALLED_LOCATIONS_PATH, params=params, bearer=config.access_token, attempts=3
            )
            rows = body.get("locations") if isinstance(body, dict) else None
            if not isinstance(rows, list) or not rows:
                break
            found.update(str(r.get("_id")) for r in rows if isinstance(r, dict))
            skip += len(rows)
            count = body.get("count")
            if isinstance(count, int) and skip >= count:
                break
    return found
