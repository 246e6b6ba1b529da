"""Every test runs without the developer's or CI's GHL credentials and GitHub job files in its environment."""

from __future__ import annotations

import pytest

_SCRUBBED = (
    "GHL_TOKEN", "GHL_AGENCY_TOKEN", "GHL_COMPANY_ID", "GHL_BASE_URL", "GHLOPS_PARALLELISM", "GHLOPS_USER_EMAIL",
    "GHL_LOCATION_TOKENS", "GHL_OAUTH_CLIENT_ID", "GHL_OAUTH_CLIENT_SECRET", "GHL_OAUTH_REFRESH_TOKEN",
    "GHL_OAUTH_REFRESH_TOKEN_FILE", "GHL_MARKETPLACE_URL", "GHLOPS_CREDENTIALS_FILE",
    "GITHUB_STEP_SUMMARY", "NO_COLOR",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in _SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    # A developer's own `ghlops auth login` credentials must never serve a test.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
