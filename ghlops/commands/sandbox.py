"""`ghlops sandbox`: run the GHL emulator, optionally seeded from manifests, until interrupted."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence

from ghlops.commands import exit_codes
from ghlops.commands.io import Io
from ghlops.errors import ConfigError
from ghlops.ghl.client import is_loopback_host


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
) -> int:
    from ghlops.sandbox import FaultConfig, Sandbox
    from ghlops.sandbox.seed import sandbox_env
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
    # Fresh random tokens per run: a sandbox left listening must not accept a guessable token.
    sb = Sandbox(
        db_path=db,
        host=host,
        port=port,
        location_token="sbx-loc-" + secrets.token_urlsafe(16),
        agency_token="sbx-agency-" + secrets.token_urlsafe(16),
        company_id="sandbox-company",
        # Seeding runs fault-free (same seed, so the same ids); the faults start with the first outside request.
        faults=FaultConfig(seed=fault_seed),
    )
    sb.start()
    try:
        if seed:
            names = seed_paths(sb, seed)
            io.err(f"seeded {len(names)} location(s): {', '.join(names)}")
        sb.faults = faults
        io.err("GHL sandbox listening; paste these lines into a shell to use it (Ctrl-C stops it):")
        for name, value in sandbox_env(sb).items():
            io.out(f"export {name}={value}")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        io.err("sandbox stopped")
    finally:
        sb.stop()
    return exit_codes.OK
