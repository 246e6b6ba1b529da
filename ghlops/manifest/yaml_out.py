"""Manifest data -> YAML text that ``ghlops validate`` reads back unchanged.

Block style, keys in the order given (callers order them), short lists of scalars inline
(``tags: [vip, new-lead]``), multi-line strings as literal blocks, whole floats as integers. Strings that would
read back as another type are quoted by ruamel.yaml (YAML 1.2 rules, the same the loader uses).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString, SingleQuotedScalarString

__all__ = ["dump_documents", "to_yaml"]

_INLINE_WIDTH = 80
# YAML 1.1 booleans: plain strings under YAML 1.2 (the loader's rules), quoted anyway for other readers.
_YAML11_BOOLS = frozenset({"y", "n", "yes", "no", "on", "off"})


def _node(value: Any, indent: int) -> Any:
    if isinstance(value, Mapping):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[str(key)] = _node(item, indent + 2)
        return mapping
    if isinstance(value, list | tuple):
        seq = CommentedSeq(_node(item, indent + 2) for item in value)
        short = indent + sum(len(str(item)) + 2 for item in value) < _INLINE_WIDTH
        if value and short and all(_inline_scalar(item) for item in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    if isinstance(value, str) and value.casefold() in _YAML11_BOOLS:
        return SingleQuotedScalarString(value)
    return value


def _inline_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and not (isinstance(value, str) and ("\n" in value or not value))


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold long strings
    yaml.allow_unicode = True
    return yaml


def to_yaml(document: Mapping[str, Any], *, comment: str | None = None) -> str:
    """One document as YAML; ``comment`` (may span lines) goes on top as ``#`` lines."""
    out = io.StringIO()
    if comment:
        for line in comment.splitlines():
            out.write(f"# {line}".rstrip() + "\n")
    _yaml().dump(_node(document, 0), out)
    return out.getvalue()


def dump_documents(documents: Sequence[tuple[Mapping[str, Any], str | None]]) -> str:
    """Several documents (each with an optional top comment), separated by ``---``."""
    return "---\n".join(to_yaml(document, comment=comment) for document, comment in documents)
