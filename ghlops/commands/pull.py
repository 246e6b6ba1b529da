"""`ghlops pull PATH... [--location NAME]... [--check] [--diff]`: live values of managed fields into the manifests.

Reads live state exactly as plan does (load, select, client, read), then :func:`ghlops.pull.pull` decides the
new text of each manifest file. Before anything is written, the new texts are loaded again, with every other
manifest of the run, by the strict reader: a pull never leaves an invalid manifest, and writes nothing when it
would. Files are replaced atomically (a temporary file beside each, then a rename), so an interrupted pull leaves
each file either as it was or fully pulled.
"""

from __future__ import annotations

import difflib
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from ghlops.commands import exit_codes
from ghlops.errors import ConfigError, ManifestErrors
from ghlops.manifest.loader import Manifests
from ghlops.output import Io
from ghlops.pull import Pulled, pull
from ghlops.workflow import Settings, load, make_client, read, select


def check_pulled(manifests: Manifests, pulled: Pulled, env: Mapping[str, str]) -> None:
    """ConfigError when the pulled files would not load (nothing has been written yet)."""
    changed = set(pulled.changed_files)
    with tempfile.TemporaryDirectory(prefix="ghlops-pull-") as tmp:
        names: dict[str, str] = {}
        mirrored = []
        for i, path in enumerate(manifests.files):
            target = Path(tmp, str(i), path.name)
            target.parent.mkdir()
            if str(path) in changed:
                target.write_text(pulled.after[str(path)], encoding="utf-8")
            else:
                shutil.copyfile(path, target)
            names[str(target)] = str(path)
            mirrored.append(target)
        try:
            load(mirrored, env, offline=True)
        except ManifestErrors as exc:
            lines = str(exc)
            for shown, original in names.items():
                lines = lines.replace(shown, original)
            raise ConfigError(
                f"pull would leave an invalid manifest, so it wrote nothing (a bug: please report):\n{lines}"
            ) from None


def write_atomically(name: str, text: str) -> None:
    # Keeps the file's mode; refuses a symlink (ghlops.files).
    from ghlops.files import write_atomically as write

    write(name, text)


def unified_diff(name: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=f"a/{name}", tofile=f"b/{name}"
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def pull_command(
    paths: Sequence[str | Path],
    *,
    locations: Sequence[str],
    check: bool,
    diff: bool,
    settings: Settings,
    io: Io,
) -> int:
    manifests = load(paths, settings.env)
    selected = select(manifests, locations)
    with make_client(settings, selected) as client:
        snapshot = read(client, selected, settings)
    pulled = pull(manifests, snapshot)
    changed = pulled.changed_files
    if changed:
        check_pulled(manifests, pulled, settings.env)
    # With --diff, stdout is the patch alone (`ghlops pull --diff > drift.patch`); the report goes to stderr.
    report = io.err if diff else io.out
    for line in pulled.changes:
        report(line)
    for note in pulled.notes:
        report(f"note: {note}")
    for line in pulled.summary:
        report(line)
    if diff:
        for name in changed:
            io.out(unified_diff(name, pulled.before[name], pulled.after[name]).rstrip("\n"))
    elif not check:
        for name in changed:
            write_atomically(name, pulled.after[name])
    values = len(pulled.changes)
    files = f"{len(changed)} file{'s' if len(changed) != 1 else ''}"
    if not changed:
        report("No changes: the manifests hold the live value of every field they manage.")
    elif check or diff:
        report(f"Pull would write {values} value{'s' if values != 1 else ''} into {files}: {', '.join(changed)}")
    else:
        report(f"Pulled {values} value{'s' if values != 1 else ''} into {files}.")
    if check and changed:
        return exit_codes.ERROR
    return exit_codes.OK
