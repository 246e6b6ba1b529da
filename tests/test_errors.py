"""ghlops.errors: each error is one line naming where and what; manifest problems keep their key path as a tuple."""

from __future__ import annotations

from ghlops.errors import ApiError, ManifestError, ManifestErrors, SourcePos, join_messages, one_line


def test_a_manifest_error_keeps_its_key_path_and_renders_it_only_when_shown() -> None:
    error = ManifestError("expected a string, got 3", pos=SourcePos("m.yaml", 7, 9), path=("spec", "tags", 0, "name"))
    assert error.path == ("spec", "tags", 0, "name")
    assert str(error) == "m.yaml:7:9: spec.tags[0].name: expected a string, got 3"


def test_keys_that_are_not_plain_names_are_quoted_in_the_shown_path() -> None:
    error = ManifestError("undefined variable vars.x", pos=SourcePos("m.yaml", 2, 3), path=("spec", "vars", "my key"))
    assert str(error) == 'm.yaml:2:3: spec.vars["my key"]: undefined variable vars.x'


def test_a_manifest_error_without_a_path_or_position_is_the_message_alone() -> None:
    assert str(ManifestError("no manifest files or directories given")) == "no manifest files or directories given"
    assert str(ManifestError("file is UTF-16 encoded", pos=SourcePos("a.yaml", 1, 1))) == (
        "a.yaml:1:1: file is UTF-16 encoded"
    )


def test_manifest_errors_are_listed_by_file_line_and_column() -> None:
    errors = ManifestErrors(
        [
            ManifestError("late", pos=SourcePos("b.yaml", 1, 1)),
            ManifestError("second", pos=SourcePos("a.yaml", 10, 2), path=("kind",)),
            ManifestError("first", pos=SourcePos("a.yaml", 2, 5)),
        ]
    )
    assert str(errors).splitlines() == ["a.yaml:2:5: first", "a.yaml:10:2: kind: second", "b.yaml:1:1: late"]


def test_an_api_error_names_the_location_the_object_the_call_and_the_status() -> None:
    error = ApiError(
        "Tag already exists", status=400, method="POST", endpoint="/locations/L1/tags", location="dental", kind="tag",
        obj="vip",
    )  # fmt: skip
    assert str(error) == "location dental: tag 'vip': POST /locations/L1/tags -> HTTP 400: Tag already exists"
    assert str(ApiError("connection refused")) == "no response: connection refused"


def test_server_text_is_flattened_to_one_bounded_line() -> None:
    assert one_line("a\n  b\tc") == "a b c"
    assert one_line("x" * 400) == "x" * 299 + "…"
    assert join_messages(["bad\nname", "  ", "too long"]) == "bad name; too long"
