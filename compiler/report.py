"""Render diagnostics for people (full, concise) and programs (json)."""
from __future__ import annotations

import json

from .diagnostics import Diagnostic, Severity
from .source import SourceFile

_COLORS = {Severity.ERROR: "\033[1;31m", Severity.WARNING: "\033[1;33m", Severity.INFO: "\033[1;36m"}
_RESET = "\033[0m"


def concise(d: Diagnostic) -> str:
    where = f"{d.span.file}:{d.span.line}:{d.span.col}: " if d.span else ""
    return f"{where}{d.code} {d.severity}: {d.message}"


def _excerpt(src: SourceFile, span, color: bool, sev: Severity, label: str = "") -> list[str]:
    line_text = src.line(span.line).replace("\t", " ")
    gutter = str(span.line)
    pad = " " * len(gutter)
    width = (span.end_col - span.col) if span.end_line == span.line else len(line_text) - span.col + 1
    width = max(1, width)
    caret = " " * (span.col - 1) + "^" * width
    if color:
        caret = _COLORS[sev] + caret + _RESET
    return [f"{pad} |", f"{gutter} | {line_text}", f"{pad} | {caret}{(' ' + label) if label else ''}"]


def full(d: Diagnostic, sources: dict[str, SourceFile], color: bool = False) -> str:
    sev = str(d.severity)
    head = f"{sev}[{d.code}]: {d.message}"
    if color:
        head = f"{_COLORS[d.severity]}{sev}[{d.code}]{_RESET}\033[1m: {d.message}{_RESET}"
    out = [head]
    if d.span:
        out.append(f"  --> {d.span.file}:{d.span.line}:{d.span.col}")
        src = sources.get(d.span.file)
        if src:
            out.extend(_indent(_excerpt(src, d.span, color, d.severity)))
    for r in d.related:
        out.append(f"  ::: {r.span.file}:{r.span.line}:{r.span.col}: {r.message}")
        src = sources.get(r.span.file)
        if src:
            out.extend(_indent(_excerpt(src, r.span, False, Severity.INFO)))
    if d.path:
        out.append(f"   = in: {d.path}")
    if d.hint:
        out.append(f"   = help: {d.hint}")
    if d.guide:
        out.append(f"   = see: {d.guide}")
    return "\n".join(out)


def _indent(lines: list[str]) -> list[str]:
    return ["  " + line for line in lines]


def summary(diags: list[Diagnostic]) -> str:
    e = sum(d.severity is Severity.ERROR for d in diags)
    w = sum(d.severity is Severity.WARNING for d in diags)
    i = sum(d.severity is Severity.INFO for d in diags)
    parts = [f"{e} error{'s' if e != 1 else ''}", f"{w} warning{'s' if w != 1 else ''}"]
    if i:
        parts.append(f"{i} info")
    return ", ".join(parts)


def render(diags: list[Diagnostic], sources: dict[str, SourceFile], fmt: str = "full",
           color: bool = False) -> str:
    if fmt == "json":
        return json.dumps({"diagnostics": [d.to_json() for d in diags],
                           "summary": {s: sum(str(d.severity) == s for d in diags)
                                       for s in ("error", "warning", "info")}},
                          indent=2, sort_keys=True) + "\n"
    if fmt == "concise":
        return "".join(concise(d) + "\n" for d in diags)
    if not diags:
        return ""
    return "\n\n".join(full(d, sources, color) for d in diags) + "\n\n" + summary(diags) + "\n"
