"""Grouping: which guests share what. Guests on one host named a base and consecutive
numbers whose plans meet become a range (a Unit); units of one guest type that state
enough the same way share a template."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Guest
from .forms import best
from .plans import LIST_SLOTS, OVERRIDABLE, SLOTS, Plan
from .tokens import KEYWORDS, NAME_TOKEN


@dataclass
class Unit:
    """One guest declaration: a single guest, or a range of guests with a common plan."""

    host: str
    guests: list[Guest]
    plan: Plan
    base: str | None = None
    width: int = 0
    template: "Template | None" = None

    @property
    def key(self):
        return natural(self.guests[0].name)


@dataclass
class Template:
    name: str
    scalars: dict[str, str]
    lists: dict[str, list[str]]


def natural(name: str):
    return tuple((0, int(t), t) if t.isdigit() else (1, 0, t) for t in re.findall(r"\d+|\D+", name))


def split_number(name: str) -> tuple[str, str] | None:
    m = re.fullmatch(r"(.*?)([0-9]+)", name)
    return (m.group(1), m.group(2)) if m and m.group(1) else None


def _number_text(n: int, width: int) -> str:
    return f"{n:0{width}d}" if width else str(n)


_VARIABLE = re.compile(r"\{\{|\}\}|\{([a-z]+)\}")


def _uses_index(text: str) -> bool:
    return any(m.group(1) == "index" for m in _VARIABLE.finditer(text))


def _no_index(forms: dict[str, int]) -> dict[str, int]:
    return {t: n for t, n in forms.items() if not _uses_index(t)}


def _single(plan: Plan) -> Plan:
    """A plan for a guest declared alone: {index} exists only in ranges."""
    return Plan({s: _no_index(f) for s, f in plan.scalars.items()},
                {k: [_no_index(f) for f in items] for k, items in plan.lists.items()},
                dict(plan.defaults))


def _meet(a: Plan, b: Plan) -> Plan | None:
    """The plan both guests can share, or None when a statement differs."""
    if a.scalars.keys() != b.scalars.keys() or a.lists.keys() != b.lists.keys():
        return None
    out = Plan()
    for slot, forms in a.scalars.items():
        common = {t: n for t, n in forms.items() if t in b.scalars[slot]}
        if not common:
            return None
        out.scalars[slot] = common
    for kind, items in a.lists.items():
        other = b.lists[kind]
        if len(items) != len(other):
            return None
        out.lists[kind] = []
        for fa, fb in zip(items, other):
            common = {t: n for t, n in fa.items() if t in fb}
            if not common:
                return None
            out.lists[kind].append(common)
    out.defaults = {s: t for s, t in a.defaults.items() if b.defaults.get(s) == t}
    return out


def ranges(host: str, guests: list[Guest], plans: dict[str, Plan]) -> list[Unit]:
    """Guests named BASE + consecutive numbers with one shared plan become ranges."""
    units: list[Unit] = []
    by_base: dict[str, list[tuple[int, str, Guest]]] = {}
    for g in guests:
        parts = split_number(g.name)
        if parts is None:
            units.append(Unit(host, [g], _single(plans[g.name])))
            continue
        by_base.setdefault(parts[0], []).append((int(parts[1]), parts[1], g))
    for base, members in by_base.items():
        members.sort(key=lambda m: (m[0], m[1]))
        run: list[tuple[int, str, Guest]] = []
        shared: Plan | None = None
        width = 0

        def close():
            if len(run) >= 2:
                units.append(Unit(host, [m[2] for m in run], shared, base, width))
            else:
                units.extend(Unit(host, [m[2]], _single(plans[m[2].name])) for m in run)

        for number, text, g in members:
            plan = plans[g.name]
            if run and number == run[-1][0] + 1 and text == _number_text(number, width) \
                    and len(run) < 10000:
                merged = _meet(shared, plan)
                if merged is not None:
                    run.append((number, text, g))
                    shared = merged
                    continue
            close()
            run, shared = [(number, text, g)], plan
            width = len(text) if text.startswith("0") and len(text) > 1 else 0
        close()
    return units


def _template_of(units: list[Unit]) -> tuple[Template, int]:
    """The template these units share, and the lines it saves (negative: not worth it).
    It holds every statement all of them state the same way, the common first devices,
    and for slots every unit states (or may restate at its default), the most frequent
    statement when that saves lines; units with another value restate theirs."""
    plans = [u.plan for u in units]
    scalars: dict[str, str] = {}
    saved = 0
    for slot in SLOTS:
        if slot in LIST_SLOTS or not all(slot in p.scalars for p in plans):
            continue
        common = dict(plans[0].scalars[slot])
        for p in plans[1:]:
            common = {t: n for t, n in common.items() if t in p.scalars[slot]}
        if common:
            scalars[slot] = best(common)
            saved += len(plans) - 1
    # A template's statements are interpolated for every guest using it, also those that
    # override one: {index} there needs every user to be a range.
    ranges_only = all(u.base is not None for u in units)
    for slot in sorted(OVERRIDABLE - scalars.keys()):
        if not all(slot in p.scalars or slot in p.defaults for p in plans):
            continue
        counts: dict[str, int] = {}
        for p in plans:
            for t in p.scalars.get(slot, ()):
                if ranges_only or not _uses_index(t):
                    counts[t] = counts.get(t, 0) + 1
        if not counts:
            continue
        text = min(counts, key=lambda t: (-counts[t], len(t), t))
        restate = sum(1 for p in plans if slot not in p.scalars and p.defaults[slot] != text)
        gain = counts[text] - 1 - restate
        if gain > 0:
            scalars[slot] = text
            saved += gain
    lists: dict[str, list[str]] = {}
    for kind in sorted(LIST_SLOTS):
        seqs = [p.lists.get(kind, []) for p in plans]
        prefix = []
        for i in range(min(len(s) for s in seqs)):
            common = dict(seqs[0][i])
            for s in seqs[1:]:
                common = {t: n for t, n in common.items() if t in s[i]}
            if not common:
                break
            prefix.append(best(common))
        if prefix:
            lists[kind] = prefix
            saved += len(prefix) * (len(plans) - 1)  # each unit drops it; the template says it once
    saved -= 2  # `template NAME {` and `}`
    return Template("", scalars, lists), saved


MIN_SAVED = 2  # a template that saves a single line only makes the reader look elsewhere


def choose_templates(units: list[Unit]) -> list[Template]:
    """Per guest type (a template mixing Xen PV, HVM and KVM guests is not one a person
    writes), greedily: among the groups of units that share some statement, every unit
    stating it the same way, take the one whose template saves the most lines; repeat on
    the rest. Each unit uses at most one template."""
    chosen: list[Template] = []
    by_type: dict[str, list[Unit]] = {}
    for u in units:
        by_type.setdefault(u.guests[0].type, []).append(u)
    for kind in sorted(by_type):
        remaining = sorted(by_type[kind], key=lambda u: u.key)
        while len(remaining) >= 2:
            index: dict[tuple, list[int]] = {}
            for i, u in enumerate(remaining):
                keys = {(s, t) for s, forms in u.plan.scalars.items() for t in forms}
                keys |= {(k, 0, t) for k, items in u.plan.lists.items() for t in items[0]}
                for key in keys:
                    index.setdefault(key, []).append(i)
            groups = {tuple(range(len(remaining)))}
            groups |= {tuple(m) for m in index.values() if len(m) >= 2}
            best = None
            for members in sorted(groups):
                tpl, saved = _template_of([remaining[i] for i in members])
                rank = (saved, len(members))
                if saved >= MIN_SAVED and (best is None or rank > best[0]):
                    best = (rank, members, tpl)
            if best is None:
                break
            _, members, tpl = best
            for i in members:
                remaining[i].template = tpl
            chosen.append(tpl)
            remaining = [u for i, u in enumerate(remaining) if i not in set(members)]
    return chosen


def template_name(tpl: Template, members: list[Unit], taken: set[str]) -> str:
    guests = [g for u in members for g in u.guests]
    oses = {g.os.name if g.os else None for g in guests}
    families = {g.os.family if g.os else None for g in guests}
    types = {g.type for g in guests}
    parts = []
    if len(oses) == 1 and None not in oses and NAME_TOKEN.match(next(iter(oses))):
        parts.append(next(iter(oses)))
    elif len(families) == 1 and None not in families:
        parts.append(next(iter(families)))
    if len(types) == 1:
        parts.append({"xen-pv": "pv", "xen-hvm": "hvm"}.get(next(iter(types)), next(iter(types))))
    base = "-".join(parts) or "common"
    name, n = base, 1
    while name in taken or name in KEYWORDS:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name
