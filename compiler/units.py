"""Size units. All sizes are binary: K = KiB = 1024 bytes, M = MiB, G = GiB, T = TiB.

This matches what the consumers mean: xm's memory is MiB and libvirt's is KiB. Decimal
units (MB, GB) are rejected rather than guessed, because `1GB` means 10^9 bytes to some
readers and 2^30 to others.
"""
from __future__ import annotations

import re

from .bounds import bound
from .numbers import NumberError, decimal

KIB = 1024  # bytes
UNITS = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([A-Za-z]+)$")


class UnitError(ValueError):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def parse_size(text: str) -> int:
    """'8G' -> bytes. Raises UnitError with a hint for unknown or decimal units."""
    if text.isdigit():
        raise UnitError(f"size {text} has no unit", f"write {text}M for MiB or {text}G for GiB")
    m = _SIZE.match(text)
    if not m:
        raise UnitError(f"'{text}' is not a size", "write a number and a unit: 512M, 8G, 1T")
    number, unit = m.groups()
    key = unit[0].upper() if unit in ("K", "M", "G", "T", "KiB", "MiB", "GiB", "TiB") else None
    if key is None:
        if unit.upper() in ("KB", "MB", "GB", "TB"):
            raise UnitError(f"unit '{unit}' is ambiguous (decimal or binary?)",
                            f"virtc sizes are binary: write {number}{unit[0].upper()} for "
                            f"{number} {unit[0].upper()}iB")
        raise UnitError(f"unknown size unit '{unit}'", "use K, M, G or T (binary: 1G = 1024M)")
    if "." not in number and len(number) <= bound("digits"):
        # whole numbers, nearly every size written: what decimal() below returns, without
        # building a Fraction (a check of 20,000 guests reads 40,000 disk sizes)
        n = int(number)
        if n <= bound("size_bytes") // UNITS[key]:
            return n * UNITS[key]
    try:  # exact, and bounded before it is multiplied
        value = decimal(number, "size", bound("size_bytes") // UNITS[key]) * UNITS[key]
    except NumberError as exc:
        if "more than" in str(exc):
            raise UnitError(f"size {text} is more than 1024T, the largest size virtc takes",
                            "write a size of at most 1024T") from None
        raise UnitError(f"size {exc}".replace("size size", "size"), exc.hint) from None
    if value.denominator != 1:
        raise UnitError(f"size {text} is not a whole number of bytes")
    return int(value)


def format_kib(kib: int) -> str:
    """Shortest exact unit form: 1048576 -> '1G'; 0 -> '0K' (every unit divides 0)."""
    for unit in ("T", "G", "M"):
        per = UNITS[unit] // 1024
        if kib and kib % per == 0:
            return f"{kib // per}{unit}"
    return f"{kib}K"


# mem= / dom0_mem= on the hypervisor line: digits and a unit letter, perhaps with a B.
_HYPERVISOR_SIZE = re.compile(r"^([0-9]{1,18})([A-Za-z]*)$")  # 18: bounds.py's digits
_BYTES = {"B": 1, **UNITS}


def hypervisor_size(value: str, suffixes: list[str]) -> tuple[str, int | None]:
    """A mem= / dom0_mem= value: ('ok'|'unsuffixed'|'decimal'|'bad', KiB or None).

    'decimal' is a unit with a trailing B (256MB, C-29): the hypervisor reads the first
    letter only."""
    m = _HYPERVISOR_SIZE.match(value)
    if not m:
        return "bad", None
    digits, suffix = m.groups()
    number = int(digits)
    if not suffix:
        return "unsuffixed", number
    letter = suffix.upper()
    kind = "ok"
    if letter not in suffixes:
        letter = suffix[:-1].upper()
        if not letter or letter not in suffixes or suffix[-1:] not in ("B", "b"):
            return "bad", None
        kind = "decimal"
    return kind, number * _BYTES[letter] // KIB
