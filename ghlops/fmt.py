"""Manifests in canonical form (``ghlops fmt``): the key order, indentation and quoting export writes.

* Keys: ``apiVersion, kind, metadata, spec``; the spec and every entry in the model's field order (what
  :mod:`ghlops.export` writes), with ghlops' own keys (``remove``, ``renamedFrom``, ``ignoreChanges``,
  ``protect``) after the kind's fields; keys no model knows keep their place after those. Entries are never
  reordered: list order is meaning (options, templates, the order changes are planned in).
* Style (:mod:`ghlops.manifest.yaml_out`): block mappings, 2-space mapping indent, sequences indented 4 with the dash at
  2, short lists of scalars inline, multi-line strings as literal blocks, quotes only where YAML needs them
  (and on YAML 1.1 booleans such as ``'yes'``, for other readers), no line folding.
* Comments stay where ruamel's round trip keeps them (attached to the key or item they follow).

Meaning never changes: each file is read by the strict reader before and after, and a rewrite whose data differs
in any value or type is refused (the file is left as it is). Formatting the output again gives the same text.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString, SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from ghlops.errors import ConfigError, ManifestErrors
from ghlops.kinds.base import META_FIELDS, Entry
from ghlops.manifest.model import LocationDocument, TemplateDocument
from ghlops.manifest.yaml_io import load_text

__all__ = ["format_text"]

_INLINE_WIDTH = 80  # as ghlops.manifest.yaml_out: a list of scalars is written inline when it fits
_YAML11_BOOLS = frozenset({"y", "n", "yes", "no", "on", "off"})
_TOP = ("apiVersion", "kind", "metadata", "spec")
_OWN_KEYS = ("remove", "renamedFrom", "ignoreChanges", "protect", "passwordEnv")
_DOCUMENTS: dict[str, type[BaseModel]] = {"Location": LocationDocument, "Template": TemplateDocument}


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.allow_unicode = True
    yaml.preserve_quotes = False
    return yaml


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = get_origin(annotation)
    if origin is Annotated:
        return _models_in(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return [m for arg in get_args(annotation) if arg is not NoneType for m in _models_in(arg)]
    return []


def _item_models(annotation: Any) -> list[type[BaseModel]]:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _item_models(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return [m for arg in get_args(annotation) if arg is not NoneType for m in _item_models(arg)]
    if origin is list:
        args = get_args(annotation)
        return _models_in(args[0]) if args else []
    return []


def _one(models: list[type[BaseModel]]) -> type[BaseModel] | None:
    return models[0] if len(models) == 1 else None


def key_order(model: type[BaseModel]) -> list[str]:
    """The keys of ``model`` in canonical order: the kind's own fields, then ghlops' keys."""
    names: list[str] = []
    for name, info in model.model_fields.items():
        if name in META_FIELDS:
            continue
        names.append(info.alias or name)
    if issubclass(model, Entry):
        names.extend(k for k in _OWN_KEYS if k == "remove" or k in model.model_fields)
    return names


def _child(model: type[BaseModel] | None, key: str) -> tuple[type[BaseModel] | None, type[BaseModel] | None]:
    """(the model of ``key``'s mapping value, the model of its list items)."""
    if model is None:
        return None, None
    info = model.model_fields.get(key) or next((f for f in model.model_fields.values() if f.alias == key), None)
    if info is None:
        return None, None
    return _one(_models_in(info.annotation)), _one(_item_models(info.annotation))


def _comment_slot(node: CommentedMap | CommentedSeq, key: Any) -> int:
    # ruamel keeps the comment after a mapping value in slot 2 of the key's entry, after a list item in slot 0.
    return 2 if isinstance(node, CommentedMap) else 0


def _take_after(node: CommentedMap | CommentedSeq, key: Any) -> str:
    """Take the comment lines written after ``key``'s value (its end-of-line comment stays) and return them.

    ruamel keeps the lines that follow a value on the token of the last scalar before them, however deep: after a
    nested block, on that block's last item. Those lines describe what comes next, not that scalar."""
    entry = node.ca.items.get(key)
    slot = _comment_slot(node, key)
    token = entry[slot] if entry and len(entry) > slot else None
    if token is not None:
        head, newline, rest = str(token.value).partition("\n")
        if rest.strip():
            token.value = head + newline
            return rest
    value = node[key]
    if isinstance(value, CommentedMap | CommentedSeq) and len(value):
        return _take_after(value, list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1)
    return ""


def _put_after(node: CommentedMap | CommentedSeq, key: Any, text: str) -> None:
    """Write ``text`` (comment lines taken by :func:`_take_after`) after ``key``'s value."""
    value = node[key]
    if isinstance(value, CommentedMap | CommentedSeq) and len(value) and not value.fa.flow_style():
        _put_after(value, list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1, text)
        return
    slot = _comment_slot(node, key)
    entry = node.ca.items.setdefault(key, [None, None, None, None])
    while len(entry) <= slot:
        entry.append(None)
    token = entry[slot]
    if token is None:
        entry[slot] = CommentToken("\n" + text, CommentMark(0), None)
    else:
        token.value = str(token.value).rstrip("\n") + "\n" + text


def _detach_leads(node: CommentedMap) -> dict[Any, str]:
    """The comment lines written above each key, taken off the value before it (where ruamel keeps them), so
    they move with the key they describe when keys are reordered."""
    keys = list(node)
    leads: dict[Any, str] = {}
    for prev, key in itertools.pairwise(keys):
        lines = [line.strip() for line in _take_after(node, prev).split("\n") if line.strip().startswith("#")]
        if lines:
            leads[key] = "\n".join(line[1:].removeprefix(" ") for line in lines)
    return leads


def _scalar(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, bool):
        text = str(value)
        if "\n" in text:
            return LiteralScalarString(text)
        # YAML 1.1 booleans, for other readers; and `?x`, which ruamel writes plain inside a flow list where it
        # reads back as a mapping.
        if text.casefold() in _YAML11_BOOLS or text.startswith("?"):
            return SingleQuotedScalarString(text)
        return text
    return value


def _canon(
    node: Any,
    model: type[BaseModel] | None,
    items: type[BaseModel] | None,
    indent: int,
    order: Sequence[str] = (),
    above: list[str] | None = None,
) -> Any:
    """``node`` in canonical form; keys of a mapping sit at column ``indent``. ``above`` (for a sequence item)
    receives the comment of a key that moved to the front, which its sequence writes above the item's dash."""
    if isinstance(node, CommentedMap):
        node.fa.set_block_style()
        tail = ""
        if not getattr(node, "merge", None):  # `<<:` merges are left in their order
            wanted = list(order) or (key_order(model) if model is not None else [])
            known = [k for k in wanted if k in node]
            new_order = known + [k for k in list(node) if k not in known]
            if new_order != list(node):
                # The lines after the last key's value belong to what follows the mapping: they stay at its end.
                tail = _take_after(node, list(node)[-1])
                leads = _detach_leads(node)
                for key in new_order:
                    node.move_to_end(key)
                for key, text in leads.items():
                    if key == new_order[0] and above is not None:
                        above.append(text)
                    else:
                        node.yaml_set_comment_before_after_key(key, before=text, indent=indent)
        for key in list(node):
            sub_model, sub_items = _child(model, str(key))
            node[key] = _canon(node[key], sub_model, sub_items, indent + 2)
        if tail:
            _put_after(node, list(node)[-1], tail)
        return node
    if isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            moved: list[str] = []
            node[index] = _canon(item, items, None, indent + 2, above=moved)
            if moved:
                node.yaml_set_comment_before_after_key(index, before=moved[0], indent=indent)
        scalars = all(
            isinstance(i, str | int | float | bool) and not (isinstance(i, str) and ("\n" in i or not i)) for i in node
        )
        short = indent + sum(len(str(i)) + 2 for i in node) < _INLINE_WIDTH
        # Comments on items keep a list in block style (ruamel leaves empty placeholders: they don't count).
        # A comment after the list's key too: ruamel writes it in odd places around a flow list.
        has_comments = any(any(part for part in entry) for entry in node.ca.items.values()) or any(
            node.ca.comment or ()
        )
        if not node or (scalars and short and not has_comments):  # an empty list can only be written `[]`
            node.fa.set_flow_style()
        else:
            node.fa.set_block_style()
        return node
    return _scalar(node)


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types (``True`` is not ``1``, ``1`` is not ``1.0``), mappings in any order."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _format_once(text: str, name: str) -> str:
    yaml = _yaml()
    try:
        documents = [doc for doc in yaml.load_all(text) if doc is not None]
    except YAMLError as exc:
        raise ConfigError(f"{name}: cannot be formatted ({exc.__class__.__name__})") from None
    for doc in documents:
        kind = doc.get("kind") if isinstance(doc, CommentedMap) else None
        model = _DOCUMENTS.get(kind) if isinstance(kind, str) else None
        _canon(doc, model, None, 0, order=key_order(model) if model is not None else _TOP)
    out = io.StringIO()
    if documents:
        yaml.dump_all(documents, out)
    return out.getvalue()


# Comments ruamel attaches after a nested block can land elsewhere once keys move; a second pass settles them.
_MAX_PASSES = 3


def format_text(text: str, name: str) -> str:
    """``text`` (the file ``name``) in canonical form. ManifestErrors when the YAML is broken; ConfigError when
    the canonical form would not read back as the same data (the file is then left as it is)."""
    before, errors = load_text(text, name)
    if errors:
        raise ManifestErrors(errors)
    result = text
    for _ in range(_MAX_PASSES):
        previous, result = result, _format_once(result, name)
        after, errors = load_text(result, name)
        if errors or not _same([d.data for d in before], [d.data for d in after]):
            raise ConfigError(f"{name}: fmt cannot rewrite this file without changing what it means; left as it is")
        if result == previous:
            break
    return result
