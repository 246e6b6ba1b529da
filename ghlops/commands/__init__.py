"""Thin command functions: each takes parsed options, calls into the library and returns an exit code."""
