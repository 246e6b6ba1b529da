"""`ghlops validate`: manifests are checked completely, and no API call is made."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ghlops.commands import exit_codes
from ghlops.output import Io
from ghlops.workflow import load


def validate(paths: Sequence[str | Path], *, env: Mapping[str, str], io: Io, offline: bool = False) -> int:
    manifests = load(paths, env, offline=offline)
    n = len(manifests.loaded)
    objects = sum(len(entries) for item in manifests.loaded for entries in item.desired.entries.values())
    io.out(
        f"Valid: {n} location{'s' if n != 1 else ''}, {objects} object{'s' if objects != 1 else ''} "
        f"in {len(manifests.files)} file{'s' if len(manifests.files) != 1 else ''}."
    )
    return exit_codes.OK
