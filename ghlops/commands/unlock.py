"""`ghlops force-unlock LOCATION...`: remove a location's apply lock when the run holding it is known to be gone."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ghlops.commands import exit_codes
from ghlops.lease import force_unlock
from ghlops.output import Io
from ghlops.workflow import Settings, load, make_client, select


def force_unlock_command(paths: Sequence[str | Path], *, locations: Sequence[str], settings: Settings, io: Io) -> int:
    selected = select(load(paths, settings.env), locations)
    with make_client(settings, selected) as client:
        for item in selected:
            name, location_id = item.desired.name, item.desired.location_id
            removed = force_unlock(client, location_id, name)
            if not removed:
                io.out(f"{name}: not locked")
            for info in removed:
                io.out(f"{name}: removed the lock held by {info.describe()}")
    return exit_codes.OK
