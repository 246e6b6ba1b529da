"""`ghlops demo`: validate -> plan -> apply -> plan on the example manifests, against an embedded sandbox.

Works from any directory and needs no token or network: the manifests and the starting live state ship
inside the package, and the sandbox runs in this process on a free loopback port.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from ghlops.commands import exit_codes
from ghlops.commands.apply import apply_command
from ghlops.commands.plan import plan_command
from ghlops.commands.validate import validate
from ghlops.output import Io
from ghlops.workflow import Settings


def demo_dirs() -> tuple[Path, Path]:
    root = Path(str(resources.files("ghlops")))
    return root / "demo_manifests", root / "demo_seed"


def demo_command(*, io: Io) -> int:
    from ghlops.sandbox import Sandbox
    from ghlops.sandbox.seed import sandbox_env, seed

    manifests, seed_dir = demo_dirs()
    with Sandbox(db_path=":memory:", port=0) as sb:
        seed(sb, [seed_dir])
        # Only the sandbox's own settings: the demo must never reach a real GHL account by accident.
        settings = Settings(env=sandbox_env(sb), parallelism=4)
        io.out(f"ghlops demo: GHL sandbox on {sb.url}, seeded with hand-made live state.")
        io.out(f"Manifests: {manifests}\n")
        steps: tuple[tuple[str, Callable[[], int]], ...] = (
            ("validate", lambda: validate([manifests], env=settings.env, io=io)),
            (
                "plan",
                lambda: plan_command([manifests], locations=(), detailed_exitcode=False, settings=settings, io=io),
            ),
            (
                "apply --auto-approve",
                lambda: apply_command([manifests], locations=(), auto_approve=True, settings=settings, io=io),
            ),
            (
                "plan (after apply)",
                lambda: plan_command([manifests], locations=(), detailed_exitcode=True, settings=settings, io=io),
            ),
        )
        for number, (title, step) in enumerate(steps, start=1):
            io.out(_banner(f"{number}/{len(steps)} ghlops {title}", io.colour))
            code = step()
            io.out("")
            if code != exit_codes.OK:
                io.err(f"demo stopped: step '{title}' exited with {code}")
                return exit_codes.ERROR
    io.out("Converged: the second plan shows no changes. Try `ghlops sandbox --seed examples/` next.")
    return exit_codes.OK


def _banner(text: str, colour: bool) -> str:
    line = f"== {text} " + "=" * max(0, 60 - len(text))
    return f"\x1b[1m{line}\x1b[0m" if colour else line
