"""`ghlops pull` against the sandbox over real HTTP: seed, edit live, pull, and plan shows no changes."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ghlops.commands.plan import plan_command
from ghlops.commands.pull import pull_command
from ghlops.output import Io
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import sandbox_env, seed
from ghlops.workflow import Settings
from tests.commands.conftest import EXAMPLES

DENTAL = "ve9EPM428h8vShlRW1KT"


@dataclass
class Captured:
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)

    def io(self) -> Io:
        return Io(out=self.out.append, err=self.err.append)


def settings(sb: Sandbox) -> Settings:
    return Settings(env=sandbox_env(sb), rate_limit=False, parallelism=2)


def ghl(sb: Sandbox, location_id: str) -> httpx.Client:
    """An HTTP client for editing live state as a user in GHL's UI would (the location's own token)."""
    headers = {"Authorization": f"Bearer {sb.token_for(location_id)}", "Version": "2021-07-28"}
    return httpx.Client(base_url=sb.url, headers=headers)


def find(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(item for item in items if item["name"] == name)


def pull(sb: Sandbox, paths: list[Path], *flags: str, locations: tuple[str, ...] = ()) -> tuple[int, Captured]:
    captured = Captured()
    code = pull_command(
        paths,
        locations=locations,
        check="--check" in flags,
        diff="--diff" in flags,
        settings=settings(sb),
        io=captured.io(),
    )
    return code, captured


def plan_text(sb: Sandbox, paths: list[Path]) -> str:
    captured = Captured()
    assert plan_command(paths, locations=[], detailed_exitcode=False, settings=settings(sb), io=captured.io()) == 0
    return "\n".join(captured.out)


HAND_WRITTEN = {
    "options: [1-10, 11-50, 51+]": 'options: ["1-10", "11-50", "51+"]',
    "value: Mon-Fri 9am-5pm": 'value: "Mon-Fri 9am-5pm"',
    "recurring:\n            interval: month\n            intervalCount: 1\n": (
        "recurring: {interval: month, intervalCount: 1}\n"
    ),
}


@pytest.fixture
def seeded(sandbox: Sandbox, tmp_path: Path) -> Path:
    seed(sandbox, [EXAMPLES])
    for manifest in EXAMPLES.glob("*.yaml"):
        shutil.copy(manifest, tmp_path / manifest.name)
    # The examples are in fmt's canonical form; the dental clinic is restyled as a person might write it, with
    # quotes and a flow mapping that pull must keep.
    dental = tmp_path / "downtown-dental.yaml"
    text = dental.read_text()
    for canonical, styled in HAND_WRITTEN.items():
        assert canonical in text
        text = text.replace(canonical, styled)
    dental.write_text(text)
    return tmp_path


def edit_dental_live(sb: Sandbox) -> None:
    with ghl(sb, DENTAL) as client:
        values = client.get(f"/locations/{DENTAL}/customValues").json()["customValues"]
        hours = find(values, "business_hours")
        client.put(
            f"/locations/{DENTAL}/customValues/{hours['id']}", json={"name": hours["name"], "value": "Mon-Sat 8am-6pm"}
        ).raise_for_status()
        calendars = client.get("/calendars/", params={"locationId": DENTAL}).json()["calendars"]
        sales = find(calendars, "Sales Consultation")
        client.put(f"/calendars/{sales['id']}", json={"slotDuration": 60}).raise_for_status()
        fields = client.get(f"/locations/{DENTAL}/customFields", params={"model": "all"}).json()["customFields"]
        insurance = find(fields, "Insurance Provider")
        client.put(
            f"/locations/{DENTAL}/customFields/{insurance['id']}",
            json={"name": "Insurance Provider", "placeholder": "Which insurer?"},
        ).raise_for_status()
        client.post(f"/locations/{DENTAL}/tags", json={"name": "walk-in"}).raise_for_status()


def test_pull_writes_live_values_and_plan_then_shows_no_changes(sandbox: Sandbox, seeded: Path) -> None:
    dental = seeded / "downtown-dental.yaml"
    before = dental.read_text()
    edit_dental_live(sandbox)
    assert "~ custom value business_hours" in plan_text(sandbox, [seeded])
    code, captured = pull(sandbox, [seeded])
    assert code == 0
    after = dental.read_text()
    expected = (
        before.replace('value: "Mon-Fri 9am-5pm"', 'value: "Mon-Sat 8am-6pm"')
        .replace("slotDuration: 30", "slotDuration: 60")
        .replace("placeholder: e.g. Delta Dental", "placeholder: Which insurer?")
    )
    assert after == expected  # comments, order, quoting and everything else byte for byte
    assert (seeded / "uptown-ortho.yaml").read_text() == (EXAMPLES / "uptown-ortho.yaml").read_text()
    assert "No changes." in plan_text(sandbox, [seeded])
    assert "downtown-dental: 1 unmanaged tag in GHL not pulled; ghlops export writes them" in captured.out
    assert captured.out[-1] == "Pulled 3 values into 1 file."
    assert any(line.startswith("downtown-dental: custom value 'business_hours': value: ") for line in captured.out)


def test_check_exits_1_and_writes_nothing_and_diff_prints_the_patch(sandbox: Sandbox, seeded: Path) -> None:
    dental = seeded / "downtown-dental.yaml"
    before = dental.read_text()
    edit_dental_live(sandbox)
    code, captured = pull(sandbox, [seeded], "--check")
    assert code == 1
    assert dental.read_text() == before
    assert captured.out[-1] == f"Pull would write 3 values into 1 file: {dental}"
    code, captured = pull(sandbox, [seeded], "--diff")
    assert code == 0 and dental.read_text() == before
    patch = "\n".join(captured.out)
    assert f"--- a/{dental}" in patch
    assert '-      value: "Mon-Fri 9am-5pm"\n+      value: "Mon-Sat 8am-6pm"' in patch
    assert captured.err[-1].startswith("Pull would write 3 values")


def test_nothing_to_pull_says_so_and_check_passes(sandbox: Sandbox, seeded: Path) -> None:
    code, captured = pull(sandbox, [seeded], "--check")
    assert code == 0
    assert captured.out == ["No changes: the manifests hold the live value of every field they manage."]


TEMPLATE = """\
apiVersion: ghlops/v1
kind: Template
metadata: {name: dental-base}
spec:
  customValues:
    - {name: business_hours, value: "Mon-Fri 9am-5pm"}
"""

LOCATION = """\
# the clinic
apiVersion: ghlops/v1
kind: Location
metadata:
  name: downtown-dental
spec:
  locationId: ve9EPM428h8vShlRW1KT
  templates: [dental-base]
  vars: {phone: "+1 555 0100"}
  customValues:
    - name: front_desk_phone
      value: "{{ vars.phone }}"   # from vars
    - name: api_key
      value: ${CLINIC_KEY}
  tags: [vip, new-lead, recall-due]
"""


def test_template_vars_and_env_values_are_left_alone_and_reported(sandbox: Sandbox, tmp_path: Path) -> None:
    seed(sandbox, [EXAMPLES])
    (tmp_path / "base.yaml").write_text(TEMPLATE)
    (tmp_path / "dental.yaml").write_text(LOCATION)
    with ghl(sandbox, DENTAL) as client:
        client.post(f"/locations/{DENTAL}/customValues", json={"name": "api_key", "value": "k-1"}).raise_for_status()
        for item in client.get(f"/locations/{DENTAL}/customValues").json()["customValues"]:
            client.put(
                f"/locations/{DENTAL}/customValues/{item['id']}", json={"name": item["name"], "value": "changed"}
            )
    captured = Captured()
    env = {**sandbox_env(sandbox), "CLINIC_KEY": "k-1"}
    code = pull_command(
        [tmp_path],
        locations=[],
        check=False,
        diff=False,
        settings=Settings(env=env, rate_limit=False),
        io=captured.io(),
    )
    assert code == 0
    assert (tmp_path / "dental.yaml").read_text() == LOCATION
    assert (tmp_path / "base.yaml").read_text() == TEMPLATE
    notes = [line for line in captured.out if line.startswith("note: ")]
    assert (
        "note: downtown-dental: custom value 'business_hours': value: value comes from template dental-base; "
        'change it there or override here (live: "changed")'
    ) in notes
    assert any("'front_desk_phone': value: value comes from a {{ vars }} reference" in n for n in notes)
    assert any("'api_key': value: value comes from ${ENV} interpolation" in n for n in notes)
    assert "k-1" not in "\n".join(captured.out + captured.err)
    assert not any("api_key" in n and "changed" in n for n in notes)  # an env value's live value is not shown


def test_entries_gone_live_are_reported_and_kept(sandbox: Sandbox, seeded: Path) -> None:
    dental = seeded / "downtown-dental.yaml"
    dental.write_text(
        dental.read_text().replace("tags: [vip, new-lead, recall-due]", "tags: [vip, new-lead, recall-due, lapsed]")
    )
    before = dental.read_text()
    code, captured = pull(sandbox, [seeded], locations=("downtown-dental",))
    assert code == 0 and dental.read_text() == before
    assert (
        "note: downtown-dental: tag 'lapsed': in the manifest but not in GHL; left in the file "
        "(apply creates it, or remove it)"
    ) in captured.out


def test_nested_lists_flow_mappings_prices_and_users_pull_to_a_clean_plan(sandbox: Sandbox, seeded: Path) -> None:
    dental = seeded / "downtown-dental.yaml"
    before = dental.read_text()
    with ghl(sandbox, DENTAL) as client:
        fields = client.get(f"/locations/{DENTAL}/customFields", params={"model": "all"}).json()["customFields"]
        size = find(fields, "Company Size")
        client.put(
            f"/locations/{DENTAL}/customFields/{size['id']}",
            json={"name": "Company Size", "options": ["1-10", "11-50", "51-200", "201+"]},
        ).raise_for_status()
        calendars = client.get("/calendars/", params={"locationId": DENTAL}).json()["calendars"]
        sales = find(calendars, "Sales Consultation")
        team = [{**m, "priority": 1 if m["priority"] != 1 else 0.5} for m in sales["teamMembers"]]
        client.put(f"/calendars/{sales['id']}", json={"teamMembers": team}).raise_for_status()
        products = client.get("/products/", params={"locationId": DENTAL}).json()["products"]
        premium = find(products, "Premium Package")
        prices = client.get(f"/products/{premium['_id']}/price", params={"locationId": DENTAL}).json()["prices"]
        monthly = find(prices, "Monthly")
        body = {k: monthly[k] for k in ("name", "type", "currency")}
        body |= {"locationId": DENTAL, "amount": 250, "recurring": {"interval": "month", "intervalCount": 3}}
        client.put(f"/products/{premium['_id']}/price/{monthly['_id']}", json=body).raise_for_status()
    agency = {"Authorization": f"Bearer {sandbox.agency_token}", "Version": "2021-07-28"}
    with httpx.Client(base_url=sandbox.url, headers=agency) as client:
        users = client.get("/users/search", params={"companyId": sandbox.company_id}).json()["users"]
        omar = next(u for u in users if u["email"] == "omar@example.com")
        client.put(f"/users/{omar['id']}", json={"firstName": "Omari"}).raise_for_status()
    code, captured = pull(sandbox, [seeded])
    assert code == 0, captured.out
    after = dental.read_text()
    assert 'options: ["1-10", "11-50", "51-200", "201+"]' in after  # a flow list stays flow, items keep quotes
    assert "recurring: {interval: month, intervalCount: 3}" in after  # a flow mapping is edited key by key
    assert "amount: 250\n" in after
    assert "firstName: Omari\n" in after
    assert "        - user: jane@example.com\n          priority: 0.5\n" in after
    assert after.splitlines()[0] == before.splitlines()[0]  # the top comment
    assert "No changes." in plan_text(sandbox, [seeded])
    assert "downtown-dental: price 'Premium Package/Monthly': amount: 200 -> 250 (" in "\n".join(captured.out)


STYLED = """\
apiVersion: ghlops/v1
kind: Location
metadata: {name: downtown-dental}
spec:
  locationId: ve9EPM428h8vShlRW1KT
  customFields:
    - name: Company Size
      dataType: SINGLE_OPTIONS
      options:            # sizes we sell to
        - "1-10"
        - "11-50"
        - "51+"
  customValues:
    - {name: business_hours,   # a flow entry over two lines
       value: Mon-Fri}
    - name: front_desk_phone
      value: |
        call us
        any time
"""


def test_styles_survive_a_pull_flow_entries_quotes_blocks_and_values_yaml_would_misread(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    seed(sandbox, [EXAMPLES])
    manifest = tmp_path / "dental.yaml"
    manifest.write_text(STYLED)
    with ghl(sandbox, DENTAL) as client:
        values = client.get(f"/locations/{DENTAL}/customValues").json()["customValues"]
        for name, value in (("business_hours", "Mon, Tue {am}"), ("front_desk_phone", "line one\nline two: here\n")):
            item = find(values, name)
            client.put(f"/locations/{DENTAL}/customValues/{item['id']}", json={"name": name, "value": value})
        fields = client.get(f"/locations/{DENTAL}/customFields", params={"model": "all"}).json()["customFields"]
        size = find(fields, "Company Size")
        client.put(
            f"/locations/{DENTAL}/customFields/{size['id']}", json={"name": "Company Size", "options": ["1-10", "a: b"]}
        ).raise_for_status()
    code, captured = pull(sandbox, [tmp_path])
    assert code == 0, captured.out
    assert manifest.read_text() == (
        STYLED.replace("value: Mon-Fri}", 'value: "Mon, Tue {am}"}')
        .replace("        call us\n        any time\n", "        line one\n        line two: here\n")
        .replace('options:            # sizes we sell to\n        - "1-10"\n        - "11-50"\n        - "51+"\n',
                 'options:            # sizes we sell to\n        - "1-10"\n        - "a: b"\n')
    )  # fmt: skip
    assert "No changes." in plan_text(sandbox, [tmp_path])
