"""The GHL API v2 client: requests as values, credentials, retries, rate limiting.

Typical use::

    creds = Credentials.from_env(os.environ, {"ve9EPM428h8vShlRW1KT": "ACME_GHL_TOKEN"})
    with GHLClient(base_url_from_env(os.environ), creds, limiter=RateLimiter()) as client:
        ctx = CallContext(location="Acme Dental", kind="calendars", obj="Consultations")
        data = client.get(request, location_id="ve9EPM428h8vShlRW1KT", context=ctx)

Readers take a :class:`ReadingClient` (``get``, ``search``); only the executor takes a :class:`WritingClient`
(``send``, any method). :class:`GHLClient` is both.
"""

from __future__ import annotations

from collections.abc import Mapping

from ghlops.ghl.auth import Credentials
from ghlops.ghl.client import CallContext, ClientStats, GHLClient
from ghlops.ghl.faces import ReadingClient, WritingClient
from ghlops.ghl.paths import is_ghl_id
from ghlops.ghl.ratelimit import RateLimiter
from ghlops.ghl.retry import RetryPolicy

DEFAULT_BASE_URL = "https://services.leadconnectorhq.com"
ENV_BASE_URL = "GHL_BASE_URL"


def base_url_from_env(env: Mapping[str, str]) -> str:
    """``GHL_BASE_URL`` when set and non-empty (e.g. the local sandbox), else :data:`DEFAULT_BASE_URL`."""
    return env.get(ENV_BASE_URL, "").strip() or DEFAULT_BASE_URL


__all__ = [
    "DEFAULT_BASE_URL",
    "CallContext",
    "ClientStats",
    "Credentials",
    "GHLClient",
    "RateLimiter",
    "ReadingClient",
    "RetryPolicy",
    "WritingClient",
    "base_url_from_env",
    "is_ghl_id",
]
