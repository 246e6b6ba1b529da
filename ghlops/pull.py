"""Live values of the fields a manifest manages, written back into the manifest text (``ghlops pull``).

Terraform's refresh-only, for manifests: only fields a manifest sets are compared (the planner's own
``field_changes``), and each differing value is written where the manifest wrote it. The file is edited as text,
span by span, at the positions the YAML composer gives (ruamel round-trip nodes): everything else in the file,
comments, key order, quoting and indentation included, stays byte for byte. A scalar keeps its quoting style
(plain stays plain where YAML allows it); a flow list stays a flow list; only a block value that changes shape is
re-rendered, in export's style, at its own indentation.

Left alone, and reported instead:

* values a template wrote ("value comes from template dental-base; change it there or override here");
* values written with ``${ENV}`` or ``{{ vars.NAME }}`` (the text is not the value);
* values GHL does not return, or returns in a shape the manifest model cannot hold;
* entries missing live (not deleted from the file), entries awaiting a rename (``renamedFrom``);
* live objects no manifest declares: counted per kind ("ghlops export writes them").

Secrets are never written: passwords are write-only (never compared, so never pulled) and tokens never live in
manifests. Pure apart from reading the manifest files: the command decides what to write.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ghlops.errors import ConfigError, SourcePos
from ghlops.kinds import BY_NAME, PRICES, PRODUCTS, USERS
from ghlops.kinds.base import Entry, Kind, LiveObject, Resolver, index_live
from ghlops.kinds.products import Product
from ghlops.kinds.users import location_ids
from ghlops.manifest.loader import Loaded, Manifests
from ghlops.manifest.model import SECTIONS
from ghlops.manifest.positions import PosDict, PosList
from ghlops.manifest.yaml_out import to_yaml
from ghlops.plan.diff import field_changes
from ghlops.plan.planner import resolver_for
from ghlops.workflow import Snapshot

__all__ = ["Pulled", "pull"]

_YAML11_BOOLS = frozenset({"y", "n", "yes", "no", "on", "off"})
_FLOW_UNSAFE = set(",[]{}")


@dataclass
class Pulled:
    """What a pull would do: new text per changed file, a line per pulled value, notes for everything left."""

    before: dict[str, str] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    @property
    def changed_files(self) -> list[str]:
        return [name for name in self.after if self.after[name] != self.before[name]]


# -- the source text and its nodes --------------------------------------------------------------------------------


@dataclass
class _Doc:
    root: Node
    keys: dict[tuple[int, int], tuple[Node, Node]]  # key position -> (key node, value node)
    items: dict[tuple[int, int], tuple[Node, SequenceNode]]  # item position -> (item node, its sequence)


@dataclass
class _File:
    name: str
    text: str
    docs: dict[tuple[int, int], _Doc]  # by the position of the document's root
    flow: set[int]  # text offsets where nodes inside a flow collection start
    splices: list[tuple[int, int, str]] = field(default_factory=list)

    def find_key(self, pos: SourcePos) -> tuple[tuple[int, int], Node, Node] | None:
        for at, doc in self.docs.items():
            found = doc.keys.get((pos.line, pos.col))
            if found is not None:
                return at, found[0], found[1]
        return None

    def find_item(self, pos: SourcePos) -> tuple[tuple[int, int], Node, SequenceNode] | None:
        for at, doc in self.docs.items():
            found = doc.items.get((pos.line, pos.col))
            if found is not None:
                return at, found[0], found[1]
        return None


def _at(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _read_file(name: str) -> _File:
    try:
        text = Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror or exc}") from None
    docs: dict[tuple[int, int], _Doc] = {}
    flow: set[int] = set()  # where nodes inside a flow collection start
    try:
        roots = list(YAML(typ="rt").compose_all(text))
    except YAMLError as exc:  # the strict reader accepted it a moment ago: the file changed under us
        raise ConfigError(f"{name}: changed while ghlops read it ({exc.__class__.__name__}); run pull again") from None
    for root in roots:
        if root is None:
            continue
        doc = _Doc(root, {}, {})
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, in_flow = stack.pop()
            inner = in_flow or bool(getattr(node, "flow_style", False))
            if isinstance(node, MappingNode):
                for key, value in node.value:
                    doc.keys[_at(key)] = (key, value)
                    if inner:
                        flow.update((key.start_mark.index, value.start_mark.index))
                    stack.append((value, inner))
            elif isinstance(node, SequenceNode):
                for item in node.value:
                    doc.items[_at(item)] = (item, node)
                    if inner:
                        flow.add(item.start_mark.index)
                    stack.append((item, inner))
        docs[_at(root)] = doc
    return _File(name, text, docs, flow)


# -- rendering values as YAML text --------------------------------------------------------------------------------


def _plain_ok(text: str, *, flow: bool) -> bool:
    if not text or text != text.strip() or "\n" in text or text.casefold() in _YAML11_BOOLS:
        return False
    if flow and _FLOW_UNSAFE & set(text):
        return False
    try:
        if flow:  # `?x` is a plain string in a block, a mapping key inside brackets
            return bool(YAML(typ="safe", pure=True).load(f"k: [{text}]\n") == {"k": [text]})
        return bool(YAML(typ="safe", pure=True).load(f"k: {text}\n") == {"k": text})
    except YAMLError:
        return False


def _scalar(value: Any, style: str | None, *, flow: bool) -> str | None:
    """``value`` as one YAML scalar in ``style`` where it can be; None when it needs a block."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # GHL answers 60.0 for 60; export writes whole floats as integers too
    if isinstance(value, int | float):
        return json.dumps(value)
    if not isinstance(value, str):
        return None
    if "\n" in value:
        return json.dumps(value, ensure_ascii=False) if flow else None
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"' or not _plain_ok(value, flow=flow):
        return json.dumps(value, ensure_ascii=False)
    return value


def _flow(value: Any, style: str | None = None) -> str:
    """A value in flow style (inside ``[...]`` / ``{...}``); strings quoted in ``style`` (that of the items the
    old value held) where it is a quote."""
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v, style) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v, style)}" for k, v in value.items()) + "}"
    text = _scalar(value, style if style in ("'", '"') else None, flow=True)
    return text if text is not None else json.dumps(value, ensure_ascii=False)


def _item_style(node: Node) -> str | None:
    """The quoting of a flow sequence's scalar items when they all share one (``["1-10", "11-50"]``)."""
    if not isinstance(node, SequenceNode):
        return None
    styles = {item.style for item in node.value if isinstance(item, ScalarNode) and str(item.tag).endswith(":str")}
    return styles.pop() if len(styles) == 1 else None


def _content_end(text: str, node: Node) -> int:
    """Where a node's own text ends (a block collection's end mark runs on to the next token)."""
    if isinstance(node, MappingNode | SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return _content_end(text, last[1] if isinstance(node, MappingNode) else last)
    end: int = node.end_mark.index
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        end = node.start_mark.index + len(text[node.start_mark.index : end].rstrip())
    return end


def _in_flow(file: _File, node: Node) -> bool:
    """Whether ``node`` sits inside a flow collection (where ``,[]{}`` end a plain scalar)."""
    return node.start_mark.index in file.flow


def _splice_value(file: _File, key: Node, value: Node, new: Any) -> None:
    flow = _in_flow(file, key)
    style = value.style if isinstance(value, ScalarNode) else None
    if isinstance(value, ScalarNode) and style not in ("|", ">"):
        text = _scalar(new, style, flow=flow)
        if text is not None:
            file.splices.append((value.start_mark.index, value.end_mark.index, text))
            return
    if (isinstance(value, MappingNode | SequenceNode) and value.flow_style) or flow:
        file.splices.append((value.start_mark.index, _content_end(file.text, value), _flow(new, _item_style(value))))
        return
    if isinstance(value, SequenceNode) and not value.flow_style and isinstance(new, list) and new:
        # A block list stays a block list, at its own dash column; the key's line (and its comment) stays.
        if all(not isinstance(v, dict | list) for v in new):
            style = _item_style(value)
            lines = [f"- {_scalar(v, style, flow=False) or json.dumps(v, ensure_ascii=False)}" for v in new]
        else:
            lines = [line[2:] for line in to_yaml({"k": new}).rstrip("\n").split("\n")[1:]]
        end = _content_end(file.text, value)
        line_end = file.text.find("\n", end)
        rendered = ("\n" + " " * value.start_mark.column).join(lines)
        file.splices.append((value.start_mark.index, len(file.text) if line_end < 0 else line_end, rendered))
        return
    # A block value (or one that needs a block now): re-render `key: value` at the key's indentation.
    indent = " " * key.start_mark.column
    lines = to_yaml({str(key.value): new}).rstrip("\n").split("\n")
    rendered = "\n".join([lines[0], *(indent + line for line in lines[1:])])
    end = _content_end(file.text, value)
    line_end = file.text.find("\n", end)
    file.splices.append((key.start_mark.index, len(file.text) if line_end < 0 else line_end, rendered))


def _splice_item(file: _File, item: Node, seq: SequenceNode, new: Any) -> bool:
    style = item.style if isinstance(item, ScalarNode) else None
    text = _scalar(new, style, flow=bool(seq.flow_style) or _in_flow(file, item))
    if text is None or not isinstance(item, ScalarNode):
        return False
    file.splices.append((item.start_mark.index, item.end_mark.index, text))
    return True


def _apply(file: _File) -> str:
    text = file.text
    last = len(text) + 1
    for start, end, replacement in sorted(file.splices, reverse=True):
        if end > last:
            raise ConfigError(f"{file.name}: two pulled values overlap in the text; pull them one at a time")
        text = text[:start] + replacement + text[end:]
        last = start
    return text


# -- comparing and placing ----------------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    return json.dumps(_tidy(value), ensure_ascii=False)


def _tidy(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    return value


class _Puller:
    def __init__(self, manifests: Manifests, result: Pulled) -> None:
        self.manifests = manifests
        self.result = result
        self.files: dict[str, _File] = {}

    def file(self, name: str) -> _File:
        if name not in self.files:
            self.files[name] = _read_file(name)
        return self.files[name]

    def owner(self, item: Loaded, pos: SourcePos, at: tuple[int, int]) -> str | None:
        """None when ``at`` is the location's own document, else the template (or '?') that wrote it."""
        source = item.source or item.doc
        if pos.file == source.file and at == (source.pos.line, source.pos.col):
            return None
        for name in item.templates:
            template = self.manifests.templates.get(name)
            if template and pos.file == template.doc.file and at == (template.doc.pos.line, template.doc.pos.col):
                return name
        return "?"

    def leaf(self, item: Loaded, what: str, path: str, raw: PosDict, key: str, old: Any, new: Any) -> None:
        if new is None:
            self.result.notes.append(f"{what}: {path}: GHL returns no value for it; left as it is")
            return
        pos = raw.key_pos(key)
        file = self.file(pos.file) if pos is not None else None
        found = file.find_key(pos) if file is not None and pos is not None else None
        if file is None or found is None or pos is None:
            self.result.notes.append(f"{what}: {path}: could not find where the manifest writes it; left as it is")
            return
        at, key_node, value_node = found
        owner = self.owner(item, pos, at)
        if owner is not None:
            where = f"template {owner}" if owner != "?" else "another document"
            self.result.notes.append(
                f"{what}: {path}: value comes from {where}; change it there or override here (live: {_shown(new)})"
            )
            return
        written = file.text[value_node.start_mark.index : _content_end(file.text, value_node)]
        if "${" in written:
            # The live value is not shown: what comes from the environment is often a secret.
            self.result.notes.append(f"{what}: {path}: value comes from ${{ENV}} interpolation; left as it is")
            return
        if "{{" in written and "vars." in written:
            self.result.notes.append(
                f"{what}: {path}: value comes from a {{{{ vars }}}} reference; change the variable "
                f"(live: {_shown(new)})"
            )
            return
        _splice_value(file, key_node, value_node, new)
        self.result.changes.append(f"{what}: {path}: {_shown(old)} -> {_shown(new)} ({pos.file}:{pos.line})")

    def value(self, item: Loaded, what: str, path: str, raw: PosDict, key: str, old: Any, new: Any) -> None:
        """Desired ``old`` -> live ``new`` of ``raw[key]``; nested mappings key by key (each may come elsewhere)."""
        inner = raw.get(key)
        if isinstance(inner, PosDict) and isinstance(old, Mapping) and isinstance(new, Mapping):
            for sub in old:
                if old[sub] != new.get(sub):
                    self.value(item, what, f"{path}.{sub}", inner, sub, old[sub], new.get(sub))
            return
        self.leaf(item, what, path, raw, key, old, new)

    def entry(
        self,
        item: Loaded,
        kind: Kind[Any],
        raw: Any,
        raw_pos: SourcePos | None,
        model: Entry,
        live: LiveObject[Any],
        resolver: Resolver,
    ) -> None:
        what = f"{item.desired.name}: {kind.label} {kind.display(model)!r}"
        odd = {str(p[0]) for p in live.odd}
        for change in field_changes(kind, model, live, resolver):
            desired = kind.compare_value(change.field, model, resolver)
            if change.field in odd:
                self.result.notes.append(
                    f"{what}: {change.field}: GHL's value {_shown(change.old)} does not fit the manifest; left as it is"
                )
            elif isinstance(raw, PosDict):
                self.value(item, what, change.field, raw, change.field, desired, change.old)
            elif isinstance(raw, str) and change.field == "name" and raw_pos is not None:
                self.tag_item(item, what, raw_pos, raw, change.old)

    def tag_item(self, item: Loaded, what: str, pos: SourcePos, old: str, new: Any) -> None:
        file = self.file(pos.file)
        found = file.find_item(pos)
        if found is None:
            self.result.notes.append(f"{what}: name: could not find where the manifest writes it; left as it is")
            return
        at, node, seq = found
        owner = self.owner(item, pos, at)
        if owner is not None:
            self.result.notes.append(
                f"{what}: name: value comes from template {owner}; change it there or override here"
            )
            return
        if _splice_item(file, node, seq, new):
            self.result.changes.append(f"{what}: name: {_shown(old)} -> {_shown(new)} ({pos.file}:{pos.line})")


def _pairs(raw_list: Any, models: Sequence[Entry] | None) -> list[tuple[Any, SourcePos | None, Entry]]:
    if not isinstance(raw_list, PosList) or not models or len(raw_list) != len(models):
        return []
    return [(raw_list[i], raw_list.item_pos(i), models[i]) for i in range(len(models))]


def pull(manifests: Manifests, snapshot: Snapshot) -> Pulled:
    """What pulling the live state of ``snapshot`` into its manifests would write."""
    result = Pulled()
    puller = _Puller(manifests, result)
    for item in snapshot.selected:
        live = snapshot.live[item.desired.location_id]
        company = snapshot.companies.get(item.desired.company_id or "")
        resolver = resolver_for(company)
        spec = item.doc.data.get("spec")
        if not isinstance(spec, PosDict):
            continue
        for section in SECTIONS:
            models: Sequence[Entry] | None = getattr(item.model.spec, section)
            kind = BY_NAME[section]
            if section == USERS.name:
                if company is None or not company.read:
                    continue
                objects = [u for u in company.users if item.desired.location_id in location_ids(u.raw)]
                members = {USERS.key(u.obj): u for u in company.users}
                index = dict(members)
            else:
                objects = live.of(section)
                index, _ = index_live(kind, objects)
            pairs = _pairs(spec.get(section), models)
            _pull_kind(puller, item, kind, pairs, index, resolver)
            if section == PRODUCTS.name:
                prices, _ = index_live(PRICES, live.of(PRICES.name))
                for raw, _pos, product in pairs:
                    assert isinstance(product, Product)
                    raw_prices = raw.get("prices") if isinstance(raw, PosDict) else None
                    own = [p.with_product(product.name) for p in product.prices]
                    if PRODUCTS.key(product) not in index:
                        continue  # the product is missing live: reported once, for the product
                    _pull_kind(puller, item, PRICES, _pairs(raw_prices, own), prices, resolver)
            declared = {kind.key(m) for _, _, m in pairs} | {
                kind.key_for_name(m, old) for _, _, m in pairs for old in m.renamedFrom
            }
            extra = [o for o in objects if kind.key(o.obj) not in declared]
            if extra and models is not None:
                noun = kind.label if len(extra) == 1 else f"{kind.label}s"
                result.summary.append(
                    f"{item.desired.name}: {len(extra)} unmanaged {noun} in GHL not pulled; ghlops export writes them"
                )
    for name, file in puller.files.items():
        result.before[name] = file.text
        result.after[name] = _apply(file)
    return result


def _pull_kind(
    puller: _Puller,
    item: Loaded,
    kind: Kind[Any],
    pairs: Sequence[tuple[Any, SourcePos | None, Entry]],
    index: Mapping[str, LiveObject[Any]],
    resolver: Resolver,
) -> None:
    for raw, pos, model in pairs:
        current = index.get(kind.key(model))
        what = f"{item.desired.name}: {kind.label} {kind.display(model)!r}"
        if current is None:
            old = next((o for o in model.renamedFrom if kind.key_for_name(model, o) in index), None)
            if old is not None:
                puller.result.notes.append(
                    f"{what}: live under its old name {old!r} (renamedFrom): apply renames it; not pulled"
                )
            else:
                puller.result.notes.append(
                    f"{what}: in the manifest but not in GHL; left in the file (apply creates it, or remove it)"
                )
            continue
        puller.entry(item, kind, raw, pos, model, current, resolver)
