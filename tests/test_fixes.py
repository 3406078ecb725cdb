"""Autofix cases: tests/fixes/CODE/before*[.EXT] is fixed (safe and unsafe fixes) into
after*[.EXT] byte for byte ("before" in the name becomes "after", so the file is placed as
the same format; a folder `before` holds files read together, as tests/cases does); the
fixed files, read and checked again, have no finding of CODE; and every character outside
the edits is where it was. Every rule that declares a fix has a case, and enough rules,
over enough formats, have one."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from virtc import api, fixes, fixing, targets
from virtc.codes import fix_kind
from virtc.diagnostics import Edit, Fix
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


# -- the command line ------------------------------------------------------------------------

def virtc(*args, cwd: Path):
    r = subprocess.run([sys.executable, "-m", "virtc", *args], capture_output=True, text=True, cwd=cwd, check=False,
                       env={**os.environ, "NO_COLOR": "1"})
    return r.returncode, r.stdout, r.stderr


IFCFG_BEFORE = (CASES / "VF303" / "before-ifcfg-br0").read_text()  # a safe fix
XM_BEFORE = (CASES / "VF110" / "before.cfg").read_text()  # an unsafe one


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "ifcfg-br0").write_text(IFCFG_BEFORE)
    (tmp_path / "vm.cfg").write_text(XM_BEFORE)
    return tmp_path


def test_lint_fix_applies_safe_fixes_in_place_and_reports_the_rest(tmp_path):
    _tree(tmp_path)
    code, out, err = virtc("lint", "ifcfg-br0", "vm.cfg", "--fix", "--select", "VF", "--format", "concise",
                           cwd=tmp_path)
    assert (tmp_path / "ifcfg-br0").read_text() == (CASES / "VF303" / "after-ifcfg-br0").read_text()
    assert (tmp_path / "vm.cfg").read_text() == XM_BEFORE  # unsafe: left alone
    assert "VF303" not in out and "VF110" in out  # what remains is reported
    assert "Fixed 1 finding (" in err
    assert code == 0  # VF110 is a warning: below the fail level
    # nothing is left behind but the files themselves (the temporary file was renamed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ifcfg-br0", "vm.cfg"]


def test_unsafe_fixes_apply_the_others_too(tmp_path):
    _tree(tmp_path)
    virtc("lint", "ifcfg-br0", "vm.cfg", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert (tmp_path / "vm.cfg").read_text() == (CASES / "VF110" / "after.cfg").read_text()


def test_diff_shows_the_fixes_and_writes_nothing(tmp_path):
    _tree(tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    code, out, err = virtc("lint", "ifcfg-br0", "vm.cfg", "--diff", cwd=tmp_path)
    assert code == 1, err  # something to fix
    assert "--- a/ifcfg-br0\n+++ b/ifcfg-br0\n" in out and "-TYPE=bridge\n+TYPE=Bridge\n" in out
    assert "vnc = 1" not in out  # unsafe, not asked for
    assert "Would fix 1 finding." in err
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    assert (tmp_path / "ifcfg-br0").read_text() == IFCFG_BEFORE
    code, out, _ = virtc("lint", "ifcfg-br0", "vm.cfg", "--diff", "--unsafe-fixes", cwd=tmp_path)
    assert code == 1 and "+vnc = 1\n" in out
    (tmp_path / "ifcfg-br0").write_text((CASES / "VF303" / "after-ifcfg-br0").read_text())
    code, out, err = virtc("lint", "ifcfg-br0", "--diff", cwd=tmp_path)
    assert (code, out) == (0, "") and "No fixes available." in err


def test_check_fix_fixes_virt_files_and_exits_by_what_remains(tmp_path):
    src = (CASES / "VR014" / "before.virt").read_text()
    (tmp_path / "a.virt").write_text(src + "guest h on xen1 { type xen-pv; memory 1G; arch X86_64 }\n")
    code, out, err = virtc("check", "a.virt", "--fix", cwd=tmp_path)
    text = (tmp_path / "a.virt").read_text()
    assert "disk xvda" in text and "arch x86_64" in text  # both safe, over two passes if need be
    assert code == 0 and "Fixed 2 findings (0 remaining)." in err, (out, err)
    # an error without a safe fix stays, and the exit code says so
    (tmp_path / "b.virt").write_text(src.replace("memory 1G", "memroy 1G"))
    code, out, err = virtc("check", "b.virt", "--fix", "--format", "concise", cwd=tmp_path)
    assert code == 1 and "VP001" in out and "memroy" in (tmp_path / "b.virt").read_text()
    code, out, err = virtc("check", "b.virt", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert code == 0 and "memory 1G" in (tmp_path / "b.virt").read_text(), (out, err)


def test_fixing_keeps_a_byte_order_mark_and_the_mode(tmp_path):
    path = tmp_path / "ifcfg-br0"
    path.write_bytes("\ufeff".encode() + IFCFG_BEFORE.encode())
    path.chmod(0o640)
    fixed = fixing.run(lambda _: api.lint([str(path)]), unsafe=False, in_memory=False, write=True)
    assert fixed.applied == 1
    assert path.read_bytes() == "\ufeff".encode() + (CASES / "VF303" / "after-ifcfg-br0").read_bytes() or \
        path.read_bytes() == (CASES / "VF303" / "after-ifcfg-br0").read_bytes()
    assert path.stat().st_mode & 0o777 == 0o640


def test_overlapping_fixes_wait_for_the_next_pass():
    a = Fix("a", "f", (Edit(0, 3, "xyz"),))
    b = Fix("b", "f", (Edit(2, 5, "uvw"),))
    c = Fix("c", "f", (Edit(6, 6, "!"),))
    new, taken = fixes.apply("0123456789", [b, c, a])
    assert new == "xyz345!6789" and taken == [a, c]

