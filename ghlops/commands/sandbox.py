"""`ghlops sandbox`: run the GHL emulator, optionally seeded from manifests, until interrupted."""

from __future__ import annotations

import errno
import json
import secrets
import shlex
import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ghlops import redact
from ghlops.commands import exit_codes
from ghlops.errors import ConfigError
from ghlops.ghl.client import is_loopback_host
from ghlops.output import Io

if TYPE_CHECKING:
    from ghlops.sandbox import Sandbox


def sandbox_command(
    *,
    host: str,
    port: int,
    db: str,
    seed: Sequence[str],
    latency_ms: float,
    fail_rate: float,
    rate_limit: bool,
    fault_seed: int,
    io: Io,
    reset_rate: float = 0.0,
    ambiguous_rate: float = 0.0,
    token_ttl: float = 86399.0,
) -> int:
    from ghlops.sandbox import FaultConfig, Sandbox
    from ghlops.sandbox.seed import seed as seed_paths

    for option, rate in (
        ("--fail-rate", fail_rate),
        ("--reset-rate", reset_rate),
        ("--ambiguous-rate", ambiguous_rate),
    ):
        if not 0.0 <= rate <= 1.0:
            raise ConfigError(f"{option} must be between 0 and 1")
    if latency_ms < 0:
        raise ConfigError("--latency-ms must not be negative")
    if not is_loopback_host(host):
        io.err(f"warning: binding {host}: the sandbox is reachable from other machines")
    faults = FaultConfig(
        latency_ms=latency_ms,
        fail_rate=fail_rate,
        reset_rate=reset_rate,
        ambiguous_rate=ambiguous_rate,
        rate_limit=rate_limit,
        seed=fault_seed,
    )
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port} is out of range (0-65535; 0 picks a free port)")
    if token_ttl <= 0:
        raise ConfigError("--token-ttl must be a positive number of seconds")
    # Fresh random tokens per run: a sandbox left listening must not accept a guessable token.
    try:
        sb = Sandbox(
            db_path=db,
            host=host,
            port=port,
            agency_token="pit-" + secrets.token_hex(16),
            company_id="sandbox-company",
            # Seeding runs fault-free (same seed, so the same ids); the faults start with the first outside request.
            faults=FaultConfig(seed=fault_seed),
            token_ttl_s=token_ttl,
        )
    except sqlite3.Error as exc:
        raise ConfigError(f"--db {db}: cannot open the database: {exc}") from None
    try:
        sb.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"--port {port}: the port is in use on {host} (pick another, or 0 for a free one)"
            ) from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        if seed:
            names = seed_paths(sb, seed)
            io.err(f"seeded {len(names)} location(s): {', '.join(names)}")
        sb.faults = faults
        io.err("GHL sandbox listening; paste these lines into a shell to use it (Ctrl-C stops it):")
        # The sandbox's own credentials, printed on purpose: seeding registered them as secrets (ghlops.redact).
        own = [*sb.location_tokens().values(), sb.agency_access_token, sb.agency_token, sb.oauth_client_secret]
        redact.forget(*own)
        for line in setup_lines(sb):
            io.out(line)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        io.err("sandbox stopped")
    finally:
        sb.stop()
    return exit_codes.OK


def setup_lines(sb: Sandbox) -> list[str]:
    """What a user pastes: a working default, then each of README's three credential set-ups to try."""
    from ghlops.sandbox.seed import sandbox_env

    tokens = sb.location_tokens()
    lines = [f"export {name}={shlex.quote(value)}" for name, value in sandbox_env(sb).items()]
    lines.append("# Set-up 1, one location: its own token")
    first = next(iter(tokens.items()), None)
    if first is not None:
        lines.append(f"#   export GHL_TOKEN={shlex.quote(first[1])}   # location {first[0]} only")
    lines.append("# Set-up 2, many Private Integration tokens in one secret (as above):")
    lines.append(f"#   export GHL_LOCATION_TOKENS={shlex.quote(json.dumps(tokens, separators=(',', ':')))}")
    lines.append(f"#   export GHL_AGENCY_TOKEN={shlex.quote(sb.agency_token)}   # the agency's PIT (users only)")
    lines.append("# Set-up 3, an agency OAuth app (location tokens are minted; unset GHL_LOCATION_TOKENS):")
    lines.append(f"#   export GHL_OAUTH_CLIENT_ID={shlex.quote(sb.oauth_client_id)}")
    lines.append(f"#   export GHL_OAUTH_CLIENT_SECRET={shlex.quote(sb.oauth_client_secret)}")
    lines.append(f"#   echo {shlex.quote(sb.issue_refresh_token())} > refresh-token && chmod 600 refresh-token")
    lines.append("#   export GHL_OAUTH_REFRESH_TOKEN_FILE=$PWD/refresh-token")
    lines.append(f"#   export GHL_MARKETPLACE_URL={shlex.quote(sb.url)}   # `ghlops auth login` consents here")
    return lines
