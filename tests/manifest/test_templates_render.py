"""`ghlops render`: the merged location as YAML that validates to the same desired state."""

from __future__ import annotations

from click.testing import CliRunner

from ghlops.cli import main
from ghlops.manifest.loader import load_manifests
from tests.manifest.conftest import WriteFile

TEMPLATES = """\
apiVersion: ghlops/v1
kind: Template
metadata: {name: dental-base}
spec:
  vars: {city: Springfield}
  customFields:
    - name: Insurance Provider
      dataType: TEXT
      placeholder: e.g. Delta Dental
    - {name: Legacy Notes, dataType: LARGE_TEXT, protect: true}
  customValues:
    - {name: api_key, value: "${API_KEY}"}
    - {name: city, value: "{{ vars.city }}"}
  tags: [vip, new-lead]
---
apiVersion: ghlops/v1
kind: Template
metadata: {name: us-east}
spec:
  vars: {city: Boston}
  tags:
    - {name: VIP, protect: true}
"""

LOCATION = """\
apiVersion: ghlops/v1
kind: Location
metadata:
  name: downtown
spec:
  locationId: L1
  templates: [dental-base, us-east]
  vars: {city: Cambridge}
  prune: [customFields]
  customFields:
    - {name: insurance provider, placeholder: Which insurer?}
    - {name: Legacy Notes, remove: true}
  tags: [extra]
"""

RENDERED = """\
# Location downtown as ghlops plans it: rendered from loc.yaml:1:1
# with templates dental-base (templates.yaml:1:1), us-east (templates.yaml:16:1) merged in, and its vars substituted.
# Protected (removed from a template, never deleted by prune): custom field contact/legacy notes
apiVersion: ghlops/v1
kind: Location
metadata:
  name: downtown
spec:
  locationId: L1
  prune: [customFields]
  customFields:
    - name: insurance provider
      dataType: TEXT
      placeholder: Which insurer?
  customValues:
    - name: api_key
      value: ${API_KEY}
    - name: city
      value: Cambridge
  tags:
    - name: VIP
      protect: true
    - new-lead
    - extra
"""


def render(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["render", *args], env=env or {}, catch_exceptions=False)
    return result.exit_code, result.output


def test_render_prints_the_merged_location_with_vars_substituted_and_env_references_kept(write: WriteFile) -> None:
    write("templates.yaml", TEMPLATES)
    write("loc.yaml", LOCATION)
    assert render("templates.yaml", "loc.yaml", "--location", "downtown") == (0, RENDERED)


def test_the_rendered_manifest_validates_to_the_same_desired_state(write: WriteFile) -> None:
    write("templates.yaml", TEMPLATES)
    write("loc.yaml", LOCATION)
    env = {"GHL_TOKEN": "t", "API_KEY": "k"}
    (original,) = load_manifests(["templates.yaml", "loc.yaml"], env).locations
    write("rendered/loc.yaml", RENDERED)
    (rendered,) = load_manifests(["rendered/loc.yaml"], env).locations
    assert rendered.entries == original.entries
    assert original.protected == {"customFields": frozenset({"contact/legacy notes"})}
    assert rendered.protected == {}  # only a template removal can express it: the comment says so


def test_render_reports_problems_like_validate_and_an_unknown_location_with_a_suggestion(write: WriteFile) -> None:
    write("templates.yaml", TEMPLATES.replace("dataType: TEXT", "dataType: TXT"))
    write("loc.yaml", LOCATION)
    code, output = render("templates.yaml", "loc.yaml", "--location", "downtown")
    assert code == 1
    assert output.splitlines()[0].startswith(
        "error: templates.yaml:8:17: spec.customFields[0].dataType: 'TXT' is not one of TEXT,"
    )
    assert output.splitlines()[0].endswith("(did you mean 'TEXT'?) (in location downtown)")
    assert render("templates.yaml", "loc.yaml", "--location", "dowtown") == (
        1,
        "error: --location 'dowtown' matches no Location document (did you mean 'downtown'?) (known: downtown)\n",
    )
