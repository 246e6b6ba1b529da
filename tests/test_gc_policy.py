"""ghlops.gc_policy: the collector held off during the bulk steps, and put back as it was."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from ghlops.gc_policy import few_collections


@pytest.fixture(autouse=True)
def known_thresholds() -> Iterator[None]:
    old = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*old)


def test_inside_the_block_the_young_generation_waits_for_50_000_allocations_and_what_existed_is_frozen() -> None:
    before = gc.get_freeze_count()
    kept = [[] for _ in range(1000)]
    with few_collections():
        assert gc.get_threshold() == (50_000, 20, 100)
        assert gc.get_freeze_count() >= before + len(kept)
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_an_inner_block_changes_nothing_and_the_outer_one_restores() -> None:
    with few_collections():
        with few_collections():
            assert gc.get_threshold() == (50_000, 20, 100)
        assert gc.get_threshold() == (50_000, 20, 100)
    assert gc.get_threshold() == (700, 10, 10)


def test_thresholds_already_higher_are_kept() -> None:
    gc.set_threshold(100_000, 5, 200)
    with few_collections():
        assert gc.get_threshold() == (100_000, 20, 200)
    assert gc.get_threshold() == (100_000, 5, 200)


def test_blocks_on_other_threads_that_overlap_restore_once_the_last_leaves() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with few_collections():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    assert inside.wait(5)
    with few_collections():
        pass
    assert gc.get_threshold() == (50_000, 20, 100)  # the other thread is still inside
    release.set()
    thread.join(5)
    assert gc.get_threshold() == (700, 10, 10)


def test_the_policy_is_restored_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), few_collections():
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0
