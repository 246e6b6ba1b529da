"""Shards: split the locations of a run into n stable, disjoint parts so n CI jobs can each take one.

A location's shard is a function of its name alone (sha256, never Python's salted ``hash()``), so every job of a
matrix computes the same split without talking to the others, and a location stays in its shard until it is
renamed or the number of shards changes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ghlops.errors import ConfigError
from ghlops.manifest.loader import Loaded

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
MAX_SHARDS = 1024


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based, as a matrix writes it: 1/4 ... 4/4)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, name: str) -> bool:
        return shard_of(name, self.count) == self.index


def parse_shard(text: str) -> Shard:
    """``"2/4"`` -> Shard(2, 4); anything else is a ConfigError saying what a shard looks like."""
    match = _SHARD.match(text)
    if match is None:
        raise ConfigError(f"--shard {text!r} is not of the form i/n (for example 1/4)")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= count <= MAX_SHARDS:
        raise ConfigError(f"--shard {text!r}: the number of shards must be between 1 and {MAX_SHARDS}")
    if not 1 <= index <= count:
        raise ConfigError(f"--shard {text!r}: the shard number must be between 1 and {count}")
    return Shard(index, count)


def shard_of(name: str, count: int) -> int:
    """The 1-based shard of a location name among ``count`` shards."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def in_shard(selected: Sequence[Loaded], shard: Shard | None) -> list[Loaded]:
    """The selected locations that fall in the shard (all of them without one), order kept."""
    if shard is None:
        return list(selected)
    return [item for item in selected if shard.holds(item.desired.name)]


def optional_shard(text: str | None) -> Shard | None:
    return None if text is None else parse_shard(text)
