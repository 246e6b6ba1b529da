"""validation.py builds its messages from pydantic's structured error data and the JSON schema, not from
pydantic's English wording, so a pydantic upgrade can't quietly change them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ghlops.manifest import validation
from ghlops.manifest.model import LocationDocument
from ghlops.manifest.yaml_io import load_text


class Cat(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["cat"]
    lives: int = 9


class Dog(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["dog"]
    name: str

    @field_validator("name")
    @classmethod
    def no_spaces(cls, value: str) -> str:
        if " " in value:
            raise ValueError("a dog's name has no spaces")
        return value


class Home(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pets: list[Annotated[Cat | Dog, Field(discriminator="type")]]


def messages(text: str) -> list[str]:
    (doc,), errors = load_text(text, "m.yaml")
    assert errors == []
    _, problems = validation.validate(Home, doc.data)
    return [str(p) for p in problems]


def test_a_validator_s_value_error_is_its_own_message_without_pydantic_s_prefix() -> None:
    assert messages("pets:\n  - {type: dog, name: Rex Two}\n") == [
        "m.yaml:2:23: pets[0].name: a dog's name has no spaces"
    ]


def test_an_unknown_discriminator_lists_the_tags_from_the_union_members() -> None:
    assert messages("pets:\n  - {type: cta}\n") == [
        "m.yaml:2:12: pets[0].type: 'cta' is not one of cat, dog (did you mean 'cat'?)"
    ]


def test_the_json_schema_gives_the_allowed_values_at_a_path() -> None:
    assert validation._schema_values(Home, ("pets", 0, "type")) == ["cat", "dog"]
    assert validation._schema_values(LocationDocument, ("kind",)) == ["Location"]
    assert validation._schema_values(Home, ("pets", 0, "lives")) == []


def test_pydantic_is_pinned_to_the_minor_range_the_messages_are_tested_with() -> None:
    import tomllib
    from pathlib import Path

    import pydantic

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [d for d in project["project"]["dependencies"] if d.startswith("pydantic")]
    major, minor = pydantic.VERSION.split(".")[:2]
    assert pins == [f"pydantic>={major}.{minor},<{major}.{int(minor) + 1}"]
