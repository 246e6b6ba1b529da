"""A variable that is no credential but holds a credential's value (or contains one) is refused at validate time
(issue 13, section 1): expanded, the secret would be printed in every plan and stored in GHL."""

from __future__ import annotations

import pytest

from ghlops.errors import ManifestErrors
from ghlops.manifest.loader import load_manifests
from tests.manifest.conftest import WriteFile

HEAD = "apiVersion: ghlops/v1\nkind: Location\nmetadata: {name: a}\nspec:\n  locationId: ve9EPM428h8vShlRW1KT\n"
SECRET = "pit-0b1c2d3e-SECRET-4f5a6b7c8d9e"
VALUE = HEAD + "  customValues:\n    - {name: key, value: '${MY_VAR}'}\n"


def problems(env: dict[str, str], *, offline: bool = False) -> list[str]:
    with pytest.raises(ManifestErrors) as caught:
        load_manifests(["a.yaml"], env, offline=offline)
    return [str(e) for e in caught.value.errors]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GHL_TOKEN", SECRET),
        ("GHL_AGENCY_TOKEN", SECRET),
        ("GHL_LOCATION_TOKENS", '{"ve9EPM428h8vShlRW1KT": "' + SECRET + '"}'),
        ("GHL_OAUTH_CLIENT_SECRET", SECRET),
        ("GHL_OAUTH_REFRESH_TOKEN", SECRET),
    ],
)
@pytest.mark.parametrize("copy", [SECRET, f"Bearer {SECRET}"])
def test_a_variable_equal_to_or_containing_a_credential_is_refused_naming_the_credential(
    write: WriteFile, name: str, value: str, copy: str
) -> None:
    write("a.yaml", VALUE)
    env = {"GHL_TOKEN": "t", name: value, "MY_VAR": copy}
    for offline in (False, True):
        found = problems(env, offline=offline)
        assert found == [
            f"a.yaml:7:26: spec.customValues[0].value: ${{MY_VAR}} expands to the value of a credential ({name}); "
            "refusing to put a secret into GHL"
        ]
        assert SECRET not in "".join(found)


def test_token_env_and_password_env_values_are_credentials_too(write: WriteFile) -> None:
    write(
        "a.yaml",
        HEAD
        + "  tokenEnv: CLINIC_TOKEN\n  tags: ['${TAG}']\n  customValues:\n    - {name: pw, value: 'pw: ${PW_COPY}'}\n"
        + "  users:\n    - {email: j@example.com, firstName: J, lastName: D, passwordEnv: JANE_PW}\n",
    )
    env = {
        "CLINIC_TOKEN": SECRET,
        "JANE_PW": "correct horse battery",
        "TAG": SECRET,
        "PW_COPY": "correct horse battery",
    }
    assert problems(env, offline=True) == [
        "a.yaml:7:10: spec.tags[0]: ${TAG} expands to the value of a credential (CLINIC_TOKEN); refusing to put a "
        "secret into GHL",
        "a.yaml:9:25: spec.customValues[0].value: ${PW_COPY} expands to the value of a credential (JANE_PW); "
        "refusing to put a secret into GHL",
    ]


def test_a_short_credential_is_refused_only_as_a_whole_value_never_inside_other_text(write: WriteFile) -> None:
    # A test token such as "t" is in every word: containment is looked for only from redact.MIN_LENGTH (8) on.
    write("a.yaml", VALUE)
    (loaded,) = load_manifests(["a.yaml"], {"GHL_TOKEN": "t", "MY_VAR": "a text value"}).loaded
    assert loaded.model.spec.customValues is not None
    assert loaded.model.spec.customValues[0].value == "a text value"
    assert problems({"GHL_TOKEN": "t", "MY_VAR": "t"}) == [
        "a.yaml:7:26: spec.customValues[0].value: ${MY_VAR} expands to the value of a credential (GHL_TOKEN); "
        "refusing to put a secret into GHL"
    ]


def test_the_refresh_token_file_variable_holds_a_path_not_a_secret(write: WriteFile) -> None:
    write("a.yaml", VALUE)
    env = {
        "GHL_TOKEN": "t",
        "GHL_OAUTH_REFRESH_TOKEN_FILE": "/home/ci/.ghlops/refresh",
        "MY_VAR": "/home/ci/.ghlops/refresh",
    }
    assert len(load_manifests(["a.yaml"], env).loaded) == 1
