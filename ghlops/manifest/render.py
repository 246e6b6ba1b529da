"""Old import path of :mod:`ghlops.manifest.flatten` (kept for ``ghlops.commands.render`` and tests)."""

from ghlops.manifest.flatten import flatten_location, plain, render_location

__all__ = ["flatten_location", "plain", "render_location"]
