"""A kind is one module: registered from outside ghlops, a throwaway kind (throwaway_kind.py, with its sandbox
routes in throwaway_routes.py) reaches validation, the schemas, the planner, the live reader, the executor,
export and the sandbox's store without any other file knowing it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_a_kind_registered_from_its_own_module_reaches_every_part_of_ghlops() -> None:
    env = {**os.environ, "GHLOPS_KIND_MODULES": "tests.kinds.throwaway_kind", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.kinds.throwaway_check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["registry"] and seen["prune"] and seen["read_order"]
    assert seen["schema"] and seen["template_schema"] and seen["plan_schema"] and seen["store_kinds"]
    assert seen["validate"] and seen["validate_strict"]
    # The snippet is created after the calendar it names (dependency order), which it references by ref.
    assert seen["plan"] == [["calendars", "create", "Intake"], ["snippets", "create", "Welcome"]]
    assert seen["apply"] is True
    assert seen["stored"] == [["Welcome", True]]
    assert seen["live"] == ["Welcome"]
    assert seen["plan_again"] == []
    assert seen["export"] == [{"name": "Welcome", "body": "Hello there"}]
    assert seen["reference_error"] == [
        "snippets-here: snippet 'Welcome': calendar 'Nowhere' matches no live calendar and no calendar the "
        "manifests declare"
    ]


def test_without_the_module_the_throwaway_section_is_an_unknown_key() -> None:
    from ghlops.kinds.registry import section_names
    from ghlops.manifest.model import LocationSpec

    assert "snippets" not in section_names()
    assert "snippets" not in LocationSpec.model_fields
