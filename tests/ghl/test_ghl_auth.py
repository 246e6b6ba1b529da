from __future__ import annotations

import pytest

from ghlops.errors import ConfigError
from ghlops.ghl import Credentials
from ghlops.request import Auth
from ghlops.secret import Secret

from .fakes import ACME_ID, ACME_TOKEN, AGENCY_TOKEN, DEFAULT_TOKEN, LOCATION_ID, credentials


def test_a_location_with_its_own_token_uses_it_instead_of_the_default() -> None:
    assert credentials().token_for(Auth.LOCATION, ACME_ID).reveal() == ACME_TOKEN


def test_a_location_without_its_own_token_uses_the_default_token() -> None:
    assert credentials().token_for(Auth.LOCATION, LOCATION_ID).reveal() == DEFAULT_TOKEN


def test_an_agency_call_uses_the_agency_token_whatever_the_location() -> None:
    assert credentials().token_for(Auth.AGENCY, ACME_ID).reveal() == AGENCY_TOKEN


def test_a_missing_location_token_names_the_location_and_what_to_set() -> None:
    with pytest.raises(ConfigError) as info:
        Credentials().token_for(Auth.LOCATION, LOCATION_ID)
    assert str(info.value) == (
        "no token for location ve9EPM428h8vShlRW1KT: add it to GHL_LOCATION_TOKENS, set spec.tokenEnv, or use an "
        "agency OAuth app (GHL_AGENCY_TOKEN from it, or GHL_OAUTH_CLIENT_ID, GHL_OAUTH_CLIENT_SECRET and "
        "GHL_OAUTH_REFRESH_TOKEN_FILE), or set GHL_TOKEN"
    )


def test_a_missing_location_token_without_a_location_asks_for_ghl_token() -> None:
    with pytest.raises(ConfigError, match=r"^no location token: set GHL_TOKEN$"):
        Credentials().token_for(Auth.LOCATION, None)


def test_an_agency_call_without_an_agency_token_asks_for_ghl_agency_token() -> None:
    creds = Credentials(location_default=Secret(DEFAULT_TOKEN))
    with pytest.raises(ConfigError) as info:
        creds.token_for(Auth.AGENCY, LOCATION_ID)
    assert str(info.value) == "users need an agency token: set GHL_AGENCY_TOKEN"


def test_an_empty_secret_counts_as_missing() -> None:
    creds = Credentials(location_default=Secret(""), per_location={ACME_ID: Secret("")})
    with pytest.raises(ConfigError):
        creds.token_for(Auth.LOCATION, ACME_ID)


def test_from_env_reads_the_default_the_agency_and_each_named_location_token() -> None:
    env = {"GHL_TOKEN": DEFAULT_TOKEN, "GHL_AGENCY_TOKEN": AGENCY_TOKEN, "ACME_GHL_TOKEN": f" {ACME_TOKEN}\n"}
    creds = Credentials.from_env(env, {ACME_ID: "ACME_GHL_TOKEN"})
    assert creds.location_default == Secret(DEFAULT_TOKEN)
    assert creds.agency == Secret(AGENCY_TOKEN)
    assert creds.per_location == {ACME_ID: Secret(ACME_TOKEN)}


def test_from_env_treats_unset_or_empty_default_tokens_as_absent() -> None:
    creds = Credentials.from_env({"GHL_TOKEN": "  ", "OTHER": "x"}, {})
    assert creds.location_default is None
    assert creds.agency is None
    assert creds.all_secrets() == ()


@pytest.mark.parametrize("env", [{}, {"ACME_GHL_TOKEN": ""}, {"ACME_GHL_TOKEN": "   "}])
def test_from_env_refuses_a_named_token_variable_that_is_unset_or_empty(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as info:
        Credentials.from_env({"GHL_TOKEN": DEFAULT_TOKEN, **env}, {ACME_ID: "ACME_GHL_TOKEN"})
    assert str(info.value) == (
        f"location {ACME_ID}: spec.tokenEnv names ACME_GHL_TOKEN, but ACME_GHL_TOKEN is unset or empty"
    )
    assert DEFAULT_TOKEN not in str(info.value)


def test_credentials_repr_shows_which_tokens_exist_but_never_their_values() -> None:
    text = repr(credentials())
    assert text == (
        "Credentials(location_default=Secret(***), agency=Secret(***), "
        f"per_location={{'{ACME_ID}': Secret(***)}})"
    )
    assert str(credentials()) == text


def test_all_secrets_lists_each_token_once() -> None:
    creds = Credentials(
        location_default=Secret(DEFAULT_TOKEN),
        agency=Secret(DEFAULT_TOKEN),
        per_location={ACME_ID: Secret(ACME_TOKEN), LOCATION_ID: Secret(ACME_TOKEN)},
    )
    assert [s.reveal() for s in creds.all_secrets()] == [DEFAULT_TOKEN, ACME_TOKEN]


def test_per_location_tokens_cannot_be_changed_through_the_callers_dict() -> None:
    tokens = {ACME_ID: Secret(ACME_TOKEN)}
    creds = Credentials(per_location=tokens)
    tokens[ACME_ID] = Secret("other")
    assert creds.token_for(Auth.LOCATION, ACME_ID).reveal() == ACME_TOKEN
