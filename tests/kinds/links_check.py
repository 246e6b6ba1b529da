"""Run by test_links_converge.py in a fresh interpreter with GHLOPS_KIND_MODULES=ghlops.kinds.links: trigger
links end to end against the sandbox (plan -> apply -> plan empty, updates in place, prune, export -> plan
empty, every request checked against links.json). Prints what it saw as JSON."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from click.testing import CliRunner

from ghlops.cli import main as cli_main
from ghlops.sandbox import Sandbox
from ghlops.sandbox.routes import ROUTES
from ghlops.sandbox.routes.links import ROUTES as LINK_ROUTES
from ghlops.sandbox.routes.oauth import MARKETPLACE_ROUTES
from ghlops.sandbox.routing import Router
from ghlops.sandbox.seed import sandbox_env
from tests import openapi_contract

LOCATION = "linksLocation0000001"

HEAD = f"""apiVersion: ghlops/v1
kind: Location
metadata:
  name: links-here
spec:
  locationId: {LOCATION}
  prune: [links]
"""


def main() -> dict[str, Any]:
    seen: dict[str, Any] = {}
    openapi_contract.SPEC_FILES = (*openapi_contract.SPEC_FILES, "links.json")
    with tempfile.TemporaryDirectory() as tmp, Sandbox(port=0) as sb:
        sb._app._router = Router((*ROUTES, *MARKETPLACE_ROUTES, *LINK_ROUTES))
        sb.store.create_location(LOCATION, "links-here", sb.company_id)
        env = sandbox_env(sb)
        runner = CliRunner()
        path = Path(tmp) / "links.yaml"

        def ghlops(*args: str) -> tuple[int, str]:
            result = runner.invoke(cli_main, list(args), env=env, catch_exceptions=False)
            return result.exit_code, result.output

        def links() -> dict[str, tuple[str, str]]:
            return {link["name"]: (link["id"], link["redirectTo"]) for link in sb.store.snapshot(LOCATION)["links"]}

        path.write_text(
            HEAD + "  links:\n"
            "    - {name: Book now, redirectTo: 'https://example.com/book'}\n"
            "    - {name: Reviews, redirectTo: 'https://example.com/reviews'}\n"
            "    - {name: Old offer, redirectTo: 'https://example.com/old'}\n"
        )
        seen["apply"] = ghlops("apply", str(path), "--auto-approve")[0]
        first = links()
        seen["created"] = sorted(first)
        seen["converged"] = ghlops("plan", str(path), "--detailed-exitcode")[0]
        # A new redirect and a rename update in place (the id, which messages carry, stays); a dropped link goes.
        path.write_text(
            HEAD + "  links:\n"
            "    - {name: Book now, redirectTo: 'https://example.com/book-today'}\n"
            "    - {name: Read reviews, renamedFrom: [Reviews], redirectTo: 'https://example.com/reviews'}\n"
        )
        code, output = ghlops("plan", str(path), "--detailed-exitcode")
        seen["changes"] = [line.strip() for line in output.splitlines() if line.strip() and line.strip()[0] in "+~-"]
        seen["apply_changes"] = ghlops("apply", str(path), "--auto-approve")[0]
        after = links()
        seen["ids_kept"] = (
            after["Book now"][0] == first["Book now"][0] and after["Read reviews"][0] == first["Reviews"][0]
        )
        seen["redirect"] = after["Book now"][1]
        seen["remaining"] = sorted(after)
        seen["converged_again"] = ghlops("plan", str(path), "--detailed-exitcode")[0]
        out = Path(tmp) / "export" / "links.yaml"
        out.parent.mkdir()
        code, _ = ghlops(
            "export", "--location-id", LOCATION, "--name", "links-here", "--kinds", "links", "-o", str(out)
        )
        seen["export"] = code
        seen["exported"] = out.read_text().split("spec:\n", 1)[1]
        seen["export_converged"] = ghlops("plan", str(out), "--detailed-exitcode")[0]
        found: list[str] = []
        for r in sb.requests:
            found.extend(openapi_contract.problems(r.method, urlsplit(r.path).path, r.query, r.headers, r.json))
        seen["conformance"] = found
        seen["methods"] = sorted({r.method for r in sb.requests if r.path.startswith("/links")})
    return seen


if __name__ == "__main__":
    json.dump(main(), sys.stdout)
