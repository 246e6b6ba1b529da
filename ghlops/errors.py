"""The ghlops exception tree.

Every error a user can cause or meet derives from :class:`GhlopsError` and renders as one line that names
where and what. The CLI is the only place that catches them (one error boundary) and maps them to exit code 1.

    GhlopsError
    ├── ManifestError        one problem in a manifest, at file:line:col
    ├── ManifestErrors       every manifest problem found in a run, reported together
    ├── ConfigError          bad flags, missing tokens, unusable environment
    ├── PlanRefused          a plan that safety rules forbid applying
    └── ApiError             GHL answered with an error, or could not be reached
        ├── ApiResponseError GHL answered 2xx with a body ghlops cannot interpret
        ├── TransportError   no answer after retries (connection refused, timeouts, a deadline passed)
        └── AmbiguousWriteError  a write may or may not have happened (connection dropped mid-request)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class GhlopsError(Exception):
    """Base of every error ghlops raises on purpose."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class SourcePos:
    """A position in a manifest file; line and column are 1-based as editors show them."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class ManifestError(GhlopsError):
    """One problem in a manifest: ``file:line:col: path: message``.

    ``path`` is the key path in the document that wrote the value (``("spec", "tags", 0)``), kept as a tuple so
    the loader can translate it between merged and source documents; it is rendered only when shown.
    """

    def __init__(self, message: str, *, pos: SourcePos | None = None, path: tuple[str | int, ...] = ()) -> None:
        self.message = message
        self.pos = pos
        self.path = path
        super().__init__(message)

    def __str__(self) -> str:
        # Imported here: positions builds on this module (SourcePos, ManifestError), not the other way round.
        from ghlops.manifest.positions import render_path

        parts = []
        if self.pos is not None:
            parts.append(str(self.pos))
        if self.path:
            parts.append(render_path(self.path))
        parts.append(self.message)
        return ": ".join(parts)

    def sort_key(self) -> tuple[str, int, int, str]:
        if self.pos is None:
            return ("", 0, 0, self.message)
        return (self.pos.file, self.pos.line, self.pos.col, self.message)


class ManifestErrors(GhlopsError):
    """All manifest problems of a run; ``str()`` is one line per problem, sorted by position."""

    def __init__(self, errors: Iterable[ManifestError]) -> None:
        self.errors: list[ManifestError] = sorted(errors, key=lambda e: e.sort_key())
        super().__init__(str(self))

    #: The most problems printed; a run with more ends with a count, so 10,000 broken files don't flood a CI log.
    SHOWN = 200

    def __str__(self) -> str:
        lines = [str(e) for e in self.errors[: self.SHOWN]]
        hidden = len(self.errors) - self.SHOWN
        if hidden > 0:
            lines.append(f"... and {hidden} more problem{'s' if hidden != 1 else ''} (fix these and run again)")
        return "\n".join(lines)


class ConfigError(GhlopsError):
    """Bad flags, missing credentials or environment ghlops cannot use."""


class PlanRefused(GhlopsError):
    """The plan breaks a safety rule (protected object, mass delete, stale plan) and will not be applied."""


class ApiError(GhlopsError):
    """GHL refused a call. Carries the context needed to say which object in which location failed.

    ``message`` is GHL's own message (already reduced to one line); ``status`` is the HTTP status, or None when
    no response arrived.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        endpoint: str = "",
        location: str | None = None,
        kind: str | None = None,
        obj: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.endpoint = endpoint
        self.location = location
        self.kind = kind
        self.obj = obj
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.location:
            where.append(f"location {self.location}")
        if self.kind:
            subject = self.kind if not self.obj else f"{self.kind} {self.obj!r}"
            where.append(subject)
        call = f"{self.method} {self.endpoint}".strip()
        status = f"HTTP {self.status}" if self.status is not None else "no response"
        head = ": ".join(where)
        detail = f"{call} -> {status}: {self.message}" if call else f"{status}: {self.message}"
        return f"{head}: {detail}" if head else detail


class ApiResponseError(ApiError):
    """A 2xx answer whose body is not what the spec promises (HTML, truncated JSON, missing fields)."""


class TransportError(ApiError):
    """No usable answer after all retries (connection refused, DNS, repeated timeouts)."""


class AmbiguousWriteError(ApiError):
    """A non-idempotent write was sent but its outcome is unknown (timeout or reset after sending).

    Never resend blindly: re-read live state and match by natural key first.
    """


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace so a server message can never break the one-line error contract."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def join_messages(messages: Sequence[object]) -> str:
    return "; ".join(one_line(str(m)) for m in messages if str(m).strip())
