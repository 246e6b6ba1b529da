"""``${NAME}`` environment interpolation in manifest string values.

Only string *values* are interpolated (never keys), in place, so positions stay where they were. ``$${NAME}``
is an escape that yields a literal ``${NAME}``. Names follow the shell: ``[A-Za-z_][A-Za-z0-9_]*``; there are
no defaults or other operators. A string with any problem is left unchanged and each problem is reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ghlops.errors import ManifestError
from ghlops.manifest.positions import rewrite_strings

__all__ = ["interpolate_env", "interpolate_string"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_REFERENCE = re.compile(r"\$\$\{|\$\{")


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def interpolate_string(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """Expand ``${NAME}`` in ``text``: ``(result, problems)``; on any problem ``text`` is returned as is."""
    if "$" not in text:
        return text, []
    out: list[str] = []
    problems: list[str] = []
    index = 0
    while True:
        match = _REFERENCE.search(text, index)
        if match is None:
            out.append(text[index:])
            break
        out.append(text[index : match.start()])
        if match.group() == "$${":
            out.append("${")
            index = match.end()
            continue
        close = text.find("}", match.end())
        if close < 0:
            fragment = _shorten(text[match.start() :])
            problems.append(f"unclosed variable reference {fragment!r} (missing '}}')")
            break
        name = text[match.end() : close]
        reference = text[match.start() : close + 1]
        if not name:
            problems.append("empty variable reference '${}'")
        elif not _NAME.match(name):
            problems.append(
                f"invalid variable reference {_shorten(reference)!r}: names are letters, digits and '_' "
                "and do not start with a digit"
            )
        elif name not in env:
            problems.append(f"environment variable {name} is not set")
        else:
            out.append(env[name])
        index = close + 1
    if problems:
        return text, problems
    return "".join(out), []


def interpolate_env(data: Any, env: Mapping[str, str]) -> list[ManifestError]:
    """Replace ``${NAME}`` in every string value under ``data`` in place; return one error per problem.

    Errors point at the string's position and name its path, e.g.
    ``m.yaml:7:12: spec.customValues[0].value: environment variable API_KEY is not set``.
    """
    return rewrite_strings(data, lambda value: interpolate_string(value, env), marker="$")
