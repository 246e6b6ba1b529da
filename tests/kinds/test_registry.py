"""The registry: the one list of kinds, and what it derives for the rest of ghlops."""

from __future__ import annotations

import pytest

from ghlops.kinds import registry
from ghlops.kinds.products import Price, Product
from ghlops.manifest.model import SECTIONS, SPEC_ORDER, LocationSpec, TemplateSpec


def test_sections_follow_the_dependency_order_and_documents_their_own_order() -> None:
    assert registry.section_names() == (
        "users", "tags", "customFields", "customValues", "products", "calendarGroups", "calendars", "links",
        "profile",
    )  # fmt: skip
    assert registry.document_order() == (
        "profile", "customFields", "customValues", "tags", "users", "calendarGroups", "calendars", "products", "links"
    )  # fmt: skip
    assert (registry.section_names(), registry.document_order()) == (SECTIONS, SPEC_ORDER)


def test_prune_accepts_every_section_and_children_follow_their_parent() -> None:
    # The location profile is a singleton: only ever updated, so there is nothing to prune.
    assert registry.prunable() == tuple(s for s in registry.section_names() if s != "profile")
    assert registry.section_of(registry.BY_NAME["prices"]) == "products"
    assert [k.name for k in registry.children("products")] == ["prices"]
    assert registry.section_of(registry.BY_NAME["calendarNotifications"]) == "calendars"
    assert [k.name for k in registry.children("calendars")] == ["calendarNotifications"]


def test_the_spec_models_have_one_field_per_section_typed_by_the_kind() -> None:
    for name in registry.section_names():
        assert name in LocationSpec.model_fields and name in TemplateSpec.model_fields
    assert "prices" not in LocationSpec.model_fields
    assert LocationSpec.model_fields["users"].description == "Users who belong to this location."
    assert TemplateSpec.model_fields["users"].description == "Users who belong to every location using this."


def test_kinds_help_lists_the_sections_for_the_cli() -> None:
    assert registry.kinds_help() == (
        "comma-separated sections: profile, customFields, customValues, tags, users, calendarGroups, calendars, "
        "products, links"
    )


def test_flatten_lists_children_each_knowing_its_parent() -> None:
    price = Price(name="Std", type="one_time", amount=1, currency="USD")
    flat = registry.flatten("products", [Product(name="Kit", productType="SERVICE", prices=[price])])
    assert [p.name for p in flat["products"]] == ["Kit"]
    assert [(p.product_name, p.name) for p in flat["prices"]] == [("Kit", "Std")]


def test_a_kind_referencing_an_unregistered_kind_is_refused_when_loading() -> None:
    with pytest.raises(ValueError, match="kind 'snippets' references 'calendars', which no registered kind is"):
        registry.load(("tests.kinds.throwaway_kind",))


def test_two_kinds_with_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="a kind named 'tags' is already registered"):
        registry.load(("ghlops.kinds.tags", "ghlops.kinds.tags"))
