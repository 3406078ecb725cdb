"""What the CPU and memory rules share: where a setting was made, sizes in messages,
the guest at which a host's running total passes a limit and the largest guests
beyond it, related spans, and CPU lists as intervals."""
from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable

from ...bounds import bound
from ...diagnostics import Related
from ...model import Guest, Host
from ...numbers import cpu_list_problem, whole_or_none
from ...source import Span
from ...units import format_kib

CPU_MAX = bound("cpu_number")


def span_of(element, key: str) -> Span:
    """Where `key` of a guest or host was set, else the element itself."""
    return element.fields.get(key) or element.span


def size_text(kib: int) -> str:
    return format_kib(kib)


def crossing(guests: list[Guest], amount: Callable[[Guest], int], limit: float,
              inclusive: bool = False) -> int | None:
    """Index of the first guest at which the running total passes `limit` (reaches it when
    `inclusive`), in declaration order: the guest that tips the host over."""
    total = 0
    for i, g in enumerate(guests):
        total += amount(g)
        if total > limit or (inclusive and total >= limit):
            return i
    return None


def largest_beyond(guests: list[Guest], amount: Callable[[Guest], int], excess: float) -> list[Guest]:
    """The largest guests that together make up at least `excess` (always at least one):
    moving these would bring the host under the limit."""
    out, total = [], 0
    for g in sorted(guests, key=lambda x: (-amount(x), x.name)):
        out.append(g)
        total += amount(g)
        if total >= excess:
            break
    return out


def guest_related(guests: list[Guest], amount: Callable[[Guest], int], key: str,
                   show: Callable[[int], str]) -> list[Related]:
    """One related span per statement: guests stamped from one range or template share one."""
    by_span: dict[Span, list[Guest]] = defaultdict(list)
    for g in guests:
        by_span[span_of(g, key)].append(g)
    out = []
    for span, gs in by_span.items():
        names = gs[0].name if len(gs) == 1 else f"{gs[0].name} and {len(gs) - 1} more"
        out.append(Related(span, f"{names}: {show(amount(gs[0]))} each" if len(gs) > 1
                           else f"{names}: {show(amount(gs[0]))}"))
    return out


def host_related(h: Host, *keys: tuple[str, str]) -> list[Related]:
    return [Related(h.fields.get(k), text) for k, text in keys if h.fields.get(k)]


# CPU lists ("0-3,6,^2") as sorted, disjoint, inclusive intervals.
Intervals = list[tuple[int, int]]


def _merge(ivs: Iterable[tuple[int, int]]) -> Intervals:
    out: Intervals = []
    for lo, hi in sorted(ivs):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def parse_cpus(text: str) -> tuple[Intervals, list[str]]:
    """The CPUs a list selects (inclusions minus ^exclusions), and what is wrong with it."""
    inc, exc, problems = [], [], []
    for part in text.split(","):
        neg = part.startswith("^")
        first, _, last = part.lstrip("^").partition("-")
        lo, hi = whole_or_none(first, CPU_MAX), whole_or_none(last or first, CPU_MAX)
        if lo is None or hi is None:  # bounded before int(): numbers.cpu_list_problem says why
            problems.append(cpu_list_problem(part) or f"'{part}' is not a CPU range")
            continue
        if hi < lo:
            problems.append(f"the range {part.lstrip('^')} runs backwards")
            continue
        (exc if neg else inc).append((lo, hi))
    out: Intervals = []
    for lo, hi in _merge(inc):
        for elo, ehi in _merge(exc):
            if ehi < lo or elo > hi:
                continue
            if elo > lo:
                out.append((lo, elo - 1))
            lo = ehi + 1
            if lo > hi:
                break
        if lo <= hi:
            out.append((lo, hi))
    return out, problems
