"""The boundaries the file tree promises: models and planner know nothing of HTTP, YAML or click; only the
executor writes to GHL."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ghlops"
PURE = (
    "ghlops.kinds",
    "ghlops.plan.planner",
    "ghlops.plan.diff",
    "ghlops.plan.model",
    "ghlops.state",
    "ghlops.request",
)


def test_models_and_planner_import_no_http_yaml_or_cli_library() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in PURE)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'httpcore', 'ruamel', 'click'))\n"
        + "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def _writes_in(path: Path) -> list[int]:
    """Lines that build a write request (POST/PUT/DELETE) and send it, outside the kinds' request builders."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "send":
            lines.append(node.lineno)
    return lines


def test_only_the_executor_and_the_read_path_call_the_client() -> None:
    callers = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "sandbox" not in path.parts and _writes_in(path)
    }
    # live.py and export.py only read (their requests come from the kinds' list_request methods); apply.py is the
    # one writer of configuration; lease.py writes only the apply lock (the reserved custom value ghlops.lock); the
    # client module defines send. impact.py holds the reading face and only searches (see the tests below).
    # commands/locations.py lists the company's locations (GET /locations/search).
    allowed = {
        "apply.py", "lease.py", "live.py", "export.py", "commands/export.py", "commands/locations.py",
        "ghl/client.py",
    }  # fmt: skip
    assert callers <= allowed, callers


def _names_in(path: Path) -> set[str]:
    """Every name a module mentions: names, attributes and imported names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.add(node.name.rsplit(".", 1)[-1])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            found.add(node.value)  # string annotations
    return found


def test_only_the_executor_refers_to_the_writing_face_of_the_client() -> None:
    # ghlops.ghl.faces: a ReadingClient can only get and search; the WritingClient (send) is the executor's.
    users = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "sandbox" not in path.parts
        and path.parts[len(PACKAGE.parts)] != "ghl"
        and "WritingClient" in _names_in(path)
    }
    assert users <= {"apply.py"}, users


def test_a_module_holding_the_reading_face_never_calls_send() -> None:
    readers = [
        path
        for path in PACKAGE.rglob("*.py")
        if path.parts[len(PACKAGE.parts)] != "ghl" and "ReadingClient" in _names_in(path)
    ]
    for path in readers:
        assert _writes_in(path) == [], path


def test_the_read_path_never_sends_a_write() -> None:
    for name in ("live.py", "export.py", "commands/export.py", "commands/locations.py"):
        source = (PACKAGE / name).read_text(encoding="utf-8")
        for verb in ('"POST"', '"PUT"', '"DELETE"', "create_request", "update_request", "delete_request"):
            assert verb not in source, (name, verb)


def test_the_impact_counter_sends_no_write_only_the_contacts_search() -> None:
    # POST /contacts/search is a POST but a read: it changes nothing, and GHL's OAuth scope for it is
    # contacts.readonly (../shared/ghl-openapi/contacts.json). It is the only POST impact.py may build.
    source = (PACKAGE / "impact.py").read_text(encoding="utf-8")
    for verb in ('"PUT"', '"DELETE"', '"PATCH"', "create_request", "update_request", "delete_request"):
        assert verb not in source, verb
    assert source.count('"POST"') == 1
    assert 'Request("POST", (SEARCH_PATH,)' in source
    assert 'SEARCH_PATH = "/contacts/search"' in source
