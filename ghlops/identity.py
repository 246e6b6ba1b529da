"""Who runs ghlops, when that can be known: so a plan never deletes or demotes the user it runs as.

GHL's OAuth access tokens are JWTs whose payload may name the user; private integration tokens name no one.
GHLOPS_USER_EMAIL names the user explicitly (set it in CI to the automation account). The token payload is
decoded without verification, only to read who it claims to be, and is never printed.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

USER_EMAIL_ENV = "GHLOPS_USER_EMAIL"
_ID_CLAIMS = ("userId", "user_id", "sub", "authClassId")


@dataclass(frozen=True)
class Identity:
    email: str | None = None
    user_id: str | None = None

    @property
    def known(self) -> bool:
        return bool(self.email or self.user_id)


def jwt_claims(token: str) -> Mapping[str, Any]:
    """The payload of a JWT, or {} when the token is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def whoami(env: Mapping[str, str]) -> Identity:
    email = env.get(USER_EMAIL_ENV) or None
    user_id = None
    claims = jwt_claims(env.get("GHL_AGENCY_TOKEN", ""))
    if claims.get("authClass") in (None, "User", "user"):
        for claim in _ID_CLAIMS:
            if isinstance(claims.get(claim), str):
                user_id = claims[claim]
                break
        if email is None and isinstance(claims.get("email"), str):
            email = claims["email"]
    return Identity(email=email.casefold() if email else None, user_id=user_id)
