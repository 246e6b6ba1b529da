"""`ghlops locations` against the sandbox over real HTTP: the company's locations with manifest and token columns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import ghlops.sandbox.sandbox as sandbox_module
from ghlops.commands.locations import PAGE_SIZE, locations_command
from ghlops.errors import ConfigError
from ghlops.output import Io
from ghlops.sandbox import Sandbox
from ghlops.sandbox.routes import ROUTES, locations_search
from ghlops.sandbox.seed import create_locations, sandbox_env
from ghlops.workflow import Settings
from tests.commands.conftest import EXAMPLES

DENTAL = "ve9EPM428h8vShlRW1KT"


@dataclass
class Captured:
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)

    def io(self) -> Io:
        return Io(out=self.out.append, err=self.err.append)


@pytest.fixture
def company(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox that serves /locations/search (registered here until ghlops/sandbox/routes/__init__.py lists it)."""
    if not any(route.template == "/locations/search" for route in ROUTES):
        monkeypatch.setattr(sandbox_module, "ROUTES", (*locations_search.ROUTES, *ROUTES))
    with Sandbox(db_path=":memory:", port=0) as sb:
        create_locations(sb, [EXAMPLES])
        yield sb


def run(sb: Sandbox, paths: list[str | Path], env: dict[str, str] | None = None) -> tuple[int, Captured]:
    captured = Captured()
    settings = Settings(env=env if env is not None else sandbox_env(sb), rate_limit=False)
    return locations_command(paths, settings=settings, io=captured.io()), captured


def test_lists_every_location_with_the_manifest_that_names_it_and_its_token(company: Sandbox) -> None:
    env = sandbox_env(company)  # tokens of the locations that exist now: the new one's is minted
    company.store.create_location("Unmanaged0000000001", "Westside Clinic", company.company_id)
    code, captured = run(company, [EXAMPLES], env)
    assert code == 0
    header, *rows, summary = captured.out
    assert header.split() == ["NAME", "ID", "MANIFEST", "TOKEN"]
    cells = [row.split("  ") for row in rows]
    table = {c[0].strip(): [x.strip() for x in c if x.strip()] for c in cells}
    assert table["Westside Clinic"] == ["Westside Clinic", "Unmanaged0000000001", "-", "minted"]
    assert table["downtown-dental"] == ["downtown-dental", DENTAL, "downtown-dental", "GHL_LOCATION_TOKENS"]
    assert summary == "3 locations in company sandbox-company: 2 named by a manifest, 3 with a token, 0 without."


def test_pages_through_hundreds_of_locations(company: Sandbox) -> None:
    for i in range(PAGE_SIZE + 30):
        company.store.create_location(f"Bulk{i:016d}", f"bulk-{i:03d}", company.company_id)
    code, captured = run(company, [])
    assert code == 0
    ids = [line.split()[1] for line in captured.out[1:-1]]
    assert len(ids) == len(set(ids)) == PAGE_SIZE + 30 + 2
    assert captured.out[-1].startswith(f"{PAGE_SIZE + 32} locations in company sandbox-company: 0 named")


def test_a_location_with_no_token_source_says_no(company: Sandbox) -> None:
    env = sandbox_env(company)
    env["GHL_AGENCY_TOKEN"] = company.agency_token  # the agency's PIT: it lists locations but cannot mint
    env["GHL_COMPANY_ID"] = company.company_id
    company.store.create_location("NoToken000000000001", "Far Away", company.company_id)
    code, captured = run(company, [EXAMPLES], env)
    assert code == 0
    row = next(line for line in captured.out if line.startswith("Far Away"))
    assert row.split()[-1] == "no"
    assert "2 with a token, 1 without." in captured.out[-1]


def test_without_an_agency_token_it_is_one_clear_error(company: Sandbox) -> None:
    env = {k: v for k, v in sandbox_env(company).items() if k != "GHL_AGENCY_TOKEN"}
    with pytest.raises(ConfigError, match="agency token: set GHL_AGENCY_TOKEN"):
        run(company, [], env)


def test_a_manifest_location_outside_the_company_is_noted(company: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text(
        "apiVersion: ghlops/v1\nkind: Location\nmetadata: {name: elsewhere}\nspec: {locationId: Elsewhere000000001}\n"
    )
    code, captured = run(company, [tmp_path])
    assert code == 0
    assert captured.out[-1] == (
        "note: manifest location elsewhere (Elsewhere000000001) is not among company sandbox-company's locations"
    )


def test_tokens_never_appear_in_the_output(company: Sandbox) -> None:
    env = sandbox_env(company)
    code, captured = run(company, [EXAMPLES], env)
    text = "\n".join(captured.out + captured.err)
    secrets = [env["GHL_AGENCY_TOKEN"], *json.loads(env["GHL_LOCATION_TOKENS"]).values()]
    assert code == 0 and all(secret not in text for secret in secrets)


def test_odd_answers_are_read_tolerantly_and_a_server_ignoring_skip_cannot_loop() -> None:
    import httpx

    pages: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        pages.append(request.url.params["skip"])
        assert request.url.path == "/locations/search" and request.url.params["companyId"] == "c1"
        body = {
            "locations": [{"id": "A1", "name": "Alpha", "extra": {"x": 1}}, {"name": "no id"}, "junk", {"id": "B2"}]
        }
        return httpx.Response(200, json=body)  # the same page whatever skip says

    captured = Captured()
    env = {"GHL_AGENCY_TOKEN": "agency-pit-token", "GHL_COMPANY_ID": "c1"}
    settings = Settings(env=env, rate_limit=False, transport=httpx.MockTransport(answer))
    assert locations_command([], settings=settings, io=captured.io()) == 0
    assert pages == ["0", "4"]
    assert captured.out[1:] == [
        "-      B2  -         no",
        "Alpha  A1  -         no",
        "2 locations in company c1: 0 named by a manifest, 0 with a token, 2 without.",
    ]
    assert captured.err == [
        "warning: GHL listed a location without an id; left out",
        "warning: GHL answered skip=4 with locations already listed; stopped paging there",
    ]
