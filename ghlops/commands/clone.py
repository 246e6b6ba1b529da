"""`ghlops clone`: a manifest for location B (or a Template) from location A's live setup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ghlops.commands import exit_codes
from ghlops.commands.export import check_env_name, check_name, parse_kinds, read_live, write_output
from ghlops.errors import ConfigError
from ghlops.export import export_sections, location_document, template_document
from ghlops.manifest.yaml_out import dump_documents
from ghlops.output import Io
from ghlops.workflow import Settings


def clone_command(
    *,
    from_location_id: str,
    to_location_id: str | None,
    name: str | None,
    as_template: str | None,
    kinds: Sequence[str],
    output: str | None,
    force: bool,
    from_token_env: str | None,
    token_env: str | None,
    settings: Settings,
    io: Io,
) -> int:
    """Read A, write B's manifest (ids stripped, references by natural key). With ``as_template`` the setup is a
    Template; B's Location document (listing the template) follows when a target is given."""
    chosen = parse_kinds(kinds)
    check_env_name(from_token_env, "--from-token-env")
    check_env_name(token_env, "--token-env")
    if as_template is not None:
        check_name(as_template, "--as-template")
    if to_location_id is None and as_template is None:
        raise ConfigError("--to-location-id is required (or pass --as-template NAME to write a Template only)")
    if to_location_id is not None:
        if name is None:
            raise ConfigError("--name is required with --to-location-id: the new location's manifest name")
        check_name(name, "--name")
        if to_location_id == from_location_id:
            raise ConfigError("--from-location-id and --to-location-id are the same location; use ghlops export")
    read, notes = read_live(settings, from_location_id, chosen, token_env=from_token_env, want_name=False)
    exported = export_sections(read.live, read.users, chosen, for_clone=True)
    source = f"location {from_location_id} ({', '.join(chosen)})"
    documents: list[tuple[Mapping[str, Any], str | None]] = []
    if as_template is not None:
        documents.append((template_document(as_template, exported.sections), f"Cloned by ghlops from {source}."))
        if to_location_id is not None and name is not None:
            documents.append(
                (location_document(name, to_location_id, {}, token_env=token_env, templates=[as_template]), None)
            )
    elif to_location_id is not None and name is not None:
        document = location_document(name, to_location_id, exported.sections, token_env=token_env)
        documents.append((document, f"Cloned by ghlops from {source}."))
    write_output(dump_documents(documents), output, force=force, io=io)
    for note in notes + exported.notes:
        io.err(f"note: {note}")
    return exit_codes.OK
