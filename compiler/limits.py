"""The guide's numbers, loaded from schemas/limits.json. Rules read limits from here and
never spell a documented number themselves."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from virtc.schemas import load

# How many KiB one unit is, for limits that are amounts of memory.
_KIB = {"KiB": 1, "MiB": 1024, "GiB": 1024 * 1024, "TiB": 1024 * 1024 * 1024}


@dataclass(frozen=True)
class Limit:
    key: str
    value: object
    unit: str
    checklist: tuple[str, ...]
    section: str
    lines: str
    summary: str

    @property
    def kib(self) -> int:
        """The limit in KiB (memory limits only)."""
        return int(self.value * _KIB[self.unit])

    @property
    def shown(self) -> str:
        """The value as the guide states it: '16 GiB', '254 devices'."""
        if self.unit in _KIB:
            return f"{self.value} {self.unit}"
        return f"{self.value}"

    @property
    def citation(self) -> str:
        return f"RHEL 5 Virtualization Guide {self.section}, lines {self.lines} ({', '.join(self.checklist)})"


class Limits:
    def __init__(self, data: dict):
        self.by_key = {k: Limit(k, v["value"], v["unit"], tuple(v["checklist"]), v["section"],
                                 v["lines"], v["summary"]) for k, v in data["limits"].items()}

    def __getitem__(self, key: str) -> Limit:
        return self.by_key[key]

    def __iter__(self):
        return iter(self.by_key.values())

    def value(self, key: str):
        return self.by_key[key].value


@lru_cache(maxsize=1)
def limits() -> Limits:
    return Limits(load("limits.json"))
