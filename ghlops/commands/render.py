"""`ghlops render`: show what a location's templates and variables produce, as a manifest."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ghlops.commands import exit_codes
from ghlops.commands.export import write_output
from ghlops.errors import ConfigError
from ghlops.manifest.flatten import render_location
from ghlops.manifest.loader import read_sources
from ghlops.manifest.templates import value_at
from ghlops.manifest.yaml_out import dump_documents
from ghlops.output import Io

_GLOB = frozenset("*?[")


def render_command(
    paths: Sequence[str | Path],
    *,
    location: str | Sequence[str],
    output: str | None,
    env: Mapping[str, str],
    io: Io,
    force: bool = False,
) -> int:
    """Each named location (names or globs, as plan's --location) merged, as YAML documents separated by ---."""
    patterns = [location] if isinstance(location, str) else list(location)
    names = location_names(paths, patterns)
    documents: list[tuple[Mapping[str, Any], str | None]] = [render_location(paths, name, env) for name in names]
    write_output(dump_documents(documents), output, force=force, io=io)
    return exit_codes.OK


def location_names(paths: Sequence[str | Path], patterns: Sequence[str]) -> list[str]:
    """The Location names the patterns pick, in document order, each once. A plain name is passed through (so
    render_location's "did you mean" answers a typo); a glob that matches nothing is an error naming the known."""
    if not any(_GLOB & set(p) for p in patterns):
        return list(dict.fromkeys(patterns))
    names = [n for d in read_sources(paths).locations if isinstance(n := value_at(d.data, ("metadata", "name")), str)]
    chosen: list[str] = []
    for pattern in patterns:
        if not _GLOB & set(pattern):
            chosen.append(pattern)
            continue
        matched = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        if not matched:
            raise ConfigError(
                f"--location {pattern!r} matches no Location document (known: {', '.join(sorted(names)) or 'none'})"
            )
        chosen.extend(matched)
    return list(dict.fromkeys(chosen))
