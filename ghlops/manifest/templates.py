"""Templates and variables: a Location's ``spec.templates`` merged into it on the raw data, before validation.

Merging works on the position-carrying :class:`PosDict`/:class:`PosList` trees, copying entries *with their
positions*, so every later error (validation, cross-document checks) still points at the file and line that
wrote the value, whether that is the location or one of its templates.

Rules, per section (customFields, customValues, tags, users, calendars, products):

* entries match by natural key, the same one the planner uses: a custom field by (model, name), a tag,
  custom value, calendar or product by name, a user by email, a price by name within its product; names
  compare case-insensitively;
* templates apply in the order listed, then the location's own entries: a later entry with the key of an
  earlier one is merged into it field by field (nested mappings such as ``permissions`` merge key by key,
  lists such as ``options`` are replaced whole; child lists merge by the child's key: a product's ``prices`` by
  price name, a calendar's ``notifications`` by (notificationType, channel, receiverType));
* ``remove: true`` on an entry drops the inherited entry with that key (removing something no template
  declares is an error in a Location, and allowed in a Template, which may target several base templates);
  an inherited entry that is ``protect: true`` and removed is recorded as protected: the plan refuses to
  delete it even with prune;
* ``spec.vars`` of the templates (in order) and of the location (last) form the variables; ``{{ vars.NAME }}``
  in any string of the merged sections is replaced by the variable's text (``slotDuration: "{{ vars.slots }}"``
  still validates as a number); an undefined variable is an error at that string.
"""

from __future__ import annotations

import bisect
import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ghlops.errors import ManifestError, SourcePos
from ghlops.kinds import BY_NAME
from ghlops.kinds.registry import children
from ghlops.manifest.model import SECTIONS
from ghlops.manifest.positions import (
    KeyPath,
    PosDict,
    PosList,
    container_pos,
    locate,
    locate_key,
    rewrite_strings,
)
from ghlops.manifest.suggest import did_you_mean, suggest
from ghlops.manifest.values import describe_value
from ghlops.manifest.yaml_io import RawDocument

__all__ = [
    "Composed",
    "Origins",
    "TemplateSource",
    "compose",
    "located_at",
    "raw_key",
    "strip_template",
    "substitute_vars",
    "value_at",
]

REMOVE = "remove"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_VAR_START = re.compile(r"\{\{\s*vars\.")


@dataclass(frozen=True)
class TemplateSource:
    """One Template document as loaded (after its own structural checks)."""

    name: str
    doc: RawDocument


Origin = tuple[RawDocument, KeyPath]


@dataclass
class Composed:
    """One Location with its templates merged in and its variables substituted (``${ENV}`` not yet)."""

    doc: RawDocument
    source: RawDocument
    templates: list[TemplateSource] = field(default_factory=list)
    protected: dict[str, frozenset[str]] = field(default_factory=dict)
    # Problems found while merging, with paths already in their own document's terms.
    errors: list[ManifestError] = field(default_factory=list)
    # Problems found in the merged data (paths in merged terms): translate with :meth:`Origins.translate`.
    merged_errors: list[ManifestError] = field(default_factory=list)


# -- natural keys of raw entries ------------------------------------------------------------------------------


def raw_key(section: str, entry: Any) -> str | None:
    """The natural key of a raw entry, normalised like ``Kind.key`` (``None`` when it cannot be read); a child
    kind's (a price, a calendar notification) within its parent."""
    if section == "tags" and isinstance(entry, str):
        return entry.casefold()
    if not isinstance(entry, Mapping):
        return None
    if section == "customFields":
        name = entry.get("name")
        model = entry.get("model", "contact")
        return f"{model}/{name.casefold()}" if isinstance(model, str) and isinstance(name, str) else None
    return BY_NAME[section].raw_key(entry) if section in BY_NAME else None


def _display(section: str, entry: Any) -> str:
    if isinstance(entry, str):
        return entry
    if section == "customFields":
        return f"{entry.get('model', 'contact')}/{entry.get('name')}"
    return BY_NAME[section].raw_display(entry) if section in BY_NAME else str(entry.get("name"))


#: Per section, the fields holding its child kinds' entries and those kinds (a product's ``prices``, a calendar's
#: ``notifications``): merged by the child's natural key within the parent entry.
_CHILDREN: dict[str, tuple[tuple[str, str], ...]] = {
    section: tuple((k.parent_field, k.name) for k in children(section) if k.parent_field is not None)
    for section in SECTIONS
}
_CHILD_FIELDS: frozenset[str] = frozenset(f for fields in _CHILDREN.values() for f, _ in fields)


# -- merging ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    """Where one list of entries comes from: a document, or (``doc`` None) a list merged already."""

    doc: RawDocument | None
    is_location: bool


_INHERITED = _Layer(None, False)


class _Merger:
    def __init__(self, origins: Origins, *, report_templates: bool = False) -> None:
        self.origins = origins
        self.report_templates = report_templates  # a template's own problems are reported once, by itself
        self.errors: list[ManifestError] = []
        self.protected: dict[str, set[str]] = {}

    def merge_list(
        self, section: str, layers: Sequence[tuple[_Layer, PosList, KeyPath]], *, parent: str | None = None
    ) -> PosList:
        """The entries of ``layers`` (earliest first) merged by natural key; ``remove: true`` applied."""
        own = [lst for layer, lst, _ in layers if layer.is_location]
        result = PosList(pos=(own or [layers[0][1]])[0].pos)
        list_sources: list[Origin] = []
        for layer, lst, path in layers:
            list_sources.extend(self.origins.lookup(lst, lst.pos) if layer.doc is None else [(layer.doc, path)])
        removed: list[bool] = []
        keyed: dict[str, int] = {}
        for layer, entries, path in layers:
            matched: set[str] = set()
            new_keys: dict[str, int] = {}
            for index, raw in enumerate(entries):
                entry_path = (*path, index)
                pos = entries.item_pos(index)
                remove = self._remove_flag(raw, entry_path, report=layer.is_location or self.report_templates)
                if remove is None:
                    continue  # neither kept nor removed: the error says why
                key = raw_key(section, raw)
                if key is not None and key in keyed and key not in matched:
                    matched.add(key)
                    at = keyed[key]
                    if remove:
                        self._record_protected(section, result[at], parent)
                        removed[at] = True
                        del keyed[key]
                        continue
                    assert layer.doc is not None  # an inherited list is always the first layer
                    sources = [*self.origins.lookup(result[at], result.item_pos(at)), (layer.doc, entry_path)]
                    base = _as_mapping(section, result[at], result.item_pos(at))
                    over = _as_mapping(section, raw, pos)
                    result[at] = self.merge_entry(section, base, over, sources, layer, entry_path)
                    result.set_item_pos(at, pos)
                    continue
                if remove:
                    if layer.is_location:
                        self._nothing_to_remove(section, raw, entry_path, keyed, result, parent)
                    continue
                item = _without_remove(raw)
                if _CHILDREN.get(section) and isinstance(item, PosDict):
                    item = self._own_children(section, item, layer, entry_path)
                result.append_with_pos(item, pos)
                removed.append(False)
                if key is not None and key not in keyed and key not in new_keys:
                    new_keys[key] = len(result) - 1
            keyed.update(new_keys)
        kept = PosList(pos=result.pos)
        self.origins.add(kept, list_sources)
        for index, item in enumerate(result):
            if not removed[index]:
                kept.append_with_pos(item, result.item_pos(index))
        return kept

    def merge_entry(
        self,
        section: str,
        base: Any,
        over: Any,
        sources: list[Origin],
        layer: _Layer,
        path: KeyPath,
    ) -> Any:
        if not isinstance(base, PosDict) or not isinstance(over, PosDict):
            return _without_remove(over)  # not mappings: validation reports the entry as written last
        result = self.merge_mapping(base, over, sources)
        for field_name, child in _CHILDREN.get(section, ()):
            # A child list (a product's prices, a calendar's notifications) merges by the child's natural key.
            items = over.get(field_name)
            if not isinstance(items, PosList):
                continue
            name = over.get("name", base.get("name"))
            layers: list[tuple[_Layer, PosList, KeyPath]] = []
            inherited = base.get(field_name)
            if isinstance(inherited, PosList):
                layers.append((_INHERITED, inherited, ()))
            layers.append((layer, items, (*path, field_name)))
            merged = self.merge_list(child, layers, parent=str(name))
            result.set_with_pos(field_name, merged, over.key_pos(field_name), over.value_pos(field_name))
        return result

    def merge_mapping(self, base: PosDict, over: PosDict, sources: list[Origin]) -> PosDict:
        """``over``'s keys over a copy of ``base``; nested mappings merge key by key, anything else is replaced."""
        result = base.copy()
        result.pos = over.pos or base.pos
        self.origins.add(result, list(sources))
        for key in over:
            if key == REMOVE:
                continue
            old, new = base.get(key), over[key]
            if key not in _CHILD_FIELDS and isinstance(old, PosDict) and isinstance(new, PosDict):
                nested = self.merge_mapping(old, new, [(doc, (*where, key)) for doc, where in sources])
                result.set_with_pos(key, nested, over.key_pos(key), over.value_pos(key))
            else:
                result.copy_entry(over, key)
        return result

    def _own_children(self, section: str, entry: PosDict, layer: _Layer, path: KeyPath) -> PosDict:
        """An entry no earlier layer declares: its children (a product's prices) still go through remove
        handling."""
        copied = entry
        for field_name, child in _CHILDREN.get(section, ()):
            items = entry.get(field_name)
            if not isinstance(items, PosList):
                continue
            merged = self.merge_list(child, [(layer, items, (*path, field_name))], parent=str(entry.get("name")))
            if copied is entry:
                copied = entry.copy()
            copied[field_name] = merged
        return copied

    # -- remove and protect ------------------------------------------------------------------------------------

    def _remove_flag(self, raw: Any, path: KeyPath, *, report: bool) -> bool | None:
        """The entry's ``remove`` (False when absent); None, with an error, when it is not true or false."""
        if not isinstance(raw, PosDict) or REMOVE not in raw:
            return False
        value = raw[REMOVE]
        if isinstance(value, bool):
            return value
        if report:
            self.errors.append(
                ManifestError(
                    f"expected true or false, got {describe_value(value)}",
                    pos=raw.value_pos(REMOVE) or raw.pos,
                    path=(*path, REMOVE),
                )
            )
        return None

    def _record_protected(self, section: str, entry: Any, parent: str | None) -> None:
        if not isinstance(entry, Mapping) or entry.get("protect") is not True:
            return
        key = raw_key(section, entry)
        if key is None:
            return
        if section in BY_NAME and BY_NAME[section].parent is not None:
            key = f"{(parent or '').casefold()}/{key}"  # a child's key includes its parent's (Kind.key)
        self.protected.setdefault(section, set()).add(key)

    def _nothing_to_remove(
        self,
        section: str,
        raw: PosDict,
        path: KeyPath,
        keyed: Mapping[str, int],
        result: PosList,
        parent: str | None,
    ) -> None:
        kind = BY_NAME.get(section)
        label = kind.label if kind is not None else section
        shown = _display(section, raw)
        parent_kind = BY_NAME.get(kind.parent) if kind is not None and kind.parent else None
        where = f" in {parent_kind.label} {parent!r}" if parent_kind is not None and parent else ""
        # Suggest by name (a custom field's model prefix would make every name look alike).
        inherited = {
            _display(section, result[i]).rsplit("/", 1)[-1]: _display(section, result[i])
            for i in keyed.values()
            if isinstance(result[i], str | Mapping)
        }
        best = suggest(shown.rsplit("/", 1)[-1], inherited)
        hint = f" (did you mean {inherited[best]!r}?)" if best is not None else ""
        self.errors.append(
            ManifestError(
                f"nothing to remove: no template of this location declares {label} {shown!r}{where}{hint}",
                pos=raw.value_pos(REMOVE) or raw.pos,
                path=(*path, REMOVE),
            )
        )


def _as_mapping(section: str, entry: Any, pos: SourcePos | None) -> Any:
    """A tag written as a plain string, as the mapping it stands for (so fields can merge into it)."""
    if section == "tags" and isinstance(entry, str):
        mapping = PosDict(pos=pos)
        mapping.set_with_pos("name", entry, None, pos)
        return mapping
    return entry


def _without_remove(entry: Any) -> Any:
    if isinstance(entry, PosDict) and REMOVE in entry:
        copied = entry.copy()
        del copied[REMOVE]
        return copied
    return entry


# -- composing one location --------------------------------------------------------------------------------------


def compose(location: RawDocument, templates: Mapping[str, TemplateSource], origins: Origins) -> Composed:
    """Merge the templates a Location lists into a copy of it, then substitute its variables."""
    spec = location.data.get("spec") if isinstance(location.data, PosDict) else None
    if not isinstance(spec, PosDict):
        return Composed(doc=location, source=location)
    errors: list[ManifestError] = []
    chosen = _resolve_templates(spec, templates, errors)
    if not chosen and not _has_remove(spec):
        # Nothing to merge: the location is its own merged document. Only its strings are rewritten later
        # (variables, ${ENV}), in place: no copy, and no second tree kept beside it.
        composed = Composed(doc=location, source=location, errors=errors)
        used: set[str] = set()
        if location.braces:
            composed.merged_errors.extend(substitute_vars(spec, _variables([spec]), root_path=("spec",), used=used))
        if not composed.merged_errors:  # a broken reference may be what leaves a variable unused: that one is shown
            composed.errors.extend(_unused_vars(spec, used))
        return composed
    data = copy.deepcopy(location.data)
    spec = data["spec"]
    composed = Composed(doc=RawDocument(location.file, location.index, data, location.pos), source=location)
    composed.templates = chosen
    composed.errors.extend(errors)
    layers: list[tuple[_Layer, PosDict]] = [
        (_Layer(t.doc, False), copy.deepcopy(t.doc.data["spec"]))
        for t in composed.templates
        if isinstance(t.doc.data.get("spec"), PosDict)
    ]
    layers.append((_Layer(location, True), spec))
    merger = _Merger(origins)
    for section in SECTIONS:
        if BY_NAME[section].singleton:
            # One object (spec.profile): the templates' and the location's merge key by key, later ones winning.
            objects = [(layer, s[section]) for layer, s in layers if isinstance(s.get(section), PosDict)]
            if len(objects) > 1 and all(layer.doc is not None for layer, _ in objects):
                merged_object = objects[0][1]
                for layer, over in objects[1:]:
                    assert layer.doc is not None
                    sources = [*merger.origins.lookup(merged_object, merged_object.pos), (layer.doc, ("spec", section))]
                    merged_object = merger.merge_mapping(merged_object, over, sources)
                _place(spec, section, merged_object, layers)
            elif len(objects) == 1 and section not in spec:
                _place(spec, section, objects[0][1], layers)
            continue
        if section in spec and not isinstance(spec[section], PosList):
            continue  # the location's own value is not a list: validation reports it as written
        lists = [
            (layer, layer_spec[section], ("spec", section))
            for layer, layer_spec in layers
            if isinstance(layer_spec.get(section), PosList)
        ]
        if not lists:
            continue
        merged = merger.merge_list(section, lists)
        if section in spec:
            spec[section] = merged
        else:
            first = next(layer_spec for _, layer_spec in layers if isinstance(layer_spec.get(section), PosList))
            spec.set_with_pos(section, merged, first.key_pos(section), first.value_pos(section))
    composed.errors.extend(merger.errors)
    composed.protected = {kind: frozenset(keys) for kind, keys in merger.protected.items()}
    variables = _variables([layer_spec for _, layer_spec in layers])
    used = set()
    composed.merged_errors.extend(substitute_vars(spec, variables, root_path=("spec",), used=used))
    if not composed.merged_errors:
        composed.errors.extend(_unused_vars(location.data["spec"], used))
    return composed


def _unused_vars(spec: PosDict, used: set[str]) -> list[ManifestError]:
    """A location's own ``vars`` that nothing refers to: most often a typo (``cty:`` for ``city``), which would
    otherwise be ignored silently while a template's default fills the value."""
    declared = spec.get("vars")
    if not isinstance(declared, PosDict):
        return []
    errors: list[ManifestError] = []
    for name in declared:
        if name in used or not _NAME.match(name) or not isinstance(declared[name], str | int | float):
            continue  # badly named or typed variables have their own errors
        best = suggest(name, sorted(used - set(declared)))
        hint = f" (did you mean {best!r}, which is used?)" if best is not None else ""
        errors.append(
            ManifestError(
                f"variable {name!r} is not used: no template and no value of this location refers to "
                f"{{{{ vars.{name} }}}}{hint}",
                pos=declared.key_pos(name) or declared.pos,
                path=("spec", "vars", name),
            )
        )
    return errors


def _has_remove(spec: PosDict) -> bool:
    """Whether any entry (or child entry: a product's price) of the sections says ``remove``: merging has work."""
    for section in SECTIONS:
        entries = spec.get(section)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, dict):
                if REMOVE in entry:
                    return True
                for field_name, _ in _CHILDREN.get(section, ()):
                    items = entry.get(field_name)
                    if isinstance(items, list) and any(isinstance(p, dict) and REMOVE in p for p in items):
                        return True
    return False


def _place(spec: PosDict, section: str, value: Any, layers: Sequence[tuple[_Layer, PosDict]]) -> None:
    """Set a merged singleton section in the location's spec, positioned where its first source wrote it."""
    if section in spec:
        spec[section] = value
        return
    first = next(layer_spec for _, layer_spec in layers if section in layer_spec)
    spec.set_with_pos(section, value, first.key_pos(section), first.value_pos(section))


def strip_template(template: RawDocument, origins: Origins) -> tuple[Any, list[ManifestError]]:
    """A copy of a Template document as validation sees it on its own: ``remove`` entries applied/dropped."""
    data = copy.deepcopy(template.data)
    spec = data.get("spec") if isinstance(data, PosDict) else None
    if not isinstance(spec, PosDict):
        return data, []
    merger = _Merger(origins, report_templates=True)
    layer = _Layer(template, False)
    for section in SECTIONS:
        if isinstance(spec.get(section), PosList):
            spec[section] = merger.merge_list(section, [(layer, spec[section], ("spec", section))])
    return data, merger.errors


def _resolve_templates(
    spec: PosDict, templates: Mapping[str, TemplateSource], errors: list[ManifestError]
) -> list[TemplateSource]:
    raw = spec.get("templates")
    if raw is None:
        return []
    items: list[tuple[Any, SourcePos | None, KeyPath]]
    if isinstance(raw, str):
        items = [(raw, spec.value_pos("templates"), ("spec", "templates"))]
    elif isinstance(raw, PosList):
        items = [(item, raw.item_pos(i), ("spec", "templates", i)) for i, item in enumerate(raw)]
    else:
        return []  # validation reports the type
    chosen: list[TemplateSource] = []
    for name, pos, path in items:
        if not isinstance(name, str):
            continue  # validation reports the type
        found = templates.get(name)
        if found is None:
            if templates:
                hint = did_you_mean(name, templates) or f" (known: {', '.join(sorted(templates))})"
            else:
                hint = " (no Template document was loaded: pass the files or directories that hold templates too)"
            errors.append(ManifestError(f"unknown template {name!r}{hint}", pos=pos, path=path))
        elif any(item.name == found.name for item in chosen):
            errors.append(ManifestError(f"template {name!r} is listed twice", pos=pos, path=path))
        else:
            chosen.append(found)
    return chosen


def _variables(specs: Iterable[PosDict]) -> dict[str, Any]:
    variables: dict[str, Any] = {}
    for spec in specs:
        declared = spec.get("vars")
        if not isinstance(declared, Mapping):
            continue
        for name, value in declared.items():
            if isinstance(name, str) and _NAME.match(name) and isinstance(value, str | int | float):
                variables[name] = value
    return variables


# -- variables --------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def expand(text: str, variables: Mapping[str, Any], used: set[str] | None = None) -> tuple[str, list[str]]:
    """``text`` with its ``{{ vars.NAME }}`` references replaced: ``(result, problems)``.

    Variables are text: a number or boolean is written as YAML shows it (``45``, ``true``); a field that wants
    a number or boolean accepts that text, and a text field gets it unchanged (a zip code stays "02134"). On any
    problem the text is returned unchanged. Other ``{{ ... }}`` (GHL's own merge fields such as
    ``{{ contact.name }}``) are kept as they are.
    """
    if "{{" not in text:
        return text, []
    out: list[str] = []
    problems: list[str] = []
    index = 0
    while True:
        match = _VAR_START.search(text, index)
        if match is None:
            out.append(text[index:])
            break
        out.append(text[index : match.start()])
        close = text.find("}}", match.end())
        if close < 0:
            fragment = text[match.start() :]
            fragment = fragment if len(fragment) <= 40 else fragment[:39] + "…"
            problems.append(f"unclosed variable reference {fragment!r} (missing '}}}}')")
            break
        name = text[match.end() : close].strip()
        reference = text[match.start() : close + 2]
        if used is not None:
            used.add(name)
        if not _NAME.match(name):
            problems.append(
                f"invalid variable reference {reference!r}: names are letters, digits and '_' "
                "and do not start with a digit"
            )
        elif name not in variables:
            best = suggest(name, variables)
            hint = f" (did you mean 'vars.{best}'?)" if best is not None else ""
            if not variables:
                hint = " (no vars are defined for this location)"
            problems.append(f"undefined variable vars.{name}{hint}")
        else:
            out.append(_text(variables[name]))
        index = close + 2
    if problems:
        return text, problems
    return "".join(out), []


def substitute_vars(
    data: Any, variables: Mapping[str, Any], *, root_path: KeyPath = (), used: set[str] | None = None
) -> list[ManifestError]:
    """Replace ``{{ vars.NAME }}`` in every string under ``data`` (except ``vars`` and ``templates``) in place;
    ``used`` collects every name referenced."""
    return rewrite_strings(
        data,
        lambda value: expand(value, variables, used),
        root_path=root_path,
        skip_root_keys=("vars", "templates"),
        marker="{{",
    )


# -- where merged values came from --------------------------------------------------------------------------------


class Origins:
    """Maps paths in merged data back to the document and path that wrote them, for error messages.

    Containers the merge created remember the (document, path) of every source they combine; anything copied
    unchanged is found by its position, which points into exactly one source document.
    """

    def __init__(self, documents: Sequence[RawDocument]) -> None:
        self._by_pos: dict[SourcePos, Origin] = {}
        self._indexed: set[tuple[str, int]] = set()  # (file, index): a document's identity
        self._starts: dict[str, list[tuple[int, int, RawDocument]]] = {}
        for doc in documents:
            self._starts.setdefault(doc.file, []).append((doc.pos.line, doc.pos.col, doc))
        for starts in self._starts.values():
            starts.sort(key=lambda item: (item[0], item[1]))

    def add(self, node: PosDict | PosList, sources: list[Origin]) -> None:
        node.sources = sources  # provenance lives on the merged container itself, recorded once, here

    def of(self, node: Any) -> list[Origin]:
        found = node.sources if isinstance(node, PosDict | PosList) else None
        return list(found) if found else []

    def document_at(self, pos: SourcePos | None) -> RawDocument | None:
        """The source document a position lies in."""
        if pos is None:
            return None
        starts = self._starts.get(pos.file)
        if not starts:
            return None
        at = bisect.bisect_right(starts, (pos.line, pos.col), key=lambda item: (item[0], item[1])) - 1
        return starts[at][2] if at >= 0 else starts[0][2]

    def _origin_at(self, pos: SourcePos) -> Origin | None:
        """The (document, path) that wrote the value at ``pos``. A position lies in exactly one document, so only
        that document is indexed, the first time one of its positions is asked for: a run without templates or
        errors indexes nothing. (Documents are never changed in their structure before that: a location with
        templates is merged into a copy, one without keeps its shape and only has strings rewritten.)"""
        doc = self.document_at(pos)
        if doc is None:
            return None
        if (doc.file, doc.index) not in self._indexed:
            self._indexed.add((doc.file, doc.index))
            self._index(doc)
        return self._by_pos.get(pos)

    def _index(self, doc: RawDocument) -> None:
        stack: list[tuple[Any, KeyPath]] = [(doc.data, ())]
        if doc.data is not None and container_pos(doc.data) is not None:
            self._by_pos.setdefault(container_pos(doc.data), (doc, ()))  # type: ignore[arg-type]
        while stack:
            node, path = stack.pop()
            children: list[tuple[Any, KeyPath, SourcePos | None]] = []
            if isinstance(node, PosDict):
                children = [(value, (*path, key), node.value_pos(key)) for key, value in node.items()]
            elif isinstance(node, PosList):
                children = [(value, (*path, i), node.item_pos(i)) for i, value in enumerate(node)]
            for value, child_path, pos in children:
                for where in (pos, container_pos(value)):
                    if where is not None:
                        self._by_pos.setdefault(where, (doc, child_path))
            stack.extend((value, child_path) for value, child_path, _ in reversed(children))

    def lookup(self, node: Any, pos: SourcePos | None) -> list[Origin]:
        """Where ``node`` (found at ``pos`` in merged data) came from."""
        own = node.sources if isinstance(node, PosDict | PosList) else None
        if own:
            return list(own)
        found = self._origin_at(pos) if pos is not None else None
        start = container_pos(node)
        if found is None and start is not None:
            found = self._origin_at(start)
        return [found] if found else []

    def translate(self, merged: Any, path: KeyPath, target: RawDocument) -> KeyPath | None:
        """``path`` (in the merged data) as a path in ``target``, the document an error position lies in."""
        best: KeyPath | None = () if merged is target.data else None
        node: Any = merged
        pos = container_pos(merged)
        for depth in range(len(path) + 1):
            for doc, source_path in self.lookup(node, pos):
                if doc is target:
                    best = (*source_path, *path[depth:])
            if depth == len(path):
                break
            segment = path[depth]
            if isinstance(node, PosDict) and isinstance(segment, str) and segment in node:
                node, pos = node[segment], node.value_pos(segment)
            elif isinstance(node, PosList) and isinstance(segment, int) and 0 <= segment < len(node):
                node, pos = node[segment], node.item_pos(segment)
            else:
                break
        return best


def located_at(data: Any, path: KeyPath, pos: SourcePos) -> bool:
    """Whether an error at ``pos`` for ``path`` was found in ``data`` (a merged document)."""
    return locate(data, path) == pos or locate_key(data, path) == pos


def value_at(data: Any, path: KeyPath) -> Any:
    """The value at ``path`` (``None`` when the path leads nowhere)."""
    node = data
    for segment in path:
        in_mapping = isinstance(node, dict) and isinstance(segment, str) and segment in node
        in_list = isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node)
        if not (in_mapping or in_list):
            return None
        node = node[segment]
    return node
