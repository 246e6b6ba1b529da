"""--shard i/n: a stable, complete and disjoint split of locations by a sha256 of their names."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from ghlops.errors import ConfigError
from ghlops.selection import Shard, parse_shard, shard_of

NAMES = [f"location-{n:04d}" for n in range(1_000)]


def test_every_name_lands_in_exactly_one_shard_for_every_shard_count_up_to_16() -> None:
    for count in range(1, 17):
        shards = [Shard(i, count) for i in range(1, count + 1)]
        members = [{name for name in NAMES if shard.holds(name)} for shard in shards]
        assert sum(len(m) for m in members) == len(NAMES)  # disjoint: nobody counted twice
        assert set().union(*members) == set(NAMES)  # complete: nobody left out


def test_shards_are_roughly_even() -> None:
    for count in (2, 4, 8, 16):
        sizes = [sum(1 for name in NAMES if shard_of(name, count) == i) for i in range(1, count + 1)]
        assert max(sizes) < 2 * len(NAMES) / count, sizes


def test_the_shard_is_the_first_8_bytes_of_the_sha256_of_the_name_modulo_n_plus_1_and_never_changes() -> None:
    digest = hashlib.sha256(b"downtown-dental").digest()
    assert shard_of("downtown-dental", 7) == int.from_bytes(digest[:8], "big") % 7 + 1
    assert [shard_of("downtown-dental", n) for n in (1, 2, 3, 4)] == [1, 1, 3, 1]
    assert [shard_of("uptown-ortho", n) for n in (1, 2, 3, 4)] == [1, 2, 1, 2]


def test_the_split_is_the_same_in_another_process_whatever_its_hash_seed() -> None:
    code = "from ghlops.selection import shard_of; print([shard_of(f'location-{n:04d}', 5) for n in range(50)])"
    here = str([shard_of(f"location-{n:04d}", 5) for n in range(50)])
    for seed in ("1", "2"):
        other = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": seed}
        )
        assert other.stdout.strip() == here


def test_a_name_keeps_its_shard_when_other_locations_come_and_go() -> None:
    before = {name: shard_of(name, 4) for name in NAMES[:500]}
    after = {name: shard_of(name, 4) for name in NAMES}
    assert all(after[name] == shard for name, shard in before.items())


@pytest.mark.parametrize(("text", "shard"), [("1/4", Shard(1, 4)), ("4/4", Shard(4, 4)), (" 2 / 3 ", Shard(2, 3))])
def test_good_shards_parse(text: str, shard: Shard) -> None:
    assert parse_shard(text) == shard
    assert str(shard) == text.replace(" ", "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0/4", "--shard '0/4': the shard number must be between 1 and 4"),
        ("5/4", "--shard '5/4': the shard number must be between 1 and 4"),
        ("1/0", "--shard '1/0': the number of shards must be between 1 and 1024"),
        ("1/2000", "--shard '1/2000': the number of shards must be between 1 and 1024"),
        ("x", "--shard 'x' is not of the form i/n (for example 1/4)"),
        ("-1/4", "--shard '-1/4' is not of the form i/n (for example 1/4)"),
        ("1.5/4", "--shard '1.5/4' is not of the form i/n (for example 1/4)"),
        ("", "--shard '' is not of the form i/n (for example 1/4)"),
    ],
)
def test_bad_shards_are_config_errors_that_say_what_a_shard_looks_like(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_shard(text)
    assert str(caught.value) == message
