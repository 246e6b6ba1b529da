"""Writing files ghlops produces (manifests, plans, schemas, credentials): atomically, never through a symlink.

A reader never sees half a file, a failed write (a full disk) leaves the old file or nothing, never an empty
one, and a symlink planted where an output goes is refused rather than followed to overwrite its target.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ghlops.errors import ConfigError
from ghlops.redact import scrub


def write_atomically(
    path: str | Path,
    text: str | Iterable[str],
    *,
    mode: int | None = None,
    what: str | None = None,
    holds_secret: bool = False,
) -> None:
    """Replace ``path`` with ``text``. ``mode``: the new file's permissions (default: the old file's, else 0644
    less the umask as any new file). ConfigError names the file on any failure, and nothing is left behind.
    Known secrets in ``text`` are masked (ghlops.redact), except in the credential files (``holds_secret``).
    ``text`` may come in pieces (a large plan file, written as it is made); each is masked on its own, so a
    secret must not span two (the caller's promise: see ghlops.plan.saved.write_plan)."""
    target = Path(path)
    pieces = [text] if isinstance(text, str) else text
    if not holds_secret:
        pieces = (scrub(piece) for piece in pieces)
    shown = what or str(path)
    if target.is_symlink():
        raise ConfigError(f"{shown}: refusing to write through a symlink; remove it or write elsewhere")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise ConfigError(f"{shown}: directory {directory} does not exist")
    if mode is None:
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        except OSError as exc:
            raise ConfigError(f"{shown}: cannot write: {exc.strerror or exc}") from None
    temp: str | None = None
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for piece in pieces:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException as exc:  # a piece that fails to be made (or Ctrl-C) leaves nothing behind either
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        if isinstance(exc, OSError):
            raise ConfigError(f"{shown}: cannot write: {exc.strerror or exc}") from None
        raise
