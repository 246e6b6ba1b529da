"""Manifests on disk -> validated desired state, reporting every problem of the run at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghlops.errors import ManifestError, ManifestErrors
from ghlops.kinds import BY_NAME
from ghlops.kinds.base import Entry
from ghlops.kinds.products import Product
from ghlops.manifest.interpolate import interpolate_env
from ghlops.manifest.model import SECTIONS, LocationDocument
from ghlops.manifest.positions import locate
from ghlops.manifest.validation import validate
from ghlops.manifest.yaml_io import RawDocument, discover, load_paths
from ghlops.state import LocationDesired


@dataclass
class Loaded:
    """One validated Location document, kept with its source so later checks can point at lines."""

    doc: RawDocument
    model: LocationDocument
    desired: LocationDesired

    def pos(self, *path: str | int) -> Any:
        return locate(self.doc.data, path)


@dataclass
class Manifests:
    files: list[Path]
    loaded: list[Loaded] = field(default_factory=list)

    @property
    def locations(self) -> list[LocationDesired]:
        return [item.desired for item in self.loaded]


def load_manifests(paths: Sequence[str | Path], env: Mapping[str, str]) -> Manifests:
    """Load, interpolate and validate every document; raise ManifestErrors listing all problems."""
    from ghlops.manifest.checks import check_manifests

    files = discover(paths)
    docs, errors = load_paths(paths)
    manifests = Manifests(files=files)
    for doc in docs:
        errors.extend(interpolate_env(doc.data, env))
        kind = doc.data.get("kind") if isinstance(doc.data, Mapping) else None
        if kind not in (None, "Location"):
            errors.append(
                ManifestError(f"kind {kind!r} is not one of Location", pos=locate(doc.data, ("kind",)), path="kind")
            )
            continue
        model, problems = validate(LocationDocument, doc.data)
        errors.extend(problems)
        if model is None:
            continue
        manifests.loaded.append(Loaded(doc, model, to_desired(model, doc)))
    errors.extend(check_manifests(manifests, env))
    if errors:
        raise ManifestErrors(errors)
    return manifests


def to_desired(model: LocationDocument, doc: RawDocument) -> LocationDesired:
    spec = model.spec
    prune = frozenset(SECTIONS) if spec.prune == "all" else frozenset(spec.prune)
    entries: dict[str, list[Entry]] = {}
    for section in SECTIONS:
        declared = getattr(spec, section)
        if declared is None:
            continue
        entries[section] = list(declared)
        if section == "products":
            entries["prices"] = [
                price.with_product(product.name)
                for product in declared
                if isinstance(product, Product)
                for price in product.prices
            ]
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
    )
