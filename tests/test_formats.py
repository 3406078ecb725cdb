"""The format registry: every format complete and unambiguous, lookups that raise, and
`virtc formats` printing the table."""
from __future__ import annotations

import subprocess
import sys

import pytest

from virtc import targets
from virtc.ruleset import all_rules


def _example(glob: str) -> str:
    """A concrete path matching a place glob: `etc/xen/*` -> `etc/xen/example`."""
    return glob.replace("**/", "").replace("*", "example").replace("?", "x")


def test_every_format_is_complete():
    names = [f.name for f in targets.FORMATS]
    assert len(names) == len(set(names))
    for f in targets.FORMATS:
        assert f.read is not None, f.name
        assert f.paths or f.recognise is not None, f"{f.name}: no place and no way to recognise it"
        assert f.emit is None or f.target in targets.TARGETS, f"{f.name}: written under no --emit name"
        assert all(r in all_rules() for r in f.rules), f.name


def test_each_place_belongs_to_one_format():
    for f in targets.FORMATS:
        for glob in f.paths:
            rel = _example(glob)
            placed = targets.placed(rel)
            assert placed is f, f"{rel}: {placed.name if placed else None} instead of {f.name}"


def test_lookups_by_name_raise():
    assert targets.by_name("xm").name == "xm"
    with pytest.raises(targets.UnknownFormat) as err:
        targets.by_name("xmm")
    assert "xm" in str(err.value)


def test_build_targets_are_made_of_the_formats_emitters():
    reg = targets.registry()
    assert list(reg) == list(targets.TARGETS)
    for name, target in reg.items():
        assert target.emitters, name
        assert set(target.emitters) == {f.emit for f in targets.FORMATS if f.target == name and f.emit}


def test_virtc_formats_prints_the_table():
    out = subprocess.run([sys.executable, "-m", "virtc", "formats"], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["FORMAT", "HOST"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {f.name for f in targets.FORMATS}
    assert "/etc/xen/*" in rows["xm"] and "build --emit xm" in rows["xm"] and "VF101" in rows["xm"]
    assert "read only" in rows["iptables"] and "VF821" in rows["iptables"]
    assert "/etc/modprobe.conf" in rows["modprobe"] and "build --emit hostfiles" in rows["modprobe"]
