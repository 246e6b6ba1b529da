"""`ghlops sandbox --seed` as a user runs it: a real process printing shell lines to paste."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from ghlops.cli import main
from tests.commands.conftest import EXAMPLES


def _sandbox_lines(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GHL_")}
    child = subprocess.Popen(
        [sys.executable, "-m", "ghlops", "sandbox", "--port", "0", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 30
    assert child.stdout is not None
    while time.monotonic() < deadline:
        line = child.stdout.readline().rstrip("\n")
        lines.append(line)
        if "GHL_MARKETPLACE_URL" in line:
            break
    return child, lines


def _exports(lines: list[str], commented: bool = False) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        text = line.strip()
        if commented:
            if not text.startswith("#   export "):
                continue
            text = text[len("#   ") :].split("   #")[0]
        elif not text.startswith("export "):
            continue
        name, _, value = text[len("export ") :].partition("=")
        found[name] = shlex.split(value)[0]
    return found


def test_the_sandbox_command_seeds_manifests_and_prints_a_token_map_and_each_setup() -> None:
    child, lines = _sandbox_lines("--seed", str(EXAMPLES))
    try:
        exports = _exports(lines)
        assert sorted(exports) == ["GHL_AGENCY_TOKEN", "GHL_BASE_URL", "GHL_COMPANY_ID", "GHL_LOCATION_TOKENS"]
        assert exports["GHL_BASE_URL"].startswith("http://127.0.0.1:")
        token_map = json.loads(exports["GHL_LOCATION_TOKENS"])
        assert sorted(token_map) == ["Xy7Pq2Lm9Rt4Vb6Nc8Dz", "ve9EPM428h8vShlRW1KT"]
        assert len(set(token_map.values())) == 2  # every location its own token
        # The seeded live state is exactly the manifests: planning them shows nothing to do.
        result = CliRunner().invoke(main, ["plan", str(EXAMPLES), "--detailed-exitcode"], env=exports)
        assert result.exit_code == 0, result.output + result.stderr
        assert "No changes." in result.output
        alternatives = _exports(lines, commented=True)
        assert {"GHL_TOKEN", "GHL_OAUTH_CLIENT_ID", "GHL_OAUTH_CLIENT_SECRET", "GHL_MARKETPLACE_URL"} <= set(
            alternatives
        )
        assert any(line.startswith("#   echo ") and "refresh-token" in line for line in lines)
    finally:
        child.terminate()
        child.wait(timeout=10)


def test_sandbox_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        in_use = CliRunner().invoke(main, ["sandbox", "--port", str(port)])
    out_of_range = CliRunner().invoke(main, ["sandbox", "--port", "70000"])
    unopenable = CliRunner().invoke(main, ["sandbox", "--port", "0", "--db", str(tmp_path / "no" / "such" / "x.db")])
    assert (in_use.exit_code, in_use.stderr) == (
        1,
        f"error: --port {port}: the port is in use on 127.0.0.1 (pick another, or 0 for a free one)\n",
    )
    assert (out_of_range.exit_code, out_of_range.stderr) == (
        1,
        "error: --port 70000 is out of range (0-65535; 0 picks a free port)\n",
    )
    assert unopenable.exit_code == 1
    assert unopenable.stderr.startswith(f"error: --db {tmp_path / 'no' / 'such' / 'x.db'}: cannot open the database")
    assert unopenable.stderr.count("\n") == 1
