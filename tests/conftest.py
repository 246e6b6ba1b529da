"""Every test runs without the developer's or CI's GHL credentials and GitHub job files in its environment."""

from __future__ import annotations

import pytest

_SCRUBBED = (
    "GHL_TOKEN", "GHL_AGENCY_TOKEN", "GHL_COMPANY_ID", "GHL_BASE_URL", "GHLOPS_PARALLELISM", "GHLOPS_USER_EMAIL",
    "GITHUB_STEP_SUMMARY", "NO_COLOR",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _SCRUBBED:
        monkeypatch.delenv(name, raising=False)
