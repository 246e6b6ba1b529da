"""Problems say what to do (issue #14 §7): indentation, misplaced sections, non-manifest YAML, unused vars, and
every problem of a run reported together."""

from __future__ import annotations

import pytest

from ghlops.errors import ManifestErrors
from ghlops.manifest.loader import load_manifests
from ghlops.manifest.yaml_io import load_text
from tests.manifest.conftest import WriteFile

ENV = {"GHL_TOKEN": "t"}
HEAD = "apiVersion: ghlops/v1\nkind: Location\nmetadata: {name: NAME}\nspec:\n  locationId: ID\n"


def location(name: str, body: str = "", location_id: str = "ve9EPM428h8vShlRW1KT") -> str:
    return HEAD.replace("NAME", name).replace("ID", location_id) + body


def errors(paths: list[str]) -> list[str]:
    with pytest.raises(ManifestErrors) as caught:
        load_manifests(paths, ENV, offline=True)
    return [str(e) for e in caught.value.errors]


def yaml_errors(text: str) -> list[str]:
    return [str(e) for e in load_text(text, "m.yaml")[1]]


def test_a_key_indented_to_no_level_gets_its_line_and_what_to_check() -> None:
    text = "apiVersion: ghlops/v1\nkind: Location\nmetadata:\n  name: a\n spec:\n  locationId: x\n"
    assert yaml_errors(text) == [
        "m.yaml:5:2: invalid YAML: this line is indented by 1 space, which matches no mapping or list above it; "
        "check the indentation of this line and the line above"
    ]


def test_a_list_item_indented_to_no_level_names_the_line_not_block_end() -> None:
    assert yaml_errors("spec:\n  tags:\n    - x\n   - y\n") == [
        "m.yaml:4:4: invalid YAML: this line is indented by 3 spaces, which matches no mapping or list above it; "
        "check the indentation of this line and the line above"
    ]


def test_a_key_indented_under_a_key_that_has_a_value_says_to_check_the_line_above() -> None:
    assert yaml_errors("spec:\n  locationId: abc\n   tags: [a]\n") == [
        "m.yaml:3:4: invalid YAML: 'tags:' is indented more than the key on line 2, which already has a value; "
        "check the indentation of the line above"
    ]


def test_a_colon_inside_a_value_keeps_the_parser_s_wording() -> None:
    assert yaml_errors("spec:\n  name: a: b\n") == ["m.yaml:2:10: invalid YAML: mapping values are not allowed here"]


def test_a_section_dedented_out_of_spec_says_where_it_belongs(write: WriteFile) -> None:
    write("a.yaml", location("a") + "tags: [vip]\n")
    assert errors(["a.yaml"]) == [
        "a.yaml:6:1: unknown key 'tags' (it belongs under spec: indent it to the level of the other keys of spec)"
    ]


def test_non_manifest_yaml_beside_manifests_gets_one_line_suggesting_ghlopsignore(write: WriteFile) -> None:
    write("docs/mkdocs.yml", "site_name: Docs\nnav:\n  - index.md\ntheme: material\n")
    write("docs/a.yaml", location("a"))
    assert errors(["docs"]) == [
        "docs/mkdocs.yml:1:1: not a ghlops manifest (no apiVersion or kind); if this YAML is something else kept "
        "beside the manifests, list it in .ghlopsignore to leave it out"
    ]
    write("docs/.ghlopsignore", "mkdocs.yml\n")
    assert [m.desired.name for m in load_manifests(["docs"], ENV, offline=True).loaded] == ["a"]


def test_an_unknown_template_does_not_hide_the_other_problems_of_the_run(write: WriteFile) -> None:
    write("a.yaml", location("a", "  templates: [nope]\n  tags: [x]\n"))
    write("b.yaml", location("b"))
    assert errors(["a.yaml", "b.yaml"]) == [
        "a.yaml:6:15: spec.templates[0]: unknown template 'nope' (no Template document was loaded: pass the files "
        "or directories that hold templates too)",
        "b.yaml:5:15: spec.locationId: location id ve9EPM428h8vShlRW1KT is already claimed by a.yaml:1:1",
    ]


TEMPLATE = "apiVersion: ghlops/v1\nkind: Template\nmetadata: {name: base}\nspec:\n  vars: {city: Springfield}\n"


def test_a_location_var_no_template_uses_is_reported_with_the_name_that_is_used(write: WriteFile) -> None:
    write("t.yaml", TEMPLATE + "  customValues:\n    - {name: town, value: '{{ vars.city }}'}\n")
    write("a.yaml", location("a", "  templates: [base]\n  vars: {cty: Shelbyville}\n"))
    assert errors(["t.yaml", "a.yaml"]) == [
        "a.yaml:7:10: spec.vars.cty: variable 'cty' is not used: no template and no value of this location refers "
        "to {{ vars.cty }} (did you mean 'city', which is used?)"
    ]


def test_a_var_of_a_location_without_templates_or_references_is_reported(write: WriteFile) -> None:
    write("a.yaml", location("a", "  vars:\n    zip: '02134'\n"))
    assert errors(["a.yaml"]) == [
        "a.yaml:7:5: spec.vars.zip: variable 'zip' is not used: no template and no value of this location refers "
        "to {{ vars.zip }}"
    ]


def test_vars_that_are_used_are_not_reported(write: WriteFile) -> None:
    write("a.yaml", location("a", "  vars: {zip: '02134'}\n  tags: ['zip-{{ vars.zip }}']\n"))
    (loaded,) = load_manifests(["a.yaml"], ENV, offline=True).loaded
    assert [t.name for t in loaded.desired.of("tags")] == ["zip-02134"]
