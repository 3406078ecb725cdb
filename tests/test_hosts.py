"""Recall on hand-written RHEL 5 host trees (tests/hosts; tests/bench/recall.py prints the figures).

Every clean tree (tests/hosts/clean/NAME, written as an admin following the guide leaves a
host) must lint with 0 errors and 0 warnings; every finding a seeded tree's expected.tsv
lists (tests/hosts/seeded/AREA-NN-slug: a clean tree with one defect the guide forbids) must
be reported at that file, line and code.

What virtc gets wrong today is listed below, one entry per finding, keyed by the class of
bug (BUGS): each is a strict xfail, so a fix makes its test pass unexpectedly and fail
until the entry is removed. A false alarm or a miss that is not listed fails at once.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("hosts_recall", os.path.join(HERE, "bench", "recall.py"))
recall = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = recall  # dataclasses look their module up
_spec.loader.exec_module(recall)

# The classes of bug behind the known misses (guide lines, limits.md IDs).
BUGS = {
    "no-code": "no virtc code covers this checklist item (COVERAGE.md: no field)",
}

# Errors and warnings virtc reports on the clean trees: (tree, file, line, code) -> bug.
CLEAN_FALSE_ALARMS: dict = {}

# Errors and warnings a seeded tree gives beyond its expected.tsv: (tree, file, line, code) -> bug.
SEEDED_FALSE_ALARMS: dict = {}

# Expected findings of the seeded trees that virtc does not report: (tree, file, line, code) -> bug.
SEEDED_MISSES: dict = {}


@functools.lru_cache(maxsize=None)
def _reported(kind: str, name: str) -> frozenset:
    return frozenset(recall.evaluate(kind, name).reported)


def _xfail(params, known: dict) -> list:
    out = []
    for p in params:
        bug = known.get(p)
        if bug is None:
            out.append(pytest.param(*p, id=":".join(map(str, p))))
            continue
        marks = [pytest.mark.xfail(strict=True, reason=f"virtc bug [{bug}]: {BUGS[bug]}")]
        out.append(pytest.param(*p, id=":".join(map(str, p)), marks=marks))
    return out


def _seeded_params() -> list:
    return [(name, *f) for name in recall.trees("seeded")
            for f in sorted(recall.read_expected(os.path.join(recall.SEEDED, name)))]


@pytest.mark.parametrize("tree", recall.trees("clean"))
def test_clean_tree_has_no_unknown_finding(tree):
    """A clean tree gives no error or warning beyond the known false alarms below."""
    unknown = {f for f in _reported("clean", tree) if (tree, *f) not in CLEAN_FALSE_ALARMS}
    assert not unknown, f"{tree}: {sorted(unknown)}"


@pytest.mark.parametrize("tree,path,line,code", _xfail(sorted(CLEAN_FALSE_ALARMS), CLEAN_FALSE_ALARMS))
def test_clean_tree_false_alarm(tree, path, line, code):
    """Each known false alarm on a clean tree (fails, strictly, until virtc stops reporting it)."""
    assert (path, line, code) not in _reported("clean", tree)


@pytest.mark.parametrize("tree", recall.trees("seeded"))
def test_seeded_tree_has_no_unknown_finding(tree):
    """A seeded tree gives no error or warning beyond its expected.tsv (and the known ones)."""
    expected = recall.read_expected(os.path.join(recall.SEEDED, tree))
    unknown = {f for f in _reported("seeded", tree) if f not in expected and (tree, *f) not in SEEDED_FALSE_ALARMS}
    assert not unknown, f"{tree}: {sorted(unknown)}"


@pytest.mark.parametrize("tree,path,line,code", _xfail(_seeded_params(), SEEDED_MISSES))
def test_seeded_finding(tree, path, line, code):
    """Each finding of a seeded tree's expected.tsv is reported at its file, line and code."""
    assert (path, line, code) in _reported("seeded", tree)


def test_every_area_is_seeded():
    areas = {"STO", "PCI", "NET", "CPU", "MEM", "GOS", "TIME", "MIG", "SEC", "BOOT", "XEN", "MPIO", "SRIOV",
             "HOST", "MGMT", "MISC"}
    seeded = {name.split("-")[0] for name in recall.trees("seeded")}
    assert areas <= seeded, sorted(areas - seeded)


def test_known_entries_name_real_trees_and_findings():
    """The tables above stay in step with the trees (a renamed tree or moved line is caught)."""
    clean = set(recall.trees("clean"))
    assert {k[0] for k in CLEAN_FALSE_ALARMS} <= clean
    expected = set(_seeded_params())
    assert set(SEEDED_MISSES) <= expected, sorted(set(SEEDED_MISSES) - expected)
    assert {k[0] for k in SEEDED_FALSE_ALARMS} <= set(recall.trees("seeded"))
    assert set(CLEAN_FALSE_ALARMS.values()) | set(SEEDED_FALSE_ALARMS.values()) | set(SEEDED_MISSES.values()) \
        <= set(BUGS)
