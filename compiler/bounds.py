"""virtc's own limits: how much input it reads and how large a number it takes.

These are not the guide's numbers (those are schemas/limits.json, each with a citation):
they keep the tool's cost proportional to its input and every number finite and exact,
so a hostile or broken file gives a diagnostic, never an exception or a stall. Every
limit virtc enforces on input is in this table and nowhere else; README's "Limits of the
tool" lists the same (a test keeps the two equal) and `virtc explain VR042` / `VF011`
print them.
"""
from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Bound:
    key: str
    value: int
    unit: str  # what value counts
    what: str  # what it bounds, as a README line says it
    code: str  # the code that reports going past it

    @property
    def shown(self) -> str:
        if self.unit == "bytes":
            for name, per in (("TiB", 1024 * 1024 * MIB), ("GiB", 1024 * MIB), ("MiB", MIB)):
                if self.value % per == 0:
                    return f"{self.value // per} {name}"
        return f"{self.value:,} {self.unit}".strip()


_TABLE = (
    # input
    Bound("file_bytes", 4 * MIB, "bytes", "size of one .virt file", "VR042"),
    Bound("file_lines", 200_000, "lines", "lines of one .virt file", "VR042"),
    Bound("include_depth", 32, "levels", "depth of nested includes", "VR042"),
    Bound("range_guests", 10_000, "guests", "guests one range `name[1..N]` stamps out", "VR042"),
    Bound("syntax_errors", 25, "errors", "syntax errors reported one by one per file; "
          "the rest are counted in one last VP001", "VP001"),
    Bound("config_bytes", 4 * MIB, "bytes", "size of one existing configuration file, XML "
          "included (lint, import, convert)", "VF011"),
    Bound("xml_depth", 256, "levels", "nesting of XML elements (libxml2's own limit without "
          "huge_tree)", "VF011"),
    Bound("xm_nesting", 100, "levels", "nesting of brackets in an xm config", "VF011"),
    Bound("sysctl_misspellings", 200, "keys", "distinct unknown keys of one sysctl.conf compared "
          "with the kernel's keys for a misspelling; one note counts the others", "VF802"),
    # numbers
    Bound("digits", 18, "digits", "digits of any number (before and after a decimal point "
          "together); more is refused before any arithmetic", "VR012"),
    Bound("size_bytes", 1024 ** 5, "bytes", "a size (more than any RHEL 5 disk or memory)",
          "VR005"),
    Bound("rate_amount", 1_000_000_000, "units per second", "the amount of a NIC rate", "VR012"),
    Bound("rate_window", 1_000_000, "time units", "the window of a NIC rate (`@50ms`)", "VR012"),
    Bound("cpu_number", 4095, "", "a CPU number in a CPU list (NR_CPUS of any RHEL 5 kernel is "
          "lower)", "VR012"),
    Bound("count", 1_000_000, "", "a count with no limit of its own (vcpus, sockets, MTU, "
          "delays, LUNs, sysctl and xend numbers)", "VR012"),
    Bound("port", 65535, "", "a TCP or UDP port", "VR012"),
)

BOUNDS: dict[str, Bound] = {b.key: b for b in _TABLE}


def bound(key: str) -> int:
    return BOUNDS[key].value


def readme_table() -> str:
    """README's table of the limits (a test compares it with README)."""
    rows = ["| limit | value | reported as |", "|---|---|---|"]
    rows += [f"| {b.what} | {b.shown} | {b.code} |" for b in _TABLE]
    return "\n".join(rows) + "\n"


def explain_table(code: str) -> str:
    """The limits a code reports, for `virtc explain`."""
    return "\n".join(f"  {b.what}: {b.shown}" for b in _TABLE if b.code == code)
