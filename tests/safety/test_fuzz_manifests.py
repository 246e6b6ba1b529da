"""Hostile manifests: a seeded mutation corpus of the examples, fed through the CLI.

Every case must end either valid (exit 0) or with exit 1 and clean one-line errors, never a traceback, and a
failing plan must make no API call. The number of cases run is printed (pytest -s shows it).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ghlops.cli import main
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations, sandbox_env

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED = 20261123
CASES = 1200
ERROR_LINE = re.compile(r"^error: \S")
POSITIONED = re.compile(r"^error: [^\n]+?\.ya?ml:\d+:\d+: ")

Mutation = Callable[[bytes, random.Random], bytes]


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def _wrong_type(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    candidates = [i for i, line in enumerate(lines) if b": " in line and not line.strip().startswith(b"#")]
    i = rng.choice(candidates)
    key, _, _ = lines[i].partition(b": ")
    lines[i] = key + b": " + rng.choice([b"[1, 2]", b"{a: 1}", b"12", b"true", b"null", b"~", b'"x"', b"-5.5"])
    return b"\n".join(lines)


def _unknown_key(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    candidates = [i for i, line in enumerate(lines) if re.match(rb"^\s+[A-Za-z]+: ", line)]
    i = rng.choice(candidates)
    indent = re.match(rb"^\s*(- )?", lines[i]).group(0).replace(b"- ", b"  ")  # type: ignore[union-attr]
    key = rng.choice([b"plceholder", b"datatype", b"colour", b"nmae", b"x-extra", b"teamMember"])
    lines.insert(i + 1, indent + key + b": oops")
    return b"\n".join(lines)


def _duplicate_key(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    candidates = [i for i, line in enumerate(lines) if re.match(rb"^\s+[A-Za-z]+: \S", line)]
    i = rng.choice(candidates)
    lines.insert(i + 1, lines[i].replace(b"- ", b"  "))
    return b"\n".join(lines)


def _tabs(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    i = rng.choice([n for n, line in enumerate(lines) if line.startswith(b"  ")])
    lines[i] = b"\t" + lines[i][2:]
    return b"\n".join(lines)


def _bad_bytes(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + rng.choice([b"\xff\xfe", b"\xc3\x28", b"\x00", b"\x80\x80\x80"]) + data[at:]


def _alias_bomb(data: bytes, rng: random.Random) -> bytes:
    levels = [b"a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, rng.randint(8, 14)):
        refs = b", ".join([b"*a%d" % (n - 1)] * 9)
        levels.append(b"a%d: &a%d [%s]" % (n, n, refs))
    return data + b"\n  x-bomb:\n" + b"\n".join(b"    " + line for line in levels) + b"\n"


def _deep(data: bytes, rng: random.Random) -> bytes:
    depth = rng.choice([200, 2000, 20000])
    return data + b"\n  deep: " + b"[" * depth + b"]" * depth + b"\n"


def _huge(data: bytes, rng: random.Random) -> bytes:
    filler = b"# " + b"x" * 1000 + b"\n"
    return data + filler * rng.choice([6000, 7000])


def _anchor_swap(data: bytes, rng: random.Random) -> bytes:
    return data.replace(b"kind: Location", rng.choice([b"kind: Locaton", b"kind: [Location]", b"kind: *nope"]), 1)


def _python_tag(data: bytes, rng: random.Random) -> bytes:
    return data.replace(b"name: ", b"name: !!python/object/apply:os.system ", 1)


MUTATIONS: dict[str, Mutation] = {
    "truncated": _truncate,
    "wrong-type": _wrong_type,
    "unknown-key": _unknown_key,
    "duplicate-key": _duplicate_key,
    "tabs": _tabs,
    "non-utf8": _bad_bytes,
    "alias-bomb": _alias_bomb,
    "deep-nesting": _deep,
    "huge-file": _huge,
    "bad-kind": _anchor_swap,
    "python-tag": _python_tag,
}
# Expensive mutations run fewer times: the limit they hit is the same every time.
WEIGHTS = {"huge-file": 0.01, "deep-nesting": 0.03, "alias-bomb": 0.1}


def corpus() -> Iterator[tuple[str, str, bytes]]:
    rng = random.Random(SEED)
    sources = sorted(EXAMPLES.glob("*.yaml"))
    names = list(MUTATIONS)
    weights = [WEIGHTS.get(n, 1.0) for n in names]
    for _ in range(CASES):
        source = rng.choice(sources)
        name = rng.choices(names, weights)[0]
        yield name, source.name, MUTATIONS[name](source.read_bytes(), rng)


def check_output(code: int, stderr: str, output: str) -> None:
    assert "Traceback" not in stderr + output
    if code == 0:
        return
    assert code == 1, (code, stderr)
    lines = stderr.strip().splitlines()
    assert lines, "an error exit must say why"
    for line in lines:
        assert ERROR_LINE.match(line), line
        assert len(line) < 600, line


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0) as sb:
        create_locations(sb, [EXAMPLES])
        yield sb


def test_mutated_manifests_never_crash_and_never_call_the_api(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = CliRunner()
    env = sandbox_env(sandbox)
    outcomes: dict[str, dict[str, int]] = {}
    positioned = 0
    for index, (name, source, data) in enumerate(corpus()):
        folder = tmp_path / f"case{index}"
        folder.mkdir()
        (folder / source).write_bytes(data)
        command = "plan" if index % 10 == 0 else "validate"
        sandbox.clear_requests()
        result = runner.invoke(main, [command, str(folder)], env=env, catch_exceptions=False)
        check_output(result.exit_code, result.stderr, result.output)
        if result.exit_code == 1 and " -> HTTP " not in result.stderr:
            # A manifest problem: caught before any call. (A valid mutation may still name a location the
            # sandbox does not hold; GHL's own answer then is the error, which is fine.)
            assert sandbox.requests == [], (name, result.stderr)
            positioned += bool(POSITIONED.search(result.stderr.splitlines()[0]))
        tally = outcomes.setdefault(name, {"valid": 0, "rejected": 0})
        tally["valid" if result.exit_code == 0 else "rejected"] += 1
    total = sum(sum(t.values()) for t in outcomes.values())
    with capsys.disabled():
        print(f"\nmanifest fuzz: {total} cases, 0 tracebacks, {positioned} errors with file:line:col; by mutation:")
        for name in sorted(outcomes):
            print(f"  {name:14} {outcomes[name]}")
    assert total == CASES
    # Structural damage must be caught, not silently accepted.
    must_reject = ("non-utf8", "alias-bomb", "deep-nesting", "huge-file", "python-tag", "tabs", "bad-kind")
    for name in (*must_reject, "unknown-key", "duplicate-key"):
        assert outcomes[name]["rejected"] > 0 and outcomes[name]["valid"] == 0, (name, outcomes[name])
