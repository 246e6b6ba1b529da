"""A manifest holding an escaped UTF-16 surrogate pair (YAML reads it as two lone surrogates) is refused with one
file:line:col error, not a UnicodeEncodeError traceback (found by the schema-generated manifests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ghlops.cli import main
from ghlops.errors import ManifestErrors
from ghlops.manifest.loader import load_manifests

MANIFEST = """\
apiVersion: ghlops/v1
kind: Location
metadata: {name: shop}
spec:
  locationId: L1
  tags: ["vip\\ud800\\udc00"]
"""


def test_an_escaped_surrogate_pair_is_one_error_at_its_position(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    with pytest.raises(ManifestErrors) as raised:
        load_manifests([path], {}, offline=True)
    assert [str(e) for e in raised.value.errors] == [
        f"{path}:6:10: unpaired surrogate escape (\\uD800-\\uDFFF) in a string; write the character itself"
    ]


def test_validate_offline_reports_it_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "--offline", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "unpaired surrogate escape" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
