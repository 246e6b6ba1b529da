"""JSON rendering of a plan: the saved-plan document itself (schemas/plan.schema.json), one schema for both."""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json

from ghlops.plan.estimate import DEFAULT_PARALLELISM, estimate
from ghlops.plan.hints import rename_hints
from ghlops.plan.model import Plan
from ghlops.plan.render_text import refusal
from ghlops.plan.saved import PlanDocument, SavedPlan


def render_json(saved: SavedPlan, *, parallelism: int = DEFAULT_PARALLELISM, review: bool = False) -> str:
    """The plan document, indented; ``--format json`` prints it and ``--out`` saves it.

    With ``review`` the document gains a ``review`` object (:func:`review_json`: whether apply refuses the plan,
    the apply-time estimate at ``parallelism``, the rename hints). It is derived from the plan, so reading a
    saved plan ignores it; schemas/plan.schema.json must describe it before commands turn it on.
    """
    # pydantic writes the JSON text itself (as json.dumps(indent=2, ensure_ascii=False) would, much faster);
    # a value that is not JSON becomes its str(), so a Secret could only ever be written as its mask.
    document = PlanDocument.of(saved)
    if not review:
        return document.model_dump_json(indent=2, fallback=str)
    data = {**document.model_dump(mode="json", fallback=str), "review": review_json(saved.plan, parallelism)}
    return to_json(data, indent=2, fallback=str).decode("utf-8")


def review_json(plan: Plan, parallelism: int = DEFAULT_PARALLELISM) -> dict[str, Any]:
    """What the text and markdown plans tell a reviewer beyond the changes, as data."""
    timing = estimate(plan, parallelism) if not plan.errors else None
    return {
        "refused": bool(plan.errors) or refusal(plan) is not None,
        "applyEstimate": timing.to_json() if timing is not None else None,
        "renameHints": [h.to_json() for h in rename_hints(plan).hints],
    }
