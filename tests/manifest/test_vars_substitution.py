"""Variables: `{{ vars.NAME }}` in any string, location vars over template vars, errors at the string."""

from __future__ import annotations

import pytest

from ghlops.errors import ManifestErrors
from ghlops.manifest.loader import load_manifests
from ghlops.manifest.templates import expand
from tests.manifest.conftest import WriteFile

ENV = {"GHL_TOKEN": "t"}

TEMPLATE = """\
apiVersion: ghlops/v1
kind: Template
metadata: {name: base}
spec:
  vars:
    city: Springfield
    slots: 45
    phone: "+1 555 0100"
  customValues:
    - {name: city, value: "{{ vars.city }}"}
    - {name: greeting, value: "Welcome to {{vars.city}}, call {{ vars.phone }}"}
  calendars:
    - name: Consult in {{ vars.city }}
      slotDuration: "{{ vars.slots }}"
      eventTitle: "{{contact.name}} / {{ custom_values.city }}"
"""

SECOND = """\
apiVersion: ghlops/v1
kind: Template
metadata: {name: second}
spec:
  vars: {phone: "+1 555 0199", slots: 20}
"""


def location(vars_block: str = "", body: str = "", templates: str = "[base]") -> str:
    return (
        "apiVersion: ghlops/v1\nkind: Location\nmetadata: {name: downtown}\nspec:\n  locationId: L1\n"
        f"  templates: {templates}\n{vars_block}{body}"
    )


def errors(paths: list[str]) -> list[str]:
    with pytest.raises(ManifestErrors) as caught:
        load_manifests(paths, ENV)
    return [str(e) for e in caught.value.errors]


def test_template_strings_take_the_location_vars_over_the_templates(write: WriteFile) -> None:
    write("t.yaml", TEMPLATE + "---\n" + SECOND)
    write("loc.yaml", location("  vars: {city: Shelbyville}\n", templates="[base, second]"))
    (desired,) = load_manifests(["t.yaml", "loc.yaml"], ENV).locations
    assert [(v.name, v.value) for v in desired.of("customValues")] == [
        ("city", "Shelbyville"),
        ("greeting", "Welcome to Shelbyville, call +1 555 0199"),
    ]
    (calendar,) = desired.of("calendars")
    assert calendar.name == "Consult in Shelbyville"
    assert calendar.slotDuration == 20  # the text "20" validates as the number the field wants
    assert calendar.eventTitle == "{{contact.name}} / {{ custom_values.city }}"  # GHL's own merge fields stay


def test_the_locations_own_strings_use_vars_too(write: WriteFile) -> None:
    write("t.yaml", TEMPLATE)
    body = "  tags: ['{{ vars.city }}-lead', '{{ vars.flag }}']\n"
    write("loc.yaml", location("  vars:\n    flag: true\n", body))
    (desired,) = load_manifests(["t.yaml", "loc.yaml"], ENV).locations
    assert [t.name for t in desired.of("tags")] == ["Springfield-lead", "true"]  # vars are text


def test_an_undefined_variable_points_at_the_string_that_uses_it(write: WriteFile) -> None:
    write("t.yaml", TEMPLATE.replace("{{ vars.phone }}", "{{ vars.phnoe }}"))
    write("loc.yaml", location(body="  customValues:\n    - {name: own, value: 'at {{ vars.zip }}'}\n"))
    assert errors(["t.yaml", "loc.yaml"]) == [
        "loc.yaml:8:26: spec.customValues[0].value: undefined variable vars.zip",
        "t.yaml:11:31: spec.customValues[1].value: undefined variable vars.phnoe (did you mean 'vars.phone'?) "
        "(in location downtown)",
    ]


def test_without_any_vars_the_error_says_so(write: WriteFile) -> None:
    write("loc.yaml", location(body="  tags: ['{{ vars.city }}']\n", templates="[]"))
    assert errors(["loc.yaml"]) == [
        "loc.yaml:7:10: spec.tags[0]: undefined variable vars.city (no vars are defined for this location)"
    ]


def test_malformed_references_are_errors(write: WriteFile) -> None:
    write("loc.yaml", location("  vars: {a: 1}\n", "  tags: ['{{ vars.1a }}', '{{ vars.a ']\n", templates="[]"))
    assert errors(["loc.yaml"]) == [
        "loc.yaml:8:10: spec.tags[0]: invalid variable reference '{{ vars.1a }}': names are letters, digits and "
        "'_' and do not start with a digit",
        "loc.yaml:8:27: spec.tags[1]: unclosed variable reference '{{ vars.a ' (missing '}}')",
    ]


def test_vars_must_be_named_scalars(write: WriteFile) -> None:
    write("loc.yaml", location("  vars:\n    city: [a]\n    bad-name: x\n", templates="[]"))
    problems = errors(["loc.yaml"])
    assert problems[0] == (
        "loc.yaml:8:11: spec.vars.city: expected true or false or an integer or a number or a string, got a list"
    )
    assert problems[1] == (
        "loc.yaml:9:15: spec.vars.bad-name: variable name 'bad-name': use letters, digits and '_', "
        "not starting with a digit"
    )
    assert len(problems) == 2


def test_expand_replaces_only_vars_references() -> None:
    assert expand("{{ vars.n }}", {"n": 3}) == ("3", [])
    assert expand("n={{vars.n}} ok={{ vars.ok }}", {"n": 3, "ok": False}) == ("n=3 ok=false", [])
    assert expand("{{ contact.first_name }}", {}) == ("{{ contact.first_name }}", [])
    assert expand("{{ vars.x }}", {}) == (
        "{{ vars.x }}",
        ["undefined variable vars.x (no vars are defined for this location)"],
    )
