"""`ghlops render`: show what a location's templates and variables produce, as a manifest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ghlops.commands import exit_codes
from ghlops.commands.export import write_output
from ghlops.commands.io import Io
from ghlops.manifest.render import render_location
from ghlops.yaml_out import to_yaml


def render_command(
    paths: Sequence[str | Path], *, location: str, output: str | None, env: Mapping[str, str], io: Io
) -> int:
    document, comment = render_location(paths, location, env)
    write_output(to_yaml(document, comment=comment), output, force=True, io=io)
    return exit_codes.OK
