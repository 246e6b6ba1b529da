"""ghlops's own GHL API v2 emulator, served over real HTTP on 127.0.0.1.

from ghlops.sandbox import Sandbox, FaultConfig

with Sandbox() as sb:
    sb.store.create_location("loc1", "Demo")
    ...  # point a client at sb.url with the sandbox's tokens
"""

from ghlops.sandbox.faults import FaultConfig
from ghlops.sandbox.recorder import RecordedRequest
from ghlops.sandbox.sandbox import Sandbox

__all__ = ["FaultConfig", "RecordedRequest", "Sandbox"]
