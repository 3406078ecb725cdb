"""Every number virtc reads, from a .virt file or an existing config, passes through here.

A number is checked before any arithmetic: at most `digits` digits (bounds.py), plain
decimal digits only (no sign unless asked for, no exponent, no nan/inf, no '_'), then
its range. Past the digit limit Python's int() would be slow or raise (its 4,300-digit
limit) and float() would overflow to infinity; so the text is refused first, with a
message naming the limit. Fractions are exact (no float).

`whole` and `decimal` raise NumberError (a ValueError) whose message names the limit;
callers report it as their diagnostic. `whole_or_none` is for code that reads a value
already reported elsewhere (a rule reading a model value) and only must not raise.
"""
from __future__ import annotations

import re
from fractions import Fraction

from .bounds import bound

_HUGE = 10 ** bound("digits")  # what a number past the digits bound counts as

_DIGITS = frozenset("0123456789")


class NumberError(ValueError):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def _plain(text: str, what: str, dot: bool = False) -> None:
    """Refuses what is not plain digits (one '.' when `dot`), or too many of them."""
    body = text.replace(".", "", 1) if dot else text
    if not body or not set(body) <= _DIGITS or text.startswith(".") or text.endswith("."):
        raise NumberError(f"{what} '{_clip(text)}' is not a whole number" if not dot
                          else f"{what} '{_clip(text)}' is not a number",
                          "write digits only (no sign, exponent, nan or inf)")
    limit = bound("digits")
    if len(body) > limit:
        raise NumberError(f"{what} has {len(body)} digits; virtc reads numbers of at most {limit} digits",
                          "write a smaller number")


def whole(text: str, what: str, low: int = 0, high: int | None = None) -> int:
    """A whole number between low and high (default: the `count` bound). A leading '-' is
    accepted only when low < 0."""
    high = bound("count") if high is None else high
    negative = low < 0 and text.startswith("-")
    digits = text[1:] if negative else text
    _plain(digits, what)
    n = -int(digits) if negative else int(digits)
    if n < low or n > high:
        raise NumberError(f"{what} {n} is out of range: it must be between {low} and {high}",
                          f"write a number from {low} to {high}")
    return n


def decimal(text: str, what: str, high: int) -> Fraction:
    """A number with an optional decimal fraction (1.5), exact, between 0 and high."""
    _plain(text, what, dot=True)
    value = Fraction(text)
    if value > high:
        raise NumberError(f"{what} {_clip(text)} is more than {high:,}", f"write at most {high:,}")
    return value


def whole_or_none(text: str, high: int | None = None) -> int | None:
    """whole(), or None where it would raise."""
    try:
        return whole(text, "number", 0, high)
    except NumberError:
        return None


def digits_or_cap(text: str, cap: int) -> int:
    """Plain digits as a number, at most `cap`: for settings read as "at least N" (a
    module's max_loop=), where any number past the cap means the same as the cap."""
    if len(text) > bound("digits"):
        return cap
    return min(int(text), cap)


_VERSION = re.compile(r"[0-9]+(\.[0-9]+)*")


def version(text: str | None) -> tuple[int, ...] | None:
    """'5.8' -> (5, 8); None when the text is not numbers joined by dots. A number longer
    than the digits bound counts as 10**digits (above any real release), without turning
    its text into an int: Python refuses that past 4,300 digits, and a file can hold more."""
    if not text or not _VERSION.fullmatch(text):
        return None
    return tuple(digits_or_cap(x, _HUGE) for x in text.split("."))


def version_parts(text: str) -> tuple[int, ...]:
    """Every run of digits in a kernel version ('2.4.21-60.EL' -> (2, 4, 21, 60)), capped
    as version() caps them."""
    return tuple(digits_or_cap(x, _HUGE) for x in re.findall(r"[0-9]+", text))


def _clip(text: str) -> str:
    return text if len(text) <= 24 else text[:21] + "..."


# ---------------------------------------------------------------- values made of numbers
# Each returns what is wrong with a value whose form a pattern has already checked (a CPU
# list, a rate, a port range), naming the limit, or None.

def _numbers_in(text: str) -> list[str]:
    out, run = [], []
    for ch in text:
        if ch in _DIGITS:
            run.append(ch)
        elif run:
            out.append("".join(run))
            run = []
    if run:
        out.append("".join(run))
    return out


def _over(texts: list[str], high: int) -> str | None:
    for t in texts:
        if len(t) > bound("digits") or int(t) > high:
            return t
    return None


def cpu_list_problem(text: str) -> str | None:
    """A CPU list (0-3,^2,6): every CPU number at most the `cpu_number` bound."""
    high = bound("cpu_number")
    big = _over(_numbers_in(text), high)
    return None if big is None else f"CPU {_clip(big)} is above {high}, the highest CPU number virtc takes"


def rate_problem(text: str) -> str | None:
    """A NIC rate (10MB/s@50ms): the amount and the window within their bounds."""
    amount, _, window = text.partition("@")
    big = _over(_numbers_in(amount), bound("rate_amount"))
    if big is not None:
        return f"rate {_clip(big)} is above {bound('rate_amount'):,} per second, the most virtc takes"
    big = _over(_numbers_in(window), bound("rate_window"))
    if big is not None:
        return f"rate window {_clip(big)} is above {bound('rate_window'):,}, the most virtc takes"
    return None


def port_range_problem(text: str) -> str | None:
    """PORT/proto or FIRST-LAST/proto: ports from 1 to 65535, the first not above the last."""
    ports = _numbers_in(text.partition("/")[0])
    big = _over(ports, bound("port"))
    if big is not None:
        return f"port {_clip(big)} is above {bound('port')}"
    if len(ports) == 2 and int(ports[0]) > int(ports[1]):
        return f"the port range {ports[0]}-{ports[1]} runs backwards"
    return None


def port_range(text: str) -> tuple[int, int] | None:
    """(first, last) of PORT[/proto] or FIRST-LAST[/proto]; None when malformed or out of range."""
    first, _, last = text.partition("/")[0].partition("-")
    lo, hi = whole_or_none(first, bound("port")), whole_or_none(last or first, bound("port"))
    return None if lo is None or hi is None else (lo, hi)
