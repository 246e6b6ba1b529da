"""DEVELOPERS.md's module map matches the tree: every module of ghlops/ is listed, every line names one that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ghlops"


def map_entries() -> list[str]:
    text = (ROOT / "DEVELOPERS.md").read_text(encoding="utf-8")
    section = text.split("## Module map", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```text\n(.*?)```", section, flags=re.S)
    return [line.split()[0] for line in block.splitlines() if line.strip()]


def modules() -> set[str]:
    return {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name not in ("__init__.py", "__main__.py")
    }


def test_every_module_is_in_the_map() -> None:
    entries = map_entries()
    directories = [e for e in entries if e.endswith("/")]
    missing = sorted(m for m in modules() if m not in entries and not any(m.startswith(d) for d in directories))
    assert missing == []


def test_every_line_of_the_map_names_a_module_that_exists_once() -> None:
    entries = map_entries()
    assert len(entries) == len(set(entries))
    gone = [e for e in entries if not (PACKAGE / e).is_file() and not list((PACKAGE / e).glob("*.py"))]
    assert gone == []
    assert all(e.endswith((".py", "/")) for e in entries)
