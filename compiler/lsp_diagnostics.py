"""virtc diagnostics as the editor shows them, and the "suppress on this line" edit.

An open document is compiled as `virtc check FILE` would (virtc.api.check, the same
configuration), with the text of every open buffer. Its own findings are shown where
they are; an error inside a file it includes is shown on the `include` line that leads
to that file (the file itself shows it when opened); a configuration error (virtc.toml)
is shown at the top of the document, since nothing is checked until it is fixed.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from lsprotocol import types as T

from .codes import help_url
from .diagnostics import Diagnostic, Severity
from .lsp_positions import Text, span_range, units
from .lsp_scan import tokens
from .rules.base import Scope
from .ruleset import by_code
from .source import SourceFile
from .suppress import DIRECTIVE

SEVERITY = {Severity.ERROR: T.DiagnosticSeverity.Error, Severity.WARNING: T.DiagnosticSeverity.Warning,
            Severity.INFO: T.DiagnosticSeverity.Information}
_INCLUDE = re.compile(r'^[ \t]*include[ \t]+"((?:[^"\\\n]|\\.)*)"', re.MULTILINE)
PLACEHOLDER_REASON = "TODO say why"
_CONTINUED = re.compile(r"\\[ \t\f]*$")


def uri_of(path: str) -> str:
    from pygls.uris import from_fs_path

    return from_fs_path(path) or path


def _range(src: SourceFile | None, span, encoding: str) -> T.Range:
    if src is None or span is None:
        return T.Range(T.Position(0, 0), T.Position(0, 0))
    (l0, c0), (l1, c1) = span_range(src, span, encoding)
    return T.Range(T.Position(l0, c0), T.Position(l1, c1))


def _includes_leading_to(root: str, sources: dict[str, SourceFile]) -> dict[str, tuple[int, int]]:
    """For each file the root reads through includes: the (start, end) offsets in the root
    of the include statement that leads to it."""
    def includes(path: str) -> list[tuple[str, int, int]]:
        src = sources.get(path)
        if src is None:
            return []
        base = os.path.dirname(path)
        return [(os.path.normpath(os.path.join(base, m.group(1))), m.start(), m.end())
                for m in _INCLUDE.finditer(src.text)]

    norm = {os.path.normpath(p): p for p in sources}
    out: dict[str, tuple[int, int]] = {}
    for target, start, end in includes(root):
        todo = [target]
        while todo:
            path = todo.pop()
            if path in out or path == os.path.normpath(root):
                continue
            out[path] = (start, end)
            todo.extend(t for t, _, _ in includes(norm.get(path, path)))
    return out


def convert(diags: list[Diagnostic], root: str, sources: dict[str, SourceFile],
            encoding: str, root_uri: str | None = None, docs_url: str | None = None) -> list[T.Diagnostic]:
    """The root document's diagnostics, in LSP terms (root_uri: the document's URI as the
    client spelled it; other files get URIs made from their paths). Under `docs_url` (the
    configuration's docs-url) each code links to its page of the rule reference."""
    root_norm = os.path.normpath(root)

    def uri(path: str) -> str:
        return root_uri if root_uri and os.path.normpath(path) == root_norm else uri_of(path)

    root_src = sources.get(root)
    leading: dict[str, tuple[int, int]] | None = None
    out = []
    for d in diags:
        file = os.path.normpath(d.span.file) if d.span is not None else root_norm
        message = d.message + (f"\nhelp: {d.hint}" if d.hint else "")
        related = [T.DiagnosticRelatedInformation(
            T.Location(uri(r.span.file), _range(sources.get(r.span.file), r.span, encoding)), r.message)
            for r in d.related if r.span is not None]
        data = None  # set on findings shown away from where they are: they cannot be suppressed here
        if file == root_norm:
            rng = _range(root_src, d.span, encoding)
        else:
            data = {"file": d.span.file}
            if leading is None:
                leading = _includes_leading_to(root, sources)
            where = f"{os.path.relpath(d.span.file, os.path.dirname(root))}:{d.span.line}:{d.span.col}"
            here = T.Location(uri(d.span.file), _range(sources.get(d.span.file), d.span, encoding))
            related.insert(0, T.DiagnosticRelatedInformation(here, d.message))
            if file in leading:
                if d.severity is not Severity.ERROR:
                    continue  # shown in the included file itself when it is opened
                start, end = leading[file]
                rng = _range(root_src, root_src.span(start, end), encoding) if root_src else _range(None, None, "")
                message = f"in included file {where}: {message}"
            else:  # the configuration file
                rng = _range(None, None, encoding)
                message = f"{where}: {message}"
        if data is None and d.fix is not None and root_src is not None and os.path.normpath(d.fix.file) == root_norm:
            data = {"fix": fix_data(d, root_src, encoding)}
        href = help_url(docs_url, d.code) if d.code in by_code() else None
        out.append(T.Diagnostic(
            range=rng, message=message, severity=SEVERITY[d.severity], code=d.code, source="virtc",
            code_description=T.CodeDescription(href) if href else None,
            related_information=related or None, data=data))
    return out


# ---------------------------------------------------------------- fixes as quick fixes

def fix_data(d: Diagnostic, src: SourceFile, encoding: str) -> dict:
    """A finding's fix as the diagnostic's `data`, in the editor's positions, for the code
    action that applies it: {"title", "safe", "edits": [[line, col, end_line, end_col, text]]}."""
    edits = []
    for e in d.fix.edits:
        (l0, c0), (l1, c1) = span_range(src, src.span(e.start, e.end), encoding)
        edits.append([l0, c0, l1, c1, e.text])
    return {"title": d.fix.message, "safe": d.fix.safe, "edits": edits}


def fix_action(uri: str, d: T.Diagnostic) -> T.CodeAction | None:
    """The quick fix that applies a finding's own fix (preferred when it is safe)."""
    fix = d.data.get("fix") if isinstance(d.data, dict) else None
    if not fix:
        return None
    edits = [T.TextEdit(T.Range(T.Position(l0, c0), T.Position(l1, c1)), text) for l0, c0, l1, c1, text in fix["edits"]]
    return T.CodeAction(title=f"Fix {d.code}: {fix['title']}" + ("" if fix["safe"] else " (unsafe)"),
                        kind=T.CodeActionKind.QuickFix, diagnostics=[d], is_preferred=bool(fix["safe"]),
                        edit=T.WorkspaceEdit(changes={uri: edits}))


# ---------------------------------------------------------------- suppressing on a line

@dataclass(frozen=True)
class LineEdit:
    """Replace characters [start, end) of line `line` (0-based, in characters) by `text`."""

    line: int
    start: int
    end: int
    text: str


def suppressible(code: str | int | None) -> bool:
    """The editor offers to suppress rules' findings. The language's own codes can be
    suppressed too, but an error of the language stops compiling whether hidden or not
    (VR041), so offering it would only trade one error for another."""
    rule = by_code().get(code) if isinstance(code, str) else None
    return rule is not None and rule.scope is not Scope.LANGUAGE


def suppress_edit(text: Text, line: int, code: str) -> LineEdit:
    """The edit that makes `line` carry `# virtc: ignore[CODE] reason`:

    * an `ignore[...]` comment already there gets the code added to its list;
    * another trailing comment becomes the reason of the directive;
    * a statement continued on the next line (`\\`) cannot take a trailing comment, so the
      directive goes on its own line above, which covers the statement that starts next;
    * otherwise the directive is appended."""
    src = text.line(line)
    toks = tokens(src)
    comment = next((t for t in toks if t.kind == "comment"), None)
    code_part = src[:comment.start] if comment else src
    continued = bool(_CONTINUED.search(src))
    if comment is not None:
        m = DIRECTIVE.match(comment.text)
        if m and m.group("kind") == "ignore":
            close = comment.start + m.end("codes")
            codes = m.group("codes").strip()
            return LineEdit(line, close, close, f", {code}" if codes else code)
        if not m and code_part.strip():
            body = comment.text[1:].strip() or PLACEHOLDER_REASON
            return LineEdit(line, comment.start, len(src), f"# virtc: ignore[{code}] {body}")
    if continued or not code_part.strip() or comment is not None:
        first = line  # the directive goes above the line where the statement starts
        while first > 0 and _CONTINUED.search(text.line(first - 1)):
            first -= 1
        indent = re.match(r"[ \t]*", text.line(first)).group()
        return LineEdit(first, 0, 0, f"{indent}# virtc: ignore[{code}] {PLACEHOLDER_REASON}\n")
    end = len(src.rstrip())
    return LineEdit(line, end, len(src), f"  # virtc: ignore[{code}] {PLACEHOLDER_REASON}")


def text_edit(text: Text, edit: LineEdit, encoding: str) -> T.TextEdit:
    line = text.line(edit.line)
    return T.TextEdit(T.Range(T.Position(edit.line, units(line[:edit.start], encoding)),
                              T.Position(edit.line, units(line[:edit.end], encoding))), edit.text)
