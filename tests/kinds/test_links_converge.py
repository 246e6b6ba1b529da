"""Trigger links end to end against the sandbox, registered as a kind from its own module (ghlops.kinds.links
through GHLOPS_KIND_MODULES, with its sandbox routes): see links_check.py for the steps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import openapi_contract

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not openapi_contract.available(), reason=openapi_contract.SKIP_REASON)
def test_trigger_links_converge_update_in_place_prune_and_export_to_an_empty_plan() -> None:
    env = {**os.environ, "GHLOPS_KIND_MODULES": "ghlops.kinds.links", "PYTHONPATH": str(REPO)}
    for name in [k for k in env if k.startswith("GHL_")]:
        del env[name]
    done = subprocess.run(
        [sys.executable, "-m", "tests.kinds.links_check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["apply"] == 0 and seen["created"] == ["Book now", "Old offer", "Reviews"]
    assert seen["converged"] == 0
    assert seen["changes"] == [
        "- trigger link Old offer",
        "~ trigger link Book now",
        "~ trigger link Read reviews (renamed from 'Reviews')",
    ]
    assert seen["apply_changes"] == 0 and seen["ids_kept"] is True
    assert seen["redirect"] == "https://example.com/book-today"
    assert seen["remaining"] == ["Book now", "Read reviews"]
    assert seen["converged_again"] == 0
    assert seen["export"] == 0 and seen["export_converged"] == 0
    assert seen["exported"] == (
        "  locationId: linksLocation0000001\n"
        "  links:\n"
        "    - name: Book now\n"
        "      redirectTo: https://example.com/book-today\n"
        "    - name: Read reviews\n"
        "      redirectTo: https://example.com/reviews\n"
    )
    assert seen["conformance"] == [] and seen["methods"] == ["DELETE", "GET", "POST", "PUT"]
