"""`ghlops fmt [--check] PATH...`: rewrite manifests in canonical form (see :mod:`ghlops.fmt`).

Every file is formatted in memory first; if any cannot be (broken YAML, or a rewrite that would change what it
means), the problems are reported and nothing is written. ``--check`` writes nothing and exits 1 listing the
files that would change (pre-commit, CI).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ghlops.commands import exit_codes
from ghlops.commands.pull import write_atomically
from ghlops.errors import ConfigError, GhlopsError, ManifestErrors
from ghlops.fmt import format_text
from ghlops.manifest.discovery import discover_files
from ghlops.output import Io


def fmt_command(paths: Sequence[str | Path], *, check: bool, io: Io) -> int:
    found, errors = discover_files(paths)
    if errors:
        raise ManifestErrors(errors)
    problems: list[str] = []
    changed: list[tuple[str, str]] = []
    for path, shown in found:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{shown}: cannot read: {getattr(exc, 'strerror', None) or exc}")
            continue
        try:
            formatted = format_text(text, shown)
        except GhlopsError as exc:
            problems.append(str(exc))
            continue
        if formatted != text:
            changed.append((shown, formatted))
    if problems:
        raise ConfigError("\n".join(problems))
    n = len(found)
    if check:
        for shown, _ in changed:
            io.out(f"would reformat {shown}")
        if changed:
            io.out(f"{len(changed)} of {n} file{'s' if n != 1 else ''} would be reformatted; run: ghlops fmt")
            return exit_codes.ERROR
        io.out(f"{n} file{'s' if n != 1 else ''} already formatted.")
        return exit_codes.OK
    for shown, formatted in changed:
        write_atomically(shown, formatted)
        io.out(f"reformatted {shown}")
    io.out(f"{len(changed)} of {n} file{'s' if n != 1 else ''} reformatted.")
    return exit_codes.OK
