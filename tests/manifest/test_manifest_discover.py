from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ghlops.errors import ManifestError, ManifestErrors
from ghlops.manifest.discovery import discover, discover_files

WriteFile = Callable[[str, "str | bytes"], Path]


def test_directories_are_searched_recursively_sorted_with_hidden_entries_skipped(write: WriteFile) -> None:
    write("manifests/b.yaml", "a: 1\n")
    write("manifests/a.yml", "a: 1\n")
    write("manifests/sub/c.yaml", "a: 1\n")
    write("manifests/sub/deeper/d.YAML", "a: 1\n")
    write("manifests/.git/e.yaml", "a: 1\n")
    write("manifests/.hidden/f.yaml", "a: 1\n")
    write("manifests/.g.yaml", "a: 1\n")
    write("manifests/notes.txt", "a: 1\n")
    write("manifests/sub/readme.md", "x")
    assert discover(["manifests"]) == [
        Path("manifests/a.yml"),
        Path("manifests/b.yaml"),
        Path("manifests/sub/c.yaml"),
        Path("manifests/sub/deeper/d.YAML"),
    ]


def test_files_are_taken_as_given_whatever_their_name_and_duplicates_are_dropped(write: WriteFile) -> None:
    write("m/a.yaml", "a: 1\n")
    write("m/b.yaml", "a: 1\n")
    write("other.conf", "a: 1\n")
    assert discover(["other.conf", "m/b.yaml", "m", "./m/a.yaml"]) == [
        Path("other.conf"),
        Path("m/b.yaml"),
        Path("m/a.yaml"),
    ]
    assert [shown for _, shown in discover_files(["./other.conf"])[0]] == ["./other.conf"]


def test_a_missing_path_is_a_manifest_error(write: WriteFile) -> None:
    with pytest.raises(ManifestError) as raised:
        discover(["manifests/nope.yaml"])
    assert str(raised.value) == "manifests/nope.yaml: no such file or directory"


def test_a_directory_without_manifests_is_a_manifest_error(write: WriteFile) -> None:
    write("empty/.hidden/a.yaml", "a: 1\n")
    write("empty/readme.txt", "x")
    with pytest.raises(ManifestError) as raised:
        discover(["empty"])
    assert str(raised.value) == "empty: no manifests (*.yaml, *.yml) in this directory"


def test_several_bad_paths_are_reported_together(write: WriteFile) -> None:
    write("good/a.yaml", "a: 1\n")
    Path("empty").mkdir()
    with pytest.raises(ManifestErrors) as raised:
        discover(["good", "missing", "empty"])
    assert [str(e) for e in raised.value.errors] == [
        "empty: no manifests (*.yaml, *.yml) in this directory",
        "missing: no such file or directory",
    ]


def test_no_paths_at_all_is_an_error() -> None:
    with pytest.raises(ManifestError, match="no manifest files or directories given"):
        discover([])
