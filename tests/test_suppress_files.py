"""Configuration and inline suppressions apply to every diagnostic, whoever produced it.

Inside the files `virtc lint` reads, a directive is written in the format's own comments.
The rule cases (tests/cases/CODE/fail*) give, for every format with comments, files with
known findings: each is linted again with a directive for the finding added (for the
whole file, on its own line before the finding, and after the text of its line where the
format allows a comment there), and the finding must be gone with nothing else changed.
"""
from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from virtc import api, suppress, targets
from virtc.source import SourceFile
from virtc.suppress import _comment_start

from conftest import ROOT
from expect import expected

CASES = ROOT / "tests" / "cases"


def _format(path: Path, text: str):
    return targets.recognised(str(path), text)


def _command(case: Path) -> str:
    """How tests/test_rules.py runs a case: lint its files, or (`trees`) lint it as a host tree."""
    command = case / "command"
    return command.read_text().strip() if case.is_dir() and command.is_file() else "lint"


def _cases():
    """(case, file with the markers, format, [(code, line)]) for the cases of formats with
    comments: a file, or a folder of files linted together (no `command`: lint)."""
    out = []
    for case in sorted(CASES.glob("*/fail*")):
        files = [case] if case.is_file() else sorted(p for p in case.rglob("*") if p.is_file())
        if any(p.suffix == ".virt" or p.name == "virtc.toml" for p in files) or _command(case) not in ("lint", "trees"):
            continue
        files = [p for p in files if p.name != "command"]
        marked = [p for p in files if expected([p])]
        if len(marked) != 1:
            continue
        path = marked[0]
        fmt = _format(path, path.read_text(errors="replace"))
        if fmt is None or not fmt.comments:
            continue
        want = [(w.code, w.line) for w in expected([path]) if w.line]
        if want:
            out.append((case, path, fmt, want))
    return out


CASE_LIST = _cases()
# Where the file is broken (a string never closed, XML not well-formed), a directive added
# on a line may be read as part of the broken text: `ignore-file` is the way there.
SYNTAX = {"VF101", "VF701", "VF501"}


def _directive(fmt, codes: list[str], kind: str = "ignore") -> str:
    body = f"virtc: {kind}[{', '.join(codes)}] checked by hand, see the ticket"
    return f"<!-- {body} -->" if fmt.comments == "xml" else f"{fmt.comments[0]} {body}"


def _lint(tmp_path: Path, case: Path, path: Path, text: str):
    """Lint a copy of the case with `path`'s text replaced; the findings in that file."""
    copy = tmp_path / "case"
    if case.is_file():
        copy.mkdir(parents=True)
        target = copy / case.name
    else:
        shutil.copytree(case, copy, symlinks=True, dirs_exist_ok=True)
        target = copy / path.relative_to(case)
    target.write_text(text)
    if _command(case) == "trees":  # a host tree: what it lacks (certificates) counts too
        result = api.lint([], [str(copy)])
    else:
        result = api.lint([str(p) for p in sorted(copy.rglob("*")) if p.is_file()])
    return [(d.code, d.span.line if d.span else 0, d.message) for d in result.diagnostics
            if d.span is None or d.span.file == str(target)]


def test_every_format_with_comments_has_cases():
    covered = {fmt.name for _, _, fmt, _ in CASE_LIST}
    with_comments = {f.name for f in targets.FORMATS if f.comments and f.rules and f.paths}
    assert with_comments - covered <= {"network-xml", "pool-xml", "capabilities"}, with_comments - covered


@pytest.mark.parametrize("case", CASE_LIST, ids=lambda c: f"{c[0].parent.name}/{c[0].name}")
def test_ignore_file_silences_a_finding_in_any_format(case, tmp_path):
    case, path, fmt, want = case
    text = path.read_text()
    before = _lint(tmp_path / "before", case, path, text)
    code = want[0][0]
    assert any(c == code for c, _, _ in before)
    after = _lint(tmp_path / "after", case, path,
                  text.rstrip("\n") + "\n" + _directive(fmt, [code], "ignore-file") + "\n")
    assert not [d for d in after if d[0] == code]
    assert not [d for d in after if d[0] in ("VR030", "VR031", "VR032")], after
    assert {d for d in before if d[0] != code} == {d for d in after if d[0] != code}


@pytest.mark.parametrize("case", CASE_LIST, ids=lambda c: f"{c[0].parent.name}/{c[0].name}")
def test_a_directive_on_its_own_line_covers_the_next_element(case, tmp_path):
    case, path, fmt, want = case
    lines = path.read_text().split("\n")
    code, line = next(((c, n) for c, n in want if n > 1 and c not in SYNTAX
                       and not lines[n - 2].rstrip().endswith(("\\", ","))), (None, 0))
    if code is None:
        pytest.skip("every finding is on the first line or inside a continued statement")
    indent = lines[line - 1][:len(lines[line - 1]) - len(lines[line - 1].lstrip())]
    edited = lines[:line - 1] + [indent + _directive(fmt, [code])] + lines[line - 1:]
    after = _lint(tmp_path, case, path, "\n".join(edited))
    assert (code, line + 1) not in {(c, n) for c, n, _ in after}, after
    assert not [d for d in after if d[0] in ("VR030", "VR031", "VR032")], after


@pytest.mark.parametrize("case", [c for c in CASE_LIST if c[2].trailing or c[2].comments == "xml"],
                         ids=lambda c: f"{c[0].parent.name}/{c[0].name}")
def test_a_directive_after_text_covers_its_line(case, tmp_path):
    case, path, fmt, want = case
    lines = path.read_text().split("\n")

    def has_code(n: int) -> bool:
        at = None if fmt.comments == "xml" else _comment_start(lines[n - 1], fmt.comments)
        return bool((lines[n - 1] if at is None else lines[n - 1][:at]).strip())

    code, line = next(((c, n) for c, n in want if c not in SYNTAX and has_code(n)), (None, 0))
    if code is None:
        pytest.skip("every finding is a syntax error, or on a line that is only a comment")
    text = lines[line - 1]
    at = None if fmt.comments == "xml" else _comment_start(text, fmt.comments)
    if at is not None and text[:at].strip():  # the line ends in a comment already: the directive goes first
        lines[line - 1] = text[:at] + _directive(fmt, [code]) + " " + text[at:]
    else:
        lines[line - 1] = text.rstrip() + "   " + _directive(fmt, [code])
    after = _lint(tmp_path, case, path, "\n".join(lines))
    assert (code, line) not in {(c, n) for c, n, _ in after}, after
    assert not [d for d in after if d[0] in ("VR030", "VR031", "VR032")], after


def test_an_unused_directive_in_a_linted_file_is_reported(tmp_path):
    text = 'name = "web01"\nmemory = 512\n# virtc: ignore[VS101] nothing here uses a bad target\nvcpus = 1\n'
    (tmp_path / "web01.cfg").write_text(text)
    after = _lint(tmp_path, tmp_path / "web01.cfg", tmp_path / "web01.cfg", text)
    assert [(c, n) for c, n, _ in after if c == "VR030"] == [("VR030", 3)]


def test_a_hash_inside_a_grub_argument_is_no_directive(tmp_path):
    """GRUB legacy reads `#` after text as part of the arguments, so a directive there is
    no comment and suppresses nothing."""
    text = ("default=0\ntimeout=5\ntitle Linux (2.6.18-308.el5)\n\troot (hd0,0)\n"
            "\tkernel /vmlinuz-2.6.18-308.el5 ro root=/dev/sda1 # virtc: ignore[VF201] no\n")
    (tmp_path / "grub.conf").write_text(text)
    after = _lint(tmp_path, tmp_path / "grub.conf", tmp_path / "grub.conf", text)
    assert not [d for d in after if d[0] == "VR030"]


# ---------------------------------------------------------------- configuration

FAMILIES = {  # one code of every family, with an input that produces it
    "VP001": ("check", "broken.virt", "host h {\n  hypervisor xen = yes\n}\n"),
    "VR012": ("check", "value.virt", "host h { hypervisor xen; memory 8G; arch sparc }\n"),
    "VR031": ("check", "reason.virt", "host h { hypervisor xen; memory 8G }  # virtc: ignore[VS101]\n"),
    "VF103": ("lint", "web01.cfg", 'name = "web01"\nmemory = 512\nbogus_key = 1\n'),
    "VF821": ("lint", "iptables", "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport\nCOMMIT\n"),
    "VF003": ("lint", "web02.cfg", 'name = "web02"\nmemory = 512\non_xend_start = "start"\n'),
    "VF002": ("lint", "notes.txt", "not a configuration\n"),
    "VS101": ("check", "target.virt", 'host h { hypervisor xen; memory 8G }\nguest g on h {\n  type xen-pv; '
                                      'memory 1G\n  disk sdq phy "/dev/VolGroup00/g"\n}\n'),
}


@pytest.mark.parametrize("code", sorted(FAMILIES))
@pytest.mark.parametrize("setting", ["warning", "off"])
def test_configuration_applies_to_a_code_of_every_family(code, setting, tmp_path):
    command, name, text = FAMILIES[code]
    (tmp_path / name).write_text(text)
    run = api.check if command == "check" else api.lint
    before = [d for d in run([str(tmp_path / name)]).diagnostics if d.code == code]
    assert before, f"the input does not produce {code}"
    (tmp_path / "virtc.toml").write_text(f'[rules]\n{code} = "{setting}"\n')
    after = run([str(tmp_path / name)])
    mine = [d for d in after.diagnostics if d.code == code]
    assert [str(d.severity) for d in mine] == ([] if setting == "off" else ["warning"] * len(before))
    assert not after.config_errors


# ---------------------------------------------------------------- the elements, found once per file
#
# The scans virtc used before it found elements once per file (a scan per directive to
# the element's end, with regexes that read to the end of the file from every '<' or
# '<!--' left open): short and plainly right, so they are the reference here.

_REF_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_REF_TAG = re.compile(r"<!--.*?-->|<([/!?]?)([A-Za-z_][\w.:-]*)?[^>]*?(/?)>", re.S)


def _ref_line_element(code: list[str], first: int) -> tuple[int, int]:
    last = first
    if code[first - 1].split()[:1] == ["title"]:
        while last < len(code) and code[last].split()[:1] != ["title"]:
            last += 1
        while last > first and not code[last - 1].strip():
            last -= 1
        return first, last
    depth = suppress._depth(code[first - 1])
    while last < len(code) and (code[last - 1].rstrip().endswith("\\") or depth > 0):
        last += 1
        depth += suppress._depth(code[last - 1])
    return first, last


def _ref_xml_element(text: str, offset: int, src) -> tuple[int, int] | None:
    depth, start = 0, None
    for m in _REF_TAG.finditer(text, offset):
        kind, name, empty = m.group(1), m.group(2), m.group(3)
        if m.group(0).startswith("<!--") or kind in ("!", "?") or name is None:
            continue
        if start is None:
            if kind == "/":
                return None
            start = m.start()
        depth += -1 if kind == "/" else 0 if empty else 1
        if depth == 0:
            return src.line_col(start)[0], src.line_col(m.end() - 1)[0]
    return None


_LINES = ["a = 1", "b = [", "]", "(", ")", "{", "}", "title x", "kernel /x", "  ", "", "x \\", "'(", '")', "# note",
          "# virtc: ignore[VF103] r", "c = ( # virtc: ignore[VF103] r", "d # virtc: ignore[VF1] r"]
_XML = ["<domain>", "</domain>", "<a>", "</a>", "<b/>", "<c x='1'>", "</c>", "<!-- virtc: ignore[VF705] r -->",
        "<!-- note -->", "<!--", "-->", "<", ">", "<?xml x?>", "<!DOCTYPE d>", "</>", "<//>", "<a /", "text", "\n", " "]


@pytest.mark.parametrize("seed", range(4))
def test_elements_found_once_per_file_are_those_of_a_scan_per_directive(seed):
    """Random files of brackets, continuations, GRUB titles, XML tags and comments (closed
    or not) and directives: every element found is the reference scan's."""
    rng = random.Random(seed)
    checked = 0
    for _ in range(1500):
        lines = [rng.choice(_LINES) for _ in range(rng.randint(1, 14))]
        elements = suppress._LineElements(lines, "#")
        code = [suppress._code(line, "#") for line in lines]
        for first in range(1, len(lines) + 1):
            assert elements.element(first) == _ref_line_element(code, first), (lines, first)
        for k in range(1, len(lines) + 1):
            assert elements.next_code[k] == next((j for j in range(k, len(lines) + 1) if code[j - 1].strip()), None)
        text = "".join(rng.choice(_XML) for _ in range(rng.randint(0, 25)))
        src = SourceFile("d.xml", text)
        assert [(a, b, body) for a, b, body in suppress._xml_comments(text)] == \
            [(m.start(), m.end(), m.group(1)) for m in _REF_COMMENT.finditer(text)]
        xml = suppress._XmlElements(text)
        for m in _REF_COMMENT.finditer(text):
            assert xml.element(m.end(), src) == _ref_xml_element(text, m.end(), src), (text, m.end())
            checked += 1
    assert checked > 1000


def test_many_directives_over_elements_left_open_are_read_once(monkeypatch):
    """A thousand directives before tags and brackets never closed: the elements are found
    in one pass over the file, not one pass per directive (that took a minute for a 75 KB
    domain XML)."""
    calls = {"depth": 0}
    depth = suppress._depth
    monkeypatch.setattr(suppress, "_depth", lambda text: calls.__setitem__("depth", calls["depth"] + 1) or depth(text))
    lines = ["disk = [ # virtc: ignore[VF103] kept"] * 1000 + ["# virtc: ignore[VF103] kept"] * 1000 + ["memory = 1"]
    sups, _ = suppress.collect_in_file(SourceFile("etc/xen/g", "\n".join(lines)), "#", lambda c: c, True)
    assert len(sups) == 2000 and calls["depth"] <= len(lines)
    assert (sups[0].first_line, sups[0].last_line) == (1, 2001)
