"""`ghlops schema`: the JSON Schema of manifest documents, generated from the models."""

from __future__ import annotations

from ghlops.commands import exit_codes
from ghlops.commands.export import write_output
from ghlops.manifest.schema import schema_text
from ghlops.output import Io


def schema_command(*, output: str | None, io: Io, force: bool = False) -> int:
    # Like export and render: an existing file is overwritten only with --force (a typo in -o must not
    # replace a file that happens to be there).
    write_output(schema_text(), output, force=force, io=io)
    return exit_codes.OK
