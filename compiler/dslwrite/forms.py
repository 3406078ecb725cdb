"""Interpolation forms: the ways to write a string the compiler interpolates for one
guest, with {name}, {host} and {index} where the guest's values stand as whole words.
Guests whose statements have a form in common can share them (in a range or a
template); best() picks the form a person would write."""
from __future__ import annotations

from dataclasses import dataclass

from .tokens import KEYWORDS, NAME_TOKEN, check_chars, escape


@dataclass(frozen=True)
class Interp:
    """A string the compiler interpolates: it may be written with {name}, {host}, {index}.
    `bare`: the position also takes a plain name, which is not interpolated."""

    value: str
    what: str
    bare: bool = False


def _candidates(value: str, env: dict[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, variable) where a variable's value stands as a whole word."""
    out = []
    for var, text in env.items():
        if not text:
            continue
        digits = var == "index"
        start = value.find(text)
        while start >= 0:
            end = start + len(text)
            before = value[start - 1] if start else ""
            after = value[end] if end < len(value) else ""
            joined = (lambda c: c.isdigit()) if digits else (lambda c: c.isalnum())
            if not (before and joined(before)) and not (after and joined(after)):
                out.append((start, end, var))
            start = value.find(text, start + 1)
    return sorted(out)


def _choices(cands: list[tuple[int, int, str]]) -> list[list[tuple[int, int, str]]]:
    """Non-overlapping subsets of the candidates (all of them when few)."""
    if len(cands) > 6:  # too many to try every subset: none, or every name greedily
        chosen, end = [], -1
        for c in cands:
            if c[0] >= end and c[2] == "name":
                chosen.append(c)
                end = c[1]
        return [[], chosen] if chosen else [[]]
    out: list[list] = []

    def rec(i: int, end: int, acc: list) -> None:
        if i == len(cands):
            out.append(list(acc))
            return
        rec(i + 1, end, acc)
        if cands[i][0] >= end:
            acc.append(cands[i])
            rec(i + 1, cands[i][1], acc)
            acc.pop()

    rec(0, 0, [])
    return out


def interp_forms(value: str, env: dict[str, str], what: str) -> dict[str, int]:
    """Every way to write `value` as an interpolated string for this guest: quoted text ->
    how many variables it uses. Each expands to exactly `value` for the guest's env."""
    check_chars(value, what)
    forms: dict[str, int] = {}
    for chosen in _choices(_candidates(value, env)):
        parts, pos = [], 0
        for start, end, var in chosen:
            parts.append(escape(value[pos:start], True))
            parts.append("{" + var + "}")
            pos = end
        parts.append(escape(value[pos:], True))
        forms['"' + "".join(parts) + '"'] = len(chosen)
    return forms


def statement_forms(parts: list, env: dict[str, str]) -> dict[str, int]:
    """A statement made of fixed text and Interp values -> its forms."""
    forms = {"": 0}
    for p in parts:
        if isinstance(p, str):
            alts = {p: 0}
        else:
            alts = interp_forms(p.value, env, p.what)
            if p.bare and NAME_TOKEN.match(p.value) and p.value not in KEYWORDS:
                alts[p.value] = 0
        forms = {a + b: n + m for a, n in forms.items() for b, m in alts.items()}
    return forms


def best(forms) -> str:
    """The form a person would write: the fewest variables, then the shortest."""
    return min(forms.items(), key=lambda kv: (kv[1], len(kv[0]), kv[0]))[0]
