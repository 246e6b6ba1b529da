"""Fields GHL's list answers never return (issue 13, section 7) against the sandbox: a product's seo converges, is
reported once per run, and goes along with an update of another field; manifest values GHL would refuse or store
otherwise (a recurring price without its interval, NaN, negative amounts, names with spaces at either end) are
one validation line each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import Cli

LOCATION = "seoLocation000000001"

MANIFEST = f"""apiVersion: ghlops/v1
kind: Location
metadata:
  name: seo-here
spec:
  locationId: {LOCATION}
  products:
    - name: Whitening Kit
      productType: PHYSICAL
      description: At-home kit
      seo: {{title: Whitening, description: Bright smiles}}
      prices:
        - {{name: Standard, type: one_time, amount: 99, currency: USD, sku: WK-1}}
"""

NOTE_SEO = "note: GHL doesn't return seo for products: drift on it can't be seen"
NOTE_SKU = "note: GHL doesn't return sku for prices: drift on it can't be seen"


def _forget(cli: Cli, kind: str, keys: tuple[str, ...]) -> None:
    """Make the sandbox answer like GHL's lists: the stored objects lose the keys GHL never returns."""
    for obj in cli.sb.store.find(kind, owner=None):
        data: dict[str, Any] = {k: v for k, v in obj.items() if k not in keys}
        cli.sb.store.replace(kind, obj["_id"], data)


def test_a_field_ghl_never_returns_converges_is_noted_once_and_goes_along_with_other_updates(
    cli: Cli, tmp_path: Path
) -> None:
    cli.sb.store.create_location(LOCATION, "seo-here", cli.sb.company_id)
    path = tmp_path / "seo.yaml"
    path.write_text(MANIFEST)
    applied = cli("apply", str(path), "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr
    (created,) = [r for r in cli.sb.requests if r.method == "POST" and r.path == "/products/"]
    assert created.json["seo"] == {"title": "Whitening", "description": "Bright smiles"}
    _forget(cli, "product", ("seo",))
    _forget(cli, "price", ("sku",))

    planned = cli("plan", str(path), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert [line for line in planned.stderr.splitlines() if line.startswith("note: ")] == [NOTE_SEO, NOTE_SKU]

    # Another field changes: the update carries seo too, since GHL's PUT replaces the whole product.
    path.write_text(MANIFEST.replace("At-home kit", "At-home whitening kit"))
    cli.sb.clear_requests()
    applied = cli("apply", str(path), "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr
    (put,) = [r for r in cli.sb.requests if r.method == "PUT" and r.path.startswith("/products/")]
    assert put.json["description"] == "At-home whitening kit"
    assert put.json["seo"] == {"title": "Whitening", "description": "Bright smiles"}
    _forget(cli, "product", ("seo",))
    assert cli("plan", str(path), "--detailed-exitcode").exit_code == 0


def _validate(cli: Cli, tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = cli("validate", str(path))
    return result.exit_code, result.stderr


def test_values_ghl_would_refuse_or_store_otherwise_are_one_validation_line_each(cli: Cli, tmp_path: Path) -> None:
    head = MANIFEST.split("  products:\n")[0]
    cases = [
        (
            "  products:\n    - name: Kit\n      productType: SERVICE\n      prices:\n"
            "        - {name: Monthly, type: recurring, amount: 10, currency: USD}\n",
            "bad.yaml:11:11: spec.products[0].prices[0]: a recurring price needs 'recurring' (interval and "
            "intervalCount)",
        ),
        (
            "  products:\n    - name: Kit\n      productType: SERVICE\n      prices:\n"
            "        - {name: Std, type: one_time, amount: -5, currency: USD}\n",
            "spec.products[0].prices[0].amount",
        ),
        ("  tags: [' vip']\n", "' vip' has spaces at its start or end: remove them"),
        ("  links:\n    - {name: 'Book ', redirectTo: 'https://example.com'}\n", "spec.links[0].name"),
    ]
    for section, expected in cases:
        code, stderr = _validate(cli, tmp_path, head + section)
        assert code == 1, section
        assert expected in stderr, stderr
        assert "Traceback" not in stderr
