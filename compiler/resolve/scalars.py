"""The base of the compiler: where its diagnostics go (each reported once), and the
readers of single values (names from a list, switches, sizes, memory, whole numbers,
addresses, CPU lists, MAC addresses, and text that must suit the generated files).
Each returns None after reporting what is wrong, with the value's span."""
from __future__ import annotations

import ipaddress
import re

from ..conventions import CPUSET_RE, SWITCH_OFF, SWITCH_ON
from ..diagnostics import Diagnostic, Fix, error
from ..numbers import NumberError, cpu_list_problem, whole
from ..source import Span
from ..suggest import closest, did_you_mean, one_of
from ..syntax import Value
from ..units import UnitError, parse_size


class ValueReader:
    def __init__(self):
        self.diags: list[Diagnostic] = []
        self._seen: set[tuple] = set()
        self.cycles: set[frozenset] = set()  # template cycles already reported
        self.recording: list[Diagnostic] | None = None  # every report, repeats too (resolve.memo)
        # what the pure checks said of each text as written, good or not: a template's value
        # is read once per guest it stamps out (sizes: the good ones; a bad one is reported
        # each time)
        self._sizes: dict[str, int] = {}
        self._checked: dict[tuple, str | None] = {}

    def report(self, diag: Diagnostic) -> None:
        if self.recording is not None:
            self.recording.append(diag)
        # A template's statement is interpreted once per guest: report its problems once.
        key = (diag.code, diag.span, diag.message)
        if key not in self._seen:
            self._seen.add(key)
            self.diags.append(diag)

    def err(self, code: str, message: str, span: Span | None, **kw) -> None:
        self.report(error(code, message, span, **kw))

    def enum(self, v: Value, choices, what: str, aliases: dict | None = None) -> str | None:
        text = v.text
        if aliases and text in aliases:
            return aliases[text]
        if text in choices:
            return text
        hint = did_you_mean(text, list(choices) + list(aliases or {})) or f"use {one_of(choices)}"
        guess = closest(text, list(choices))
        fix = Fix.replace(f"write {guess}", v.span, guess, safe=guess.lower() == text.lower()) \
            if guess and _plain(v) else None
        self.err("VR012", f"unknown {what} '{text}'", v.span, hint=hint, fix=fix)
        return None

    def switch(self, v: Value | None) -> bool | None:
        if v is None:
            return True
        if v.text.lower() in SWITCH_ON:
            return True
        if v.text.lower() in SWITCH_OFF:
            return False
        self.err("VR012", f"'{v.text}' is not on or off", v.span, hint="write on or off")
        return None

    def size(self, v: Value, what: str) -> int | None:
        n = self._sizes.get(v.text)
        if n is not None:
            return n
        try:
            n = self._sizes[v.text] = parse_size(v.text)
            return n
        except UnitError as exc:
            self.err("VR005", f"{what}: {exc}", v.span, hint=exc.hint, fix=_size_fix(v))
            return None

    def memory_kib(self, v: Value, what: str) -> int | None:
        b = self.size(v, what)
        if b is None:
            return None
        if b % (1024 * 1024):
            self.err("VR005", f"{what} {v.text} is not a whole number of MiB", v.span,
                     hint="xm configs count memory in MiB; round to a multiple of 1M")
            return None
        if b == 0:
            self.err("VR005", f"{what} must be more than 0", v.span)
            return None
        return b // 1024

    def integer(self, v: Value, what: str, low: int = 0, high: int | None = None) -> int | None:
        try:  # at most bounds.py's digits: checked before int()
            n = whole(v.text, what, -(10 ** 18) if low < 0 else 0, 10 ** 18)
        except NumberError as exc:
            self.err("VR012", str(exc), v.span, hint=exc.hint if "digits" in str(exc) else None)
            return None
        if n < low or (high is not None and n > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.err("VR012", f"{what} {n} must be {bound}", v.span)
            return None
        return n

    def checked(self, check, v: Value, text: str, what: str) -> str | None:
        if text != v.text:  # interpolated: this guest's own text, not worth keeping
            problem = check(text)
        else:
            key = (check, text)
            problem = self._checked[key] if key in self._checked else self._checked.setdefault(key, check(text))
        if problem:
            self.err("VR011", f"{what} '{clip(text)}' {problem}", v.span,
                     hint="generated files cannot carry this safely; choose another value")
            return None
        return text

    def address(self, v: Value, what: str, cidr: bool = False) -> str | None:
        text = v.text
        try:
            if "/" in text:
                if not cidr:
                    raise ValueError("a prefix length is not allowed here")
                ipaddress.ip_interface(text)
            else:
                ipaddress.ip_address(text)
        except ValueError as exc:
            self.err("VR012", f"{what} '{text}' is not a valid IPv4 address ({exc})", v.span)
            return None
        return text

    def cpuset(self, v: Value) -> str | None:
        if CPUSET_RE.match(v.text):
            problem = cpu_list_problem(v.text)
            if problem is None:
                return v.text
            self.err("VR012", f"CPU list '{clip(v.text)}': {problem}", v.span)
            return None
        self.err("VR012", f"'{v.text}' is not a CPU list", v.span,
                 hint="write CPU numbers and ranges: 0-3,6 (^N excludes N)")
        return None

    def mac(self, v: Value) -> str | None:
        if v.kind != "MAC":
            self.err("VR006", f"'{v.text}' is not a MAC address", v.span,
                     hint="write six hex pairs such as 00:16:3e:12:34:56, or `mac auto`")
            return None
        mac = v.text.lower()
        if int(mac[:2], 16) & 1:
            self.err("VR006", f"MAC address {v.text} is a multicast address", v.span,
                     hint="the first byte must be even; Xen guests use 00:16:3e:xx:xx:xx")
            return None
        return mac


def clip(text: str) -> str:
    """A value as shown in a message: escapes for what is not printable ASCII, at most 60
    characters."""
    shown = "".join(ch if ch.isprintable() and ch.isascii() else ch.encode("unicode_escape").decode("ascii")
                    for ch in text)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _plain(v: Value) -> bool:
    """A value written as its text (no quotes, no escapes): a fix may replace its span."""
    return v.span is not None and v.span.end - v.span.start == len(v.text)


_LOWER_UNIT = re.compile(r"([0-9]+)([kmgt])(ib)?")


def _size_fix(v: Value) -> Fix | None:
    """`1g` becomes `1G` (what it says, written right: safe); `512MB` becomes `512M`
    (decimal read as binary: unsafe, 512 MB is 488 MiB to some readers)."""
    if not _plain(v):
        return None
    m = _LOWER_UNIT.fullmatch(v.text)
    if m:
        return Fix.replace(f"write {m.group(1)}{m.group(2).upper()}", v.span, f"{m.group(1)}{m.group(2).upper()}")
    m = re.fullmatch(r"([0-9]+)([KMGT])B", v.text, re.IGNORECASE)
    if m:
        return Fix.replace(f"write {m.group(1)}{m.group(2).upper()}", v.span, f"{m.group(1)}{m.group(2).upper()}",
                           safe=False)
    return None
