"""Ids are checked against GHL's id shape wherever they enter ghlops (issue 13, section 4): a manifest's
locationId and companyId at validate time, every id a list answer holds, the id a create is answered with, and
the lock's id; refused with one line naming the object and the endpoint."""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ghlops.apply import Executor, Result
from ghlops.errors import ApiResponseError, ConfigError, ManifestErrors
from ghlops.ids import GHL_ID, id_problem, is_id
from ghlops.kinds.base import Resolver
from ghlops.lease import Leases
from ghlops.live import LiveReader
from ghlops.manifest.loader import load_manifests
from ghlops.request import Request
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations, sandbox_env
from ghlops.workflow import Settings, load, make_client, plan, read
from tests.test_live import LOC, empty_location, ok, reader

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DENTAL = "ve9EPM428h8vShlRW1KT"
FORGED = "../../users/VICTIM"


@given(st.from_regex(GHL_ID, fullmatch=True))
def test_every_id_of_the_shape_ghl_issues_is_accepted(value: str) -> None:
    assert is_id(value) and id_problem(value) is None


@given(
    st.text(min_size=1, max_size=70).filter(
        lambda v: any(c not in string.ascii_letters + string.digits + "-_" for c in v) or len(v) > 64
    )
)
def test_anything_with_another_character_or_longer_than_64_is_refused(value: str) -> None:
    problem = id_problem(value)
    assert problem is not None and problem.endswith(" is not a GHL id (letters, digits, '-' and '_', at most 64)")
    assert "\n" not in problem and "\x1b" not in problem


def test_a_manifest_location_id_that_is_not_id_shaped_is_refused_at_validate_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.yaml").write_text(
        "apiVersion: ghlops/v1\nkind: Location\nmetadata: {name: a}\nspec:\n  locationId: 'x?locationId=y'\n"
        "  companyId: ../co\n",
        encoding="utf-8",
    )
    with pytest.raises(ManifestErrors) as caught:
        load_manifests(["a.yaml"], {"GHL_TOKEN": "t"})
    assert [str(e) for e in caught.value.errors] == [
        "a.yaml:5:15: spec.locationId: 'x?locationId=y' is not a GHL id (letters, digits, '-' and '_', at most 64)",
        "a.yaml:6:14: spec.companyId: '../co' is not a GHL id (letters, digits, '-' and '_', at most 64)",
    ]


def test_offline_a_location_id_left_to_a_variable_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.yaml").write_text(
        "apiVersion: ghlops/v1\nkind: Location\nmetadata: {name: a}\nspec:\n  locationId: '${LOC_ID}'\n",
        encoding="utf-8",
    )
    assert len(load_manifests(["a.yaml"], {}, offline=True).loaded) == 1


@pytest.mark.parametrize("bad", [FORGED, "t1\n+ tag forged", "t\x1b[31m1", "x" * 65])
def test_an_id_in_a_list_answer_that_is_not_id_shaped_is_refused_naming_the_object_and_endpoint(bad: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tags"):
            return ok({"tags": [{"id": "t1", "name": "vip"}, {"id": bad, "name": "new"}]})
        return empty_location(request)

    with pytest.raises(ApiResponseError) as caught:
        reader(handler, []).read_location("clinic", LOC, Resolver())
    shown = repr(bad) if len(bad) <= 40 else repr(bad[:39]) + "…"
    assert str(caught.value) == (
        f"location clinic: tags: GET /locations/L1/tags -> HTTP 200: unexpected answer: GHL listed the tag 'new' "
        f"with the id {shown}, which is not a GHL id (letters, digits, '-' and '_', at most 64); refusing to use it"
    )


class _ForgedCreates:
    """The client, with the answers to tag creates carrying a forged id."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def send(self, req: Request, **kwargs: Any) -> Any:
        body = self._inner.send(req, **kwargs)
        if req.method == "POST" and req.endpoint.endswith("/tags"):
            return {"tag": {**body["tag"], "id": FORGED}}
        return body

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(port=0) as sandbox:
        create_locations(sandbox, [EXAMPLES])
        yield sandbox


def test_a_create_answered_with_an_id_that_is_not_id_shaped_fails_and_the_id_is_never_used(sb: Sandbox) -> None:
    settings = Settings(env=sandbox_env(sb), parallelism=1)
    manifests = load([EXAMPLES], settings.env)
    with make_client(settings, manifests.loaded) as client:
        result = plan(read(client, manifests.loaded, settings))
        forged = _ForgedCreates(client)
        report = Executor(forged, LiveReader(client), env=settings.env, parallelism=1).apply(result)
    failed = [o for o in report.outcomes if o.change.kind == "tags" and o.result is Result.FAILED]
    assert failed[0].error == (
        f"location downtown-dental: tags {failed[0].change.display!r}: POST /locations/{DENTAL}/tags -> HTTP 200: "
        f"GHL answered the create with the id {FORGED!r}, which is not a GHL id (letters, digits, '-' and '_', at most "
        "64); refusing to use it"
    )
    assert all(FORGED not in r.path for r in sb.requests)
    assert report.created == [] or all(c.object_id != FORGED for c in report.created)


def test_a_lock_listed_with_an_id_that_is_not_id_shaped_is_refused_before_any_delete() -> None:
    sent: list[Request] = []

    class Client:
        def send(self, req: Request, **kwargs: Any) -> Any:
            sent.append(req)
            if req.method == "POST":
                return {"customValue": {"id": "lease1"}}
            return {"customValues": [{"id": FORGED, "name": "ghlops.lock", "value": "{}"}]}

    with pytest.raises(ApiResponseError) as caught:
        Leases(Client(), holder="me", run="r1").acquire_one(LOC, "clinic")
    assert str(caught.value) == (
        "location clinic: lease: GET /locations/L1/customValues -> HTTP 200: unexpected answer: the lock's custom "
        f"value 'ghlops.lock' has the id {FORGED!r}, which is not a GHL id (letters, digits, '-' and '_', at most 64); "
        "refusing to use it"
    )
    assert [r.method for r in sent] == ["POST", "GET"]


def test_a_company_id_from_the_environment_that_is_not_id_shaped_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.yaml").write_text(
        "apiVersion: ghlops/v1\nkind: Location\nmetadata: {name: a}\nspec:\n  locationId: ve9EPM428h8vShlRW1KT\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load(["a.yaml"], {"GHL_TOKEN": "t", "GHL_COMPANY_ID": "co&limit=1"})
    assert str(caught.value) == (
        "GHL_COMPANY_ID: 'co&limit=1' is not a GHL id (letters, digits, '-' and '_', at most 64)"
    )
