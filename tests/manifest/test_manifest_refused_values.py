"""Values refused at validate time with file:line (issue #13 §1 and §7): credential variables, explicit nulls,
NaN and infinities; and `validate --offline` checks shape, not unresolved values."""

from __future__ import annotations

import pytest

from ghlops.errors import ManifestErrors
from ghlops.manifest.loader import load_manifests
from tests.manifest.conftest import WriteFile

HEAD = "apiVersion: ghlops/v1\nkind: Location\nmetadata: {name: a}\nspec:\n  locationId: ve9EPM428h8vShlRW1KT\n"
SECRET = "tok-SECRET-value-123"


def errors(paths: list[str], env: dict[str, str], *, offline: bool = False) -> list[str]:
    with pytest.raises(ManifestErrors) as caught:
        load_manifests(paths, env, offline=offline)
    return [str(e) for e in caught.value.errors]


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("GHL_TOKEN", "the location token"),
        ("GHL_AGENCY_TOKEN", "the agency token"),
        ("GHL_LOCATION_TOKENS", "the location tokens"),
        ("GHL_OAUTH_CLIENT_SECRET", "the OAuth client secret"),
        ("GHL_OAUTH_REFRESH_TOKEN", "the OAuth refresh token"),
        ("GHL_OAUTH_REFRESH_TOKEN_FILE", "the OAuth refresh token's file"),
    ],
)
def test_a_reference_to_a_ghlops_credential_variable_is_refused_and_never_expanded(
    write: WriteFile, name: str, what: str
) -> None:
    write("a.yaml", HEAD + f"  customValues:\n    - {{name: key, value: 'x ${{{name}}}'}}\n")
    env = {"GHL_TOKEN": SECRET, name: '{"ve9EPM428h8vShlRW1KT": "' + SECRET + '"}'}
    for offline in (False, True):
        problems = errors(["a.yaml"], env, offline=offline)
        assert problems == [
            f"a.yaml:7:26: spec.customValues[0].value: ${{{name}}} would put {what} into the manifest, where plans "
            "print it and GHL stores it; credentials are never manifest values"
        ]
        assert SECRET not in "".join(problems)


def test_token_env_and_password_env_variables_named_anywhere_are_credentials_too(write: WriteFile) -> None:
    write("b.yaml", HEAD.replace("name: a", "name: b").replace("KT", "KB") + "  tokenEnv: CLINIC_B_TOKEN\n")
    write(
        "a.yaml",
        HEAD
        + "  tags: ['${CLINIC_B_TOKEN}', '$${GHL_TOKEN} is text']\n"
        + "  customValues:\n    - {name: pw, value: '${JANE_PW}'}\n"
        + "  users:\n    - {email: j@example.com, firstName: J, lastName: D, passwordEnv: JANE_PW}\n",
    )
    env = {"GHL_TOKEN": "t", "CLINIC_B_TOKEN": SECRET, "JANE_PW": SECRET}
    assert errors(["a.yaml", "b.yaml"], env, offline=True) == [
        "a.yaml:6:10: spec.tags[0]: ${CLINIC_B_TOKEN} would put a location token (spec.tokenEnv) into the "
        "manifest, where plans print it and GHL stores it; credentials are never manifest values",
        "a.yaml:8:25: spec.customValues[0].value: ${JANE_PW} would put a user's initial password (passwordEnv) "
        "into the manifest, where plans print it and GHL stores it; credentials are never manifest values",
    ]


def test_explicit_nulls_and_empty_values_are_refused_where_the_model_would_accept_them(write: WriteFile) -> None:
    write(
        "a.yaml",
        HEAD
        + "  products:\n    - name: P\n      productType: SERVICE\n      description: null\n      prices:\n"
        + "        - {name: Std, type: one_time, amount: 10, currency: USD, description: ~}\n",
    )
    assert errors(["a.yaml"], {"GHL_TOKEN": "t"}) == [
        "a.yaml:9:20: spec.products[0].description: null is not allowed: give a value, or leave the key out",
        "a.yaml:11:79: spec.products[0].prices[0].description: null is not allowed: give a value, or leave the key out",
    ]


def test_nan_and_infinity_are_refused(write: WriteFile) -> None:
    write(
        "a.yaml",
        HEAD
        + "  products:\n    - name: P\n      productType: SERVICE\n      prices:\n"
        + "        - {name: A, type: one_time, amount: .nan, currency: USD}\n"
        + "        - {name: B, type: one_time, amount: -.inf, currency: USD}\n",
    )
    assert errors(["a.yaml"], {"GHL_TOKEN": "t"}) == [
        "a.yaml:10:45: spec.products[0].prices[0].amount: nan is not allowed: numbers must be finite",
        "a.yaml:11:45: spec.products[0].prices[1].amount: -inf is not allowed: numbers must be finite",
    ]


def test_offline_validation_accepts_unset_variables_in_number_and_boolean_fields(write: WriteFile) -> None:
    write(
        "a.yaml",
        HEAD
        + "  calendars:\n    - name: Consult\n      slotDuration: '${SLOTS}'\n"
        + "  customFields:\n    - {name: F, dataType: TEXT, protect: '${KEEP}'}\n",
    )
    (loaded,) = load_manifests(["a.yaml"], {}, offline=True).loaded
    assert loaded.desired.name == "a"
    assert errors(["a.yaml"], {"GHL_TOKEN": "t", "SLOTS": "many", "KEEP": "true"})[0].startswith(
        "a.yaml:8:21: spec.calendars[0].slotDuration: expected"
    )


def test_offline_validation_still_checks_the_rest_of_a_document_with_unset_variables(write: WriteFile) -> None:
    write("a.yaml", HEAD + "  calendars:\n    - name: Consult\n      slotDuration: '${SLOTS}'\n      bogus: 1\n")
    assert errors(["a.yaml"], {}, offline=True) == ["a.yaml:9:7: spec.calendars[0]: unknown key 'bogus'"]


def test_offline_an_unset_variable_in_a_field_with_fixed_values_keeps_its_error(write: WriteFile) -> None:
    write("a.yaml", HEAD + "  customFields:\n    - {name: F, dataType: TEXT, model: '${MODEL}'}\n")
    (problem,) = errors(["a.yaml"], {}, offline=True)
    assert problem.startswith("a.yaml:7:40: spec.customFields[0].model: '${MODEL}' is not one of ")
