"""Request validation the way GHL's NestJS services do it (class-validator, whitelist + forbidNonWhitelisted).

DTOs are pydantic models with ``extra="forbid"`` and strict types; this module turns pydantic's errors into
class-validator's one-line messages ("property foo should not exist", "name must be a string") and raises them
as a 422. Optional properties accept ``null`` because class-validator's ``@IsOptional`` skips null values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from ghlops.sandbox.replies import unprocessable

_NUMBER = "must be a number conforming to the specified constraints"
_TYPE_MESSAGES = {
    "string_type": "must be a string",
    "bool_type": "must be a boolean value",
    "int_type": _NUMBER,
    "float_type": _NUMBER,
    "list_type": "must be an array",
    "dict_type": "must be an object",
}
_NESTED_TYPES = {"model_type", "model_attributes_type"}
# Custom errors raised by the validators below carry a ready class-validator message fragment.
_CUSTOM_PREFIX = "ghl_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Dto(BaseModel):
    """Base of every request body: unknown properties are rejected, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True)

    def sent(self) -> dict[str, Any]:
        """The properties the client sent, as JSON names, nulls included (null means "clear")."""
        return self.model_dump(exclude_unset=True, by_alias=True)


M = TypeVar("M", bound=Dto)


def parse(model: type[M], body: Any) -> M:
    """Validate a JSON body against a DTO, or raise the 422 GHL would answer."""
    if not isinstance(body, dict):
        raise unprocessable(["request body must be an object"])
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise unprocessable(_messages(exc.errors())) from None


def _messages(errors: Iterable[ErrorDetails]) -> list[str]:
    seen: list[str] = []
    for err in errors:
        message = _message(err)
        if message not in seen:
            seen.append(message)
    return seen


def _message(err: ErrorDetails) -> str:
    loc = err["loc"]
    path = ".".join(str(part) for part in loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"property {path} should not exist"
    if kind == "missing":
        return f"{path} should not be empty"
    if kind in _NESTED_TYPES:
        return f"nested property {path} must be either object or array"
    fragment = _TYPE_MESSAGES.get(kind)
    if fragment is None:
        fragment = err["msg"] if kind.startswith(_CUSTOM_PREFIX) else f"is invalid ({err['msg']})"
    if loc and isinstance(loc[-1], int):
        parent = ".".join(str(part) for part in loc[:-1])
        return f"each value in {parent} {fragment}"
    return f"{path} {fragment}"


# -- validators for Annotated types --------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    # JSON has one number type; bool is an int in Python but not a number in JavaScript.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any) -> float:
    if not _is_number(value):
        raise PydanticCustomError("ghl_number", _NUMBER)
    # Returned unchanged so an integer is echoed back as 30, not 30.0.
    return value  # type: ignore[no-any-return]


def bounded(minimum: float | None = None, maximum: float | None = None) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        number = _number(value)
        if minimum is not None and number < minimum:
            raise PydanticCustomError("ghl_min", f"must not be less than {minimum:g}")
        if maximum is not None and number > maximum:
            raise PydanticCustomError("ghl_max", f"must not be greater than {maximum:g}")
        return number

    return check


def one_of(*allowed: str) -> Callable[[Any], str]:
    listing = ", ".join(allowed)

    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise PydanticCustomError("ghl_enum", f"must be one of the following values: {listing}")
        return value

    return check


def number_one_of(*allowed: float) -> Callable[[Any], float]:
    listing = ", ".join(f"{a:g}" for a in allowed)

    def check(value: Any) -> float:
        if not _is_number(value) or value not in allowed:
            raise PydanticCustomError("ghl_enum", f"must be one of the following values: {listing}")
        return value  # type: ignore[no-any-return]

    return check


def _non_empty_string(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("ghl_string", "must be a string")
    if not value.strip():
        raise PydanticCustomError("ghl_empty", "should not be empty")
    return value


def _email(value: Any) -> str:
    text = _non_empty_string(value)
    if not _EMAIL.match(text):
        raise PydanticCustomError("ghl_email", "must be an email")
    return text


Number = Annotated[float, PlainValidator(_number)]
Name = Annotated[str, PlainValidator(_non_empty_string)]
Email = Annotated[str, PlainValidator(_email)]


def compact(value: Any) -> Any:
    """A JSON value without null members: GHL stores nothing for an absent optional property."""
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value
