"""JSON rendering of a plan: the saved-plan document itself (schemas/plan.schema.json), one schema for both."""

from __future__ import annotations

import json

from ghlops.plan.saved import SavedPlan


def render_json(saved: SavedPlan) -> str:
    """The plan document, indented; ``--format json`` prints it and ``--out`` saves it."""
    return json.dumps(saved.to_json(), indent=2, ensure_ascii=False, default=str)
