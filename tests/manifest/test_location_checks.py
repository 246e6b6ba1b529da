"""Location manifests: exact error lines for the real schema and the cross-document checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghlops.errors import ManifestErrors
from ghlops.workflow import load

ENV = {"GHL_TOKEN": "t", "GHL_AGENCY_TOKEN": "a", "GHL_COMPANY_ID": "co"}

HEAD = "apiVersion: ghlops/v1\nkind: Location\nmetadata:\n  name: {name}\nspec:\n  locationId: {lid}\n"


def write(tmp_path: Path, name: str, body: str, *, doc_name: str = "clinic", lid: str = "L1") -> Path:
    path = tmp_path / name
    path.write_text(HEAD.format(name=doc_name, lid=lid) + body)
    return path


def errors(paths: list[Path], env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ManifestErrors) as caught:
        load([str(p) for p in paths], ENV if env is None else env)
    return [str(e) for e in caught.value.errors]


def test_a_bad_enum_names_file_line_column_and_the_allowed_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        "  customFields:\n    - name: A\n      dataType: TEXT\n    - name: B\n      dataType: TEXTT\n",
    )
    (line,) = errors([path])
    assert line.startswith(f"{path}:11:17: spec.customFields[1].dataType: 'TEXTT' is not one of TEXT, LARGE_TEXT, ")
    assert line.endswith("(did you mean 'TEXT'?)")


def test_every_problem_in_a_run_is_reported(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "  tags: [vip]\n  colour: red\n")
    b = write(tmp_path, "b.yaml", "  customValues:\n    - name: x\n", doc_name="other", lid="L2")
    assert errors([a, b]) == [
        f"{a}:8:3: spec: unknown key 'colour'",
        f"{b}:8:7: spec.customValues[0]: missing required key 'value'",
    ]


def test_duplicate_natural_keys_within_a_location_are_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        "  tags: [VIP, vip]\n"
        "  customFields:\n"
        "    - {name: Size, dataType: TEXT}\n"
        "    - {name: size, dataType: NUMERICAL}\n"
        "    - {name: size, model: opportunity, dataType: TEXT}\n",
    )
    assert errors([path]) == [
        f"{path}:7:15: spec.tags[1]: duplicate tag 'vip' (first declared on line 7)",
        f"{path}:10:7: spec.customFields[1]: duplicate custom field 'contact/size' (first declared on line 9)",
    ]


def test_a_team_member_no_manifest_declares_is_left_to_the_plan_to_resolve_against_live_users(tmp_path: Path) -> None:
    # Issue 11 section 2: a reference may name a live object no manifest declares; the plan resolves it (and names
    # it when it matches nothing live either, tests/e2e/test_kinds_references.py). Validation checks its shape.
    a = write(
        tmp_path,
        "a.yaml",
        "  calendars:\n    - name: C\n      teamMembers:\n        - user: ghost@x.com\n        - user: Jane@X.com\n",
    )
    b = write(
        tmp_path, "b.yaml", "  users:\n    - {email: jane@x.com, firstName: J, lastName: S}\n", doc_name="b", lid="L2"
    )
    loaded = load([str(a), str(b)], ENV)
    assert sorted(item.desired.name for item in loaded.loaded) == ["b", "clinic"]


def test_two_documents_may_not_claim_one_location_id_or_name(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "")
    b = write(tmp_path, "b.yaml", "", doc_name="CLINIC")
    assert errors([a, b]) == [
        f"{b}:4:9: metadata.name: name 'CLINIC' is already used by {a}:1:1",
        f"{b}:6:15: spec.locationId: location id L1 is already claimed by {a}:1:1",
    ]


def test_missing_tokens_are_reported_before_any_call(tmp_path: Path) -> None:
    path = write(
        tmp_path, "a.yaml", "  tokenEnv: CLINIC_TOKEN\n  users:\n    - {email: a@x.com, firstName: A, lastName: B}\n"
    )
    assert errors([path], env={}) == [
        f"{path}:6:3: spec: users need the agency's company id: set spec.companyId or GHL_COMPANY_ID",
        f"{path}:7:13: spec.tokenEnv: environment variable CLINIC_TOKEN (this location's token) is not set",
        f"{path}:9:5: spec.users: users are company-level and need an agency token: set GHL_AGENCY_TOKEN",
    ]


def test_env_interpolation_fills_strings_and_an_unset_variable_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        '  customValues:\n    - {name: phone, value: "${PHONE}"}\n    - {name: x, value: "${NOPE}"}\n',
    )
    loaded = load([str(path)], {**ENV, "PHONE": "+1 555", "NOPE": "ok"})
    assert [(v.name, v.value) for v in loaded.locations[0].of("customValues")] == [("phone", "+1 555"), ("x", "ok")]
    assert errors([path], {**ENV, "PHONE": "+1 555"}) == [
        f"{path}:9:24: spec.customValues[1].value: environment variable NOPE is not set"
    ]


def test_a_valid_location_becomes_desired_state_with_prices_under_their_product(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        "  prune: tags\n  products:\n    - name: P\n      productType: SERVICE\n      prices:\n"
        "        - {name: Std, type: one_time, amount: 10, currency: USD}\n",
    )
    (desired,) = load([str(path)], ENV).locations
    assert desired.prune == frozenset({"tags"})
    assert [p.name for p in desired.of("products")] == ["P"]
    assert [(p._product, p.name) for p in desired.of("prices")] == [("P", "Std")]
    assert desired.of("tags") == []  # pruned with nothing declared: the manifest says "no tags"


def test_a_location_without_token_env_needs_ghl_token(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "  tags: [a]\n")
    assert errors([path], env={}) == [
        f"{path}:4:9: metadata.name: location clinic: no token: add it to GHL_LOCATION_TOKENS, set spec.tokenEnv, "
        "or use an agency OAuth app (GHL_AGENCY_TOKEN from it, or GHL_OAUTH_CLIENT_ID, GHL_OAUTH_CLIENT_SECRET and "
        "GHL_OAUTH_REFRESH_TOKEN_FILE), or set GHL_TOKEN for a single location"
    ]


def test_offline_validation_needs_no_tokens_and_leaves_unset_variables_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", '  tokenEnv: CLINIC_TOKEN\n  customValues:\n    - {name: x, value: "${NOPE}"}\n')
    (desired,) = load([str(path)], {}, offline=True).locations
    assert [v.value for v in desired.of("customValues")] == ["${NOPE}"]


def test_a_ghlopsignore_file_keeps_other_yaml_out_of_discovery(tmp_path: Path) -> None:
    from ghlops.manifest.discovery import discover

    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "workflow.yml").write_text("on: push\n")
    (tmp_path / "notes.yaml").write_text("todo: []\n")
    write(tmp_path, "clinic.yaml", "")
    (tmp_path / ".ghlopsignore").write_text("# not manifests\nci/\nnotes.*\n")
    assert [p.name for p in discover([tmp_path])] == ["clinic.yaml"]
    examples = Path(__file__).resolve().parents[2] / "examples"
    assert [p.name for p in discover([examples])] == ["downtown-dental.yaml", "uptown-ortho.yaml"]


def test_more_than_two_hundred_problems_print_the_first_two_hundred_then_a_count() -> None:
    # Issue 13, section 7: validation errors are capped (first 200, then a count).
    from ghlops.errors import ManifestError, ManifestErrors, SourcePos

    problems = ManifestErrors(ManifestError("bad", pos=SourcePos("a.yaml", n, 1)) for n in range(1, 251))
    lines = str(problems).splitlines()
    assert len(problems.errors) == 250
    assert lines[:2] == ["a.yaml:1:1: bad", "a.yaml:2:1: bad"]
    assert lines[199] == "a.yaml:200:1: bad"
    assert lines[200:] == ["... and 50 more problems (fix these and run again)"]
