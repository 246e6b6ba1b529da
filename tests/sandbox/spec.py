"""The official GHL OpenAPI documents, for checking the sandbox's answers: the same reader the client tests use."""

from tests.openapi_contract import SKIP_REASON, SPEC_DIR, SPEC_FILES, Operation, available, find, operations

__all__ = ["SKIP_REASON", "SPEC_DIR", "SPEC_FILES", "Operation", "available", "find", "operations"]
