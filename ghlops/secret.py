"""Secrets that cannot leak by accident: repr, str and format all print a mask."""

from __future__ import annotations

from typing import NoReturn

MASK = "***"


class Secret:
    """A token or password. Call :meth:`reveal` only where the raw value must go on the wire."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> NoReturn:
        raise TypeError("Secret values are not serialisable")


def redact(text: str, secrets: list[Secret] | tuple[Secret, ...]) -> str:
    """Mask every secret's raw value in text (last line of defence for messages echoed from servers)."""
    for s in secrets:
        raw = s.reveal()
        if raw:
            text = text.replace(raw, MASK)
    return text
