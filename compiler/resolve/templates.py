"""Templates and ranges: a guest declaration stamps out one guest per name of its range,
each taking its templates' statements (the farthest ancestor first) before its own, and
strings in them interpolate {name}, {host} and {index}."""
from __future__ import annotations

import re

from ..bounds import BOUNDS
from ..conventions import INTERP_RE
from ..diagnostics import Related
from ..numbers import NumberError, whole
from ..source import Span
from ..suggest import did_you_mean
from ..syntax import GuestDecl, TemplateDecl, Value
from .scalars import ValueReader, clip

RANGE = BOUNDS["range_guests"]


class Interpolation(ValueReader):
    """What guest statements add to reading values: their strings are interpolated."""

    def __init__(self):
        super().__init__()
        # text -> the same text as a str.format template, or None where it has a brace
        # that is not {{, }} or {variable}: a template's string is read once per guest
        self._formats: dict[str, str | None] = {}

    def interpolate(self, v: Value, env: dict[str, str]) -> str | None:
        """Replace {name}, {host}, {index}; {{ and }} are literal braces."""
        text = v.text
        if "{" not in text and "}" not in text:
            return text
        fmt = self._formats.get(text, "")
        if fmt == "":
            fmt = self._formats[text] = _format_of(text)
        if fmt is not None:
            try:
                return fmt.format_map(env)
            except KeyError:
                pass  # an unknown variable: reported below
        return self._interpolate(v, env)

    def _interpolate(self, v: Value, env: dict[str, str]) -> str | None:
        ok = True

        def sub(m: re.Match) -> str:
            nonlocal ok
            tok = m.group(0)
            if tok == "{{":
                return "{"
            if tok == "}}":
                return "}"
            var = m.group(1)
            if var is None:
                ok = False
                self.err("VR008", f"unmatched '{tok}' in string", v.span,
                         hint="write {{ or }} for a literal brace")
                return tok
            if var in env:
                return env[var]
            ok = False
            col = v.span.col + 1 + m.start()
            span = Span(v.span.file, v.span.line, col, v.span.line, col + len(tok),
                        v.span.start + 1 + m.start(), v.span.start + 1 + m.end())
            known = sorted(env) or ["name", "host"]
            hint = did_you_mean(var, known) or f"known variables: {', '.join('{' + k + '}' for k in known)}"
            if var == "index":
                hint = "{index} is defined only for guests stamped from a range such as web[01..12]"
            self.err("VR008", f"unknown variable '{{{var}}}' in string", span, hint=hint)
            return tok

        out = INTERP_RE.sub(sub, v.text)
        return out if ok else None


_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _format_of(text: str) -> str | None:
    """`text` as a str.format template that interpolate() would expand the same way: only
    {{, }} and {identifier} in it (str.format reads {0}, {a.b}, {a[b]} and {a:b} otherwise)."""
    for m in INTERP_RE.finditer(text):
        var = m.group(1)
        if m.group(0) not in ("{{", "}}") and (var is None or not _VARIABLE.match(var)):
            return None
    return text



def range_names(c: ValueReader, decl: GuestDecl) -> list[tuple[str, int | None]]:
    base = decl.name.text
    if decl.range is None:
        return [(base, None)]
    start_t, end_t = decl.range.start.text, decl.range.end.text
    try:  # digits bounded before int(): a 9,000-digit range end is refused, not converted
        start, end = (whole(t, "range bound", 0, 10 ** 18) for t in (start_t, end_t))
    except NumberError as exc:
        c.err(RANGE.code, f"range [{clip(start_t)}..{clip(end_t)}]: {exc}", decl.range.span, hint=exc.hint)
        return []
    if end < start:
        c.err("VR016", f"range [{start_t}..{end_t}] is empty: it counts down", decl.range.span,
              hint=f"write [{end_t}..{start_t}]")
        return []
    if end - start + 1 > RANGE.value:
        c.err(RANGE.code, f"range [{start_t}..{end_t}] stamps out {end - start + 1:,} guests; virtc "
                          f"takes at most {RANGE.value:,} per range", decl.range.span,
              hint="split the range into several declarations")
        return []
    width = len(start_t) if start_t.startswith("0") and len(start_t) > 1 else 0
    return [(f"{base}{i:0{width}d}", i) for i in range(start, end + 1)]


def template_chain(c: ValueReader, templates: dict[str, TemplateDecl], name: Value,
                    ) -> list[TemplateDecl] | None:
    chain: list[TemplateDecl] = []
    current: Value | None = name
    while current is not None:
        decl = templates.get(current.text)
        if decl is None:
            hint = did_you_mean(current.text, templates) or (
                f"declare `template {current.text} {{ ... }}`" if not templates else
                f"known templates: {', '.join(sorted(templates))}")
            c.err("VR001", f"unknown template '{current.text}'", current.span, hint=hint)
            return None
        if decl in chain:
            cycle = chain[chain.index(decl):]
            key = frozenset(t.name.text for t in cycle)
            if key in c.cycles:
                return None
            c.cycles.add(key)
            names = " -> ".join(t.name.text for t in cycle + [decl])
            c.err("VR017", f"template inheritance cycle: {names}", decl.header,
                  related=tuple(Related(t.header, f"template {t.name.text}") for t in cycle if t is not decl))
            return None
        chain.append(decl)
        current = decl.parent
    return chain


