"""Plain containers that remember where each entry came from, and lookups by path.

YAML documents are converted into :class:`PosDict` (a ``dict``) and :class:`PosList` (a ``list``) whose
scalars are plain ``str``/``int``/``float``/``bool``/``None``, so pydantic validates them directly. Positions
live on the containers, per entry, so they survive copying entries between documents (template merging):

* ``PosDict`` keeps, per key, where the key was written (``key_pos``) and where its value starts
  (``value_pos``), plus ``pos``: where the mapping itself starts.
* ``PosList`` keeps, per item, where the item starts (``item_pos``), plus ``pos`` for the sequence itself.

Positions are recorded once, by the YAML builder, and carried by the template merge, which only ever builds
new containers: :meth:`PosDict.set_with_pos`, :meth:`PosDict.copy_entry`, :meth:`PosList.append_with_pos`,
``copy()`` and ``copy.deepcopy`` move entries with their positions. A value assigned over an existing key or
index keeps the old position; a removed key forgets its positions. Other list mutations (sorting, inserting)
are not tracked: build a new ``PosList`` instead (an item whose position is unknown reports ``None``).
"""

from __future__ import annotations

import copy as _copy
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, TypeAlias, overload

from ghlops.errors import ManifestError, SourcePos

KeyPath: TypeAlias = tuple[str | int, ...]
"""A path into a document: mapping keys (``str``) and sequence indexes (``int``)."""

__all__ = [
    "KeyPath",
    "PosDict",
    "PosList",
    "container_pos",
    "locate",
    "locate_key",
    "render_path",
]


_PACK_LIMIT = 1 << 48  # a packed position (``line << 24 | col``) below this fits beside another in one int
_Pos: TypeAlias = "SourcePos | int | None"


def _unpack(file: str, found: SourcePos | int | None) -> SourcePos | None:
    return SourcePos(file, found >> 24, found & 0xFFFFFF) if isinstance(found, int) else found


class PosDict(dict[str, Any]):
    """A ``dict`` that records the source position of each key and of each value.

    ``PosDict(items, pos=...)``: when ``items`` is itself a ``PosDict`` its entry positions are copied too.
    Equality, ``repr`` and pydantic validation behave exactly as for a plain ``dict``.
    """

    # Slots, and one position entry per key: a loaded manifest is mostly these containers, and a run at 1,000
    # locations holds all of them (issue 15: memory per location).
    __slots__ = ("_file", "_pos", "pos", "sources")

    pos: SourcePos | None
    # Per key, its (key position, value position). Positions are SourcePos, or (as the YAML builder stores them,
    # to build fewer objects) ``line << 24 | col`` in the file ``_file``; the accessors always return SourcePos.
    # Both packed are stored as one int (``key << 48 | value``), else as a pair.
    _pos: dict[str, int | tuple[_Pos, _Pos]]
    _file: str
    # Set by the template merge on a mapping it built: the (document, path) of every source it combines.
    # Never copied (a copy is not the merge's result), like positions it is recorded exactly once.
    sources: list[tuple[Any, KeyPath]] | None

    def __init__(
        self, items: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), /, *, pos: SourcePos | None = None
    ) -> None:
        super().__init__(items)
        self.pos = pos
        self.sources = None
        if isinstance(items, PosDict):
            self._pos = dict(items._pos)
            self._file = items._file
            if pos is None:
                self.pos = items.pos
        else:
            self._pos = {}
            self._file = ""

    # -- positions ---------------------------------------------------------------------------------------

    def key_pos(self, key: str) -> SourcePos | None:
        """Where ``key`` itself was written, if known."""
        found = self._pos.get(key)
        if isinstance(found, int):
            return _unpack(self._file, found >> 48)
        return None if found is None else _unpack(self._file, found[0])

    def value_pos(self, key: str) -> SourcePos | None:
        """Where the value of ``key`` starts, if known."""
        found = self._pos.get(key)
        if isinstance(found, int):
            return _unpack(self._file, found & (_PACK_LIMIT - 1))
        return None if found is None else _unpack(self._file, found[1])

    def set_packed(self, key: str, value: Any, key_pos: SourcePos | int | None, value_pos: int) -> None:
        """``set_with_pos`` for the YAML builder: positions packed as ``line << 24 | col`` in ``_file``."""
        dict.__setitem__(self, key, value)
        if isinstance(key_pos, int) and value_pos < _PACK_LIMIT:
            self._pos[key] = key_pos << 48 | value_pos
        else:
            self._pos[key] = (key_pos, value_pos)

    def set_with_pos(
        self, key: str, value: Any, key_pos: SourcePos | int | None, value_pos: SourcePos | int | None
    ) -> None:
        """Set ``self[key] = value`` and record (or, for ``None``, forget) both positions."""
        self[key] = value
        self.set_pos(key, key_pos=key_pos, value_pos=value_pos)

    def set_pos(self, key: str, *, key_pos: SourcePos | int | None, value_pos: SourcePos | int | None) -> None:
        """Record (or, for ``None``, forget) the positions of an existing entry."""
        if key_pos is None and value_pos is None:
            self._pos.pop(key, None)
        elif isinstance(key_pos, int) and isinstance(value_pos, int) and value_pos < _PACK_LIMIT:
            self._pos[key] = key_pos << 48 | value_pos
        else:
            self._pos[key] = (key_pos, value_pos)

    def copy_entry(self, source: PosDict, key: str, *, as_key: str | None = None) -> None:
        """Copy ``source[key]`` (the same value object, not a copy) into ``self`` with its positions.

        ``as_key`` stores the entry under another key (the positions still point at the source entry).
        """
        self.set_with_pos(key if as_key is None else as_key, source[key], source.key_pos(key), source.value_pos(key))

    # -- dict operations that must keep the bookkeeping right ---------------------------------------------

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._forget(key)

    @overload
    def pop(self, key: str, /) -> Any: ...

    @overload
    def pop(self, key: str, default: Any, /) -> Any: ...

    def pop(self, key: str, /, *default: Any) -> Any:
        self._forget(key)
        return super().pop(key, *default)

    def copy(self) -> PosDict:
        """Shallow copy that keeps ``pos`` and every entry's positions."""
        return PosDict(self)

    def __copy__(self) -> PosDict:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> PosDict:
        result = PosDict(pos=self.pos)
        memo[id(self)] = result
        for key, value in self.items():
            result.set_with_pos(key, _copy.deepcopy(value, memo), self.key_pos(key), self.value_pos(key))
        return result

    def __reduce__(self) -> tuple[Any, ...]:
        # Slots, no __dict__: pickle sets the second half of the state attribute by attribute. ``sources`` is not
        # copied (see above).
        state = {"pos": self.pos, "_pos": self._pos, "_file": self._file}
        return (PosDict, (), (None, state), None, iter(self.items()))

    def _forget(self, key: str) -> None:
        self._pos.pop(key, None)


class PosList(list[Any]):
    """A ``list`` that records the source position of each item.

    ``PosList(items, pos=...)``: when ``items`` is itself a ``PosList`` its item positions are copied too.
    Equality, ``repr`` and pydantic validation behave exactly as for a plain ``list``.
    """

    __slots__ = ("_file", "_item_pos", "pos", "sources")  # as PosDict's: many of these are held

    pos: SourcePos | None
    _item_pos: list[SourcePos | int | None]  # as PosDict's: SourcePos, or packed in ``_file``
    _file: str
    sources: list[tuple[Any, KeyPath]] | None  # as for PosDict: set by the template merge on its lists

    def __init__(self, items: Iterable[Any] = (), /, *, pos: SourcePos | None = None) -> None:
        super().__init__(items)
        self.pos = pos
        self.sources = None
        self._file = ""
        if isinstance(items, PosList):
            self._item_pos = [items.item_pos(i) for i in range(len(items))]
            if pos is None:
                self.pos = items.pos
        else:
            self._item_pos = [None] * len(self)

    # -- positions ---------------------------------------------------------------------------------------

    def item_pos(self, index: int) -> SourcePos | None:
        """Where item ``index`` starts, if known (negative indexes count from the end)."""
        if len(self._item_pos) != len(self):
            self._sync()
        try:
            found = self._item_pos[index]
        except IndexError:
            return None
        return _unpack(self._file, found)

    def set_item_pos(self, index: int, pos: SourcePos | None) -> None:
        self._sync()
        self._item_pos[index] = pos

    def append_packed(self, value: Any, pos: int) -> None:
        """``append_with_pos`` for the YAML builder: the position packed as ``line << 24 | col`` in ``_file``."""
        if len(self._item_pos) != len(self):
            self._sync()
        list.append(self, value)
        self._item_pos.append(pos)

    def append_with_pos(self, value: Any, pos: SourcePos | None) -> None:
        if len(self._item_pos) != len(self):
            self._sync()
        list.append(self, value)
        self._item_pos.append(pos)

    def _sync(self) -> None:
        """Repair the position list if an operation this class does not know about changed the length."""
        missing = len(self) - len(self._item_pos)
        if missing > 0:
            self._item_pos.extend([None] * missing)
        elif missing < 0:
            del self._item_pos[len(self) :]

    def copy(self) -> PosList:
        """Shallow copy that keeps ``pos`` and every item's position."""
        return PosList(self)

    def __copy__(self) -> PosList:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> PosList:
        result = PosList(pos=self.pos)
        memo[id(self)] = result
        for index, value in enumerate(self):
            result.append_with_pos(_copy.deepcopy(value, memo), self.item_pos(index))
        return result

    def __reduce__(self) -> tuple[Any, ...]:
        self._sync()
        state = {"pos": self.pos, "_item_pos": self._item_pos, "_file": self._file}
        return (PosList, (), (None, state), iter(self))


def container_pos(value: Any) -> SourcePos | None:
    """The position where a ``PosDict``/``PosList`` starts; ``None`` for anything else."""
    if isinstance(value, PosDict | PosList):
        return value.pos
    return None


def _walk(data: Any, path: KeyPath) -> tuple[Any, SourcePos | None, int]:
    """Follow ``path``; return (deepest value reached, best position so far, number of segments followed)."""
    current = data
    best = container_pos(data)
    for depth, segment in enumerate(path):
        if isinstance(current, dict) and isinstance(segment, str) and segment in current:
            child = current[segment]
            pos = current.value_pos(segment) if isinstance(current, PosDict) else None
        elif isinstance(current, list) and isinstance(segment, int) and 0 <= segment < len(current):
            child = current[segment]
            pos = current.item_pos(segment) if isinstance(current, PosList) else None
        else:
            return current, best, depth
        best = pos or container_pos(child) or best
        current = child
    return current, best, len(path)


def locate(data: Any, path: KeyPath) -> SourcePos | None:
    """Position of the value at ``path``, else of the nearest ancestor that has one.

    For a missing key this is the position of the mapping that should contain it.
    """
    return _walk(data, path)[1]


def locate_key(data: Any, path: KeyPath) -> SourcePos | None:
    """Position of the key that ends ``path`` (for "unknown key" errors); falls back like :func:`locate`."""
    if path and isinstance(path[-1], str):
        parent, best, followed = _walk(data, path[:-1])
        if followed == len(path) - 1 and isinstance(parent, PosDict):
            key_pos = parent.key_pos(path[-1])
            if key_pos is not None:
                return key_pos
            if path[-1] not in parent:
                return best
    return locate(data, path)


_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def render_path(path: KeyPath) -> str:
    """``('spec', 'customFields', 2, 'dataType')`` -> ``spec.customFields[2].dataType``.

    Keys that are not plain names (letters, digits, ``_``, ``-``; not starting with a digit or ``-``) are
    quoted: ``spec.vars["my key"]``.
    """
    parts: list[str] = []
    for segment in path:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif _BARE_KEY.match(segment):
            parts.append(f".{segment}" if parts else segment)
        else:
            parts.append(f"[{json.dumps(segment, ensure_ascii=False)}]")
    return "".join(parts)


def rewrite_strings(
    data: Any,
    rewrite: Callable[[str], tuple[str, list[str]]],
    *,
    root_path: KeyPath = (),
    skip_root_keys: Collection[str] = (),
    marker: str = "",
) -> list[ManifestError]:
    """Replace every string value (never a key) under ``data`` in place with what ``rewrite`` returns, keeping
    positions; each problem ``rewrite`` reports becomes an error at the string's position and path.

    ``marker``: ``rewrite`` leaves strings without this text unchanged and reports nothing for them, so they are
    not passed to it (most strings of a manifest have neither ``{{`` nor ``$``)."""
    errors: list[ManifestError] = []
    stack: list[tuple[Any, KeyPath, SourcePos | None]] = [(data, root_path, container_pos(data))]

    def one(value: str, path: KeyPath, pos: SourcePos | None) -> str:
        result, problems = rewrite(value)
        errors.extend(ManifestError(problem, pos=pos, path=path) for problem in problems)
        return result

    # Iterative, so hostile nesting depth cannot hit the recursion limit.
    while stack:
        node, path, node_pos = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str):
                    if marker not in value or (path == root_path and key in skip_root_keys):
                        continue
                    pos = (node.value_pos(key) if isinstance(node, PosDict) else None) or node_pos
                    node[key] = one(value, (*path, key), pos)  # an existing key: iteration stays valid
                elif isinstance(value, dict | list) and not (path == root_path and key in skip_root_keys):
                    pos = (node.value_pos(key) if isinstance(node, PosDict) else None) or node_pos
                    stack.append((value, (*path, key), container_pos(value) or pos))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, str):
                    if marker not in value:
                        continue
                    pos = (node.item_pos(index) if isinstance(node, PosList) else None) or node_pos
                    node[index] = one(value, (*path, index), pos)
                elif isinstance(value, dict | list):
                    pos = (node.item_pos(index) if isinstance(node, PosList) else None) or node_pos
                    stack.append((value, (*path, index), container_pos(value) or pos))
    errors.sort(key=lambda error: error.sort_key())
    return errors
