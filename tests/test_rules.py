"""Data-driven rule cases: every code virtc emits has its cases in tests/cases/CODE/.
fail* must produce exactly the diagnostics that their `#> CODE severity line:col` markers
list (tests/expect.py reads them), for the folder's code and for every code a marker
names; pass* must produce none of the folder's code. Every registered rule has at least
one of each, and every code any case produces is documented.

.virt cases are checked; other files are existing configs, linted. A folder case is read
together (its files at any depth, so etc/selinux/config is found where a host keeps it).
A folder whose `command` file says `check` or `build` compiles its .virt files (with the
virtc.toml beside them: VR040, VT002), `import` or `convert` runs that API instead (VF006,
VF007 come from nowhere else), `trees` lints it as a folder of host trees (one per
subfolder: fleet rules across linted hosts). A finding with no place in any file (import's VF006) is
listed as `#> CODE severity 0:0`."""
from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

import pytest

from virtc import api
from virtc.rules.base import Scope
from virtc.ruleset import AREAS, all_rules, by_code

from conftest import ROOT
from expect import expected, found

CASES = ROOT / "tests" / "cases"
# A case is a file, or a folder of files read together (for rules that look across files).
CASE_FILES = sorted(p for p in CASES.glob("*/*") if p.name.startswith(("fail", "pass")))


def _id(p: Path) -> str:
    return f"{p.parent.name}/{p.stem}"


# Codes no input reaches, with the reason and where they are tested instead.
WITHOUT_CASES = {
    "VT001": "every name that becomes part of an output path is refused before the build "
             "(VR011), so no .virt file reaches it; test_codes.py builds a model by hand",
    "VF012": "its finding is at a link that leads nowhere, which holds no text for a #> marker "
             "(and is no file of a case folder); test_lint.py makes the links in a host tree",
}


def test_every_rule_has_failing_and_passing_cases():
    missing = []
    for rule in all_rules():
        if rule.code in WITHOUT_CASES:
            assert not (CASES / rule.code).exists(), f"{rule.code} has cases now: drop it from WITHOUT_CASES"
            continue
        folder = CASES / rule.code
        fails = list(folder.glob("fail*"))
        passes = list(folder.glob("pass*"))
        if not fails or not passes:
            missing.append(rule.code)
    assert missing == [], f"rules without cases: {missing}"


def test_every_rules_module_is_in_the_registry():
    """A rule exists when its module is listed in virtc.ruleset.AREAS, so every module of
    compiler/rules is listed there (base aside: what every rule is built on)."""
    listed = {m.__name__ for m in AREAS}
    folder = ROOT / "compiler" / "rules"
    modules = {".".join(("virtc.rules", *p.relative_to(folder).with_suffix("").parts)).removesuffix(".__init__")
               for p in folder.rglob("*.py")}
    assert sorted(modules - listed - {"virtc.rules", "virtc.rules.base"}) == []


def test_case_folders_name_real_rules():
    assert [p.name for p in CASES.iterdir() if p.is_dir() and p.name not in by_code()] == []


def _files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file() and p.name != "command") if path.is_dir() else [path]


@lru_cache(maxsize=None)
def _outcome(path: Path):
    """What virtc says about a case (run once per session, whichever test asks first)."""
    return _run(path, _files(path))


def _run(path: Path, files: list[Path]):
    """.virt cases are compiled; other files are existing configs, linted (or compiled,
    built, imported or converted, as the folder's `command` file says)."""
    if path.suffix == ".virt":
        return api.check([str(path)])
    command = path / "command"
    how = command.read_text().strip() if command.is_file() else "lint"
    virt = [str(p) for p in files if p.suffix == ".virt"]
    if how == "check":
        return api.check(virt)
    if how == "build":
        return api.build(virt, None, write=False)
    if how == "import":
        return api.import_([str(p) for p in files])
    if how == "convert":
        (one,) = files
        return api.convert(str(one))
    if how == "trees":  # a folder of host trees, linted together (fleet rules across hosts)
        return api.lint([], [str(path)])
    assert how == "lint", f"unknown command {how!r}"
    return api.lint([str(p) for p in files])


@pytest.mark.parametrize("path", CASE_FILES, ids=_id)
def test_rule_case(path):
    code = path.parent.name
    files = _files(path)
    result = _outcome(path)
    blocking = [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics
                if d.code.startswith(("VP", "VR")) and d.code != code and d.severity.name == "ERROR"]
    assert blocking == [], "the case must compile so that the rule runs"
    ours = {str(p) for p in files}
    mine = [d for d in result.diagnostics if d.span is None or d.span.file in ours]
    if path.name.startswith("pass"):
        assert [d for d in mine if d.code == code] == [], [d.message for d in mine if d.code == code]
        return
    want = expected(files)
    assert want, "a fail case lists what it expects with #> CODE severity line:col"
    codes = {code} | {w.code for w in want}
    got = found(d for d in mine if d.code in codes)
    assert got == want, [f"{d.span} {d.code} {d.message}" for d in mine if d.code in codes]


def test_no_limit_literals_in_rule_code():
    """Documented numbers live in schemas/limits.json; rules may only use 0, 1 and -1."""
    offenders = []
    for module in sorted((ROOT / "compiler" / "rules").rglob("*.py")):
        tree = ast.parse(module.read_text())
        bases = {id(call.args[1]) for call in ast.walk(tree)  # int(text, 16): a number base, not a limit
                 if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "int" and len(call.args) == 2}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                    and not isinstance(node.value, bool) and node.value not in (0, 1, -1) and id(node) not in bases:
                offenders.append(f"{module.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert offenders == []


def test_rule_metadata_and_docs():
    names = set()
    for rule in all_rules():
        assert re.fullmatch(r"V[A-Z][0-9]{3}", rule.code), rule.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
        assert rule.name not in names
        names.add(rule.name)
        if rule.section == "virtc":  # about virtc's own reading or language, not a guide item
            assert not rule.checklist and rule.scope in (Scope.READER, Scope.LANGUAGE), rule.code
        else:
            assert rule.checklist and all(re.fullmatch(r"[A-Z]+-[0-9]{2}", c) for c in rule.checklist)
            assert rule.section.startswith("§") or rule.section == "Glossary"
        doc = rule.doc()
        assert doc.summary and "Why:" in doc.body and "Example" in doc.body and "Fix:" in doc.body, rule.code


def test_every_code_the_cases_produce_is_documented():
    """Every code any case of the suite produces, whatever the case is about, is a declared
    class with its documentation; the language's own codes come at their declared severity
    (no case configures them)."""
    produced: dict[str, set[str]] = {}
    for path in CASE_FILES:
        for d in _outcome(path).diagnostics:
            produced.setdefault(d.code, set()).add(str(d.severity))
    codes = by_code()
    assert sorted(set(produced) - set(codes)) == [], "codes without a class"
    for code in produced:
        rule = codes[code]
        doc = rule.doc()
        assert doc.summary and all(s in doc.body for s in ("What it checks:", "Why:", "Example", "Fix:")), code
        if rule.scope is Scope.LANGUAGE:
            assert produced[code] == {str(rule.severity)}, (code, produced[code])
    # the suite reaches every language code that an input can reach
    language = {r.code for r in all_rules() if r.scope is Scope.LANGUAGE}
    assert language - set(produced) == set(WITHOUT_CASES) & language, sorted(language - set(produced))
