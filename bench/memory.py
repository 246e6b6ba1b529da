"""Peak memory of this process, per phase: Linux's VmHWM (reset through /proc/self/clear_refs), else ru_maxrss."""

from __future__ import annotations

import resource
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kb(field: str) -> float | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
    except OSError:
        return None
    return None


class PeakMemory:
    """``reset()`` before a phase, ``peak()`` after it: (peak RSS MB, growth over the RSS at reset MB)."""

    def __init__(self) -> None:
        self._base_kb = 0.0
        self.resettable = True

    def reset(self) -> None:
        try:
            _CLEAR_REFS.write_text("5")  # resets VmHWM to the current RSS
        except OSError:
            self.resettable = False
        self._base_kb = _status_kb("VmRSS") or 0.0

    def peak(self) -> tuple[float, float]:
        peak_kb = _status_kb("VmHWM") if self.resettable else None
        if peak_kb is None:
            peak_kb = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # kB on Linux; the process's peak
        return peak_kb / 1024, max(peak_kb - self._base_kb, 0.0) / 1024
