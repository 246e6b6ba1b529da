"""Failure modes the sandbox can simulate: latency, random errors, dropped connections and one-shot faults.

Real GHL fails in ways a client must survive: gateways answer 502/503, connections drop before or after the
server did the work. Tests need these both at random (soak, benchmarks) and on demand (one exact request).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["reset", "ambiguous", "status"]

_RANDOM_FAILURE_STATUSES = (500, 502, 503)


@dataclass
class FaultConfig:
    """Knobs for random faults and rate limiting; mutable while the sandbox runs."""

    latency_ms: float = 0
    fail_rate: float = 0.0
    reset_rate: float = 0.0
    ambiguous_rate: float = 0.0
    rate_limit: bool = False
    rate_limit_max: int = 100
    rate_limit_window_s: float = 10.0
    seed: int = 0


@dataclass
class InjectedFault:
    """A programmed fault that fires on the next ``times`` matching requests, then disappears."""

    kind: FaultKind
    method: str | None = None
    path_contains: str | None = None
    times: int = 1
    status: int = 500
    retry_after: float | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path_contains is None or self.path_contains in path


@dataclass(frozen=True)
class Decision:
    """What to do with one request before (reset, status) or after (ambiguous) doing its work."""

    kind: FaultKind
    status: int = 500
    retry_after: float | None = None


class Faults:
    """Decides, per request, whether a fault fires. Thread-safe; reproducible for a given seed and order."""

    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self._config = config
        self._rng = random.Random(config.seed)
        self._injected: list[InjectedFault] = []

    @property
    def config(self) -> FaultConfig:
        return self._config

    @config.setter
    def config(self, config: FaultConfig) -> None:
        with self._lock:
            if config.seed != self._config.seed:
                self._rng = random.Random(config.seed)
            self._config = config

    def inject(self, fault: InjectedFault) -> None:
        if fault.kind not in ("reset", "ambiguous", "status"):
            raise ValueError(f"unknown fault kind {fault.kind!r}: expected reset, ambiguous or status")
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._injected.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._injected.clear()

    def decide(self, method: str, path: str) -> Decision | None:
        with self._lock:
            for fault in self._injected:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._injected.remove(fault)
                    return Decision(fault.kind, fault.status, fault.retry_after)
            return self._roll(method)

    def _roll(self, method: str) -> Decision | None:
        cfg = self._config
        # Only roll for enabled faults so that turning one knob on does not shift the others' random stream.
        if cfg.reset_rate > 0 and self._rng.random() < cfg.reset_rate:
            return Decision("reset")
        if cfg.fail_rate > 0 and self._rng.random() < cfg.fail_rate:
            return Decision("status", self._rng.choice(_RANDOM_FAILURE_STATUSES))
        # Every POST route of the emulated API creates an object, so POST is what "ambiguous create" means.
        if method == "POST" and cfg.ambiguous_rate > 0 and self._rng.random() < cfg.ambiguous_rate:
            return Decision("ambiguous")
        return None
