"""A user's scopes are GHL's scope names (issue 13, section 7): anything else validates no more, since GHL answers
it with a 422 (users.json CreateUserDto.scopes is an enum); the sandbox refuses it as GHL does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ghlops.errors import ManifestErrors
from ghlops.kinds.user_scopes import USER_SCOPES
from ghlops.manifest.loader import load_manifests
from tests.manifest.conftest import WriteFile

USERS_DOC = Path(__file__).resolve().parents[2].parent / "shared" / "ghl-openapi" / "users.json"
HEAD = "apiVersion: ghlops/v1\nkind: Location\nmetadata: {name: a}\nspec:\n  locationId: ve9EPM428h8vShlRW1KT\n"
ENV = {"GHL_TOKEN": "t", "GHL_AGENCY_TOKEN": "a", "GHL_COMPANY_ID": "c"}


def user(scopes: str) -> str:
    return HEAD + f"  users:\n    - {{email: j@example.com, firstName: J, lastName: D, scopes: {scopes}}}\n"


def problems(env: dict[str, str], *, offline: bool = False) -> list[str]:
    with pytest.raises(ManifestErrors) as caught:
        load_manifests(["a.yaml"], env, offline=offline)
    return [str(e) for e in caught.value.errors]


@pytest.mark.parametrize(
    ("dto", "field"),
    [
        ("CreateUserDto", "scopes"),
        ("CreateUserDto", "scopesAssignedToOnly"),
        ("UpdateUserDto", "scopes"),
        ("UpdateUserDto", "scopesAssignedToOnly"),
    ],
)
def test_the_scope_names_are_exactly_the_ones_users_json_lists(dto: str, field: str) -> None:
    schemas = json.loads(USERS_DOC.read_text(encoding="utf-8"))["components"]["schemas"]
    assert tuple(schemas[dto]["properties"][field]["items"]["enum"]) == USER_SCOPES


def test_a_misspelt_scope_is_refused_at_validate_time_with_file_line_and_the_resources_scopes(
    write: WriteFile,
) -> None:
    write("a.yaml", user("[contacts.write, contacts.wirte]"))
    assert problems(ENV) == [
        "a.yaml:7:82: spec.users[0].scopes[1]: 'contacts.wirte' is not a scope GHL accepts (did you mean "
        "'contacts.write'?); GHL's contacts scopes: contacts.write, contacts/bulkActions.write (all of them: "
        "users.json CreateUserDto.scopes, or the scopes enum in `ghlops schema`)"
    ]


def test_a_free_text_scope_names_the_nearest_ones(write: WriteFile) -> None:
    write("a.yaml", user("['manage everything']"))
    (problem,) = problems(ENV)
    assert problem.startswith(
        "a.yaml:7:66: spec.users[0].scopes[0]: 'manage everything' is not a scope GHL accepts; the nearest GHL scopes: "
    )


def test_every_scope_ghl_lists_validates(write: WriteFile) -> None:
    write("a.yaml", user(json.dumps(list(USER_SCOPES))))
    (loaded,) = load_manifests(["a.yaml"], ENV).loaded
    (entry,) = loaded.model.spec.users or []
    assert entry.scopes == list(USER_SCOPES)


def test_offline_an_unset_scope_variable_passes_as_validate_passes_it_once_set(write: WriteFile) -> None:
    write("a.yaml", user("['${SCOPE}']"))
    assert len(load_manifests(["a.yaml"], {}, offline=True).loaded) == 1
    assert len(load_manifests(["a.yaml"], {**ENV, "SCOPE": "contacts.write"}).loaded) == 1
    (problem,) = problems({**ENV, "SCOPE": "contacts.everything"})
    assert problem.startswith("a.yaml:7:66: spec.users[0].scopes[0]: 'contacts.everything' is not a scope GHL")


def test_offline_still_refuses_a_misspelt_literal_scope(write: WriteFile) -> None:
    write("a.yaml", user("[contacts.wirte]"))
    (problem,) = problems({}, offline=True)
    assert "'contacts.wirte' is not a scope GHL accepts (did you mean 'contacts.write'?)" in problem


def test_an_unused_template_may_leave_a_scope_to_a_variable(write: WriteFile) -> None:
    write(
        "a.yaml",
        "apiVersion: ghlops/v1\nkind: Template\nmetadata: {name: t}\nspec:\n  users:\n"
        "    - {email: j@example.com, firstName: J, lastName: D, scopes: ['${SCOPE}']}\n",
    )
    assert load_manifests(["a.yaml"], {}).loaded == []
