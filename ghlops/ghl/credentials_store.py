"""Files that hold secrets: ghlops's credentials store and the refresh-token file.

Both are written atomically (a temporary file in the same directory, fsynced, then renamed over the old one)
with mode 0600 from the first byte, so a crash mid-write never leaves a truncated refresh token and no other
user can read one. Their content is never printed; errors name the path only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ghlops.errors import ConfigError
from ghlops.secret import Secret

#: Overrides where the credentials store lives (tests, several agencies on one machine).
ENV_CREDENTIALS_FILE = "GHLOPS_CREDENTIALS_FILE"


@dataclass(frozen=True)
class StoredCredentials:
    """What `ghlops auth login` stores: the app's client id and secret and the agency's refresh token."""

    client_id: str
    client_secret: Secret
    refresh_token: Secret
    company_id: str | None = None
    white_label: bool = False


def credentials_path(env: Mapping[str, str]) -> Path:
    """``$GHLOPS_CREDENTIALS_FILE``, else ``$XDG_CONFIG_HOME/ghlops/credentials.json`` (``~/.config`` default)."""
    explicit = env.get(ENV_CREDENTIALS_FILE, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    base = env.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base else Path(env.get("HOME", "").strip() or Path.home()) / ".config"
    return root / "ghlops" / "credentials.json"


def load_store(path: Path) -> StoredCredentials | None:
    """The stored credentials, or None when there is no file. ConfigError (naming the path) when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read the credentials file {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
        return StoredCredentials(
            client_id=str(data["client_id"]),
            client_secret=Secret(str(data["client_secret"])),
            refresh_token=Secret(str(data["refresh_token"])),
            company_id=str(data["company_id"]) if data.get("company_id") else None,
            white_label=bool(data.get("white_label", False)),
        )
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"the credentials file {path} is damaged: run `ghlops auth login` again") from None


def save_store(path: Path, creds: StoredCredentials) -> None:
    data = {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret.reveal(),
        "refresh_token": creds.refresh_token.reveal(),
        "company_id": creds.company_id,
        "white_label": creds.white_label,
    }
    write_secret_file(path, json.dumps(data, indent=2) + "\n")


def read_secret_file(path: Path, what: str) -> Secret | None:
    """A one-value secret file (the refresh-token file); None when missing or empty."""
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    return Secret(value) if value else None


def check_writable(path: Path, what: str) -> None:
    """ConfigError unless ``path`` can be (re)written: checked BEFORE a refresh spends the old refresh token."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ConfigError(f"cannot save {what}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot save {what}: directory {directory} is not writable")
    if path.exists() and not os.access(path, os.W_OK) and not os.access(directory, os.W_OK):
        raise ConfigError(f"cannot save {what}: {path} is not writable")


def write_secret_file(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, mode 0600 (the directory is created 0700 when missing)."""
    from ghlops.files import write_atomically

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(path, text, mode=0o600, holds_secret=True)


def delete_store(path: Path) -> bool:
    """Remove the credentials file; False when there was none."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ConfigError(f"cannot remove {path}: {exc.strerror or exc}") from None
    return True
