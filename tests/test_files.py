"""ghlops.files: outputs are replaced atomically and never written through a symlink (issue 13 sections 4 and 6)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ghlops.errors import ConfigError
from ghlops.files import write_atomically


def test_a_symlink_where_the_output_goes_is_refused_and_its_target_is_untouched(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "out.yaml"
    link.symlink_to(victim)
    with pytest.raises(ConfigError, match="refusing to write through a symlink"):
        write_atomically(link, "overwritten")
    assert victim.read_text() == "precious"


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan.json"
    out.write_text("old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(ConfigError) as caught:
        write_atomically(out, "new")
    assert str(caught.value) == f"{out}: cannot write: No space left on device"
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_the_new_file_keeps_the_old_mode_or_takes_the_one_asked_for(tmp_path: Path) -> None:
    out = tmp_path / "m.yaml"
    out.write_text("a")
    out.chmod(0o640)
    write_atomically(out, "b")
    assert (out.read_text(), out.stat().st_mode & 0o777) == ("b", 0o640)
    secret = tmp_path / "s"
    write_atomically(secret, "t", mode=0o600)
    assert secret.stat().st_mode & 0o777 == 0o600
