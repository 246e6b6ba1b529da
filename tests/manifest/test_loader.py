"""manifest/loader.py: the order of the load (documents sorted by kind, templates merged, ${ENV} interpolated,
validated, checked across documents), every problem of a run reported at once with its key path, and the
desired state a valid Location becomes."""

from __future__ import annotations

import pytest

from ghlops.errors import ManifestErrors
from ghlops.manifest.loader import Manifests, load_manifests
from tests.manifest.conftest import WriteFile

ENV = {"GHL_TOKEN": "t"}


def location(spec: str, name: str = "downtown", lid: str = "L1") -> str:
    return f"apiVersion: ghlops/v1\nkind: Location\nmetadata:\n  name: {name}\nspec:\n  locationId: {lid}\n{spec}"


TEMPLATE = "apiVersion: ghlops/v1\nkind: Template\nmetadata:\n  name: {name}\nspec:\n{spec}"


def load(write: WriteFile, *files: tuple[str, str], offline: bool = False) -> Manifests:
    for name, text in files:
        write(name, text)
    return load_manifests([name for name, _ in files], ENV, offline=offline)


def problems(write: WriteFile, *files: tuple[str, str], offline: bool = False) -> ManifestErrors:
    with pytest.raises(ManifestErrors) as caught:
        load(write, *files, offline=offline)
    return caught.value


def test_every_problem_of_the_run_is_reported_together_each_with_its_key_path(write: WriteFile) -> None:
    bad = location(
        "  customFields:\n    - {name: Size, dataType: NUMBERS}\n  calendars:\n    - {name: C, slotDuration: x}\n"
    )
    found = problems(write, ("a.yaml", bad), ("b.yaml", location("  tags: [7]\n", name="uptown", lid="L2")))
    assert [(e.pos and str(e.pos), e.path) for e in found.errors] == [
        ("a.yaml:8:30", ("spec", "customFields", 0, "dataType")),
        ("a.yaml:10:31", ("spec", "calendars", 0, "slotDuration")),
        ("b.yaml:7:10", ("spec", "tags", 0)),
    ]
    assert str(found.errors[1]) == "a.yaml:10:31: spec.calendars[0].slotDuration: expected a number, got 'x'"


def test_yaml_that_is_no_manifest_is_one_line_saying_how_to_leave_it_out(write: WriteFile) -> None:
    found = problems(write, ("loc.yaml", location("")), ("mkdocs.yml", "site_name: docs\nnav: []\n"))
    assert [str(e) for e in found.errors] == [
        "mkdocs.yml:1:1: not a ghlops manifest (no apiVersion or kind); if this YAML is something else kept beside "
        "the manifests, list it in .ghlopsignore to leave it out"
    ]


def test_an_unknown_kind_lists_both_document_kinds(write: WriteFile) -> None:
    found = problems(write, ("loc.yaml", location("").replace("kind: Location", "kind: Templat")))
    assert [str(e) for e in found.errors] == [
        "loc.yaml:2:7: kind: 'Templat' is not one of Location, Template (did you mean 'Template'?)"
    ]
    assert found.errors[0].path == ("kind",)


def test_template_names_are_unique_without_letter_case(write: WriteFile) -> None:
    found = problems(
        write,
        ("a.yaml", TEMPLATE.format(name="us-east", spec="  tags: [a]\n")),
        ("b.yaml", TEMPLATE.format(name="US-East", spec="  tags: [b]\n")),
    )
    assert [str(e) for e in found.errors] == [
        "b.yaml:4:9: metadata.name: template name 'US-East' is already used by a.yaml:1:1"
    ]
    assert found.errors[0].path == ("metadata", "name")


def test_a_template_may_not_set_what_each_location_decides(write: WriteFile) -> None:
    spec = "  locationId: X\n  prune: all\n  templates: [base]\n  tokenEnv: TOKEN\n  companyId: c1\n"
    found = problems(write, ("t.yaml", TEMPLATE.format(name="base", spec=spec)))
    assert [str(e) for e in found.errors] == [
        "t.yaml:6:3: spec: unknown key 'locationId': a Template is shared by many locations; set locationId in "
        "each Location",
        "t.yaml:7:3: spec: unknown key 'prune': a Template cannot make locations delete anything; set prune in "
        "each Location",
        "t.yaml:8:3: spec: unknown key 'templates': a Template cannot use other templates; list them all in the "
        "Location, in order",
        "t.yaml:9:3: spec: unknown key 'tokenEnv': set tokenEnv in each Location",
        "t.yaml:10:3: spec: unknown key 'companyId': set companyId in each Location (or GHL_COMPANY_ID)",
    ]


def test_offline_an_unset_variable_is_checked_for_its_shape_only(write: WriteFile) -> None:
    spec = "  calendars:\n    - {name: C, slotDuration: '${SLOTS}'}\n  tags: ['${TAG}']\n"
    (desired,) = load(write, ("loc.yaml", location(spec)), offline=True).locations
    assert [t.name for t in desired.of("tags")] == ["${TAG}"]
    found = problems(write, ("loc.yaml", location(spec)))
    assert [str(e) for e in found.errors] == [
        "loc.yaml:8:31: spec.calendars[0].slotDuration: environment variable SLOTS is not set",
        "loc.yaml:8:31: spec.calendars[0].slotDuration: expected a number, got '${SLOTS}'",
        "loc.yaml:9:10: spec.tags[0]: environment variable TAG is not set",
    ]
    # A field with a fixed set of values can't be checked offline: its error stays.
    choice = location("  customFields:\n    - {name: Size, dataType: '${TYPE}'}\n")
    assert [e.path for e in problems(write, ("loc.yaml", choice), offline=True).errors] == [
        ("spec", "customFields", 0, "dataType")
    ]


def test_prune_all_covers_the_sections_the_location_declares_and_a_listed_kind_is_managed_even_when_empty(
    write: WriteFile,
) -> None:
    (every,) = load(
        write, ("loc.yaml", location("  prune: all\n  tags: []\n  customValues:\n    - {name: a, value: b}\n"))
    ).locations
    assert every.prune == frozenset({"tags", "customValues"})
    (listed,) = load(write, ("loc.yaml", location("  prune: [tags]\n"))).locations
    assert (listed.prune, listed.of("tags")) == (frozenset({"tags"}), [])


def test_a_location_without_templates_keeps_one_tree_and_knows_its_source(write: WriteFile) -> None:
    manifests = load(write, ("loc.yaml", location("  tags: [a]\n")))
    (item,) = manifests.loaded
    assert item.source is item.doc  # nothing merged: no second copy of the document
    assert (item.desired.name, item.desired.location_id, item.desired.source) == ("downtown", "L1", "loc.yaml:1:1")
    assert item.pos("spec", "tags", 0) is not None and str(item.pos("spec", "tags", 0)) == "loc.yaml:7:10"


def test_shedding_the_trees_keeps_the_models_and_where_each_document_is(write: WriteFile) -> None:
    manifests = load(
        write,
        ("base.yaml", TEMPLATE.format(name="base", spec="  tags: [a]\n")),
        ("loc.yaml", location("  templates: [base]\n  tags: [b]\n")),
    )
    (item,) = manifests.loaded
    desired, model, where = item.desired, item.model, (item.doc.file, item.doc.index, str(item.doc.pos))
    assert item.source is not None and item.source is not item.doc  # a template merged: two trees held
    manifests.shed_trees()
    assert (item.doc.data, item.source) == ({}, None)
    assert (item.doc.file, item.doc.index, str(item.doc.pos)) == where == ("loc.yaml", 0, "loc.yaml:1:1")
    assert item.desired is desired and item.model is model
    assert [t.name for t in desired.of("tags")] == ["a", "b"]
