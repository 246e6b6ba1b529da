"""Print how many schema-valid generated Location documents `ghlops validate --offline` rejects, per kind.

    python -m tests.schema.measure [COUNT_PER_KIND]

A fixed, derandomized sample (the same documents each run), so figures before and after a schema change compare.
"""

from __future__ import annotations

import collections
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from tests.schema.generate import SECTION_KINDS, documents, holds_vars_reference, validator, verdict


def sample(kind: str, count: int) -> list[dict[str, Any]]:
    drawn: list[dict[str, Any]] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(documents(kind))
    def draw(doc: dict[str, Any]) -> None:
        if not list(validator().iter_errors(doc)):
            drawn.append(doc)

    draw()
    return drawn


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    total = rejected = gaps = 0
    reasons: collections.Counter[str] = collections.Counter()
    with tempfile.TemporaryDirectory() as folder:
        for kind in sorted(SECTION_KINDS):
            docs = sample(kind, count)
            bad = 0
            for doc in docs:
                lines = verdict(doc, Path(folder))
                # What JSON Schema can't say: uniqueness across entries, references to vars.
                if lines and (holds_vars_reference(doc) or any("duplicate " in line for line in lines)):
                    gaps += 1
                if lines:
                    bad += 1
                    for line in lines:
                        reasons[re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", line.split(": ", 1)[-1])[:90]] += 1
            total += len(docs)
            rejected += bad
            print(f"{kind:24} {bad:4}/{len(docs):<4} rejected")
    print(f"{'all':24} {rejected:4}/{total:<4} rejected ({100 * rejected / max(total, 1):.0f}%)")
    print(
        f"{'beyond JSON Schema':24} {rejected - gaps:4}/{total - gaps:<4} rejected once the {gaps} documents "
        "with duplicate keys or vars references are left out"
    )
    for reason, n in reasons.most_common(25):
        print(f"{n:5}  {reason}")


if __name__ == "__main__":
    main()
