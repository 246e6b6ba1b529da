"""How long an apply of a plan takes at GHL's rate limits: a pure function of the plan and the parallelism.

GHL admits 100 requests per 10 s per location (company-level calls, such as users, count against the agency;
see ghlops/ghl/ratelimit.py). The executor (ghlops/apply.py) sends a location's writes one after another and
runs ``parallelism`` locations at a time, each taking the next free slot in plan order; company user changes
run before the locations (creates, memberships) and after them (removals). The estimate paces every writer at
GHL's sustained rate (a window's worth of requests per window) and schedules locations as the executor does.
Answer times are not modelled: a slow GHL makes an apply longer, never shorter.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any

from ghlops.plan.model import Plan, Section, Stage

# The executor's default parallelism (ghlops.workflow.DEFAULT_PARALLELISM; a test keeps the two equal).
DEFAULT_PARALLELISM = 8
# GHL's burst limit per location, and per agency for company-level calls (ghlops.ghl.ratelimit's defaults).
GHL_REQUESTS_PER_WINDOW = 100
GHL_WINDOW_S = 10.0


@dataclass(frozen=True)
class Estimate:
    writes: int
    locations: int
    parallelism: int
    seconds: float

    @property
    def duration(self) -> str:
        return duration(self.seconds)

    def line(self) -> str:
        return (
            f"Apply: {self.writes:,} write{'s' if self.writes != 1 else ''} across {self.locations:,} "
            f"location{'s' if self.locations != 1 else ''}, {self.duration} at GHL's rate limits."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "writes": self.writes,
            "locations": self.locations,
            "parallelism": self.parallelism,
            "seconds": round(self.seconds, 1),
            "message": self.line(),
        }


def writes(section: Section, *stages: Stage) -> int:
    """The write requests of a section's changes (of the given stages, or all)."""
    return sum(
        1 for c in section.changes if not stages or c.stage in stages for r in c.requests if r.method.upper() != "GET"
    )


def estimate(plan: Plan, parallelism: int = DEFAULT_PARALLELISM) -> Estimate | None:
    """The apply time of ``plan`` at ``parallelism``; None when it writes nothing."""
    parallelism = max(1, parallelism)
    pace = GHL_WINDOW_S / GHL_REQUESTS_PER_WINDOW  # seconds per request at the sustained rate
    per_location = [writes(s) for s in plan.locations if writes(s)]
    first = sum(writes(c, Stage.USERS_FIRST) for c in plan.companies)
    last = sum(writes(c, Stage.USERS_LAST) for c in plan.companies)
    total = sum(per_location) + first + last
    if not total:
        return None
    # Greedy list scheduling, as a thread pool runs them: each location starts when the first slot frees.
    slots = [0.0] * min(parallelism, len(per_location) or 1)
    for n in per_location:
        heapq.heappush(slots, heapq.heappop(slots) + n * pace)
    seconds = (first + last) * pace + max(slots)
    return Estimate(total, plan.locations_changed(), parallelism, seconds)


def duration(seconds: float) -> str:
    """``under a minute``, ``about 4 min``, ``about 2 h 5 min``: an estimate, not a promise."""
    if seconds < 60:
        return "under a minute"
    minutes = max(1, math.floor(seconds / 60 + 0.5))
    if minutes < 60:
        return f"about {minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"about {hours} h" + (f" {rest} min" if rest else "")
