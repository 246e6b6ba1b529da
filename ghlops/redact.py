"""The last line of defence for secrets: every known secret value is masked in whatever ghlops prints or writes.

Tokens are :class:`~ghlops.secret.Secret` values and are never formatted into output on purpose; manifests may
not name a credential variable, nor expand a variable holding a credential's value (validate refuses both).
What is left: a secret that reaches output some other way, e.g. a custom value in GHL that already holds the
token (a plan shows the live value), a server error echoing one, a minted token in an answer. So this module
keeps a registry of the run's secret values, filled where credentials are loaded (the environment's credential
variables when a command starts, the client's credentials, minted and refreshed tokens, users' initial
passwords), and :func:`scrub` replaces each with ``***``. The writers call it: standard output and error
(``ghlops.output``, the CLI's error and warning lines, ``--debug`` logs), the run log, the job summaries, and every
file written through ``files.write_atomically`` (plan files, export) except the credential files themselves.

The registry is filled only inside a :func:`session` (the CLI opens one per command), so a library user or a
test that builds clients never has unrelated output masked. Values shorter than :data:`MIN_LENGTH` are not
registered: masking a 3-letter value would mangle every line that contains it, and no GHL credential is that
short (private integration tokens and OAuth tokens are 36 characters or more).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from ghlops.secret import MASK, Secret

__all__ = ["MIN_LENGTH", "credential_values", "forget", "known", "remember", "remember_env", "scrub", "session"]

MIN_LENGTH = 8

_lock = threading.Lock()
_values: set[str] = set()
_ordered: tuple[str, ...] = ()  # longest first, so a secret containing another is masked whole
_depth = 0
# Credential variables holding a path: the file's content is the secret (registered when the client reads it).
_PATHS = frozenset({"GHL_OAUTH_REFRESH_TOKEN_FILE", "GHL_LOCATION_TOKENS_FILE"})


def credential_values(env: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """Each secret value the variables ``names`` hold in ``env``, with the variable holding it. The value of
    ``GHL_LOCATION_TOKENS`` is a JSON object: its tokens are the secrets (the whole text too, when it isn't one)."""
    found: dict[str, str] = {}
    for name in names:
        raw = env.get(name, "").strip()
        if not raw or name in _PATHS:
            continue
        values = [raw]
        if name == "GHL_LOCATION_TOKENS":
            try:
                data = json.loads(raw)
            except ValueError:
                data = None
            if isinstance(data, dict):
                values = [v.strip() for v in data.values() if isinstance(v, str) and v.strip()]
        for value in values:
            found.setdefault(value, name)
    return found


def remember(*secrets: Secret | str | None) -> None:
    """Add secret values to the registry (inside a session; ignored outside one, and for short values)."""
    global _ordered
    with _lock:
        if _depth == 0:
            return
        added = False
        for secret in secrets:
            raw = secret.reveal() if isinstance(secret, Secret) else secret
            if raw and len(raw) >= MIN_LENGTH and raw not in _values:
                _values.add(raw)
                added = True
        if added:
            _ordered = tuple(sorted(_values, key=len, reverse=True))


def forget(*values: str) -> None:
    """Take values out of the registry: only for credentials ghlops issued itself and prints on purpose (the
    sandbox command's setup lines)."""
    global _ordered
    with _lock:
        _values.difference_update(values)
        _ordered = tuple(sorted(_values, key=len, reverse=True))


def remember_env(env: Mapping[str, str], names: Iterable[str]) -> None:
    """Add the secret values of the credential variables ``names`` (see :func:`credential_values`)."""
    remember(*credential_values(env, names))


def known() -> tuple[str, ...]:
    return _ordered


def scrub(text: str) -> str:
    """``text`` with every registered secret value replaced by ``***``."""
    values = _ordered
    if not values:
        return text
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


@contextmanager
def session(env: Mapping[str, str] | None = None, names: Iterable[str] = ()) -> Iterator[None]:
    """Collect the secrets of one command; ``env`` and ``names``: credential variables to register at once. The
    registry is emptied when the outermost session ends."""
    global _depth, _ordered
    with _lock:
        _depth += 1
    try:
        if env is not None:
            remember_env(env, names)
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _values.clear()
                _ordered = ()
