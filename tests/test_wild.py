"""Real-world regression test ("Lint you can trust on real hosts", acceptance point 2).

Every file of ../shared/corpus/wild (configuration files from public repositories of many
eras, described by its PROVENANCE.tsv) is linted twice: alone (`api.lint([path])`) and
placed in a temporary host tree at the RHEL 5 path its format lives at (`api.lint([],
[tree])`). Neither may raise. Every error and warning either run gives is reviewed:

* tests/wild_expected.tsv lists the ones that are right, TRUE (a real defect by the RHEL 5
  guide or by the tool that reads the file) or ERA (right for the era or tool the file was
  written for, Xen 4 / xl, RHEL 6/7, modern libvirt or udev, but wrong on RHEL 5);
* KNOWN_FALSE below lists the false alarms virtc still gives, grouped by the bug behind
  them, each with the reason it is wrong.

A finding in neither list fails the test (review it: add a TSV row, or fix virtc), and so
does a listed row virtc no longer gives (the lists stay true): when a false alarm is fixed,
its KNOWN_FALSE entry must go. Keys are (file, mode, code, line); one key can hold several
findings (udev.rules.examples line 56 has an ERA one and a FALSE one), so both lists are
compared as multisets. Info findings (VF002, VF003, VF004, VF113) are not reviewed here.

The corpus is read in place, never copied into the project; without ../shared it skips.
"""
from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path, PurePosixPath

import pytest
from conftest import CORPUS, ROOT, need_shared
from virtc import api, targets
from virtc.diagnostics import Severity

WILD = CORPUS / "wild"
EXPECTED = ROOT / "tests" / "wild_expected.tsv"
HEADER = ["file", "mode", "code", "line", "verdict", "reason"]
MODES = ("alone", "tree")


def _provenance() -> list[dict]:
    if not (WILD / "PROVENANCE.tsv").is_file():
        return []
    with open(WILD / "PROVENANCE.tsv", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


ROWS = _provenance()

# ------------------------------------------------------------------ placement

# PROVENANCE's format names that are not the registry's.
REGISTRY_NAME = {"domainxml": "domain-xml"}
# The `other` category, case by case: where each file lives on a host.
OTHER = {
    # read by /etc/init.d/xend; no format of virtc's lives there (nothing is read)
    "other/hercules-team__augeas__tests_root_etc_sysconfig_xend": ("etc/sysconfig/xend", None),
    # a libvirt NAT network: libvirtd's qemu driver keeps networks here on RHEL 5
    "other/leehz__ubuntu__libvirt_default.xml": ("etc/libvirt/qemu/networks/default.xml", "network-xml"),
    # a Xen 4.1 cpupool file: `xm pool-create pool1.cfg` finds it in /etc/xen like `xm create`
    "other/xen-project__xen__tools_xm-test_tests_cpupool_pool1.cfg@4.1.0": ("etc/xen/pool1.cfg", "xm"),
}


def rhel_path(row: dict) -> tuple[str, str | None]:
    """Where the file lives on a RHEL 5 host (relative to the root) and its format: the
    repository's own path when it already ends at a place of the format (etc/modprobe.d/
    loop.conf), else the format's first place (`targets.by_name(name).paths[0]`), a `*`
    standing for the file's name (etc/xen/NAME, ifcfg-X, NAME.rules, NAME.xml)."""
    if row["format"] == "other":
        return OTHER[row["path"]]
    repo_path = row["path_in_repo"]
    name = PurePosixPath(repo_path).name
    fmt = REGISTRY_NAME.get(row["format"], row["format"])
    if fmt == "udev" and name == "scsi_id.config":
        fmt = "scsi_id"
    places = targets.by_name(fmt).paths
    for place in places:
        tail = "/".join(repo_path.split("/")[-(place.count("/") + 1):])
        if targets.by_name(fmt).at(tail):
            return tail, fmt
    place = places[0]
    if "*" in place:
        before, after = PurePosixPath(place).name.split("*", 1)
        stem = name.removeprefix(before)
        stem = stem.removesuffix(after)
        place = place.replace("*", stem)
    if targets.placed(place) is not targets.by_name(fmt):
        # RHEL 5 ships the xm examples in /etc/xen itself (xmexample1, xmexample.hvm) and
        # nothing reads them there; an admin copies one to a guest's file and edits it.
        place = str(PurePosixPath(place).with_name(PurePosixPath(place).name.replace("xmexample", "guest")))
    return place, fmt


# ------------------------------------------------------------------ known false alarms


# The false alarms virtc gives on the corpus, by the class of bug behind them, each with
# why it is wrong: (file, mode, code, line) -> reason. Strict: each must still be produced.
# The review of the corpus found 184 in nine classes; each class is fixed in general and
# has its cases under tests/cases (the reader's grammar looser where the consuming tool's
# is: VF401, VF402, VF105; udev substitutions: VF402; T10 WWIDs: VF412, VU103;
# devnode_blacklist and nbd: VF411, VF106; VF403's scope; Mini-OS: VG102, VM102; IA-64
# firmware and computed keys: VF111, VF103, VF110; builder='vmx' read as HVM; the
# macgen.py range: VN102). None is left; a new one is listed here until it is fixed.
KNOWN_FALSE: list[tuple[tuple[str, str, str, int], str]] = []

# ------------------------------------------------------------------ the lists


def _expected_rows() -> list[dict]:
    with open(EXPECTED, newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader)
        assert header == HEADER, f"{EXPECTED.name}: header must be {HEADER}"
        return [dict(zip(HEADER, row, strict=True)) for row in reader]


def _key(row: dict) -> tuple[str, str, str, int]:
    return row["file"], row["mode"], row["code"], int(row["line"])


def test_expected_rows_are_reviewed():
    need_shared(WILD)
    files = {r["path"] for r in ROWS}
    for n, row in enumerate(_expected_rows(), start=2):
        where = f"{EXPECTED.name}:{n}"
        assert row["file"] in files, f"{where}: {row['file']} is not in PROVENANCE.tsv"
        assert row["mode"] in MODES, where
        assert row["line"].isdigit(), where
        assert row["verdict"] in ("TRUE", "ERA"), f"{where}: verdict is TRUE or ERA (false alarms go to KNOWN_FALSE)"
        assert row["reason"].strip() and "\n" not in row["reason"], f"{where}: a one-line reason"


def test_known_false_entries_name_corpus_files():
    need_shared(WILD)
    files = {r["path"] for r in ROWS}
    for (file, mode, code, line), reason in KNOWN_FALSE:
        assert file in files and mode in MODES and line > 0 and reason, (file, mode, code, line)


def test_every_corpus_file_has_provenance():
    need_shared(WILD)
    on_disk = {p.relative_to(WILD).as_posix() for p in WILD.rglob("*") if p.is_file()} - {"PROVENANCE.tsv"}
    assert on_disk == {r["path"] for r in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=[r["path"] for r in ROWS])
def test_placed_where_its_format_lives(row):
    rel, fmt = rhel_path(row)
    assert api.detect_format(rel) == fmt, (rel, fmt)


# ------------------------------------------------------------------ the corpus

def _findings(out, linted: Path) -> Counter:
    """(code, line) of each error and warning; all of them are in the linted file."""
    found: Counter = Counter()
    for d in out.diagnostics:
        if d.severity not in (Severity.ERROR, Severity.WARNING):
            continue
        assert d.span is None or Path(d.span.file) == linted, (linted, d)
        found[(d.code, d.span.line if d.span else 0)] += 1
    return found


def _lint(row: dict, tmp_path: Path) -> Counter:
    """(mode, code, line) of every error and warning, alone and placed in a host tree."""
    src = WILD / row["path"]
    produced: Counter = Counter()
    alone = api.lint([str(src)])          # must not raise
    for (code, line), n in _findings(alone, src).items():
        produced[("alone", code, line)] += n
    rel, _ = rhel_path(row)
    tree = tmp_path / "host"
    placed = tree / rel
    placed.parent.mkdir(parents=True)
    shutil.copyfile(src, placed)
    hosted = api.lint([], [str(tree)])   # must not raise
    for (code, line), n in _findings(hosted, placed).items():
        produced[("tree", code, line)] += n
    return produced


@pytest.mark.parametrize("row", ROWS or [None], ids=[r["path"] for r in ROWS] or ["absent"])
def test_wild_file(row, tmp_path):
    need_shared(WILD)
    file = row["path"]
    produced = _lint(row, tmp_path)
    listed = Counter((m, c, ln) for (f, m, c, ln) in map(_key, _expected_rows()) if f == file)
    known = Counter((m, c, ln) for (f, m, c, ln), _ in KNOWN_FALSE if f == file)
    expected = listed + known
    problems = []
    for k in sorted(set(produced) | set(expected), key=lambda k: (k[0], k[2], k[1])):
        got, want = produced[k], expected[k]
        mode, code, line = k
        if got > want:
            problems.append(f"{mode} {code} line {line}: {got - want} finding(s) not reviewed; add a row "
                            f"to {EXPECTED.name} (TRUE or ERA) or to KNOWN_FALSE (a false alarm)")
        elif got < want:
            problems.append(f"{mode} {code} line {line}: expected {want} ({listed[k]} in {EXPECTED.name}, "
                            f"{known[k]} in KNOWN_FALSE), got {got}: a fixed false alarm leaves KNOWN_FALSE, "
                            f"a finding no longer given leaves the TSV")
    assert not problems, f"{file}:\n  " + "\n  ".join(problems)
