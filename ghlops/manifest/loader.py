"""Manifests on disk -> validated desired state, reporting every problem of the run at once.

The pipeline, per Location document: merge its templates and substitute ``{{ vars.NAME }}`` on the raw,
position-carrying data (:mod:`ghlops.manifest.templates`), interpolate ``${ENV}``, validate the merged document
against the model, then check across documents. Every error names the file:line:col that wrote the value and
its path *in that document*; an error in a template's value reached through a location says which location.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ghlops.errors import ManifestError, ManifestErrors
from ghlops.gc_policy import few_collections
from ghlops.kinds import BY_NAME
from ghlops.kinds.base import Entry
from ghlops.kinds.registry import declared as declared_entries
from ghlops.kinds.registry import flatten
from ghlops.manifest.discovery import IGNORE_FILE, discover_files
from ghlops.manifest.interpolate import interpolate_env
from ghlops.manifest.model import DOCUMENT_KINDS, SECTIONS, LocationDocument, TemplateDocument
from ghlops.manifest.positions import KeyPath, PosDict, locate, locate_key
from ghlops.manifest.suggest import did_you_mean
from ghlops.manifest.templates import (
    Composed,
    Origins,
    TemplateSource,
    compose,
    located_at,
    strip_template,
    value_at,
)
from ghlops.manifest.validation import validate
from ghlops.manifest.values_check import CREDENTIAL_ENVS, credential_names, credential_references, unsendable_values
from ghlops.manifest.yaml_io import RawDocument, load_found
from ghlops.state import LocationDesired


@dataclass
class Loaded:
    """One validated Location document, kept with its source so later checks can point at lines.

    ``doc`` holds the merged document (templates applied, variables substituted); its values keep the
    positions of the documents that wrote them. ``source`` is the document as loaded; for a location without
    templates (or ``remove`` entries) it is the same object as ``doc``: no second tree is kept.
    """

    doc: RawDocument
    model: LocationDocument
    desired: LocationDesired
    source: RawDocument | None = None
    templates: list[str] = field(default_factory=list)

    def pos(self, *path: str | int) -> Any:
        return locate(self.doc.data, path)


@dataclass
class Manifests:
    files: list[Path]
    loaded: list[Loaded] = field(default_factory=list)
    templates: dict[str, TemplateSource] = field(default_factory=dict)

    def shed_trees(self) -> None:
        """Let go of each location's YAML trees (``doc.data`` and ``source``) once loading is done.

        Every check that points at a line runs inside :func:`load_manifests`; after it, plan and apply use only
        the validated models, while the trees (position-keeping dicts, lists and positions) were a quarter of
        ``plan``'s peak memory: 188 -> 147 KB per location at 1,000 x 60 (issue 15). ``pull`` writes YAML back
        and keeps them. The file, document index and position of each document stay, for messages.
        """
        for item in self.loaded:
            item.doc = replace(item.doc, data=PosDict())
            item.source = None

    @property
    def locations(self) -> list[LocationDesired]:
        return [item.desired for item in self.loaded]


@dataclass
class Sources:
    """The documents of a run, sorted by kind, before any location is composed."""

    files: list[Path]
    documents: list[RawDocument]
    locations: list[RawDocument]
    templates: dict[str, TemplateSource]
    errors: list[ManifestError]
    origins: Origins


# Keys of a Location spec that a Template may not set, and why.
_LOCATION_ONLY = {
    "locationId": "a Template is shared by many locations; set locationId in each Location",
    "companyId": "set companyId in each Location (or GHL_COMPANY_ID)",
    "tokenEnv": "set tokenEnv in each Location",
    "prune": "a Template cannot make locations delete anything; set prune in each Location",
    "templates": "a Template cannot use other templates; list them all in the Location, in order",
}


def read_sources(paths: Sequence[str | Path]) -> Sources:
    """Load every document and sort Locations from Templates (Template names must be unique)."""
    found, errors = discover_files(paths)
    docs, problems = load_found(found)
    errors.extend(problems)
    locations: list[RawDocument] = []
    templates: dict[str, TemplateSource] = {}
    by_folded: dict[str, TemplateSource] = {}
    for doc in docs:
        kind = doc.data.get("kind")
        if kind is None and "apiVersion" not in doc.data:
            errors.append(not_a_manifest(doc))
            continue
        if kind is None or kind == "Location":
            locations.append(doc)
        elif kind == "Template":
            name = value_at(doc.data, ("metadata", "name"))
            if not isinstance(name, str):
                continue  # the template's own validation reports it
            other = by_folded.get(name.casefold())
            if other is not None:
                errors.append(
                    ManifestError(
                        f"template name {name!r} is already used by {other.doc.pos}",
                        pos=locate(doc.data, ("metadata", "name")),
                        path=("metadata", "name"),
                    )
                )
                continue
            by_folded[name.casefold()] = templates[name] = TemplateSource(name, doc)
        else:
            shown = repr(kind) if isinstance(kind, str) else str(kind)
            hint = did_you_mean(kind, DOCUMENT_KINDS) if isinstance(kind, str) else ""
            errors.append(
                ManifestError(
                    f"{shown} is not one of {', '.join(DOCUMENT_KINDS)}{hint}",
                    pos=locate(doc.data, ("kind",)),
                    path=("kind",),
                )
            )
    return Sources([path for path, _ in found], docs, locations, templates, errors, Origins(docs))


def not_a_manifest(doc: RawDocument) -> ManifestError:
    """One line for YAML that is no manifest at all (mkdocs.yml, a CI workflow kept beside manifests), instead of
    a "missing required key" for each of apiVersion, kind, metadata and spec and an "unknown key" for the rest."""
    return ManifestError(
        "not a ghlops manifest (no apiVersion or kind); if this YAML is something else kept beside the "
        f"manifests, list it in {IGNORE_FILE} to leave it out",
        pos=doc.pos,
    )


def load_manifests(paths: Sequence[str | Path], env: Mapping[str, str], *, offline: bool = False) -> Manifests:
    """Load, merge templates, interpolate and validate every document; raise ManifestErrors listing all problems.

    ``offline``: check the manifests alone, as a pre-commit hook or CI job without tokens can. Variables missing
    from ``env`` leave their ``${NAME}`` as written instead of being errors, and tokens are not required.
    """
    with few_collections():
        return _load_manifests(paths, env, offline=offline)


def _load_manifests(paths: Sequence[str | Path], env: Mapping[str, str], *, offline: bool) -> Manifests:
    from ghlops.manifest.checks import check_manifests

    sources = read_sources(paths)
    manifests = Manifests(files=sources.files, templates=sources.templates)
    report = Report(sources.origins)
    report.final(sources.errors)
    used: set[str] = set()
    credentials = credential_names(doc.data for doc in sources.documents)
    for doc in sources.locations:
        composed = compose(doc, sources.templates, sources.origins)
        used.update(t.name for t in composed.templates)
        model = validate_composed(composed, env, report, offline=offline, credentials=credentials)
        if model is not None:
            manifests.loaded.append(
                Loaded(
                    composed.doc,
                    model,
                    to_desired(model, composed.doc, composed.protected),
                    source=doc,
                    templates=[t.name for t in composed.templates],
                )
            )
    for template in sources.templates.values():
        report.final(check_template(template.doc, sources.origins, used=template.name in used))
    report.checks(check_manifests(manifests, env, check_env=not offline), manifests.loaded)
    errors = report.finish()
    if errors:
        raise ManifestErrors(errors)
    return manifests


def validate_composed(
    composed: Composed,
    env: Mapping[str, str],
    report: Report,
    *,
    offline: bool = False,
    credentials: Mapping[str, str] = CREDENTIAL_ENVS,
) -> LocationDocument | None:
    """Interpolate ``${ENV}`` and validate one composed location, reporting its problems.

    ``credentials``: variables a ``${VAR}`` may never name (:func:`credential_names`); such a reference is an
    error and the location's variables are then not expanded at all. ``offline``: a value still holding an
    unset ``${VAR}`` is unknown, so only its shape is checked: a number or boolean field holding ``${SLOTS}``
    passes (the real value is checked by ``validate`` with the environment).
    """
    data = composed.doc.data
    name = value_at(data, ("metadata", "name"))
    where = name if isinstance(name, str) else None
    problems = list(composed.merged_errors)
    secret = credential_references(data, credentials, env) if composed.doc.dollars else []
    problems.extend(secret)
    unset = interpolate_env(data, env) if composed.doc.dollars and not secret else []
    unknown = {e.path for e in unset if offline and e.message.startswith("environment variable ")}
    problems.extend(e for e in unset if e.path not in unknown)
    model, invalid = validate(LocationDocument, data, context={"offline": offline})
    if unknown and any(e.path in unknown for e in invalid):
        model, invalid = _validate_shape(data, invalid, unknown)
    # Non-finite numbers get their own line in place of whatever a range check said; nulls are reported where
    # the model would have taken them (elsewhere its own error already stands at that path).
    refused = unsendable_values(data)
    nonfinite = {e.path for e in refused if e.message.endswith("numbers must be finite")}
    invalid = [e for e in invalid if e.path not in nonfinite]
    reported = {e.path for e in invalid}
    problems.extend(invalid)
    problems.extend(e for e in refused if e.path in nonfinite or e.path not in reported)
    report.final(composed.errors, location=where)
    report.merged(problems, composed.doc.data, location=where)
    # A location whose merge had problems (an unknown template, say) still takes part in the cross-document
    # checks when the rest of it validates: every problem of the run is reported together. The run fails on the
    # merge errors anyway, so its desired state is never used.
    return model


def _validate_shape(
    data: Any, invalid: list[ManifestError], unknown: set[KeyPath]
) -> tuple[LocationDocument | None, list[ManifestError]]:
    """Offline: validate again with a stand-in for each unresolved value that failed (the text "1", which
    pydantic reads as a number or true as readily as text), so the rest of the document is still checked and a
    desired state exists; problems at the unresolved number and boolean values themselves are dropped."""
    trial = copy.deepcopy(data)
    for error in invalid:
        if error.path in unknown:
            _replace(trial, error.path, "1")
    model, again = validate(LocationDocument, trial, context={"offline": True})
    # A stand-in that still fails (a field with a fixed set of values) keeps the value's own error: the check
    # can't be done offline, and a document is never passed without being checked.
    still = {e.path for e in again if e.path in unknown}
    return model, [e for e in again if e.path not in unknown] + [e for e in invalid if e.path in still]


def _replace(data: Any, path: KeyPath, value: Any) -> None:
    if not path:
        return
    parent = value_at(data, path[:-1])
    key = path[-1]
    if isinstance(parent, dict) and isinstance(key, str) and key in parent:  # noqa: SIM114 - mypy needs the split
        parent[key] = value
    elif isinstance(parent, list) and isinstance(key, int) and 0 <= key < len(parent):
        parent[key] = value


def check_template(doc: RawDocument, origins: Origins, *, used: bool) -> list[ManifestError]:
    """A Template document's own problems.

    Its entries are checked in full through each location that uses it (the merged result must be complete);
    an entry may be partial here, completed by a later template or the location. Unused templates get their
    entries checked for everything but completeness, so a template directory can be validated on its own.
    """
    errors: list[ManifestError] = []
    data, problems = strip_template(doc, origins)
    errors.extend(problems)
    spec = data.get("spec") if isinstance(data, PosDict) else None
    if isinstance(spec, PosDict):
        for key, why in _LOCATION_ONLY.items():
            if key in spec:
                pos = locate_key(data, ("spec", key))
                errors.append(ManifestError(f"unknown key {key!r}: {why}", pos=pos, path=("spec",)))
                del spec[key]
    # A template's ${VARS} are expanded only in the locations using it: here they are unknown, as offline.
    _, invalid = validate(TemplateDocument, data, context={"offline": True})
    for error in invalid:
        path = error.path
        in_entry = len(path) >= 3 and path[0] == "spec" and path[1] in SECTIONS
        if in_entry and used:
            continue  # checked through the locations that use the template, with the location's values merged
        if in_entry and (error.message.startswith("missing required key") or _has_vars(value_at(data, path))):
            continue  # completed or filled in by the locations
        translated = origins.translate(data, path, doc)
        errors.append(ManifestError(error.message, pos=error.pos, path=translated or path))
    return errors


def _has_vars(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value and "vars." in value


class Report:
    """Collects the problems of a run: paths translated to the document that wrote the value, problems in a
    template's values reached through several locations reported once, naming those locations."""

    def __init__(self, origins: Origins) -> None:
        self.origins = origins
        self._found: dict[tuple[Any, KeyPath, str], list[str]] = {}
        self._order: list[ManifestError] = []

    def final(self, errors: Sequence[ManifestError], *, location: str | None = None) -> None:
        for error in errors:
            self._add(error, location)

    def merged(self, errors: Sequence[ManifestError], data: Any, *, location: str | None) -> None:
        """Problems found in a merged document, their paths in merged terms."""
        for error in errors:
            self._add(self._translate(error, data), location)

    def checks(self, errors: Sequence[ManifestError], loaded: Sequence[Loaded]) -> None:
        """Cross-document problems: find the location each was found in, to translate its path."""
        for error in errors:
            path = error.path
            target = self.origins.document_at(error.pos)
            if error.pos is None or target is None:
                self._add(error, None)
                continue
            owners = [item for item in loaded if item.source is target]
            if not owners:
                owners = [item for item in loaded if located_at(item.doc.data, path, error.pos)]
            if not owners:
                self._add(error, None)
            for item in owners:
                self._add(self._translate(error, item.doc.data), item.desired.name)

    def _translate(self, error: ManifestError, data: Any) -> ManifestError:
        target = self.origins.document_at(error.pos)
        path = error.path
        if target is None:
            return error
        translated = self.origins.translate(data, path, target)
        if translated is None or translated == path:
            return error
        return ManifestError(error.message, pos=error.pos, path=translated)

    def _add(self, error: ManifestError, location: str | None) -> None:
        key = (error.pos, error.path, error.message)
        if key not in self._found:
            self._found[key] = []
            self._order.append(error)
        target = self.origins.document_at(error.pos)
        in_template = target is not None and target.data.get("kind") == "Template"
        if location and in_template and location not in self._found[key]:
            self._found[key].append(location)

    def finish(self) -> list[ManifestError]:
        out: list[ManifestError] = []
        for error in self._order:
            names = self._found[(error.pos, error.path, error.message)]
            if names:
                noun = "location" if len(names) == 1 else "locations"
                error = ManifestError(f"{error.message} (in {noun} {', '.join(names)})", pos=error.pos, path=error.path)
            out.append(error)
        return out


def to_desired(
    model: LocationDocument, doc: RawDocument, protected: Mapping[str, frozenset[str]] | None = None
) -> LocationDesired:
    spec = model.spec
    # `prune: all` covers the sections the document declares (after its templates; an empty list declares one), so
    # a kind ghlops learns later never starts deleting what a manifest never mentioned.
    if spec.prune == "all":
        prune = frozenset(section for section in SECTIONS if getattr(spec, section, None) is not None)
    else:
        prune = frozenset(spec.prune)
    entries: dict[str, list[Entry]] = {}
    for section in SECTIONS:
        declared = getattr(spec, section)
        if declared is None:
            continue
        # With each child kind's entries (a product's prices, a calendar's notifications), each told its parent.
        entries.update(flatten(section, declared_entries(BY_NAME[section], declared)))
    for kind in BY_NAME:
        if kind in prune and kind not in entries:
            entries[kind] = []
    return LocationDesired(
        name=model.metadata.name,
        location_id=spec.locationId,
        company_id=spec.companyId,
        token_env=spec.tokenEnv,
        prune=prune,
        entries=entries,
        source=str(doc.pos),
        protected=dict(protected or {}),
    )
