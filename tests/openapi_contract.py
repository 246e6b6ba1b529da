"""Checks recorded HTTP requests against the official GHL OpenAPI documents in ../shared/ghl-openapi.

Tests using this skip, with a reason, when that folder is absent: the documents are reference data, never
copied into the project.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SPEC_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "ghl-openapi"
SPEC_FILES = (
    "locations.json",
    "calendars.json",
    "products.json",
    "users.json",
    "contacts.json",
    "oauth.json",
    "links.json",
)
SKIP_REASON = f"the GHL OpenAPI documents are not at {SPEC_DIR} (../shared/ghl-openapi is absent)"


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    literal_segments: int
    op: dict[str, Any]
    doc: dict[str, Any]

    def response_schema(self, status: int) -> dict[str, Any] | None:
        """The JSON schema of an answer; a 2xx the spec files under another 2xx code (201 vs 200) uses that."""
        responses = self.op.get("responses", {})
        candidates = [str(status)] + ([c for c in responses if c.startswith("2")] if 200 <= status < 300 else [])
        for code in candidates:
            schema = responses.get(code, {}).get("content", {}).get("application/json", {}).get("schema")
            if schema is not None:
                return dict(schema)
        return None

    def errors(self, status: int, body: Any) -> list[str]:
        """How an answer departs from its response schema (empty when it conforms)."""
        schema = self.response_schema(status)
        if schema is None:
            return [f"{self.method} {self.template}: no response schema for {status}"]
        # Local refs (#/components/schemas/X) resolve against a root that carries the components.
        validator = jsonschema.Draft7Validator({**schema, "components": self.doc["components"]})
        return [
            f"{self.method} {self.template} {status}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(body)
        ]


def available() -> bool:
    return all((SPEC_DIR / name).is_file() for name in SPEC_FILES)


@cache
def operations() -> tuple[Operation, ...]:
    ops = []
    for name in SPEC_FILES:
        doc = json.loads((SPEC_DIR / name).read_text())
        for template, methods in doc["paths"].items():
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template.rstrip("/"))) + "/?$"
            literal = sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
            for method, op in methods.items():
                if method in ("get", "post", "put", "delete", "patch"):
                    ops.append(Operation(method.upper(), template, re.compile(regex), literal, op, doc))
    return tuple(ops)


def find(method: str, path: str) -> Operation | None:
    """The operation a request hits; literal segments win over templated ones (/users/search vs /users/{id})."""
    candidates = [
        o
        for o in operations()
        if o.method == method and (o.pattern.match(path) or o.pattern.match(path.rstrip("/") + "/"))
    ]
    return max(candidates, key=lambda o: o.literal_segments, default=None)


def problems(method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: Any) -> list[str]:
    """Every way the request departs from the spec (empty when it conforms)."""
    op = find(method, path)
    if op is None:
        return [f"{method} {path}: no such operation in the GHL spec"]
    found = []
    where = f"{method} {op.template}"
    for param in op.op.get("parameters", []):
        name, location = param["name"], param["in"]
        schema = param.get("schema", {})
        if location == "header":
            value = headers.get(name.lower())
            if value is None:
                if param.get("required"):
                    found.append(f"{where}: missing header {name}")
                continue
            if "enum" in schema and value not in schema["enum"]:
                found.append(f"{where}: header {name}={value!r} is not one of {schema['enum']}")
        elif location == "query":
            if param.get("required") and name not in query:
                found.append(f"{where}: missing query parameter {name}")
            if name in query and "enum" in schema and query[name][0] not in schema["enum"]:
                found.append(f"{where}: query {name}={query[name][0]!r} is not one of {schema['enum']}")
    known_query = {p["name"] for p in op.op.get("parameters", []) if p["in"] == "query"}
    found.extend(f"{where}: query parameter {q!r} is not in the spec" for q in query if q not in known_query)
    request_body = op.op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if request_body is not None:
        if body is None:
            found.append(f"{where}: missing JSON body")
        else:
            schema = {**request_body, "components": op.doc["components"]}
            validator = jsonschema.Draft7Validator(schema)
            found.extend(
                f"{where}: body {'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(body)
            )
    elif body not in (None, {}):
        found.append(f"{where}: sends a body the spec does not define")
    return found
