"""`ghlops schema`: the JSON Schema of manifest documents, generated from the models."""

from __future__ import annotations

from ghlops.commands import exit_codes
from ghlops.commands.export import write_output
from ghlops.commands.io import Io
from ghlops.manifest.schema import schema_text


def schema_command(*, output: str | None, io: Io) -> int:
    # A generated file: overwriting it is the point.
    write_output(schema_text(), output, force=True, io=io)
    return exit_codes.OK
