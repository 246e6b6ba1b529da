"""Text from GHL or a manifest made safe to print: one line, and nothing a terminal would act on.

Names, values and messages quoting them come from manifests and from GHL, so they may hold newlines (a forged
plan line), ANSI escapes (colour, cursor moves, a rewritten title bar), C1 controls (``\\x9b`` is CSI on some
terminals), Unicode line separators (``str.splitlines`` and some viewers break there) or bidi overrides (text
shown in another order than it reads). The text renderers show each as a visible escape; the markdown renderer
has its own visible marks (see render_markdown.one_line) but uses the same set of characters.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls; line and paragraph separators; bidi embeddings, overrides, isolates and marks.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
NEWLINES = re.compile(r"\r\n|\r|\n")

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every unsafe character written as a backslash escape (``\\n``, ``\\x1b``, ``\\u2028``)."""
    return UNSAFE.sub(_escape, text)
