from tests.e2e.conftest import cli, sandbox

__all__ = ["cli", "sandbox"]
