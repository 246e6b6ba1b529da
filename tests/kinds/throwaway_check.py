"""Run by test_throwaway_kind.py in a fresh interpreter with GHLOPS_KIND_MODULES naming the throwaway kind:
exercises every place a kind must reach and prints what each one saw, as JSON on stdout."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from ghlops.apply import Executor
from ghlops.errors import ManifestErrors
from ghlops.export import export_sections
from ghlops.kinds.registry import BY_NAME, prunable, section_names
from ghlops.live import LiveReader, read_order
from ghlops.manifest.schema import build_schema
from ghlops.plan.model import plan_schema
from ghlops.sandbox import Sandbox
from ghlops.sandbox.routes import ROUTES
from ghlops.sandbox.routes.oauth import MARKETPLACE_ROUTES
from ghlops.sandbox.routing import Router
from ghlops.sandbox.seed import sandbox_env
from ghlops.sandbox.store import KINDS as STORE_KINDS
from ghlops.workflow import Settings, load, make_client, plan, read
from tests.kinds.throwaway_routes import ROUTES as SNIPPET_ROUTES

LOCATION = "snippetLocation00001"

MANIFEST = """apiVersion: ghlops/v1
kind: Location
metadata:
  name: snippets-here
spec:
  locationId: {lid}
  prune: [snippets]
  calendars:
    - name: Intake
  snippets:
    - name: Welcome
      body: Hello there
      calendar: {calendar}
"""


def write(directory: Path, calendar: str = "Intake") -> Path:
    path = directory / "snippets.yaml"
    path.write_text(MANIFEST.format(lid=LOCATION, calendar=calendar), encoding="utf-8")
    return path


def main() -> dict[str, Any]:
    seen: dict[str, Any] = {
        "registry": "snippets" in section_names(),
        "prune": "snippets" in prunable(),
        "read_order": any("snippets" in step for step in read_order()),
        "schema": "snippets" in build_schema()["$defs"]["LocationSpec"]["properties"],
        "template_schema": "snippets" in build_schema()["$defs"]["TemplateSpec"]["properties"],
        "plan_schema": "snippets" in plan_schema({"$defs": {"change": {"properties": {}}}})["$defs"]["kind"]["enum"],
        "store_kinds": BY_NAME["snippets"].stored_as in STORE_KINDS,
    }
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        bad = directory / "bad.yaml"
        bad.write_text(MANIFEST.format(lid="L2", calendar="Intake").replace("body: Hello", "bogus: Hello"))
        try:
            load([bad], {}, offline=True)
            seen["validate_strict"] = False
        except ManifestErrors as exc:
            seen["validate_strict"] = "bogus" in str(exc)
        bad.unlink()
        path = write(directory)
        manifests = load([path], {}, offline=True)
        seen["validate"] = [e.name for e in manifests.loaded[0].desired.of("snippets")] == ["Welcome"]
        with Sandbox(port=0) as sb:
            sb._app._router = Router((*ROUTES, *MARKETPLACE_ROUTES, *SNIPPET_ROUTES))
            sb.store.create_location(LOCATION, "snippets-here", sb.company_id)
            settings = Settings(env=sandbox_env(sb), parallelism=2)
            manifests = load([path], settings.env)
            with make_client(settings, manifests.loaded) as client:
                first = plan(read(client, manifests.loaded, settings))
                seen["plan"] = [(c.kind, c.action.value, c.display) for _, c in first.all_changes()]
                report = Executor(client, LiveReader(client), env=settings.env).apply(first)
                seen["apply"] = report.ok
                snapshot = sb.store.snapshot(LOCATION)
                calendar_id = snapshot["calendars"][0]["id"]
                seen["stored"] = [(s["name"], s.get("calendarId") == calendar_id) for s in snapshot["snippets"]]
                snapshot_read = read(client, manifests.loaded, settings)
                again = plan(snapshot_read)
                seen["plan_again"] = [(c.kind, c.action.value) for _, c in again.all_changes()]
                live = snapshot_read.live[LOCATION]
                seen["live"] = [o.obj.name for o in live.of("snippets")]
                seen["export"] = export_sections(live, None).sections.get("snippets")
            missing = write(directory, calendar="Nowhere")
            manifests = load([missing], settings.env)
            with make_client(settings, manifests.loaded) as client:
                seen["reference_error"] = plan(read(client, manifests.loaded, settings)).errors
    return seen


if __name__ == "__main__":
    json.dump(main(), sys.stdout)
