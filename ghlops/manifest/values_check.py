"""Values a manifest may not hold, refused at validate time with file:line (issue #13 §1, §7).

* ``${VAR}`` naming a credential ghlops knows (the GHL token variables, the OAuth secret and refresh token, and
  every ``spec.tokenEnv`` / ``passwordEnv`` the manifests name): expanded, the secret would be printed in plan
  text, markdown, plan.json and apply output, and stored in GHL. Likewise ``${VAR}`` naming any other variable
  whose value is (or contains) one of those credentials' values.
* explicit ``null`` (or an empty value): GHL answers 422 for a null field; leave the key out instead.
* NaN and infinities (``.nan``, ``.inf``): not JSON, so they can't be sent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ghlops.errors import ManifestError, SourcePos
from ghlops.manifest.positions import KeyPath, PosDict, PosList, container_pos, rewrite_strings
from ghlops.redact import MIN_LENGTH, credential_values

__all__ = ["CREDENTIAL_ENVS", "credential_names", "credential_references", "unsendable_values"]

# The variables ghlops itself reads credentials from (ghlops.ghl.auth names them; kept as text here so the
# manifest reader needs no client import). GHL_OAUTH_REFRESH_TOKEN_FILE is a path, but the file holds a token.
CREDENTIAL_ENVS: Mapping[str, str] = {
    "GHL_TOKEN": "the location token",
    "GHL_AGENCY_TOKEN": "the agency token",
    "GHL_LOCATION_TOKENS": "the location tokens",
    "GHL_OAUTH_CLIENT_SECRET": "the OAuth client secret",
    "GHL_OAUTH_REFRESH_TOKEN": "the OAuth refresh token",
    "GHL_OAUTH_REFRESH_TOKEN_FILE": "the OAuth refresh token's file",
}

_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def credential_names(documents: Iterable[Any]) -> dict[str, str]:
    """Every credential variable of a run: ghlops's own, and each ``spec.tokenEnv`` and ``passwordEnv`` named in
    ``documents`` (raw Location and Template data), with what it holds."""
    names = dict(CREDENTIAL_ENVS)
    for data in documents:
        spec = data.get("spec") if isinstance(data, Mapping) else None
        if not isinstance(spec, Mapping):
            continue
        token_env = spec.get("tokenEnv")
        if isinstance(token_env, str) and token_env:
            names.setdefault(token_env, "a location token (spec.tokenEnv)")
        users = spec.get("users")
        for user in users if isinstance(users, list) else []:
            password = user.get("passwordEnv") if isinstance(user, Mapping) else None
            if isinstance(password, str) and password:
                names.setdefault(password, "a user's initial password (passwordEnv)")
    return names


def credential_references(
    data: Any, credentials: Mapping[str, str], env: Mapping[str, str] | None = None
) -> list[ManifestError]:
    """One error per ``${VAR}`` under ``data`` that names a credential (escaped ``$${VAR}`` is text), or, given
    ``env``, names another variable whose value is (or contains) a credential's value: expanded, the secret would
    be printed and stored in GHL just the same. A value contains a secret when the secret is at least
    ``redact.MIN_LENGTH`` long (shorter ones only when equal: a 1-letter test token is in every word)."""
    secrets = credential_values(env, credentials) if env is not None else {}

    def holder(value: str) -> str | None:
        for secret, name in secrets.items():
            if value == secret or (len(secret) >= MIN_LENGTH and secret in value):
                return name
        return None

    def check(text: str) -> tuple[str, list[str]]:
        problems = []
        for match in _REFERENCE.finditer(text):
            name = match.group(1)
            if name is None:
                continue
            if name in credentials:
                problems.append(
                    f"${{{name}}} would put {credentials[name]} into the manifest, where plans print it and GHL "
                    "stores it; credentials are never manifest values"
                )
            elif env is not None and name in env and (found := holder(env[name])) is not None:
                problems.append(
                    f"${{{name}}} expands to the value of a credential ({found}); refusing to put a secret into GHL"
                )
        return text, problems

    return rewrite_strings(data, check, marker="${")


def unsendable_values(data: Any) -> list[ManifestError]:
    """Explicit nulls and non-finite numbers under ``data``."""
    errors: list[ManifestError] = []
    stack: list[tuple[Any, KeyPath]] = [(data, ())]
    while stack:  # iterative: nesting depth is bounded by the loader, but recursion is not needed
        node, path = stack.pop()
        items: list[tuple[str | int, Any, SourcePos | None]]
        if isinstance(node, dict):
            positions = node if isinstance(node, PosDict) else None
            items = [(k, v, positions.value_pos(k) if positions else None) for k, v in node.items()]
        elif isinstance(node, list):
            listed = node if isinstance(node, PosList) else None
            items = [(i, v, listed.item_pos(i) if listed else None) for i, v in enumerate(node)]
        else:
            continue
        for key, value, pos in items:
            where = (*path, key)
            if isinstance(value, dict | list):
                stack.append((value, where))
                continue
            message = None
            if value is None:
                message = "null is not allowed: give a value, or leave the key out"
            elif isinstance(value, float) and not math.isfinite(value):
                message = f"{value!r} is not allowed: numbers must be finite"
            if message is None:
                continue
            errors.append(ManifestError(message, pos=pos or container_pos(node), path=where))
    errors.sort(key=lambda error: error.sort_key())
    return errors
