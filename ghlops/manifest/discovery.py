"""Which files are manifests: paths given on the command line, directories searched, ``.ghlopsignore`` applied.

A directory is searched recursively for ``*.yaml`` / ``*.yml`` (hidden files and directories skipped), in tree
order. ``.ghlopsignore`` in a directory passed on the command line keeps other YAML kept beside manifests (CI
workflows, mkdocs.yml) out of the run. It follows gitignore's rules (through pathspec): ``#`` comments,
``dir/`` matches a directory at any depth, a pattern with a slash is anchored at that directory, ``**``
spans directories, and ``!pattern`` re-includes what an earlier pattern excluded (as in git, nothing inside an
excluded directory can be re-included: the directory is not searched at all).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pathspec

from ghlops.errors import ManifestError, ManifestErrors

__all__ = ["IGNORE_FILE", "MANIFEST_SUFFIXES", "discover", "discover_files", "ignore_spec"]

MANIFEST_SUFFIXES = (".yaml", ".yml")
IGNORE_FILE = ".ghlopsignore"


def _is_manifest_name(name: str) -> bool:
    return name.lower().endswith(MANIFEST_SUFFIXES)


def discover_files(paths: Sequence[str | Path]) -> tuple[list[tuple[Path, str]], list[ManifestError]]:
    """Like :func:`discover` but never raises: ``([(path, display name), ...], errors)``."""
    found: list[tuple[Path, str]] = []
    errors: list[ManifestError] = []
    seen: set[Path] = set()
    if not paths:
        errors.append(ManifestError("no manifest files or directories given"))
    for raw in paths:
        shown = os.fspath(raw)
        path = Path(raw)
        candidates: list[tuple[Path, str]] = []
        if path.is_dir():
            candidates = _walk_directory(path, errors)
            if not candidates:
                errors.append(ManifestError(f"{shown}: no manifests (*.yaml, *.yml) in this directory"))
        elif path.is_file():
            candidates = [(path, shown)]
        elif path.exists():
            errors.append(ManifestError(f"{shown}: not a regular file or a directory"))
        else:
            errors.append(ManifestError(f"{shown}: no such file or directory"))
        for candidate, display in candidates:
            try:
                identity = candidate.resolve()
            except (OSError, RuntimeError):
                identity = candidate.absolute()
            if identity not in seen:
                seen.add(identity)
                found.append((candidate, display))
    return found, errors


def discover(paths: Sequence[str | Path]) -> list[Path]:
    """Manifest files named by ``paths``: files as given, directories searched recursively for ``*.yaml`` and
    ``*.yml`` (sorted, hidden files and directories skipped, ``.ghlopsignore`` applied), duplicates dropped.

    Raises ``ManifestError`` for a missing path or a directory without manifests (``ManifestErrors`` when
    there are several such problems).
    """
    found, errors = discover_files(paths)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ManifestErrors(errors)
    return [path for path, _ in found]


def ignore_spec(root: Path) -> pathspec.GitIgnoreSpec | None:
    """The patterns of ``root/.ghlopsignore`` (``None`` when there is no readable file)."""
    try:
        text = (root / IGNORE_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return pathspec.GitIgnoreSpec.from_lines(text.splitlines())


def _walk_directory(root: Path, errors: list[ManifestError]) -> list[tuple[Path, str]]:
    """Every manifest below ``root`` (hidden files and directories and ignored paths skipped), in tree order."""
    results: list[tuple[tuple[str, ...], Path]] = []

    def on_error(exc: OSError) -> None:
        where = exc.filename if exc.filename is not None else root
        errors.append(ManifestError(f"{where}: cannot read directory: {exc.strerror or exc}"))

    spec = ignore_spec(root)

    def ignored(relative: Path, is_dir: bool) -> bool:
        if spec is None:
            return False
        # gitignore tells directories by a trailing slash: `dir/` patterns match only those.
        return spec.match_file(relative.as_posix() + ("/" if is_dir else ""))

    for directory, subdirs, files in os.walk(root, onerror=on_error):
        here = Path(directory)
        subdirs[:] = sorted(
            d for d in subdirs if not d.startswith(".") and not ignored((here / d).relative_to(root), True)
        )
        for name in files:
            if name.startswith(".") or not _is_manifest_name(name):
                continue
            path = here / name
            if ignored(path.relative_to(root), False):
                continue
            if path.is_file():
                results.append((path.relative_to(root).parts, path))
    results.sort(key=lambda item: item[0])
    return [(path, str(path)) for _, path in results]
