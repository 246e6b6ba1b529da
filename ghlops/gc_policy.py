"""How ghlops runs Python's cyclic garbage collector during its bulk steps.

Loading manifests, reading live state and applying make millions of small containers; loading and reading make no
cyclic garbage (the answers' reference cycles are broken once read: ghl/client.py, ghl/http11.py, and a test checks
it). The collector's passes are then nearly pure overhead: a pass every 700 allocations, and the older generations
rescanning every manifest tree and live object kept so far, were 16-70% of ``validate`` at 1,000 files and a fifth
of the reads' CPU at 1,000 locations (issue #15). Inside :func:`few_collections` what already exists is frozen out
of the collector's view and the young generation is collected every 50,000 allocations; the old ones almost never.
Garbage in cycles is still collected, later.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["few_collections"]

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] = (700, 10, 10)


@contextmanager
def few_collections() -> Iterator[None]:
    """Collect rarely for the block's length. Nests, and threads may overlap their blocks: the first to enter
    sets the policy, the last to leave restores the thresholds it found."""
    global _depth, _saved
    with _lock:
        _depth += 1
        if _depth == 1:
            _saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(max(_saved[0], 50_000), max(_saved[1], 20), max(_saved[2], 100))
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)
                gc.unfreeze()
