"""Autofix cases: tests/fixes/CODE/before*[.EXT] is fixed (safe and unsafe fixes) into
after*[.EXT] byte for byte ("before" in the name becomes "after", so the file is placed as
the same format; a folder `before` holds files read together, as tests/cases does); the
fixed files, read and checked again, have no finding of CODE; and every character outside
the edits is where it was. Every rule that declares a fix has a case, and enough rules,
over enough formats, have one."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from virtc import api, fixes, fixing, targets
from virtc.codes import fix_kind
from virtc.ruleset import all_rules, by_code

from conftest import ROOT

CASES = ROOT / "tests" / "fixes"
BEFORE = sorted(p for p in CASES.glob("*/before*"))


def _files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def _run(path: Path):
    files = [str(p) for p in _files(path)]
    return api.check(files) if path.suffix == ".virt" else api.lint(files)


def _after(before: Path) -> Path:
    return before.with_name(before.name.replace("before", "after", 1))


def _unchanged_outside_edits(text: str, new: str, taken) -> None:
    old_pos = new_pos = 0
    for old_start, old_end, new_start, new_end in fixes.spans_after(taken):
        assert text[old_pos:old_start] == new[new_pos:new_start]
        old_pos, new_pos = old_end, new_end
    assert text[old_pos:] == new[new_pos:]


@pytest.mark.parametrize("before", BEFORE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fix_case(before, tmp_path):
    code = before.parent.name
    work = tmp_path / before.name
    (shutil.copytree if before.is_dir() else shutil.copyfile)(before, work)

    # one pass by hand: the case's findings have fixes, and the edits leave the rest alone
    result = _run(work)
    ours = [d for d in result.diagnostics if d.code == code]
    assert ours and all(d.fix is not None for d in ours), [(d.code, d.message) for d in result.diagnostics]
    assert {d.fix.applicability.value for d in ours} <= {fix_kind(by_code()[code]), "safe"}
    for f in _files(work):
        text = f.read_text()
        new, taken = fixes.apply(text, [d.fix for d in result.diagnostics if d.fix and d.fix.file == str(f)])
        _unchanged_outside_edits(text, new, taken)

    # the command's flow: fixed in place, equal to the case's after file(s)
    fixed = fixing.run(lambda _: _run(work), unsafe=True, in_memory=False, write=True)
    after = _after(before)
    for f, want in zip(_files(work), _files(after), strict=True):
        assert f.read_bytes() == want.read_bytes(), f.read_text()
    assert fixed.applied >= len(ours)
    assert [d.message for d in fixed.result.diagnostics if d.code == code] == []
    # and the after file itself, read afresh, is clean of the code
    assert [d.message for d in _run(after).diagnostics if d.code == code] == []


def test_every_fix_has_a_case():
    declared = {r.code for r in all_rules() if fix_kind(r)}
    cased = {p.parent.name for p in BEFORE}
    assert sorted(declared - cased) == [], "rules that declare a fix without a case in tests/fixes"
    assert sorted(cased - declared) == [], "cases of rules that declare no fix"


def _kind(before: Path) -> str:
    if before.suffix == ".virt":
        return "virt"
    main = next(f for f in _files(before) if by_code()[before.parent.name])
    return targets.recognised(str(main), main.read_text()).name


def test_enough_rules_have_fixes():
    """At least 40 rules, over at least 8 file formats and the language."""
    fixable = [r for r in all_rules() if fix_kind(r)]
    kinds = {_kind(p) for p in BEFORE if p.is_file()}
    assert len(fixable) >= 40, len(fixable)
    assert "virt" in kinds and len(kinds - {"virt"}) >= 8, kinds


def test_declared_fixes_are_titled():
    for r in all_rules():
        if fix_kind(r):
            assert fix_kind(r) in ("safe", "unsafe") and r.fix_title, r.code
