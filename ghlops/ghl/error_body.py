"""Turn whatever GHL (or a proxy in front of it) sent with an error status into one readable line.

GHL's error bodies are not uniform. Seen in the wild::

    {"statusCode": 400, "message": "Invalid email"}
    {"status": 404, "message": "Calendar not found"}
    {"message": ["name should not be empty", "slug must be a string"], "error": "Unprocessable Entity"}
    {"error": "Unauthorized"}
    {"msg": "Version header was not found"}
    {"errors": [{"field": "email", "message": "already exists"}]}
    <html>...<title>502 Bad Gateway</title>...</html>          (load balancer / CDN pages)
    plain text, an empty body, or JSON cut off mid-string

:func:`message_from_response` never raises: anything it cannot read falls back to the HTTP reason phrase.
"""

from __future__ import annotations

import html
import json
import re
from http import HTTPStatus
from typing import Any

from ghlops.errors import join_messages, one_line

#: Longest message kept (GHL validation messages can be long lists; the error line must stay readable).
MESSAGE_LIMIT = 300

# Keys that carry the human message, most specific first. "error" is often only the reason phrase
# ("Unprocessable Entity"), so it loses to "message" when both are present.
_MESSAGE_KEYS = ("message", "msg", "error_description", "detail", "errors", "error", "title")
_FIELD_KEYS = ("field", "property", "param")

_TRUNCATED_MESSAGE = re.compile(r'"(?:message|msg|error)"\s*:\s*"((?:[^"\\]|\\.)*)("?)')
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def reason_phrase(status: int) -> str:
    """``Not Found`` for 404; ``HTTP 599`` for codes the stdlib does not know."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def message_from_response(status: int, content_type: str | None, body: bytes) -> str:
    """GHL's own error message from a response, as one line of at most :data:`MESSAGE_LIMIT` characters.

    Lists are joined with ``"; "``, HTML is reduced to its title (or text), whitespace is collapsed; when
    nothing usable is found the HTTP reason phrase (``"Not Found"``) is returned.
    """
    text = body.decode("utf-8", errors="replace").strip()
    found = _extract(text, (content_type or "").lower()) if text else ""
    found = one_line(found, MESSAGE_LIMIT)
    return found or reason_phrase(status)


def is_json_content_type(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def html_text(text: str) -> str:
    """The readable part of an HTML page: its <title>, else its first <h1>, else all text without tags."""
    text = _COMMENT.sub(" ", _SCRIPT_OR_STYLE.sub(" ", text))
    for pattern in (_TITLE, _H1):
        match = pattern.search(text)
        if match:
            inner = _clean_html_fragment(match.group(1))
            if inner:
                return inner
    return _clean_html_fragment(text)


def _clean_html_fragment(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def _looks_like_html(text: str, content_type: str) -> bool:
    if "html" in content_type:
        return True
    head = text[:200].lstrip().lower()
    return head.startswith(("<!doctype", "<html", "<head", "<body")) or (
        head.startswith("<") and "</" in text
    )


def _extract(text: str, content_type: str) -> str:
    if is_json_content_type(content_type) or text[0] in '{["':
        try:
            data = json.loads(text)
        except ValueError:
            return _from_truncated_json(text)
        return _from_json(data)
    if _looks_like_html(text, content_type):
        return html_text(text)
    return text


def _from_truncated_json(text: str) -> str:
    match = _TRUNCATED_MESSAGE.search(text)
    if not match:
        return ""
    raw, closed = match.group(1), match.group(2)
    try:
        message = str(json.loads(f'"{raw}"'))
    except ValueError:
        message = raw
    return message if closed else message + "…"


def _from_json(data: Any, depth: int = 0) -> str:
    if depth > 4:
        return ""
    if isinstance(data, str):
        return data
    if isinstance(data, list):
        return join_messages([m for m in (_from_json(item, depth + 1) for item in data) if m])
    if isinstance(data, dict):
        for key in _MESSAGE_KEYS:
            if key not in data:
                continue
            value = data[key]
            if isinstance(value, dict) and key == "errors":
                message = _from_field_map(value, depth)
            else:
                message = _from_json(value, depth + 1)
            if message:
                # Only items of an error list name their field; a top-level field is usually noise.
                return _with_field(data, message) if depth > 0 else message
        return ""
    return ""


def _from_field_map(errors: dict[str, Any], depth: int) -> str:
    """``{"errors": {"email": ["is invalid"], "name": "is required"}}`` → ``email: is invalid; name: ...``."""
    parts: list[str] = []
    for field, value in errors.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            message = _from_json(item, depth + 1)
            if message:
                parts.append(f"{field}: {message}")
    return join_messages(parts)


def _with_field(data: dict[str, Any], message: str) -> str:
    for key in _FIELD_KEYS:
        field = data.get(key)
        if isinstance(field, str) and field and not message.startswith(field):
            return f"{field}: {message}"
    return message
