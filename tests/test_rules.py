"""Data-driven rule cases: tests/cases/CODE/fail*.virt must produce exactly the
diagnostics of CODE that their `#> CODE severity line:col` comments list; pass*.virt must
produce none of CODE. Every registered rule has at least one of each.

Other files are existing configs, linted; a folder case is read together (its files at any
depth, so etc/selinux/config is found where a host keeps it). A folder whose `command` file
says `import` or `convert` runs that API instead (VF006, VF007 come from nowhere else). A
finding with no place in any file (import's VF006) is listed as `#> CODE severity 0:0`."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from virtc import api
from virtc.ruleset import all_rules, by_code

from conftest import ROOT

CASES = ROOT / "tests" / "cases"
EXPECT = re.compile(r"#>\s*(?P<code>[A-Z]{2}[0-9]{3})\s+(?P<sev>error|warning|info)\s+(?P<line>[0-9]+):(?P<col>[0-9]+)")
# A case is a file, or a folder of files read together (for rules that look across files).
CASE_FILES = sorted(p for p in CASES.glob("*/*") if p.name.startswith(("fail", "pass")))


def _id(p: Path) -> str:
    return f"{p.parent.name}/{p.stem}"


def test_every_rule_has_failing_and_passing_cases():
    missing = []
    for rule in all_rules():
        folder = CASES / rule.code
        fails = list(folder.glob("fail*"))
        passes = list(folder.glob("pass*"))
        if not fails or not passes:
            missing.append(rule.code)
    assert missing == [], f"rules without cases: {missing}"


def test_case_folders_name_real_rules():
    assert [p.name for p in CASES.iterdir() if p.is_dir() and p.name not in by_code()] == []


def _run(path: Path, files: list[Path]):
    """.virt cases are compiled; other files are existing configs, linted (or imported or
    converted, as the folder's `command` file says)."""
    if path.suffix == ".virt":
        return api.check([str(path)])
    command = path / "command"
    how = command.read_text().strip() if command.is_file() else "lint"
    if how == "import":
        return api.import_([str(p) for p in files])
    if how == "convert":
        (one,) = files
        return api.convert(str(one))
    assert how == "lint", f"unknown command {how!r}"
    return api.lint([str(p) for p in files])


@pytest.mark.parametrize("path", CASE_FILES, ids=_id)
def test_rule_case(path):
    code = path.parent.name
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name != "command") if path.is_dir() else [path]
    result = _run(path, files)
    blocking = [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics
                if d.code.startswith(("VP", "VR")) and d.severity.name == "ERROR"]
    assert blocking == [], "the case must compile so that the rule runs"
    got = sorted((d.span.file.rsplit("/", 1)[-1], d.code, str(d.severity), d.span.line, d.span.col) if d.span
                 else ("", d.code, str(d.severity), 0, 0)
                 for d in result.diagnostics if d.code == code
                 and (d.span is None or d.span.file in {str(p) for p in files}))
    if path.name.startswith("pass"):
        assert got == [], [d.message for d in result.diagnostics if d.code == code]
        return
    want = sorted((p.name if int(m["line"]) else "", m["code"], m["sev"], int(m["line"]), int(m["col"]))
                  for p in files for m in EXPECT.finditer(p.read_text(errors="replace")))
    assert want, "a fail case lists what it expects with #> CODE severity line:col"
    assert got == want, [f"{d.span} {d.message}" for d in result.diagnostics if d.code == code]


def test_no_limit_literals_in_rule_code():
    """Documented numbers live in schemas/limits.json; rules may only use 0, 1 and -1."""
    offenders = []
    for module in sorted((ROOT / "compiler" / "rules").glob("*.py")):
        tree = ast.parse(module.read_text())
        bases = {id(call.args[1]) for call in ast.walk(tree)  # int(text, 16): a number base, not a limit
                 if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "int" and len(call.args) == 2}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                    and not isinstance(node.value, bool) and node.value not in (0, 1, -1) and id(node) not in bases:
                offenders.append(f"{module.name}:{node.lineno}: {node.value}")
    assert offenders == []


def test_rule_metadata_and_docs():
    names = set()
    for rule in all_rules():
        assert re.fullmatch(r"V[A-Z][0-9]{3}", rule.code), rule.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
        assert rule.name not in names
        names.add(rule.name)
        if rule.section == "virtc":  # about the linter's own reading, not a guide item
            assert not rule.checklist and rule.scope.name == "READER", rule.code
        else:
            assert rule.checklist and all(re.fullmatch(r"[A-Z]+-[0-9]{2}", c) for c in rule.checklist)
            assert rule.section.startswith("§") or rule.section == "Glossary"
        doc = rule.doc()
        assert doc.summary and "Why:" in doc.body and "Example" in doc.body and "Fix:" in doc.body, rule.code
