"""Manifest files on disk -> position-carrying documents, turning hostile input into one-line errors.

YAML is read with ruamel.yaml's *parser* only (an event stream): no constructor ever runs, so tags such as
``!!python/object/apply:os.system`` can never build anything; they are reported as unsupported. The events are
assembled here, without recursion, into :class:`~ghlops.manifest.positions.PosDict` /
:class:`~ghlops.manifest.positions.PosList` trees with plain scalars, which lets this module enforce limits
while it builds:

* files larger than ``max_file_bytes`` are not parsed at all;
* nesting deeper than ``max_depth`` stops the file (checked before a level is opened, so deep input can never
  reach Python's recursion limit);
* every value materialised counts towards ``max_nodes``, aliases counting the full size of what they copy,
  so an anchor/alias "billion laughs" bomb stops after a bounded amount of work;
* duplicate keys, non-string keys, undefined or recursive aliases, unsupported tags and non-mapping documents
  are reported per document, and the document is then left out of the result.

Scalars follow YAML 1.2 (``yes``/``no``/``on``/``off`` stay strings); timestamps stay strings so pydantic can
parse them as the model wants. ``<<`` merge keys are supported (explicit keys win, earlier merges win).
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError

from ghlops.errors import ManifestError, SourcePos, one_line
from ghlops.gc_policy import few_collections
from ghlops.manifest.discovery import MANIFEST_SUFFIXES, discover, discover_files
from ghlops.manifest.positions import PosDict, PosList
from ghlops.manifest.values import kind_of

_CParser: Any
try:  # ruamel.yaml.clib: libyaml's scanner and parser, producing the same event objects as the pure parser
    from ruamel.yaml.cyaml import CParser as _CParser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - the wheel is a dependency; the pure parser still works without it
    _CParser = None

__all__ = [
    "MANIFEST_SUFFIXES",
    "MAX_DEPTH",
    "MAX_ERRORS_PER_FILE",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "PARSER_ENV",
    "Limits",
    "RawDocument",
    "discover",
    "discover_files",
    "few_collections",
    "load_file",
    "load_paths",
    "load_text",
]

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 100
MAX_NODES = 200_000
MAX_ERRORS_PER_FILE = 100

PARSER_ENV = "GHLOPS_YAML_PARSER"
"""``pure`` reads every file with ruamel's pure-Python parser (the reference, and the benchmark's baseline);
anything else (default ``auto``) tries the C parser first."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what one file may cost to load."""

    max_file_bytes: int = MAX_FILE_BYTES
    max_depth: int = MAX_DEPTH
    max_nodes: int = MAX_NODES
    max_errors: int = MAX_ERRORS_PER_FILE


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class RawDocument:
    """One non-empty YAML document: ``data`` is a PosDict; ``index`` counts documents in the file from 0."""

    file: str
    index: int
    data: Any
    pos: SourcePos
    # Whether the file's text has a "$" / a "{{" at all: without one, ${ENV} interpolation / {{ vars.NAME }}
    # substitution has nothing to do in this document and its strings need not be walked.
    dollars: bool = field(default=True, compare=False)
    braces: bool = field(default=True, compare=False)


def load_paths(
    paths: Sequence[str | Path], *, limits: Limits = DEFAULT_LIMITS
) -> tuple[list[RawDocument], list[ManifestError]]:
    """Discover and load every manifest, collecting the problems of all paths and files; never stops early."""
    found, errors = discover_files(paths)
    documents, problems = load_found(found, limits=limits)
    return documents, errors + problems


def load_found(
    found: Sequence[tuple[Path, str]], *, limits: Limits = DEFAULT_LIMITS
) -> tuple[list[RawDocument], list[ManifestError]]:
    """Load files already discovered (``discover_files``), collecting every file's problems."""
    documents: list[RawDocument] = []
    errors: list[ManifestError] = []
    with few_collections():
        for path, display in found:
            docs, problems = load_file(path, display_name=display, limits=limits)
            documents.extend(docs)
            errors.extend(problems)
    return documents, errors


# -- reading one file -----------------------------------------------------------------------------------


_SURROGATE = re.compile("[\ud800-\udfff]")


def _format_size(size: int) -> str:
    mib = 1024 * 1024
    if size >= mib:
        return f"{size / mib:.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{size} bytes"


def load_file(
    path: str | Path, *, display_name: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[list[RawDocument], list[ManifestError]]:
    """Load every non-empty document of one file.

    Errors name the file as ``display_name`` (default: ``path`` as passed, never made absolute). Documents
    with problems are left out; the problems are returned instead.
    """
    shown = display_name if display_name is not None else os.fspath(path)
    limit = limits.max_file_bytes
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                blob = b""
            else:
                blob = handle.read(limit + 1)
                size = max(size, len(blob))
    except FileNotFoundError:
        return [], [ManifestError(f"{shown}: no such file or directory")]
    except IsADirectoryError:
        return [], [ManifestError(f"{shown}: is a directory, not a manifest file")]
    except OSError as exc:
        return [], [ManifestError(f"{shown}: cannot read file: {exc.strerror or exc}")]
    if size > limit:
        return [], [
            ManifestError(
                f"{shown}: file is {_format_size(size)}, larger than the {_format_size(limit)} limit "
                "for a manifest file"
            )
        ]
    text, error = _decode(blob, shown)
    if error is not None:
        return [], [error]
    return load_text(text, shown, limits=limits)


_UTF8_BOM = b"\xef\xbb\xbf"


def _decode(blob: bytes, shown: str) -> tuple[str, ManifestError | None]:
    if blob.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", ManifestError("file is UTF-16 encoded; save it as UTF-8", pos=SourcePos(shown, 1, 1))
    start = len(_UTF8_BOM) if blob.startswith(_UTF8_BOM) else 0
    try:
        return blob[start:].decode("utf-8"), None
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        line_start = max(blob.rfind(b"\n", 0, offset) + 1, start)
        line = blob.count(b"\n", 0, offset) + 1
        col = len(blob[line_start:offset].decode("utf-8", errors="replace")) + 1
        return "", ManifestError(
            f"file is not valid UTF-8: byte 0x{blob[offset]:02x} at offset {offset} cannot be decoded "
            "(save the file as UTF-8)",
            pos=SourcePos(shown, line, col),
        )


def load_text(
    text: str, file: str, *, limits: Limits = DEFAULT_LIMITS, parser: str | None = None
) -> tuple[list[RawDocument], list[ManifestError]]:
    """Parse YAML ``text`` whose positions are reported against the name ``file``.

    ``parser``: ``"pure"`` or ``"auto"`` (default: the ``GHLOPS_YAML_PARSER`` environment variable, else
    ``auto``). ``auto`` reads with libyaml (ruamel.yaml.clib) and hands the file to the pure parser whenever
    libyaml's reading could differ from it: text with characters libyaml treats differently (tabs, NEL, LS,
    PS, ``%`` directives), an empty scalar whose position would be reported, or any error on the C side, whose
    wording the pure parser's messages are built from. Both paths feed the same builder, so trees, positions,
    limits and errors are the same (tests/manifest/test_yaml_parsers_agree.py).
    """
    if len(text) > limits.max_file_bytes and len(text.encode("utf-8")) > limits.max_file_bytes:
        return [], [ManifestError(f"{file}: text is larger than the {_format_size(limits.max_file_bytes)} limit")]
    mode = parser if parser is not None else os.environ.get(PARSER_ENV, "auto")
    if mode != "pure" and _CParser is not None and not _pure_only(text):
        result = _load_c(text, file, limits)
        if result is not None:
            return result
    return _load_pure(text, file, limits)


# libyaml accepts a tab after a value and NEL/LS/PS line breaks where YAML 1.2 (and the pure parser) do not, and
# a %YAML 1.1 directive switches the pure resolver to 1.1 scalars: such files always take the pure path.
_PURE_ONLY_CHARACTERS = ("\t", "\x85", "\u2028", "\u2029", "\n%", "\r%")


# libyaml ends an anchor or alias name at the first character outside [A-Za-z0-9_-]; the pure parser reads on
# (``*a:`` is the alias ``a:`` to it). Any such name followed by something other than a space, a line break or a
# flow indicator takes the pure path (text such as "Q&A" or a cron "* * *" does not match).
_ODD_ANCHOR = re.compile(r"[&*][A-Za-z0-9_-]*[^A-Za-z0-9_\-\s,\[\]{}]")


# libyaml takes a comment right after a block scalar's indicators (``|#``); the pure parser wants a space first.
_BLOCK_COMMENT = re.compile(r"[|>][-+0-9]*#")


def _pure_only(text: str) -> bool:
    """Whether ``text`` must be read by the pure parser (substring tests first: far faster than a regex pass)."""
    if text.startswith("%") or any(part in text for part in _PURE_ONLY_CHARACTERS):
        return True
    if ("&" in text or "*" in text) and _ODD_ANCHOR.search(text) is not None:
        return True
    return "#" in text and _BLOCK_COMMENT.search(text) is not None


class _NeedPure(Exception):
    """The C parser's events cannot be trusted to match the pure parser's here; start again with it."""


def _load_c(text: str, file: str, limits: Limits) -> tuple[list[RawDocument], list[ManifestError]] | None:
    """The file read through libyaml; ``None`` when the pure parser must read it instead."""
    assert _CParser is not None
    builder = _Builder(file, limits, _C_RESOLVING, c_events=True)
    builder.dollars, builder.braces = "$" in text, "{{" in text
    try:
        parser = _CParser(text)
    except Exception:  # pragma: no cover - defensive: the pure parser reports whatever the problem is
        return None
    handlers = _HANDLERS
    get_event = parser.get_event
    try:
        while True:
            try:
                event = get_event()  # None after the stream's end
            except Exception:  # any C-side problem: the pure parser decides, and words the message
                return None
            if event is None:
                break
            handler = handlers.get(type(event))  # builder.feed, inlined: this loop runs once per event
            if handler is not None:
                handler(builder, event)
    except _Abort:
        pass
    except _NeedPure:
        return None
    finally:
        parser.dispose()
    return builder.documents, builder.errors


def _load_pure(text: str, file: str, limits: Limits) -> tuple[list[RawDocument], list[ManifestError]]:
    yaml = YAML(typ="safe", pure=True)
    builder = _Builder(file, limits, yaml)
    builder.dollars, builder.braces = "$" in text, "{{" in text
    try:
        for event in yaml.parse(text):
            builder.feed(event)
    except _Abort:
        pass
    except MarkedYAMLError as exc:
        builder.errors.append(_syntax_error(exc, text, file))
    except ReaderError as exc:
        builder.errors.append(_reader_error(exc, text, file))
    except YAMLError as exc:
        builder.errors.append(ManifestError(f"invalid YAML: {one_line(str(exc))}", pos=SourcePos(file, 1, 1)))
    except RecursionError:  # pragma: no cover - the depth limit is meant to make this unreachable
        builder.errors.append(ManifestError("nesting is too deep", pos=SourcePos(file, 1, 1)))
    return builder.documents, builder.errors


# -- YAML problems -> one line --------------------------------------------------------------------------

_LINE_BREAKS = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")


def _source_line(text: str, line: int) -> str:
    lines = _LINE_BREAKS.split(text)
    return lines[line] if 0 <= line < len(lines) else ""


def _clean(message: str) -> str:
    message = message.replace("'<stream end>'", "end of file").replace("<stream end>", "end of file")
    message = message.replace("end of stream", "end of file")
    return one_line(message)


def _syntax_error(exc: MarkedYAMLError, text: str, file: str) -> ManifestError:
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    mark = problem_mark or context_mark
    pos = SourcePos(file, mark.line + 1, mark.column + 1) if mark is not None else SourcePos(file, 1, 1)
    problem = str(getattr(exc, "problem", None) or "")
    context = str(getattr(exc, "context", None) or "")
    if "'\\t'" in problem and mark is not None:
        before = _source_line(text, mark.line)[: mark.column]
        if before.strip(" \t") == "":
            return ManifestError("tab character used for indentation; indent YAML with spaces", pos=pos)
        return ManifestError("tab character is not allowed here; use spaces", pos=pos)
    advice = _indentation_advice(problem, text, mark) if mark is not None else None
    if advice is not None and mark is not None:
        return ManifestError(
            f"invalid YAML: {advice}", pos=SourcePos(file, mark.line + 1, _indent(text, mark.line) + 1)
        )
    if not problem:
        problem, context = context, ""
    message = problem
    if context:
        where = ""
        if context_mark is not None and (
            problem_mark is None or (context_mark.line, context_mark.column) != (problem_mark.line, problem_mark.column)
        ):
            where = f" started at line {context_mark.line + 1}, column {context_mark.column + 1}"
        message = f"{problem} ({context}{where})"
    return ManifestError(f"invalid YAML: {_clean(message)}", pos=pos)


def _indent(text: str, line: int) -> int:
    source = _source_line(text, line)
    return len(source) - len(source.lstrip(" "))


def _indentation_advice(problem: str, text: str, mark: Any) -> str | None:
    """What to do about the two errors a mis-indented line gives, in place of the parser's wording
    ("expected <block end>, but found '<block mapping start>'", "mapping values are not allowed here")."""
    if mark is None:
        return None
    source = _source_line(text, mark.line)
    indent = _indent(text, mark.line)
    if problem.startswith("expected <block end>, but found"):
        spaces = "space" if indent == 1 else "spaces"
        return (
            f"this line is indented by {indent} {spaces}, which matches no mapping or list above it; "
            "check the indentation of this line and the line above"
        )
    if problem == "mapping values are not allowed here":
        before = source[: mark.column]
        key = before.strip()
        above = next((n for n in range(mark.line - 1, -1, -1) if _source_line(text, n).strip()), None)
        if ": " in before or not key or key.startswith(("-", "[", "{", "#")) or above is None:
            return None  # a value with ': ' in it, not an indentation problem
        above_line = _source_line(text, above)
        if indent <= _indent(text, above) or not re.search(r":\s+\S", above_line):
            return None
        return (
            f"{_shown(key + ':')} is indented more than the key on line {above + 1}, which already has a value; "
            "check the indentation of the line above"
        )
    return None


def _reader_error(exc: ReaderError, text: str, file: str) -> ManifestError:
    position = exc.position if isinstance(exc.position, int) else 0
    position = min(max(position, 0), len(text))
    line = text.count("\n", 0, position) + 1
    col = position - (text.rfind("\n", 0, position) + 1) + 1
    character = exc.character
    shown = f"U+{character:04X}" if isinstance(character, int) else repr(character)
    return ManifestError(
        f"invalid YAML: character {shown} is not allowed ({_clean(str(exc.reason))})",
        pos=SourcePos(file, line, col),
    )


# -- events -> PosDict / PosList ------------------------------------------------------------------------

_YAML_TAG = "tag:yaml.org,2002:"
_STR = _YAML_TAG + "str"
_NULL = _YAML_TAG + "null"
_BOOL = _YAML_TAG + "bool"
_INT = _YAML_TAG + "int"
_FLOAT = _YAML_TAG + "float"
_TIMESTAMP = _YAML_TAG + "timestamp"
_MERGE = _YAML_TAG + "merge"
_VALUE = _YAML_TAG + "value"
_MAP = _YAML_TAG + "map"
_SEQ = _YAML_TAG + "seq"


def _short_tag(tag: str) -> str:
    return _shown("!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag)


def _shown(text: str, limit: int = 60) -> str:
    """``repr`` of user text, cut short so one hostile value cannot flood the error line."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


class _Abort(Exception):
    """Stop reading the file (a resource limit was hit); the error is already recorded."""


@dataclass(slots=True)
class _Value:
    value: Any
    pos: SourcePos
    size: int = 1  # values materialised, this one included
    height: int = 0  # levels of containers inside, this one included
    empty: bool = False  # an empty plain scalar (`key:` with nothing after it)
    merge: bool = False  # the `<<` merge key


_NO_KEY, _HAVE_KEY, _SKIP, _MERGE_KEY = range(4)


@dataclass(slots=True)
class _Frame:
    container: PosDict | PosList
    pos: SourcePos
    anchor: str | None
    is_list: bool
    size: int = 1
    height: int = 1
    key_state: int = _NO_KEY
    key: str = ""
    key_pos: SourcePos | int | None = None  # int: packed as line << 24 | col (see PosDict)
    merges: list[PosDict] | None = None


@dataclass(slots=True)
class _Anchored:
    value: Any
    size: int
    height: int


def _clone(value: Any) -> Any:
    """Copy an anchored value for an alias (height is bounded by the depth limit, so recursion is safe)."""
    if isinstance(value, PosDict):
        result = PosDict(pos=value.pos)
        for key, item in value.items():
            result.set_with_pos(key, _clone(item), value.key_pos(key), value.value_pos(key))
        return result
    if isinstance(value, PosList):
        copied = PosList(pos=value.pos)
        for index, item in enumerate(value):
            copied.append_with_pos(_clone(item), value.item_pos(index))
        return copied
    return value


# Resolver and constructor for the C path: never used to parse, so they always follow YAML 1.2 (files with a
# %YAML directive take the pure path).
_C_RESOLVING = YAML(typ="safe", pure=True)
_RESOLVED_CACHE_SIZE = 50_000
_RESOLVED: dict[str, str] = {}
# Booleans and numbers by (tag, text), for the C path (immutable values; texts that fail to construct are not kept).
_CONSTRUCTED: dict[tuple[str, str], Any] = {}
_MISSING = object()
_STARTS: list[frozenset[str] | None] = []


def _implicit_starts() -> frozenset[str] | None:
    """First characters of the YAML 1.2 implicit types (bool, int, float, null, merge, ...): a plain scalar
    starting with any other character is a string without asking the resolver. ``None`` when ruamel has a
    catch-all resolver (then nothing is skipped)."""
    if not _STARTS:
        table = _C_RESOLVING.resolver.versioned_resolver
        _STARTS.append(None if None in table else frozenset(key for key in table if isinstance(key, str)))
    return _STARTS[0]


class _Builder:
    """Assembles parser events into PosDict/PosList trees, enforcing the limits as it goes."""

    def __init__(self, file: str, limits: Limits, yaml: YAML, *, c_events: bool = False) -> None:
        self.file = file
        self.c_events = c_events
        self.dollars = True
        self.braces = True
        # Plain scalars resolve by their text alone (YAML 1.2); the C path's many repeated texts skip the regexes.
        self.resolved: dict[str, str] | None = _RESOLVED if c_events else None
        self.starts = _implicit_starts() if c_events else None
        self.max_nodes = limits.max_nodes
        self.limits = limits
        self.resolver = yaml.resolver
        self.constructor = yaml.constructor
        self.documents: list[RawDocument] = []
        self.errors: list[ManifestError] = []
        self.nodes = 0
        self.index = -1
        self.frames: list[_Frame] = []
        self.anchors: dict[str, _Anchored] = {}
        self.open_anchors: set[str] = set()
        self.root: _Value | None = None
        self.failed = False

    # -- bookkeeping ------------------------------------------------------------------------------------

    def _pos(self, event: Any) -> SourcePos:
        mark = event.start_mark
        return SourcePos(self.file, mark.line + 1, mark.column + 1)

    def _error(self, pos: SourcePos | None, message: str) -> None:
        self.failed = True
        self.errors.append(ManifestError(message, pos=pos))
        if len(self.errors) >= self.limits.max_errors:
            self.errors.append(
                ManifestError(
                    f"too many problems; stopped reading this file after {self.limits.max_errors}",
                    pos=pos,
                )
            )
            raise _Abort

    def _abort(self, pos: SourcePos, message: str) -> None:
        self.failed = True
        self.errors.append(ManifestError(message, pos=pos))
        raise _Abort

    def _count(self, pos: SourcePos, amount: int = 1, *, alias: bool = False) -> None:
        if self.nodes + amount > self.limits.max_nodes:
            how = " through anchors and aliases" if alias else ""
            self._abort(
                pos,
                f"file expands to more than {self.limits.max_nodes:,} values{how}; refusing to load it",
            )
        self.nodes += amount

    # -- events -----------------------------------------------------------------------------------------

    def feed(self, event: Any) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _mapping_start(self, event: Any) -> None:
        self._start(event, True)

    def _sequence_start(self, event: Any) -> None:
        self._start(event, False)

    def _collection_end(self, event: Any) -> None:
        self._end()

    def _document_start(self, event: Any) -> None:
        self.index += 1
        self.frames = []
        self.anchors = {}
        self.open_anchors = set()
        self.root = None
        self.failed = False

    def _document_end(self, event: Any) -> None:
        self._finish_document()

    def _start(self, event: Any, mapping: bool) -> None:
        if self.c_events and event.tag is not None:
            raise _NeedPure
        pos = self._pos(event)
        self._count(pos)
        if len(self.frames) + 1 > self.limits.max_depth:
            self._abort(pos, f"nesting is deeper than {self.limits.max_depth} levels; refusing to load it")
        tag = event.tag
        if tag is not None and tag != "!" and tag != (_MAP if mapping else _SEQ):
            self._error(pos, f"unsupported YAML tag {_short_tag(str(tag))}")
        container: PosDict | PosList = PosDict(pos=pos) if mapping else PosList(pos=pos)
        container._file = self.file
        anchor = event.anchor
        if anchor is not None:
            self.open_anchors.add(anchor)
        self.frames.append(_Frame(container, pos, anchor, not mapping))

    def _end(self) -> None:
        frames = self.frames
        frame = frames.pop()
        container = frame.container
        if frame.merges is not None and isinstance(container, PosDict):
            for source in frame.merges:
                for key in source:
                    if key not in container:
                        container.copy_entry(source, key)
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = _Anchored(container, frame.size, frame.height)
        elif frames:
            top = frames[-1]
            if top.is_list or top.key_state == _HAVE_KEY:
                # The common case, kept short: a nested container that is a list item or a mapping value.
                top.size += frame.size
                if top.height <= frame.height:
                    top.height = frame.height + 1
                if top.is_list:
                    top.container.append_with_pos(container, frame.pos)  # type: ignore[union-attr]
                else:
                    top.key_state = _NO_KEY
                    top.container.set_with_pos(top.key, container, top.key_pos, frame.pos)  # type: ignore[union-attr]
                return
        self._attach(_Value(container, frame.pos, frame.size, frame.height))

    def _alias(self, event: Any) -> None:
        pos = self._pos(event)
        name = event.anchor
        anchored = self.anchors.get(name)
        if name in self.open_anchors:
            self._error(pos, f"alias *{name[:60]} refers to a node that contains it (recursive alias)")
            anchored = None
        elif anchored is None:
            self._error(pos, f"alias *{name[:60]} refers to an undefined anchor &{name[:60]}")
        if anchored is None:
            self._attach(_Value(None, pos))
            return
        if len(self.frames) + anchored.height > self.limits.max_depth:
            self._abort(pos, f"nesting is deeper than {self.limits.max_depth} levels; refusing to load it")
        self._count(pos, anchored.size, alias=True)
        self._attach(_Value(_clone(anchored.value), pos, anchored.size, anchored.height))

    def _scalar(self, event: Any) -> None:
        text: str = event.value
        tag = event.tag
        cache = self.resolved
        frames = self.frames
        if cache is not None and tag is None and text and event.anchor is None and frames and event.implicit[0]:
            # The common case on the C path, kept short: a plain, already-resolved scalar in a container.
            resolved = cache.get(text)
            starts = self.starts
            if resolved is None and starts is not None and text[0] not in starts:
                resolved = _STR  # no implicit type (bool, number, null, ...) starts with this character
            if resolved is not None and self.nodes < self.max_nodes:
                value: Any = text
                if resolved != _STR:
                    value = _CONSTRUCTED.get((resolved, text), _MISSING)
                else:
                    # Keys, and most values (a field's type, a currency, a name every location shares), repeat in
                    # every document: one string each for the whole run (issue 15: memory per location).
                    value = text = sys.intern(text)
                top = frames[-1]
                if value is not _MISSING:
                    container = top.container
                    if top.key_state == _HAVE_KEY:
                        self.nodes += 1
                        top.size += 1
                        mark = event.start_mark
                        top.key_state = _NO_KEY
                        # Positions packed (line << 24 | col): no SourcePos built unless one is asked for.
                        container.set_packed(  # type: ignore[union-attr]
                            top.key, value, top.key_pos, ((mark.line + 1) << 24) | (mark.column + 1)
                        )
                        return
                    if top.is_list:
                        self.nodes += 1
                        top.size += 1
                        mark = event.start_mark
                        container.append_packed(  # type: ignore[union-attr]
                            value, ((mark.line + 1) << 24) | (mark.column + 1)
                        )
                        return
                    if top.key_state == _NO_KEY and resolved == _STR and text not in container:
                        self.nodes += 1
                        top.size += 1
                        mark = event.start_mark
                        top.key_state = _HAVE_KEY
                        top.key = text
                        top.key_pos = ((mark.line + 1) << 24) | (mark.column + 1)
                        return
        if self.c_events and tag is not None:
            raise _NeedPure  # libyaml scans odd tags ("!!!str", "!a!b") differently; tags are rare in manifests
        pos = self._pos(event)
        self._count(pos)
        if event.style == '"' and _SURROGATE.search(text):
            # Only a double-quoted escape ("\ud800") yields half a UTF-16 pair: no UTF-8 text can hold one (the
            # models' encoders would raise on it), so it is a manifest error, and the value is kept without it.
            self._error(pos, "unpaired surrogate escape (\\uD800-\\uDFFF) in a string; write the character itself")
            text = _SURROGATE.sub("\ufffd", text)
        if self.c_events and text == "" and not event.style and not self._position_unused(tag):
            # libyaml places an empty plain scalar at the end of the previous token, the pure parser at the start
            # of the next one: where that position could be reported, let the pure parser decide it.
            raise _NeedPure
        if tag is None:
            cache = self.resolved
            if cache is not None and event.implicit[0]:
                resolved = cache.get(text, "")
                if not resolved:
                    resolved = str(self.resolver.resolve(ScalarNode, text, event.implicit))
                    if len(cache) >= _RESOLVED_CACHE_SIZE:
                        cache.clear()
                    cache[text] = resolved
            else:
                resolved = str(self.resolver.resolve(ScalarNode, text, event.implicit))
        elif tag == "!":
            resolved = _STR
        else:
            resolved = str(tag)
        value = sys.intern(text)  # shared, as on the fast path above
        merge = False
        if resolved == _NULL:
            value = None
        elif resolved in (_BOOL, _INT, _FLOAT):
            value = self._construct(resolved, text, pos)
        elif resolved == _MERGE:
            merge = tag is None
        elif resolved not in (_STR, _TIMESTAMP, _VALUE):
            self._error(pos, f"unsupported YAML tag {_short_tag(resolved)}")
        empty = text == "" and tag is None and bool(event.implicit[0])
        result = _Value(value, pos, empty=empty, merge=merge)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchored(value, 1, 0)
        self._attach(result)

    def _position_unused(self, tag: Any) -> bool:
        """Whether an empty scalar here is a plain mapping value, whose own position is never used (the key's is)."""
        if tag is not None or not self.frames:
            return False
        top = self.frames[-1]
        return isinstance(top.container, PosDict) and top.key_state in (_HAVE_KEY, _SKIP)

    def _construct(self, tag: str, text: str, pos: SourcePos) -> Any:
        if self.resolved is not None:
            known = _CONSTRUCTED.get((tag, text), _MISSING)
            if known is not _MISSING:
                return known
            value = self._construct_new(tag, text, pos)
            if not isinstance(value, str):  # a failed construction returns the text, and is reported each time
                if len(_CONSTRUCTED) >= _RESOLVED_CACHE_SIZE:
                    _CONSTRUCTED.clear()
                _CONSTRUCTED[(tag, text)] = value
            return value
        return self._construct_new(tag, text, pos)

    def _construct_new(self, tag: str, text: str, pos: SourcePos) -> Any:
        node = ScalarNode(tag, text)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if tag == _BOOL:
                    return self.constructor.construct_yaml_bool(node)
                if tag == _INT:
                    return self.constructor.construct_yaml_int(node)
                return self.constructor.construct_yaml_float(node)
        except (ValueError, TypeError, KeyError, IndexError, YAMLError):
            self._error(pos, f"invalid {tag.replace(_YAML_TAG, '!!')} value {_shown(text)}")
            return text

    # -- assembling -------------------------------------------------------------------------------------

    def _attach(self, item: _Value) -> None:
        if not self.frames:
            self.root = item
            return
        top = self.frames[-1]
        top.size += item.size
        top.height = max(top.height, item.height + 1)
        container = top.container
        if isinstance(container, PosList):
            container.append_with_pos(item.value, item.pos)
            return
        if top.key_state == _NO_KEY:
            self._take_key(top, container, item)
            return
        state, top.key_state = top.key_state, _NO_KEY
        if state == _HAVE_KEY:
            value_pos = top.key_pos if item.empty else item.pos
            container.set_with_pos(top.key, item.value, top.key_pos, value_pos)
        elif state == _MERGE_KEY:
            self._take_merge(top, item)

    def _take_key(self, top: _Frame, container: PosDict, item: _Value) -> None:
        key = item.value
        if item.merge:
            top.key_state = _MERGE_KEY
            return
        if not isinstance(key, str):
            scalar = key is None or isinstance(key, bool | int | float)
            hint = " (quote it to use it as text)" if scalar else ""
            shown = kind_of(key)
            if isinstance(key, bool):
                shown = "true" if key else "false"
            elif isinstance(key, int | float):
                shown = repr(key)
            self._error(item.pos, f"mapping keys must be strings, got {shown}{hint}")
            top.key_state = _SKIP
            return
        if key in container:
            first = container.key_pos(key)
            first_line = f"line {first.line}" if first is not None else "earlier"
            again = item.pos.line
            self._error(item.pos, f"duplicate key {_shown(key)}: first defined on {first_line}, again on line {again}")
            top.key_state = _SKIP
            return
        top.key_state = _HAVE_KEY
        top.key = sys.intern(key)
        top.key_pos = item.pos

    def _take_merge(self, top: _Frame, item: _Value) -> None:
        value = item.value
        sources = value if isinstance(value, list) else [value]
        if not sources or not all(isinstance(source, PosDict) for source in sources):
            self._error(item.pos, "'<<' (merge key) needs a mapping or a list of mappings")
            return
        if top.merges is None:
            top.merges = []
        top.merges.extend(sources)

    def _finish_document(self) -> None:
        root = self.root
        self.frames = []
        self.anchors = {}
        self.open_anchors = set()
        if self.failed or root is None or root.empty:
            return
        if not isinstance(root.value, PosDict):
            self.errors.append(
                ManifestError(f"a manifest document must be a mapping, got {kind_of(root.value)}", pos=root.pos)
            )
            return
        self.documents.append(
            RawDocument(self.file, self.index, root.value, root.pos, dollars=self.dollars, braces=self.braces)
        )


# Event type -> handler (both parsers produce these exact classes); other events (stream start/end) are ignored.
_HANDLERS: dict[type, Any] = {
    ScalarEvent: _Builder._scalar,
    MappingStartEvent: _Builder._mapping_start,
    SequenceStartEvent: _Builder._sequence_start,
    MappingEndEvent: _Builder._collection_end,
    SequenceEndEvent: _Builder._collection_end,
    AliasEvent: _Builder._alias,
    DocumentStartEvent: _Builder._document_start,
    DocumentEndEvent: _Builder._document_end,
}
