"""Render diagnostics for people (full, concise), programs (json, sarif) and CI (github)."""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from urllib.parse import quote

from .diagnostics import Diagnostic, Severity
from .source import SourceFile, Span

FORMATS = ("full", "concise", "json", "sarif", "github")

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
           color: bool = False, base: str | None = None, docs_url: str | None = None) -> str:
    """`base` is the folder paths are made relative to (sarif, github): the working one.
    `docs_url` is the base URL of the rule reference (sarif's helpUri)."""
    if fmt == "sarif":
        return json.dumps(sarif(diags, base, docs_url), indent=2, ensure_ascii=False) + "\n"
    if fmt == "github":
        return "".join(github(d, base) + "\n" for d in diags)
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


# -- paths relative to the working folder (sarif, github) --------------------------------

def _relative(path: str, base: str | None) -> str | None:
    """`path` relative to `base` with forward slashes, or None when it lies outside."""
    base = os.path.abspath(base or os.getcwd())
    full = os.path.abspath(path)
    try:
        if os.path.commonpath([base, full]) != base:
            return None
    except ValueError:  # another drive
        return None
    return Path(os.path.relpath(full, base)).as_posix()


# -- github: workflow commands that GitHub Actions turns into annotations ----------------

_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    # The runner reads one command per line and decodes these three (GitHub's docs).
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    # Properties are also split on "," and end at "::".
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(d: Diagnostic, base: str | None = None) -> str:
    props = []
    if d.span:
        props.append(("file", _relative(d.span.file, base) or d.span.file))
        props.append(("line", str(d.span.line)))
        if d.span.end_line > d.span.line:
            props.append(("endLine", str(d.span.end_line)))
        else:
            # Annotations take columns only within one line; endColumn is the last column
            # marked (virtc's spans end just after it, as SARIF's regions do).
            props += [("col", str(d.span.col)), ("endColumn", str(max(d.span.col, d.span.end_col - 1)))]
    props.append(("title", d.code))
    text = d.message
    if d.path:
        text += f"\nin: {d.path}"
    if d.hint:
        text += f"\nhelp: {d.hint}"
    fields = ",".join(f"{k}={_escape_property(v)}" for k, v in props)
    return f"::{_GITHUB_LEVEL[d.severity]} {fields}::{_escape_data(text)}"


# -- sarif: SARIF 2.1.0 for code scanning (GitHub, GitLab, IDE viewers) -------------------

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_NUMBER = re.compile(r"\b\d[\d.,]*")


def _fingerprint_key(d: Diagnostic, rel: str) -> str:
    """What identifies a finding from run to run: not its line (edits above move it), nor
    the numbers in its message (a size that changes is still the same problem), nor the
    list of other guests a template's finding also applies to."""
    message = d.message.split("; also in ", 1)[0]
    message = _NUMBER.sub("#", message)
    return "\0".join((d.code, rel, d.path, message))


def _location(span, base: str | None) -> dict:
    rel = _relative(span.file, base)
    artifact = ({"uri": quote(rel), "uriBaseId": "%SRCROOT%"} if rel is not None
                else {"uri": Path(os.path.abspath(span.file)).as_uri()})
    physical: dict = {"artifactLocation": artifact}
    if span.line >= 1:
        end_line = max(span.line, span.end_line)
        end_col = span.end_col if end_line > span.line else max(span.col, span.end_col)
        physical["region"] = {"startLine": span.line, "startColumn": max(1, span.col),
                              "endLine": end_line, "endColumn": max(1, end_col)}
    return {"physicalLocation": physical}


def _rule(code: str, seen: Severity, docs_url: str | None = None) -> dict:
    from .codes import describe, help_url

    info = describe(code)
    rule: dict = {"id": code}
    if info.name:
        rule["name"] = info.name
    url = help_url(docs_url, code) if info.name else None
    if url:
        rule["helpUri"] = url
    help_text = info.text + (f"\n\nSource: {info.reference}" if info.reference else "")
    rule.update({
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": info.text},
        "help": {"text": help_text},
        # A code no class declares has no default: what was seen is it.
        "defaultConfiguration": {"level": _SARIF_LEVEL[info.severity or seen]},
    })
    return rule


def _driver() -> dict:
    from importlib import metadata

    from . import __version__

    driver = {"name": "virtc", "version": __version__, "semanticVersion": __version__}
    try:
        meta = metadata.metadata("virtc")
    except metadata.PackageNotFoundError:
        return driver
    urls = [u.split(",", 1)[1].strip() for u in meta.get_all("Project-URL") or [] if "," in u]
    home = meta.get("Home-page") or (urls[0] if urls else None)
    if home:
        driver["informationUri"] = home
    return driver


def _sarif_fix(fix, base: str | None) -> dict:
    """A finding's fix as SARIF's `fix`: one artifactChange of replacements, each region
    given by character offset and length (the log's columnKind counts code points, as
    virtc's offsets do)."""
    location = _location(Span(fix.file, 0, 0, 0, 0), base)["physicalLocation"]["artifactLocation"]
    return {"description": {"text": f"{fix.message} ({fix.applicability})"},
            "artifactChanges": [{"artifactLocation": location, "replacements": [
                {"deletedRegion": {"charOffset": e.start, "charLength": e.end - e.start},
                 "insertedContent": {"text": e.text}} for e in fix.edits]}]}


def sarif(diags: list[Diagnostic], base: str | None = None, docs_url: str | None = None) -> dict:
    """One run of virtc as a SARIF 2.1.0 log: rule metadata for every code that occurs
    (with a link to its page of the rule reference under `docs_url`), locations relative to
    the working folder (%SRCROOT%), fingerprints that survive edits."""
    base = os.path.abspath(base or os.getcwd())
    codes: dict[str, Severity] = {}
    for d in diags:
        codes.setdefault(d.code, d.severity)
    order = sorted(codes)
    index = {code: i for i, code in enumerate(order)}
    results, occurrences = [], {}
    for d in diags:
        result: dict = {"ruleId": d.code, "ruleIndex": index[d.code], "level": _SARIF_LEVEL[d.severity],
                        "message": {"text": d.message + (f"\nhelp: {d.hint}" if d.hint else "")}}
        rel = ""
        if d.span:
            location = _location(d.span, base)
            if d.path:
                location["logicalLocations"] = [{"fullyQualifiedName": d.path,
                                                 "name": d.path.rsplit(" / ", 1)[-1]}]
            result["locations"] = [location]
            rel = _relative(d.span.file, base) or os.path.abspath(d.span.file)
        if d.related:
            result["relatedLocations"] = [{"id": i, **_location(r.span, base), "message": {"text": r.message}}
                                          for i, r in enumerate(d.related, 1)]
        if d.fix is not None:
            result["fixes"] = [_sarif_fix(d.fix, base)]
        key = hashlib.sha256(_fingerprint_key(d, rel).encode()).hexdigest()[:32]
        occurrences[key] = occurrences.get(key, 0) + 1  # the same finding twice: number them
        result["partialFingerprints"] = {"virtcFinding/v1": f"{key}:{occurrences[key]}"}
        props = {k: v for k, v in (("path", d.path), ("hint", d.hint), ("guide", d.guide)) if v}
        if props:
            result["properties"] = props
        results.append(result)
    driver = _driver()
    driver["rules"] = [_rule(code, codes[code], docs_url) for code in order]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(base).as_uri().rstrip("/") + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
