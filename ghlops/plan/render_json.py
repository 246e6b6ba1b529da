"""JSON rendering of a plan: the saved-plan document itself (schemas/plan.schema.json), one schema for both."""

from __future__ import annotations

import json
from typing import Any

from ghlops.plan.estimate import DEFAULT_PARALLELISM, estimate
from ghlops.plan.hints import rename_hints
from ghlops.plan.model import Plan
from ghlops.plan.render_text import refusal
from ghlops.plan.saved import SavedPlan


def render_json(saved: SavedPlan, *, parallelism: int = DEFAULT_PARALLELISM, review: bool = False) -> str:
    """The plan document, indented; ``--format json`` prints it and ``--out`` saves it.

    With ``review`` the document gains a ``review`` object (:func:`review_json`: whether apply refuses the plan,
    the apply-time estimate at ``parallelism``, the rename hints). It is derived from the plan, so reading a
    saved plan ignores it; schemas/plan.schema.json must describe it before commands turn it on.
    """
    document = saved.to_json()
    if review:
        document["review"] = review_json(saved.plan, parallelism)
    return json.dumps(document, indent=2, ensure_ascii=False, default=str)


def review_json(plan: Plan, parallelism: int = DEFAULT_PARALLELISM) -> dict[str, Any]:
    """What the text and markdown plans tell a reviewer beyond the changes, as data."""
    timing = estimate(plan, parallelism) if not plan.errors else None
    return {
        "refused": bool(plan.errors) or refusal(plan) is not None,
        "applyEstimate": timing.to_json() if timing is not None else None,
        "renameHints": [h.to_json() for h in rename_hints(plan).hints],
    }
