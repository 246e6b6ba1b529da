"""Manifest discovery: ``.ghlopsignore`` follows gitignore's rules (negation, ``dir/`` at any depth, anchors)."""

from __future__ import annotations

from pathlib import Path

from ghlops.manifest.discovery import discover


def tree(root: Path, files: list[str], ignore: str) -> list[str]:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("kind: Location\n", encoding="utf-8")
    (root / ".ghlopsignore").write_text(ignore, encoding="utf-8")
    return [p.relative_to(root).as_posix() for p in discover([root])]


def test_a_negated_pattern_brings_back_one_file_of_an_ignored_glob(tmp_path: Path) -> None:
    found = tree(tmp_path, ["a.yaml", "mkdocs.yml", "ci/lint.yml", "keep.yml"], "*.yml\n!keep.yml\n")
    assert found == ["a.yaml", "keep.yml"]


def test_a_directory_pattern_matches_that_directory_at_any_depth_but_not_a_file_of_that_name(
    tmp_path: Path,
) -> None:
    found = tree(
        tmp_path,
        ["clinics/a.yaml", "clinics/build/gen.yaml", "build/x.yaml", "deep/er/build/y.yaml", "build.yaml"],
        "build/\n",
    )
    assert found == ["build.yaml", "clinics/a.yaml"]


def test_a_pattern_with_a_slash_is_anchored_at_the_searched_directory(tmp_path: Path) -> None:
    found = tree(tmp_path, ["ci/x.yml", "sub/ci/x.yml", "sub/ok.yaml"], "/ci/\n")
    assert found == ["sub/ci/x.yml", "sub/ok.yaml"]


def test_double_star_spans_directories_and_comments_and_blank_lines_are_ignored(tmp_path: Path) -> None:
    found = tree(tmp_path, ["a/b/c/skip.yaml", "a/keep.yaml", "top.yaml"], "# generated\n\na/**/skip.yaml\n")
    assert found == ["a/keep.yaml", "top.yaml"]


def test_nothing_inside_an_ignored_directory_can_be_re_included_as_in_git(tmp_path: Path) -> None:
    found = tree(tmp_path, ["docs/x.yaml", "docs/want.yaml", "m.yaml"], "docs/\n!docs/want.yaml\n")
    assert found == ["m.yaml"]


def test_the_old_yaml_io_names_still_discover(tmp_path: Path) -> None:
    from ghlops.manifest import yaml_io

    (tmp_path / "m.yaml").write_text("kind: Location\n", encoding="utf-8")
    assert yaml_io.discover([tmp_path]) == [tmp_path / "m.yaml"]
    assert yaml_io.discover_files is discover.__globals__["discover_files"]
