"""The rule reference: `virtc docs -o DIR` writes a static HTML site with an index of every
code virtc can emit (the rules and the language's own VP, VR, VT codes) and one page per
code: its documentation (the rule's docstring), its metadata, the limits it reads from
schemas/limits.json, and a bad and a good example from its case files
(tests/cases/CODE/fail* and pass*), or, where the package was installed without its
tests, the example of its documentation.

Plain HTML and one CSS file, no script. Every text is escaped; the output depends only
on the rules, the limits and the case files, so two runs write the same bytes. SARIF's
`helpUri` and the editor's code link point at these pages when virtc.toml sets
`docs-url` (codes.help_url).
"""
from __future__ import annotations

import inspect
import json
import os
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from . import __version__
from .atomic import write_file
from .codes import AREAS, fix_kind, page_name
from .limits import Limit, limits
from .rules.base import Scope
from .ruleset import all_rules, by_code

STYLE = "style.css"
INDEX = "index.html"
LIMITS_ID = "limits"  # the anchor of a page's table of limits

CSS = """\
body { font-family: sans-serif; line-height: 1.45; max-width: 62rem; margin: 1.5rem auto; padding: 0 1rem;
       color: #1d1d1d; background: #fff; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; } h3 { font-size: 1rem; }
code, pre { font-family: monospace; background: #f3f3f3; }
pre { padding: .6rem .8rem; overflow-x: auto; border-left: 3px solid #ccc; }
.bad pre { border-left-color: #c0392b; } .good pre { border-left-color: #27ae60; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .25rem .5rem; border-bottom: 1px solid #ddd; }
th { background: #f7f7f7; }
.error { color: #b00020; } .warning { color: #9a6700; } .info { color: #0b5cad; }
.meta th { width: 11rem; background: none; }
nav, footer { font-size: .9rem; color: #555; }
footer { margin-top: 2rem; border-top: 1px solid #ddd; padding-top: .5rem; }
"""

# The headings of a rule's documentation (rules/base.py).
HEADINGS = ("What it checks", "Why", "Example", "Fix")
_CODE_REF = re.compile(r"\bV[A-Z]\d{3}\b")
_TICKS = re.compile(r"`([^`]+)`")
_INCLUDE = re.compile(r'^[ \t]*include[ \t]+"([^"\n]*)"', re.MULTILINE)
DOCUMENTATION = "the documentation"  # the source of an example that is not a case
INCLUDED = " (included)"  # the label's end of a file a case includes
# A folder case shows at most this many files; the rest are named.
MAX_FILES = 12


# -- examples ------------------------------------------------------------------------

@dataclass(frozen=True)
class Example:
    """A bad or good example: the files of one case (path label, text), or the snippet of
    the documentation."""

    source: str  # where it comes from: "VS101/fail.virt", or DOCUMENTATION
    files: tuple[tuple[str, str], ...]
    more: tuple[str, ...] = ()  # files of a folder case not shown


def default_cases() -> Path | None:
    """tests/cases beside the package, when virtc runs from its source tree."""
    here = Path(__file__).resolve().parent.parent / "tests" / "cases"
    return here if here.is_dir() else None


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace")


def _label(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _includes(path: Path, root: Path) -> list[Path]:
    """The files inside the cases a .virt case includes (tests/cases/hosts.virt)."""
    if path.suffix != ".virt":
        return []
    out = []
    for m in _INCLUDE.finditer(_read(path)):
        target = (path.parent / m.group(1)).resolve()
        if target.is_file() and target.is_relative_to(root.resolve()):
            out.append(target)
    return out


def case_example(cases: Path, code: str, kind: str) -> Example | None:
    """The `kind` ("fail" or "pass") case of `code` that shows it best: a single file named
    kind.EXT first, then other single files, then folders (a host tree: every file, by its
    path in the tree), each in name order. Files a .virt case includes come with it."""
    folder = cases / code
    if not folder.is_dir():
        return None
    entries = sorted(p for p in folder.iterdir() if p.name.startswith(kind))
    files = sorted((p for p in entries if p.is_file()), key=lambda p: (p.stem != kind, p.name))
    dirs = [p for p in entries if p.is_dir()]
    if files:
        shown, base, label = [files[0]], cases, _label(files[0], cases)
    elif dirs:
        tree = dirs[0]
        shown = sorted((p for p in tree.rglob("*") if p.is_file()), key=lambda p: p.relative_to(tree).as_posix())
        base, label = tree, _label(tree, cases) + "/"
    else:
        return None
    root = cases.resolve()
    own = {p.resolve() for p in shown}
    extra: list[Path] = []
    for p in shown:
        extra += [inc for inc in _includes(p, cases) if inc not in own and inc not in extra]
    listed = [(_label(p, base), _read(p)) for p in shown[:MAX_FILES]]
    listed += [(inc.relative_to(root).as_posix() + INCLUDED, _read(inc)) for inc in extra]
    return Example(label, tuple(listed), tuple(_label(p, base) for p in shown[MAX_FILES:]))


def doc_sections(rule) -> dict[str, str]:
    """The documentation's sections by heading ("What it checks", "Why", "Example", "Fix"),
    each as written (the heading's own words removed)."""
    text = inspect.cleandoc(rule.__doc__ or "")
    out: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        head = next((h for h in HEADINGS if line.startswith(h + ":")), None)
        if head is not None:
            current = head
            out[head] = line[len(head) + 1:].strip()
            continue
        if current is not None:
            out[current] += "\n" + line
    return {k: v.strip("\n") for k, v in out.items()}


def doc_examples(rule) -> tuple[Example | None, Example | None]:
    """Without case files: the documentation's example (bad) and its fix (good)."""
    sections = doc_sections(rule)
    bad = inspect.cleandoc(sections.get("Example", ""))
    good = " ".join(sections.get("Fix", "").split())
    return (Example(DOCUMENTATION, (("Example", bad),)) if bad else None,
            Example(DOCUMENTATION, (("Fix", good),)) if good else None)


# -- documentation text as HTML ---------------------------------------------------------

def _inline(text: str, known: set[str], here: str) -> str:
    """Prose: escaped, `code` marked, other codes linked to their pages."""
    out = []
    for i, part in enumerate(_TICKS.split(text)):
        if i % 2:
            out.append(f"<code>{escape(part)}</code>")
        else:
            out.append(_link_codes(escape(part), known, here))
    return "".join(out)


def _link_codes(escaped: str, known: set[str], here: str) -> str:
    def link(m: re.Match) -> str:
        code = m.group(0)
        if code not in known or code == here:
            return code
        return f'<a href="{page_name(code)}">{code}</a>'

    return _CODE_REF.sub(link, escaped)


def doc_html(body: str, known: set[str], here: str) -> str:
    """A rule's documentation body as HTML: a heading per section, paragraphs, and the
    indented lines (examples) as preformatted text."""
    out: list[str] = []
    for block in re.split(r"\n[ \t]*\n", body.strip("\n")):
        groups: list[tuple[bool, list[str]]] = []
        for line in block.splitlines():
            indented = line.startswith((" ", "\t"))
            if groups and groups[-1][0] == indented:
                groups[-1][1].append(line)
            else:
                groups.append((indented, [line]))
        for indented, lines in groups:
            if indented:
                out.append(f"<pre><code>{escape(inspect.cleandoc(chr(10).join(lines)))}</code></pre>")
                continue
            text = " ".join(line.strip() for line in lines)
            head = next((h for h in HEADINGS if text.startswith(h + ":")), None)
            if head is not None:
                out.append(f"<h2>{escape(head)}</h2>")
                text = text[len(head) + 1:].strip()
            if text:
                out.append(f"<p>{_inline(text, known, here)}</p>")
    return "\n".join(out)


# -- limits ------------------------------------------------------------------------------

# Units said after the number; the others (pattern, release, table, ratio, port ...) name
# what kind of value it is.
_COUNTED = {"devices", "slots", "functions", "NICs", "milliseconds"}


def limit_value(limit: Limit, short: bool = False) -> str:
    """A limit's value as text; `short` gives tables and long lists as a word only."""
    v = limit.value
    if isinstance(v, (dict, list)):
        if not short:
            return json.dumps(v, sort_keys=True, ensure_ascii=False, indent=1)
        text = json.dumps(v, sort_keys=True, ensure_ascii=False)
        if isinstance(v, dict) or len(text) > 60:
            return "(table)" if isinstance(v, dict) else f"({len(v)} entries)"
        return ", ".join(x if isinstance(x, str) else json.dumps(x, sort_keys=True) for x in v)
    if limit.unit in ("KiB", "MiB", "GiB", "TiB"):
        return limit.shown
    return f"{v} {limit.unit}" if limit.unit in _COUNTED else f"{v}"


def _limits_of(rule) -> list[Limit]:
    data = limits()
    return [data[k] for k in rule.uses]


# -- pages --------------------------------------------------------------------------------

def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n"
            f'<link rel="stylesheet" href="{STYLE}">\n</head>\n<body>\n'
            f"{body}\n"
            f"<footer>virtc {escape(__version__)}: rules of the RHEL 5 Virtualization Guide. "
            f'<a href="{INDEX}">All codes</a></footer>\n'
            "</body>\n</html>\n")


def _source(rule) -> str:
    if rule.section == "virtc":
        return "virtc's own check (no item of the guide)"
    return f"{rule.section}, lines {rule.lines}"


def _scope(rule) -> str:
    if rule.scope is Scope.DOCUMENT and rule.formats:
        return f"document ({', '.join(rule.formats)})"
    return rule.scope.value


def _example_html(kind: str, ex: Example | None) -> str:
    title = {"bad": "Bad", "good": "Good"}[kind]
    if ex is None:
        return f'<section class="{kind}">\n<h3>{title}</h3>\n<p>No example.</p>\n</section>'
    parts = [f'<section class="{kind}">', f"<h3>{title}: <code>{escape(ex.source)}</code></h3>"
             if ex.source != DOCUMENTATION else f"<h3>{title} (from the documentation)</h3>"]
    for name, text in ex.files:
        if ex.source == DOCUMENTATION and name == "Fix":
            parts.append(f"<p>{_inline(text, set(), '')}</p>")
            continue
        block = f"<pre><code>{escape(text.rstrip())}</code></pre>"
        if name.endswith(INCLUDED):
            parts.append(f"<details>\n<summary><code>{escape(name)}</code></summary>\n{block}\n</details>")
            continue
        if name != ex.source and ex.source != DOCUMENTATION:
            parts.append(f"<p><code>{escape(name)}</code></p>")
        parts.append(block)
    if ex.more:
        parts.append(f"<p>And {len(ex.more)} more files: "
                     f"{', '.join(f'<code>{escape(m)}</code>' for m in ex.more)}.</p>")
    parts.append("</section>")
    return "\n".join(parts)


def code_page(rule, cases: Path | None) -> str:
    known = set(by_code())
    doc = rule.doc()
    rows = [("Name", f"<code>{escape(rule.name)}</code>"),
            ("Severity", f'<span class="{rule.severity}">{rule.severity}</span> (the default)'),
            ("Checklist", escape(", ".join(rule.checklist)) or "none"),
            ("Guide", escape(_source(rule))),
            ("Scope", escape(_scope(rule))),
            ("Automatic fix", escape(f"{fix_kind(rule)}: {rule.fix_title}" if fix_kind(rule) else "no"))]
    meta = "\n".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    # The docstring's whole body after the summary (a summary may wrap onto two lines).
    text = inspect.cleandoc(rule.__doc__ or "")
    summary_par, _, body = text.partition("\n\n")
    parts = [f'<nav><a href="{INDEX}">virtc rule reference</a></nav>',
             f"<h1>{escape(rule.code)} {escape(rule.name)}</h1>",
             f"<p><strong>{_inline(' '.join(summary_par.split()) or doc.summary, known, rule.code)}</strong></p>",
             f'<table class="meta">\n{meta}\n</table>']
    if rule.scope is Scope.LANGUAGE:
        parts.append("<p>A code of the language itself: it stops the build when it is an error, whatever the "
                     "configuration says of its severity.</p>")
    parts.append(doc_html(body, known, rule.code))
    used = _limits_of(rule)
    if used:
        parts.append(f'<h2 id="{LIMITS_ID}">Limits</h2>\n<p>The documented numbers this rule reads from '
                     "<code>schemas/limits.json</code>:</p>")
        rows_l = ["<tr><th>key</th><th>value</th><th>meaning</th><th>guide</th></tr>"]
        for lim in used:
            value = escape(limit_value(lim))
            table = isinstance(lim.value, (dict, list))
            value = f"<pre><code>{value}</code></pre>" if table else f"<code>{value}</code>"
            rows_l.append(f"<tr><td><code>{escape(lim.key)}</code></td><td>{value}</td><td>{escape(lim.summary)}</td>"
                          f"<td>{escape(lim.section)}, lines {escape(lim.lines)} ({escape(', '.join(lim.checklist))})"
                          "</td></tr>")
        parts.append("<table>\n" + "\n".join(rows_l) + "\n</table>")
    bad = good = None
    if cases is not None:
        bad, good = case_example(cases, rule.code, "fail"), case_example(cases, rule.code, "pass")
    if bad is None and good is None:
        bad, good = doc_examples(rule)
    parts.append("<h2>Examples</h2>")
    if any(ex is not None and ex.source != DOCUMENTATION for ex in (bad, good)):
        parts.append("<p>From virtc's test cases: the bad one marks each finding it must produce with "
                     "<code>#&gt; CODE severity line:col</code>; the good one produces none of this code.</p>")
    parts.append(_example_html("bad", bad))
    parts.append(_example_html("good", good))
    return _page(f"{rule.code} {rule.name} - virtc", "\n".join(parts))


def _short_value(lim: Limit, code: str) -> str:
    """A limit in the index: its value, or a link to the page's table of limits."""
    text = escape(limit_value(lim, short=True))
    if text.startswith("("):
        return f'<a href="{page_name(code)}#{LIMITS_ID}">{text}</a>'
    return text


def index_page(rules) -> str:
    prefixes = sorted({r.code[:2] for r in rules})
    nav = " ".join(f'<a href="#{p}">{p}</a>' for p in prefixes)
    head = ("<tr><th>code</th><th>name</th><th>severity</th><th>checklist</th><th>guide</th><th>fix</th>"
            "<th>limits</th></tr>")
    parts = ["<h1>virtc rule reference</h1>",
             f"<p>Every code virtc can report: {len(rules)} codes, the rules of the RHEL 5 Virtualization Guide "
             "and the language's own (VP, VR, VT). Each page gives the code's documentation, the numbers it "
             "reads from <code>schemas/limits.json</code>, and a bad and a good example.</p>",
             f"<nav>{nav}</nav>"]
    for p in prefixes:
        area = f": {escape(AREAS[p])}" if p in AREAS else ""
        parts.append(f'<h2 id="{p}">{p}{area}</h2>\n<table>\n{head}')
        for r in (r for r in rules if r.code.startswith(p)):
            lims = "<br>".join(f"<code>{escape(lim.key)}</code> = {_short_value(lim, r.code)}"
                               for lim in _limits_of(r))
            guide = "virtc" if r.section == "virtc" else f"{r.section}, lines {r.lines}"
            parts.append(f'<tr><td><a href="{page_name(r.code)}">{escape(r.code)}</a></td>'
                         f"<td>{escape(r.name)}</td>"
                         f'<td class="{r.severity}">{r.severity}</td>'
                         f"<td>{escape(' '.join(r.checklist))}</td>"
                         f"<td>{escape(guide)}</td>"
                         f"<td>{escape(fix_kind(r) or '')}</td>"
                         f"<td>{lims}</td></tr>")
        parts.append("</table>")
    return _page("virtc rule reference", "\n".join(parts))


def site(cases: Path | None = None) -> dict[str, str]:
    """Every file of the reference: name -> text."""
    rules = all_rules()
    out = {STYLE: CSS, INDEX: index_page(rules)}
    for r in rules:
        out[page_name(r.code)] = code_page(r, cases)
    return out


def write(out_dir: str, cases: Path | None = None) -> list[str]:
    """Write the reference into `out_dir` (created if needed); the names written, in order.
    Each file is written whole and then renamed into place."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for name, text in sorted(site(cases).items()):
        path = os.path.join(out_dir, name)
        write_file(path, text, newline="\n")
        written.append(name)
    return written
