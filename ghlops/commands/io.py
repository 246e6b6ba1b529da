"""Where commands write: injected so tests capture output and the CLI decides colour and terminals."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from ghlops.redact import scrub


def _stdout(text: str) -> None:
    sys.stdout.write(scrub(text) + "\n")  # known secrets masked (ghlops.redact)
    sys.stdout.flush()


def _stderr(text: str) -> None:
    sys.stderr.write(scrub(text) + "\n")
    sys.stderr.flush()


def _no_answer(prompt: str) -> str:
    return ""


@dataclass
class Io:
    out: Callable[[str], None] = _stdout
    err: Callable[[str], None] = _stderr
    colour: bool = False
    interactive: bool = False  # stdin and stdout are terminals: apply may ask for confirmation
    ask: Callable[[str], str] = field(default=_no_answer)
