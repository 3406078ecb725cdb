"""Values as tokens of the grammar: the token shapes a value must have where only that
token fits, quoting (every string goes through quote()), sizes with a unit, switches;
and how a value the language cannot carry is reported (Where.fail, Unwritable)."""
from __future__ import annotations

import re
from decimal import Decimal

from virtc.grammar import grammar_text

from ..units import UNITS, UnitError, parse_size

NAME_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
INT_TOKEN = re.compile(r"[0-9]+\Z")
VERSION_TOKEN = re.compile(r"[0-9]+(\.[0-9]+)+[A-Za-z0-9_.\-]*\Z")
ADDRESS_TOKEN = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(/[0-9]+)?\Z")
MAC_TOKEN = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}\Z")
PCI_TOKEN = re.compile(r"([0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]+\Z")
WWID_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.:-]*\Z")  # the grammar's WWID terminal
UUID_CANON = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
RATE_TOKEN = re.compile(r"[0-9]+[A-Za-z]*/s(@[0-9]+[a-z]*)?\Z")
CPUSET_TOKEN = re.compile(r"\^?[0-9]+(-[0-9]+)?(,\^?[0-9]+(-[0-9]+)?)*\Z")
GRUBDEV_TOKEN = re.compile(r"\(hd[0-9]+,[0-9]+\)\Z")
ENDPOINT_TOKEN = re.compile(r"[A-Za-z0-9_.\-]*:[0-9]+\Z")
PORTS_TOKEN = re.compile(r"[0-9]+(-[0-9]+)?/(tcp|udp)\Z")


def _keywords() -> frozenset[str]:
    """Every keyword of the grammar, and the words statements give a meaning (switches):
    such a host or guest name is written in quotes, where the grammar allows a string."""
    words = set(re.findall(r'"([A-Za-z][A-Za-z0-9_:-]*)"', grammar_text()))
    return frozenset(words | {"on", "off", "yes", "no", "true", "false", "auto", "pae"})


KEYWORDS = _keywords()


class Unwritable(ValueError):
    """A value the language cannot carry, with the host or guest it belongs to."""

    def __init__(self, owner, message: str):
        super().__init__(message)
        self.owner = owner


class Where:
    """Names the host or guest (and field) a ValueError is about."""

    def __init__(self, label: str):
        self.label = label

    def fail(self, what: str, value, reason: str):
        raise ValueError(f"{self.label}: {what} {value!r} cannot be written in the virtc language: {reason}")


# ---------------------------------------------------------------- quoting

def check_chars(value: str, what: str) -> None:
    for ch in value:
        if ch in "\n\t" or ch.isprintable():
            continue
        raise ValueError(f"{what}: the character U+{ord(ch):04X} in {value!r} cannot be written in a "
                         "virtc string (only \\n and \\t have escapes)")


def escape(text: str, interpolated: bool) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    if interpolated:  # {name} would be a variable there: a literal brace is doubled
        out = out.replace("{", "{{").replace("}", "}}")
    return out


def quote(value: str, what: str = "value", interpolated: bool = False) -> str:
    """A .virt string literal that reads back as exactly `value`: `\\"`, `\\\\`, `\\n`, `\\t`,
    and in strings the compiler interpolates (`interpolated`), `{{` and `}}`. Other control
    characters have no escape: ValueError naming `what`."""
    check_chars(value, what)
    return '"' + escape(value, interpolated) + '"'


def name_or_string(value: str, what: str, interpolated: bool = False) -> str:
    """A bare name where the grammar takes NAME or STRING, quoted when it is not a plain name."""
    if NAME_TOKEN.match(value) and value not in KEYWORDS:
        return value
    return quote(value, what, interpolated)


def bare(value: str, pattern: re.Pattern, where: Where, what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        where.fail(what, value, "it is not a token the grammar has a place for here")
    return value


def bare_name(value: str, where: Where, what: str) -> str:
    """A NAME-only position (bridges, keymaps, formats ...)."""
    if not isinstance(value, str) or not NAME_TOKEN.match(value):
        where.fail(what, value, "only a plain name (a letter or '_', then letters, digits, '_', '.', '-') "
                                "fits this position")
    return value


def scalar(value: str, what: str) -> str:
    """A value position taking INT, NAME or STRING (sysctl, xend): the contextual lexer
    reads even a keyword as a plain name there (`xend xend-unix-server yes`)."""
    if INT_TOKEN.match(value) or NAME_TOKEN.match(value):
        return value
    return quote(value, what)


# ---------------------------------------------------------------- sizes

def size_text(n_bytes: int, where: Where, what: str) -> str:
    """The shortest exact size: 10G, 1536M, 0.5K."""
    if not isinstance(n_bytes, int) or n_bytes < 0:
        where.fail(what, n_bytes, "not a size in bytes")
    for unit in ("T", "G", "M", "K"):
        if n_bytes % UNITS[unit] == 0:
            return f"{n_bytes // UNITS[unit]}{unit}"
    text = f"{Decimal(n_bytes) / 1024}K"
    try:
        if parse_size(text) == n_bytes:
            return text
    except UnitError:
        pass
    where.fail(what, n_bytes, "no size with a unit reads back as exactly this many bytes")


def memory_text(kib: int, where: Where, what: str) -> str:
    if not isinstance(kib, int) or kib <= 0 or kib % 1024:
        where.fail(what, kib, "memory is a whole number of MiB, more than 0")
    return size_text(kib * 1024, where, what)


def kib_text(kib: int, where: Where, what: str) -> str:
    return size_text(kib * 1024, where, what)


def switch(on: bool) -> str:
    """A switch's value as the language writes it."""
    return "on" if on else "off"
