from __future__ import annotations

import pytest

from ghlops.ghl.error_body import message_from_response

JSON = "application/json; charset=utf-8"

NGINX_502 = """<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>"""

NO_TITLE_PAGE = """<!DOCTYPE html><html><head><style>body { color: red }</style>
<script>var secret = "x";</script></head>
<body><div>Service   temporarily
 unavailable &amp; down</div></body></html>"""


@pytest.mark.parametrize(
    ("status", "content_type", "body", "expected"),
    [
        (400, JSON, '{"statusCode":400,"message":"Invalid email"}', "Invalid email"),
        (404, JSON, '{"status":404,"message":"Calendar not found"}', "Calendar not found"),
        (
            422,
            JSON,
            '{"statusCode":422,"message":["name should not be empty","slug must be a string"],'
            '"error":"Unprocessable Entity"}',
            "name should not be empty; slug must be a string",
        ),
        (401, JSON, '{"error":"Unauthorized"}', "Unauthorized"),
        (401, JSON, '{"msg":"Version header was not found"}', "Version header was not found"),
        (
            400,
            JSON,
            '{"errors":[{"field":"email","message":"already exists"},{"message":"phone is invalid"}]}',
            "email: already exists; phone is invalid",
        ),
        (400, JSON, '{"errors":["a","b"]}', "a; b"),
        (
            400,
            JSON,
            '{"errors":{"name":["is required"],"slug":"is taken"}}',
            "name: is required; slug: is taken",
        ),
        (400, JSON, '{"error":{"message":"nested detail","code":17}}', "nested detail"),
        (400, JSON, '{"statusCode":400,"message":"line one\\n\\n   line two"}', "line one line two"),
        (400, JSON, '["first problem","second problem"]', "first problem; second problem"),
        (400, JSON, '"just a string"', "just a string"),
        (502, "text/html", NGINX_502, "502 Bad Gateway"),
        (503, "text/html; charset=utf-8", NO_TITLE_PAGE, "Service temporarily unavailable & down"),
        (503, None, "<html><body><h1>Down for maintenance</h1></body></html>", "Down for maintenance"),
        (500, "text/plain", "upstream connect error\nor disconnect", "upstream connect error or disconnect"),
        (422, JSON, '{"statusCode":422,"message":"Email is inva', "Email is inva…"),
        (422, JSON, '{"message":"Slug taken","statusCode":4', "Slug taken"),
        (500, JSON, '{"statusCode":500,', "Internal Server Error"),
        (404, JSON, "", "Not Found"),
        (404, None, "   \n ", "Not Found"),
        (403, JSON, '{"statusCode":403}', "Forbidden"),
        (403, JSON, '{"message":""}', "Forbidden"),
        (403, JSON, '{"message":null,"error":"Forbidden resource"}', "Forbidden resource"),
        (599, None, "", "HTTP 599"),
    ],
)
def test_the_error_message_is_read_defensively_from_each_body_shape(
    status: int, content_type: str | None, body: str, expected: str
) -> None:
    assert message_from_response(status, content_type, body.encode()) == expected


def test_a_long_message_is_cut_to_one_line_of_at_most_300_characters() -> None:
    body = '{"message":["' + '","'.join(f"field{i} is invalid" for i in range(100)) + '"]}'
    message = message_from_response(422, JSON, body.encode())
    assert len(message) == 300
    assert message.endswith("…")
    assert "\n" not in message


def test_bytes_that_are_not_utf8_do_not_break_the_parser() -> None:
    assert message_from_response(500, "text/plain", b"bad \xff\xfe byte") == "bad \ufffd\ufffd byte"
