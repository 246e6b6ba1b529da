"""`ghlops fmt`: canonical form as export writes it, --check for CI, refusal without partial writes."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ghlops.commands.fmt import fmt_command
from ghlops.errors import ConfigError, ManifestErrors
from ghlops.export import location_document
from ghlops.fmt import format_text
from ghlops.manifest.yaml_out import to_yaml
from ghlops.output import Io
from tests.commands.conftest import EXAMPLES


@dataclass
class Captured:
    out: list[str] = field(default_factory=list)

    def io(self) -> Io:
        return Io(out=self.out.append, err=self.out.append)


MESSY = """\
# yaml-language-server: $schema=../schemas/ghlops.schema.json
kind: Location
spec:
  customValues:
  - value: 'Mon-Fri'   # opening hours
    name: business_hours
  tags: [vip, 'yes']
  locationId: abc123
metadata: {name: downtown}
apiVersion: ghlops/v1
"""

CANONICAL = """\
# yaml-language-server: $schema=../schemas/ghlops.schema.json
apiVersion: ghlops/v1
kind: Location
metadata:
  name: downtown
spec:
  locationId: abc123
  customValues:
    - name: business_hours
      value: Mon-Fri   # opening hours
  tags: [vip, 'yes']
"""


def test_fmt_rewrites_keys_indentation_and_quoting_keeping_comments(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MESSY)
    captured = Captured()
    assert fmt_command([tmp_path], check=False, io=captured.io()) == 0
    assert manifest.read_text() == CANONICAL
    assert captured.out == [f"reformatted {manifest}", "1 of 1 file reformatted."]


def test_fmt_twice_is_fmt_once(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MESSY)
    fmt_command([manifest], check=False, io=Captured().io())
    once = manifest.read_text()
    captured = Captured()
    assert fmt_command([manifest], check=True, io=captured.io()) == 0
    assert manifest.read_text() == once
    assert captured.out == ["1 file already formatted."]


def test_check_lists_the_files_that_would_change_and_exits_1_writing_nothing(tmp_path: Path) -> None:
    (tmp_path / "messy.yaml").write_text(MESSY)
    (tmp_path / "tidy.yaml").write_text(CANONICAL.replace("downtown", "uptown").replace("abc123", "def456"))
    captured = Captured()
    assert fmt_command([tmp_path], check=True, io=captured.io()) == 1
    assert (tmp_path / "messy.yaml").read_text() == MESSY
    assert captured.out == [
        f"would reformat {tmp_path / 'messy.yaml'}",
        "1 of 2 files would be reformatted; run: ghlops fmt",
    ]


def test_what_export_writes_is_already_canonical() -> None:
    sections = {
        "customFields": [{"name": "Size", "dataType": "SINGLE_OPTIONS", "options": ["1-10", "51+"]}],
        "customValues": [{"name": "note", "value": "line one\nline two"}],
        "tags": ["new-lead", "vip"],
        "products": [{"name": "Plan", "productType": "SERVICE", "prices": [
            {"name": "Monthly", "type": "recurring", "amount": 20, "currency": "USD",
             "recurring": {"interval": "month", "intervalCount": 1}}]}],
    }  # fmt: skip
    text = to_yaml(location_document("d", "abc", sections), comment="Exported by ghlops.")
    assert format_text(text, "export.yaml") == text


def test_a_broken_file_is_reported_and_no_file_is_written(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(MESSY)
    (tmp_path / "b.yaml").write_text("apiVersion: ghlops/v1\nkind: [unclosed\n")
    with pytest.raises(ConfigError, match=r"b\.yaml:3:1: invalid YAML"):
        fmt_command([tmp_path], check=False, io=Captured().io())
    assert (tmp_path / "a.yaml").read_text() == MESSY


def test_a_missing_path_is_one_error() -> None:
    with pytest.raises(ManifestErrors, match="no such file or directory"):
        fmt_command(["/nonexistent/manifests"], check=False, io=Captured().io())


def test_the_examples_keep_their_meaning_under_fmt(tmp_path: Path) -> None:
    from ghlops.manifest.loader import load_manifests

    for manifest in EXAMPLES.glob("*.yaml"):
        shutil.copy(manifest, tmp_path / manifest.name)
    before = [item.model for item in load_manifests([EXAMPLES], {}, offline=True).loaded]
    assert fmt_command([tmp_path], check=False, io=Captured().io()) == 0
    after = [item.model for item in load_manifests([tmp_path], {}, offline=True).loaded]
    assert after == before
    assert (tmp_path / "downtown-dental.yaml").read_text().startswith("# A dental clinic's sub-account.")


def test_a_comment_above_a_key_moves_with_that_key() -> None:
    text = (
        "kind: Location\napiVersion: ghlops/v1\nmetadata: {name: m}\nspec:\n  tags: [vip]\n  # the clinic's id\n"
        "  locationId: abc\n  users:\n    - role: admin\n      # her work address\n      email: j@example.com\n"
        "      firstName: J\n      lastName: K\n"
    )
    once = format_text(text, "m.yaml")
    assert once == (
        "apiVersion: ghlops/v1\nkind: Location\nmetadata:\n  name: m\nspec:\n  # the clinic's id\n  locationId: abc\n"
        "  tags: [vip]\n  users:\n    # her work address\n    - email: j@example.com\n      firstName: J\n"
        "      lastName: K\n      role: admin\n"
    )
    assert format_text(once, "m.yaml") == once


def test_comment_lines_after_an_entry_stay_above_the_next_entry_when_keys_move() -> None:
    # ruamel keeps such lines on the last scalar before them: they must not travel with that key.
    text = (
        "apiVersion: ghlops/v1\nkind: Location\nmetadata:\n  name: m\nspec:\n  locationId: abc\n  calendars:\n"
        "    - name: Sales\n      slotDuration: 30  # half an hour\n      teamMembers:\n"
        "        - user: j@example.com\n      calendarType: round_robin\n    # the second calendar\n"
        "    - name: Other\n      calendarType: event\n  # the end of spec\n"
    )
    once = format_text(text, "m.yaml")
    assert once == (
        "apiVersion: ghlops/v1\nkind: Location\nmetadata:\n  name: m\nspec:\n  locationId: abc\n  calendars:\n"
        "    - name: Sales\n      calendarType: round_robin\n      teamMembers:\n        - user: j@example.com\n"
        "      slotDuration: 30  # half an hour\n    # the second calendar\n    - name: Other\n"
        "      calendarType: event\n  # the end of spec\n"
    )
    assert format_text(once, "m.yaml") == once


@pytest.mark.parametrize("directory", [EXAMPLES, Path(__file__).resolve().parents[2] / "ghlops" / "demo_manifests"])
def test_the_example_and_demo_manifests_are_canonical(directory: Path) -> None:
    # `ghlops fmt --check examples/` is what a user's pre-commit hook runs on copies of these files.
    manifests = sorted(directory.glob("*.yaml"))
    assert manifests
    for manifest in manifests:
        text = manifest.read_text()
        assert format_text(text, manifest.name) == text, f"{manifest}: run ghlops fmt"
