"""Make manifests the sandbox's live state: create their locations, then apply them through ghlops itself.

Seeding through the real client and executor keeps seeded objects exactly as GHL would hold them
(server-filled defaults, ids, `_id`s) instead of hand-built rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ghlops.errors import GhlopsError
from ghlops.sandbox.contacts import seed_contacts

if TYPE_CHECKING:
    from ghlops.sandbox import Sandbox


def sandbox_env(sb: Sandbox) -> dict[str, str]:
    """The environment a ghlops run needs to talk to this sandbox, under GHL's token scoping.

    Each existing location's own token goes in ``GHL_LOCATION_TOKENS``; ``GHL_AGENCY_TOKEN`` is an agency OAuth
    access token, which serves the company-level calls and mints a token for any location created later.
    """
    return {
        "GHL_BASE_URL": sb.url,
        "GHL_LOCATION_TOKENS": json.dumps(sb.location_tokens(), separators=(",", ":")),
        "GHL_AGENCY_TOKEN": sb.agency_access_token,
        "GHL_COMPANY_ID": sb.company_id,
    }


def create_locations(sb: Sandbox, paths: Sequence[str | Path]) -> list[str]:
    """Create the locations the manifests name (empty), so a plan against them can run."""
    from ghlops.workflow import load

    manifests = load(paths, sandbox_env(sb))
    for item in manifests.loaded:
        sb.store.create_location(item.desired.location_id, item.desired.name, sb.company_id)
    return [item.desired.name for item in manifests.loaded]


def seed(sb: Sandbox, paths: Sequence[str | Path]) -> list[str]:
    """Create the manifests' locations and apply the manifests; returns the seeded location names."""
    from ghlops.apply import Executor
    from ghlops.live import LiveReader
    from ghlops.workflow import Settings, load, make_client, plan, read

    settings = Settings(env=sandbox_env(sb), parallelism=4, rate_limit=False)
    names = create_locations(sb, paths)
    manifests = load(paths, settings.env)
    with make_client(settings, manifests.loaded) as client:
        result = plan(read(client, manifests.loaded, settings))
        if result.errors:
            raise GhlopsError("cannot seed the sandbox: " + "; ".join(result.errors))
        report = Executor(client, LiveReader(client, parallelism=4), parallelism=4, env=settings.env).apply(result)
    if not report.ok:
        first = report.failed[0]
        raise GhlopsError(f"cannot seed the sandbox: {first.section}: {first.error}")
    seed_contacts(sb.store, paths)  # the *.contacts.json fixtures beside the manifests
    return names
