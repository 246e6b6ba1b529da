"""Mutated saved plans (#13 §3, §5): over 3,000 mutations of a real plan file, each either refused with one clear
line or, when the mutation touched nothing the plan is made of, applied as the plan the manifests and live state
give. Never a traceback, never the file's own requests."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ghlops import saved_plans
from ghlops.errors import ConfigError, PlanRefused
from ghlops.plan.render_json import render_json
from ghlops.plan.render_markdown import render_markdown
from ghlops.plan.render_text import render_plan
from ghlops.plan.saved import differences, read_plan
from ghlops.workflow import Settings, load, make_client, read
from tests.e2e.conftest import Cli
from tests.e2e.test_saved_plans import edit, writes
from tests.e2e.test_saved_plans_json import every_kind_of_change

DEEP = "__deep__"
REPLACEMENTS: list[Any] = [
    None,
    True,
    0,
    -1,
    2**70,
    1.5,
    "",
    "x",
    "line\nforged: + tag evil\x1b[31m",
    [],
    {},
    [None],
    {"$ref": "users/x"},
    {"$secret": 5},
    {"$ref": 7},
    DEEP,
]


Path_ = tuple[str | int, ...]


def paths_of(value: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths_of(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths_of(v, (*prefix, i))


def at(document: Any, path: Path_) -> Any:
    for part in path:
        document = document[part]
    return document


def mutations(document: dict[str, Any], rng: random.Random, count: int) -> Iterator[tuple[str, bytes]]:
    """(description, file bytes): structural mutations at random places, then mutations of the text itself."""
    text = json.dumps(document)
    paths = [p for p in paths_of(document) if p]
    for n in range(count):
        copy = json.loads(text)
        path = rng.choice(paths)
        parent, last = at(copy, path[:-1]), path[-1]
        op = rng.choice(["delete", "replace", "replace", "duplicate", "swap", "edit"])
        if op == "delete":
            del parent[last]
        elif op == "replace":
            parent[last] = rng.choice(REPLACEMENTS)
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(int(last), json.loads(json.dumps(parent[int(last)])))
        elif op == "swap" and isinstance(parent, list) and len(parent) > 1:
            other = rng.randrange(len(parent))
            parent[int(last)], parent[other] = parent[other], parent[int(last)]
        else:
            value = parent[last]
            if isinstance(value, str):
                parent[last] = value + rng.choice(["x", " ", "/..", "?a=1", "\u2028"])
            elif isinstance(value, bool):
                parent[last] = not value
            elif isinstance(value, int | float):
                parent[last] = value + rng.choice([1, -1, 0.5])
            else:
                parent[last] = None
        data = json.dumps(copy).replace(json.dumps(DEEP), "[" * 1000 + "]" * 1000)
        yield f"{n}: {op} {path}", data.encode()
    # Every kind of value once at every field of the first element of each list: each place the parser checks.
    firsts = [p for p in paths if all(part == 0 for part in p if isinstance(part, int))]
    for path in firsts:
        for replacement in [*REPLACEMENTS, "delete"]:
            copy = json.loads(text)
            parent, last = at(copy, path[:-1]), path[-1]
            if replacement == "delete":
                del parent[last]
            else:
                parent[last] = replacement
            data = json.dumps(copy).replace(json.dumps(DEEP), "[" * 1000 + "]" * 1000)
            yield f"every value: {replacement!r:.20} at {path}", data.encode()
    raw = text.encode()
    for n in range(count // 10):
        cut = rng.randrange(len(raw))
        kind = n % 6
        if kind == 0:
            data = raw[:cut]
        elif kind == 1:
            data = raw[:cut] + bytes([rng.randrange(256)]) + raw[cut + 1 :]
        elif kind == 2:
            data = raw.replace(b'"stage": 1', b'"stage": NaN', 1)
        elif kind == 3:
            data = raw.replace(b'"stage": 1', b'"stage": ' + b"9" * 5000, 1)
        elif kind == 4:
            data = b"\xef\xbb\xbf" + raw if n % 2 else b"\xff\xfe" + raw
        else:
            data = raw.replace(b'"body": ', b'"body": ' + b'{"a":' * 1000 + b"1" + b"}" * 1000 + b', "x": ', 1)
        yield f"text {n}: kind {kind} at {cut}", data


def test_mutated_saved_plans_are_refused_with_one_line_or_apply_the_true_plan_never_a_traceback(
    cli: Cli, tmp_path: Path
) -> None:
    manifests = every_kind_of_change(cli, tmp_path)
    edit(manifests / "downtown-dental.yaml", "lastName: Haddad", "lastName: Haddad-Smith")  # a company section
    out = tmp_path / "plan.json"
    assert cli("plan", str(manifests), "--out", str(out)).exit_code == 0
    original = read_plan(out)
    settings = Settings(env=cli.env, parallelism=1, rate_limit=False)
    selected = saved_plans.select_saved(original, load(saved_plans.unchanged_manifests(original), settings.env))
    with make_client(settings, selected) as client:
        snapshot = read(client, selected, settings)
    truth = saved_plans.re_derive(original, snapshot, settings)
    assert truth.has_changes and truth.companies and any(c.destructive for _, c in truth.all_changes())

    document = json.loads(out.read_text())
    tracebacks: list[str] = []
    refused: list[tuple[str, bytes]] = []
    outcomes = {"unreadable": 0, "refused": 0, "applied as planned": 0}
    mutated = tmp_path / "mutated.json"
    for description, data in mutations(document, random.Random(20261203), 1300):
        mutated.write_bytes(data)
        try:
            saved = read_plan(mutated)
            render_plan(saved.plan), render_json(saved), render_markdown(saved.plan)
            saved_plans.check_version(saved)
            saved_plans.unchanged_manifests(saved)
            result = saved_plans.re_derive(saved, snapshot, settings)
        except ConfigError as exc:
            assert "\n" not in str(exc) and str(exc).isprintable(), (description, str(exc))
            outcomes["unreadable"] += 1
            refused.append((description, data))
            continue
        except PlanRefused as exc:
            lines = str(exc).splitlines()
            assert all(line.isprintable() for line in lines), (description, lines)
            assert len(lines) == 1 or lines[-1] == "run plan again and review the new plan", (description, lines)
            outcomes["refused"] += 1
            refused.append((description, data))
            continue
        except Exception as exc:  # what this test is for: anything else is a traceback for the user
            tracebacks.append(f"{description}: {type(exc).__name__}: {exc}"[:300])
            continue
        # Whatever the file said, what runs is the plan the manifests and live state give.
        assert differences(truth, result) == [], description
        outcomes["applied as planned"] += 1
    assert tracebacks == []
    assert sum(outcomes.values()) >= 3000
    assert outcomes["refused"] > 200 and outcomes["unreadable"] > 500, outcomes

    # The same through the CLI, end to end: one error line per refused file, no write, exit 1.
    cli.sb.clear_requests()
    for description, data in refused[:: max(1, len(refused) // 40)]:
        mutated.write_bytes(data)
        for args in (("show", str(mutated)), ("apply", "--plan", str(mutated))):
            # Forty applies of the same two locations fill GHL's 100 requests / 10 s per location: the client
            # then waits its turn, and a run past 5 s writes a progress line on stderr, which is not an error.
            result = cli(*args, env={"GHLOPS_PROGRESS": "0"})
            if args[0] == "show" and result.exit_code == 0:
                continue  # readable: show renders what the file says (apply is what checks it)
            assert result.exit_code == 1, (description, args, result.output)
            assert all(line.startswith("error: ") for line in result.stderr.strip().splitlines()), description
    assert writes(cli) == []
