from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ghlops.errors import SourcePos
from ghlops.manifest import yaml_io
from ghlops.manifest.positions import PosDict, PosList, locate
from ghlops.manifest.yaml_io import Limits, RawDocument, load_file, load_paths, load_text

WriteFile = Callable[[str, "str | bytes"], Path]


def errors_of(text: str, file: str = "m.yaml") -> list[str]:
    _docs, errors = load_text(text, file)
    return [str(error) for error in errors]


def only_doc(text: str, file: str = "m.yaml") -> RawDocument:
    docs, errors = load_text(text, file)
    assert [str(e) for e in errors] == []
    assert len(docs) == 1
    return docs[0]


def test_scalars_follow_yaml_1_2_and_timestamps_stay_text() -> None:
    data = only_doc(
        "a: yes\nb: true\nc: 12\nd: 0x1F\ne: 1.5\nf: ~\ng:\nh: 2024-01-01\ni: '12'\nj: .inf\nk: 1_000\n"
    ).data
    assert data == {
        "a": "yes",
        "b": True,
        "c": 12,
        "d": 31,
        "e": 1.5,
        "f": None,
        "g": None,
        "h": "2024-01-01",
        "i": "12",
        "j": float("inf"),
        "k": 1000,
    }


def test_multi_document_file_keeps_each_document_index_and_positions(write: WriteFile) -> None:
    path = write(
        "manifests/two.yaml",
        "kind: Location\nname: first\n---\n# nothing here\n---\nkind: Location\nspec:\n  name: second\n",
    )
    docs, errors = load_file(path)
    assert errors == []
    assert [(d.file, d.index, d.pos) for d in docs] == [
        ("manifests/two.yaml", 0, SourcePos("manifests/two.yaml", 1, 1)),
        ("manifests/two.yaml", 2, SourcePos("manifests/two.yaml", 6, 1)),
    ]
    assert locate(docs[1].data, ("spec", "name")) == SourcePos("manifests/two.yaml", 8, 9)


def test_empty_files_and_comment_only_documents_give_no_documents() -> None:
    assert load_text("", "m.yaml") == ([], [])
    assert load_text("# just a comment\n", "m.yaml") == ([], [])
    assert load_text("---\n---\n...\n", "m.yaml") == ([], [])


def test_duplicate_key_names_the_key_and_both_lines() -> None:
    text = "kind: Location\nspec:\n  name: a\n  other: 1\n  name: b\n"
    assert errors_of(text) == ["m.yaml:5:3: duplicate key 'name': first defined on line 3, again on line 5"]


def test_every_duplicate_key_of_a_document_is_reported_and_the_document_is_dropped() -> None:
    docs, errors = load_text("a: 1\na: 2\nb: {c: 1, c: 2}\n---\nok: 1\n", "m.yaml")
    assert [str(e) for e in errors] == [
        "m.yaml:2:1: duplicate key 'a': first defined on line 1, again on line 2",
        "m.yaml:3:11: duplicate key 'c': first defined on line 3, again on line 3",
    ]
    assert [d.index for d in docs] == [1]


def test_a_flood_of_problems_stops_after_the_error_limit() -> None:
    errors = errors_of("a: 1\n" + "a: 2\n" * 150)
    assert len(errors) == 101
    assert errors[-1] == "m.yaml:101:1: too many problems; stopped reading this file after 100"


def test_huge_values_are_cut_short_in_messages() -> None:
    assert errors_of("a: !!int " + "9" * 10_000 + "\n") == ["m.yaml:1:4: invalid !!int value '" + "9" * 57 + "...'"]


def test_a_tab_used_for_indentation_is_reported_at_the_tab() -> None:
    assert errors_of("spec:\n  name: x\n\tother: y\n") == [
        "m.yaml:3:1: tab character used for indentation; indent YAML with spaces"
    ]


def test_tabs_inside_block_text_are_kept() -> None:
    assert only_doc("script: |\n  line\n  \tindented\n").data == {"script": "line\n\tindented\n"}


def test_truncated_yaml_is_reported_at_the_end_of_the_file() -> None:
    assert errors_of("spec:\n  tags: [vip, lead\n") == [
        "m.yaml:3:1: invalid YAML: expected ',' or ']', but got end of file "
        "(while parsing a flow sequence started at line 2, column 9)"
    ]
    assert errors_of('name: "unfinished\n') == [
        "m.yaml:2:1: invalid YAML: found unexpected end of file "
        "(while scanning a quoted scalar started at line 1, column 7)"
    ]


def test_yaml_syntax_errors_are_one_line_with_the_reported_position() -> None:
    assert errors_of("spec:\n  name: a: b\n") == ["m.yaml:2:10: invalid YAML: mapping values are not allowed here"]


def test_documents_before_a_syntax_error_are_still_returned() -> None:
    docs, errors = load_text("a: 1\n---\nb: [\n", "m.yaml")
    assert [d.data for d in docs] == [{"a": 1}]
    assert len(errors) == 1


def test_bytes_that_are_not_utf8_are_reported_with_line_column_and_offset(write: WriteFile) -> None:
    path = write("bad.yaml", b"kind: Location\nname: caf\xe9 x\n")
    assert [str(e) for e in load_file(path)[1]] == [
        "bad.yaml:2:10: file is not valid UTF-8: byte 0xe9 at offset 24 cannot be decoded (save the file as UTF-8)"
    ]


def test_a_utf8_byte_order_mark_is_accepted(write: WriteFile) -> None:
    path = write("bom.yaml", b"\xef\xbb\xbfkind: Location\n")
    docs, errors = load_file(path)
    assert errors == []
    assert docs[0].data == {"kind": "Location"}
    assert docs[0].data.value_pos("kind") == SourcePos("bom.yaml", 1, 7)


def test_utf16_files_are_refused_with_a_hint(write: WriteFile) -> None:
    path = write("wide.yaml", "kind: x\n".encode("utf-16"))
    assert [str(e) for e in load_file(path)[1]] == ["wide.yaml:1:1: file is UTF-16 encoded; save it as UTF-8"]


def test_control_characters_are_reported_at_their_position() -> None:
    assert errors_of("a: 1\nb: x\x00y\n") == [
        "m.yaml:2:5: invalid YAML: character U+0000 is not allowed (special characters are not allowed)"
    ]


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.fixture
def builders(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every builder a load creates, to count the work it did (deterministic, unlike a wall-clock bound)."""
    made: list[Any] = []

    class Counting(yaml_io._Builder):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(yaml_io, "_Builder", Counting)
    return made


def test_an_alias_bomb_is_refused_after_bounded_work(builders: list[Any]) -> None:
    docs, errors = load_text(BILLION_LAUGHS, "bomb.yaml")
    assert builders and all(b.nodes <= yaml_io.MAX_NODES for b in builders)  # never more than the limit built
    assert docs == []
    assert [str(e) for e in errors] == [
        "bomb.yaml:6:11: file expands to more than 200,000 values through anchors and aliases; refusing to load it"
    ]


def test_aliases_within_the_limit_become_independent_copies() -> None:
    data = only_doc("base: &base {model: contact, tags: [a]}\none: *base\ntwo: *base\n").data
    assert data["one"] == data["two"] == {"model": "contact", "tags": ["a"]}
    assert data["one"] is not data["two"] and data["one"]["tags"] is not data["base"]["tags"]
    assert data.value_pos("two") == SourcePos("m.yaml", 3, 6)  # the alias
    assert locate(data, ("two", "model")) == SourcePos("m.yaml", 1, 21)  # the anchored text


def test_merge_keys_take_entries_with_their_positions_and_explicit_keys_win() -> None:
    data = only_doc("base: &b {model: contact, name: base}\nfield:\n  <<: *b\n  name: own\n").data
    assert data["field"] == {"name": "own", "model": "contact"}
    assert locate(data, ("field", "model")) == SourcePos("m.yaml", 1, 18)
    assert locate(data, ("field", "name")) == SourcePos("m.yaml", 4, 9)


def test_undefined_and_recursive_aliases_are_reported() -> None:
    assert errors_of("a: *nope\n") == ["m.yaml:1:4: alias *nope refers to an undefined anchor &nope"]
    assert errors_of("a: &x [1, *x]\n") == ["m.yaml:1:11: alias *x refers to a node that contains it (recursive alias)"]


@pytest.mark.parametrize(
    "text",
    ["a: " + "[" * 10_000 + "]" * 10_000 + "\n", "a: " + "{b: " * 10_000 + "}" * 10_000 + "\n", "- " * 10_000 + "x\n"],
    ids=["flow-sequences", "flow-mappings", "block-sequences"],
)
def test_ten_thousand_levels_of_nesting_are_refused_without_recursion_error(text: str, builders: list[Any]) -> None:
    docs, errors = load_text(text, "deep.yaml")
    assert builders and all(len(b.frames) <= yaml_io.MAX_DEPTH for b in builders)  # stopped at the limit
    assert docs == []
    assert len(errors) == 1
    assert str(errors[0]).startswith("deep.yaml:1:")
    assert str(errors[0]).endswith(": nesting is deeper than 100 levels; refusing to load it")


def test_nesting_at_the_limit_is_accepted() -> None:
    data = only_doc("a: " + "[" * 99 + "]" * 99 + "\n").data
    assert isinstance(data["a"], PosList)


def test_a_file_over_the_size_limit_is_refused_without_parsing(
    write: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write("huge.yaml", "items:\n" + "  - name: a field with a long enough name\n" * 150_000)
    assert path.stat().st_size > 6_000_000
    parsed: list[str] = []
    monkeypatch.setattr(yaml_io, "load_text", lambda text, file, **kw: parsed.append(file) or ([], []))
    docs, errors = load_file(path)
    assert parsed == []  # refused from its size alone, never parsed
    assert docs == []
    assert [str(e) for e in errors] == ["huge.yaml: file is 6 MB, larger than the 5 MB limit for a manifest file"]


def test_limits_can_be_tightened(write: WriteFile) -> None:
    path = write("small.yaml", "a: [1, 2, 3, 4]\n")
    assert [str(e) for e in load_file(path, limits=Limits(max_nodes=4))[1]] == [
        "small.yaml:1:8: file expands to more than 4 values; refusing to load it"
    ]
    assert [str(e) for e in load_file(path, limits=Limits(max_file_bytes=10))[1]] == [
        "small.yaml: file is 16 bytes, larger than the 10 bytes limit for a manifest file"
    ]


def test_python_tags_are_never_constructed(write: WriteFile, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write(
        "evil.yaml",
        f"kind: Location\nrun: !!python/object/apply:os.system ['touch {marker}']\n"
        "obj: !!python/object:collections.OrderedDict {a: 1}\n",
    )
    docs, errors = load_file(path)
    assert not marker.exists()
    assert docs == []
    assert [str(e) for e in errors] == [
        "evil.yaml:2:6: unsupported YAML tag '!!python/object/apply:os.system'",
        "evil.yaml:3:6: unsupported YAML tag '!!python/object:collections.OrderedDict'",
    ]


def test_standard_explicit_tags_are_allowed() -> None:
    assert only_doc("a: !!str 12\nb: !!int '7'\nc: !!map {x: 1}\n").data == {"a": "12", "b": 7, "c": {"x": 1}}
    assert errors_of("a: !!int twelve\n") == ["m.yaml:1:4: invalid !!int value 'twelve'"]


def test_a_document_that_is_not_a_mapping_is_reported_at_its_start() -> None:
    assert errors_of("- kind: Location\n") == ["m.yaml:1:1: a manifest document must be a mapping, got a list"]
    assert errors_of("kind: Location\n---\njust text\n") == [
        "m.yaml:3:1: a manifest document must be a mapping, got a string"
    ]
    assert errors_of("--- null\n") == ["m.yaml:1:5: a manifest document must be a mapping, got null"]


def test_keys_that_are_not_strings_are_reported_at_the_key() -> None:
    assert errors_of("1: a\ntrue: b\n? [x]\n: c\n") == [
        "m.yaml:1:1: mapping keys must be strings, got 1 (quote it to use it as text)",
        "m.yaml:2:1: mapping keys must be strings, got true (quote it to use it as text)",
        "m.yaml:3:3: mapping keys must be strings, got a list",
    ]


def test_missing_files_and_directories_are_errors_not_tracebacks(write: WriteFile) -> None:
    write("dir/x.yaml", "a: 1\n")
    assert [str(e) for e in load_file("nope.yaml")[1]] == ["nope.yaml: no such file or directory"]
    assert [str(e) for e in load_file("dir")[1]] == ["dir: is a directory, not a manifest file"]


def test_file_names_in_errors_are_shown_as_given_never_made_absolute(write: WriteFile) -> None:
    write("manifests/a.yaml", "a: 1\na: 2\n")
    assert [str(e) for e in load_file("./manifests/a.yaml")[1]] == [
        "./manifests/a.yaml:2:1: duplicate key 'a': first defined on line 1, again on line 2"
    ]
    assert load_file(Path("manifests/a.yaml"), display_name="shown.yaml")[1][0].pos == SourcePos("shown.yaml", 2, 1)


def test_load_paths_collects_the_errors_of_every_file(write: WriteFile) -> None:
    write("m/1-good.yaml", "kind: Location\n")
    write("m/2-dup.yaml", "a: 1\na: 2\n")
    write("m/3-broken.yaml", "a: [\n")
    write("m/4-good.yml", "kind: Location\n---\nkind: Other\n")
    docs, errors = load_paths(["m", "missing.yaml"])
    assert [(d.file, d.index) for d in docs] == [("m/1-good.yaml", 0), ("m/4-good.yml", 0), ("m/4-good.yml", 1)]
    assert [str(e) for e in errors] == [
        "missing.yaml: no such file or directory",
        "m/2-dup.yaml:2:1: duplicate key 'a': first defined on line 1, again on line 2",
        "m/3-broken.yaml:2:1: invalid YAML: expected the node content, but found end of file "
        "(while parsing a flow node)",
    ]


def test_loaded_documents_are_pos_dicts() -> None:
    doc = only_doc("a: {b: [1]}\n")
    assert isinstance(doc.data, PosDict)
    assert isinstance(doc.data["a"], PosDict)
    assert isinstance(doc.data["a"]["b"], PosList)
