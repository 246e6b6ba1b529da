"""Trigger links, a built-in kind (issue 11), end to end against the sandbox: plan -> apply -> plan empty, updates
in place (a link's id is in every message that carries it), prune, export -> plan empty, every request checked
against links.json; and `prune: all` in a manifest that never mentions links deletes none."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import openapi_contract
from tests.e2e.conftest import EXAMPLES, Cli

LOCATION = "linksLocation0000001"
DENTAL = "ve9EPM428h8vShlRW1KT"

HEAD = f"""apiVersion: ghlops/v1
kind: Location
metadata:
  name: links-here
spec:
  locationId: {LOCATION}
  prune: [links]
"""


def links(cli: Cli, location: str = LOCATION) -> dict[str, tuple[str, str]]:
    return {link["name"]: (link["id"], link["redirectTo"]) for link in cli.sb.store.snapshot(location)["links"]}


def change_lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip() and line.strip()[0] in "+~-"]


@pytest.mark.skipif(not openapi_contract.available(), reason=openapi_contract.SKIP_REASON)
def test_trigger_links_converge_update_in_place_prune_and_export_to_an_empty_plan(cli: Cli, tmp_path: Path) -> None:
    cli.sb.store.create_location(LOCATION, "links-here", cli.sb.company_id)
    path = tmp_path / "links.yaml"
    path.write_text(
        HEAD + "  links:\n"
        "    - {name: Book now, redirectTo: 'https://example.com/book'}\n"
        "    - {name: Reviews, redirectTo: 'https://example.com/reviews'}\n"
        "    - {name: Old offer, redirectTo: 'https://example.com/old'}\n"
    )
    applied = cli("apply", str(path), "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr
    first = links(cli)
    assert sorted(first) == ["Book now", "Old offer", "Reviews"]
    assert cli("plan", str(path), "--detailed-exitcode").exit_code == 0

    # A new redirect and a rename update in place (the id, which messages carry, stays); a dropped link goes.
    path.write_text(
        HEAD + "  links:\n"
        "    - {name: Book now, redirectTo: 'https://example.com/book-today'}\n"
        "    - {name: Read reviews, renamedFrom: [Reviews], redirectTo: 'https://example.com/reviews'}\n"
    )
    planned = cli("plan", str(path), "--detailed-exitcode")
    assert planned.exit_code == 2
    assert change_lines(planned.output) == [
        "- trigger link Old offer",
        "~ trigger link Book now",
        "~ trigger link Read reviews (renamed from 'Reviews')",
    ]
    assert cli("apply", str(path), "--auto-approve").exit_code == 0
    after = links(cli)
    assert after["Book now"] == (first["Book now"][0], "https://example.com/book-today")
    assert after["Read reviews"][0] == first["Reviews"][0]
    assert sorted(after) == ["Book now", "Read reviews"]
    assert cli("plan", str(path), "--detailed-exitcode").exit_code == 0

    out = tmp_path / "export" / "links.yaml"
    out.parent.mkdir()
    exported = cli("export", "--location-id", LOCATION, "--name", "links-here", "--kinds", "links", "-o", str(out))
    assert exported.exit_code == 0, exported.output + exported.stderr
    assert out.read_text().split("spec:\n", 1)[1] == (
        "  locationId: linksLocation0000001\n"
        "  links:\n"
        "    - name: Book now\n"
        "      redirectTo: https://example.com/book-today\n"
        "    - name: Read reviews\n"
        "      redirectTo: https://example.com/reviews\n"
    )
    assert cli("plan", str(out), "--detailed-exitcode").exit_code == 0

    # The location has no token of its own in the sandbox's environment: ghlops exchanges the agency token for
    # one (/oauth/locationToken, checked against oauth.json in tests/sandbox/test_sandbox_oauth.py).
    problems = [
        p
        for r in cli.sb.requests
        if not r.path.startswith("/oauth/")
        for p in openapi_contract.problems(r.method, urlsplit(r.path).path, r.query, r.headers, r.json)
    ]
    assert problems == []
    assert sorted({r.method for r in cli.sb.requests if r.path.startswith("/links")}) == [
        "DELETE",
        "GET",
        "POST",
        "PUT",
    ]


# `prune: all` covers only the sections a document declares (ghlops/manifest/loader.py), so registering links
# never makes an existing `prune: all` manifest delete the location's trigger links.
def test_prune_all_in_a_manifest_without_a_links_section_never_deletes_live_links(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, target)
    dental = target / "downtown-dental.yaml"
    text = dental.read_text()
    assert "links" not in text
    dental.write_text(text.replace(f"  locationId: {DENTAL}\n", f"  locationId: {DENTAL}\n  prune: all\n", 1))
    made = cli.sb.store.new_id()
    cli.sb.store.add("link", made, DENTAL, {"id": made, "name": "Keep me", "redirectTo": "https://example.com/k"})

    planned = cli("plan", str(target))
    assert planned.exit_code == 0, planned.output + planned.stderr
    assert "- trigger link" not in planned.output
    applied = cli("apply", str(target), "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert [r for r in cli.sb.requests if r.method == "DELETE" and r.path.startswith("/links")] == []
    assert links(cli, DENTAL) == {"Keep me": (made, "https://example.com/k")}
