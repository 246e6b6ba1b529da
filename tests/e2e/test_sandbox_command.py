"""`ghlops sandbox --seed` as a user runs it: a real process printing shell lines to paste."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from click.testing import CliRunner

from ghlops.cli import main
from tests.e2e.conftest import EXAMPLES

EXPORT = re.compile(r"^export (GHL_[A-Z_]+)=(\S+)$")


def test_the_sandbox_command_seeds_manifests_and_prints_export_lines() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GHL_")}
    child = subprocess.Popen(
        [sys.executable, "-m", "ghlops", "sandbox", "--port", "0", "--seed", str(EXAMPLES)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        exports: dict[str, str] = {}
        deadline = time.monotonic() + 30
        assert child.stdout is not None
        while len(exports) < 4 and time.monotonic() < deadline:
            line = child.stdout.readline()
            match = EXPORT.match(line.strip())
            if match:
                exports[match.group(1)] = match.group(2)
        assert sorted(exports) == ["GHL_AGENCY_TOKEN", "GHL_BASE_URL", "GHL_COMPANY_ID", "GHL_TOKEN"]
        assert exports["GHL_BASE_URL"].startswith("http://127.0.0.1:")
        # The seeded live state is exactly the manifests: planning them shows nothing to do.
        result = CliRunner().invoke(main, ["plan", str(EXAMPLES), "--detailed-exitcode"], env=exports)
        assert result.exit_code == 0, result.output + result.stderr
        assert "No changes." in result.output
    finally:
        child.terminate()
        child.wait(timeout=10)
