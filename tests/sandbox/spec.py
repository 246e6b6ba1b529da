"""The official GHL OpenAPI documents (../shared/ghl-openapi), for checking the sandbox's answers against them.

Only read here, never copied into the project; tests skip with a reason when the folder is absent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SPEC_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ghl-openapi"
SPEC_FILES = ("locations.json", "calendars.json", "products.json", "users.json")
SKIP_REASON = f"the GHL OpenAPI documents are not at {SPEC_DIR} (../shared/ghl-openapi is absent)"


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    literal_segments: int
    spec: dict[str, Any]
    document: dict[str, Any]

    def response_schema(self, status: int) -> dict[str, Any] | None:
        """The JSON schema of an answer; a 2xx the spec files under another 2xx code (201 vs 200) uses that."""
        responses = self.spec.get("responses", {})
        candidates = [str(status)] + ([c for c in responses if c.startswith("2")] if 200 <= status < 300 else [])
        for code in candidates:
            schema = responses.get(code, {}).get("content", {}).get("application/json", {}).get("schema")
            if schema is not None:
                return dict(schema)
        return None

    def errors(self, status: int, body: Any) -> list[str]:
        schema = self.response_schema(status)
        if schema is None:
            return [f"{self.method} {self.template}: no response schema for {status}"]
        # Local refs (#/components/schemas/X) resolve against a root that carries the components.
        validator = jsonschema.Draft7Validator({**schema, "components": self.document["components"]})
        return [
            f"{self.method} {self.template} {status}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(body)
        ]


def available() -> bool:
    return all((SPEC_DIR / name).is_file() for name in SPEC_FILES)


@cache
def operations() -> tuple[Operation, ...]:
    found = []
    for name in SPEC_FILES:
        document = json.loads((SPEC_DIR / name).read_text())
        for template, methods in document["paths"].items():
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template.rstrip("/"))) + "/?$"
            literal = sum(1 for segment in template.split("/") if segment and not segment.startswith("{"))
            for method, spec in methods.items():
                if method in ("get", "post", "put", "delete"):
                    found.append(Operation(method.upper(), template, re.compile(regex), literal, spec, document))
    return tuple(found)


def find(method: str, path: str) -> Operation | None:
    """The operation a request hits; literal segments win (/users/search over /users/{userId})."""
    candidates = [op for op in operations() if op.method == method and op.pattern.match(path)]
    return max(candidates, key=lambda op: op.literal_segments, default=None)
