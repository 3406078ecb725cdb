"""Rule selection and the everyday switches of the linters: --select, --ignore and
--extend-select (and their virtc.toml keys), --statistics, --exit-zero, --quiet and
--output-file."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from virtc import api
from virtc.config import Selection

ROOT = Path(__file__).resolve().parent.parent
BAD_MAC = ROOT / "examples" / "broken" / "bad-mac.virt"

# Two findings of two families: VS (a disk target) and VN (a MAC) ... and a warning.
FLEET = """host xen1 { hypervisor xen; memory 16G; bridge xenbr0 on eth0 }
guest g1 on xen1 {
  type xen-pv; memory 1G; vcpus 1
  disk xvda phy "/dev/vg/g1"
  disk xvda phy "/dev/vg/g1b"
  nic bridge xenbr0 mac 00:16:3e:00:00:01
}
guest g2 on xen1 {
  type xen-pv; memory 1G; vcpus 1
  disk xvda phy "/dev/vg/g2"
  nic bridge xenbr0 mac 00:16:3e:00:00:01
}
"""


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "virtc", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "NO_COLOR": "1"})


@pytest.fixture
def fleet(tmp_path):
    f = tmp_path / "fleet.virt"
    f.write_text(FLEET)
    return f


def codes(result) -> set[str]:
    return {d.code for d in result.diagnostics}


@pytest.mark.parametrize("sel,code,on", [
    (Selection(), "VS101", True),
    (Selection(select=("VS",)), "VS101", True),
    (Selection(select=("VS",)), "VN101", False),
    (Selection(ignore=("VS",)), "VS101", False),
    (Selection(ignore=("VS",)), "VN101", True),
    (Selection(select=("VS",), ignore=("VS1",)), "VS101", False),   # the longer selector wins
    (Selection(select=("VS101",), ignore=("VS",)), "VS101", True),
    (Selection(select=("VS",), ignore=("VS",)), "VS101", False),     # same length: ignore wins
    (Selection(select=("VN",), extend_select=("VS1",)), "VS101", True),
])
def test_the_most_specific_selector_decides(sel, code, on):
    assert sel.enabled(code) is on


def test_the_command_line_replaces_select_and_adds_to_ignore():
    base = Selection(select=("VS",), ignore=("VS2",))
    cli = Selection(select=("VN",), ignore=("VN1",))
    both = cli.over(base)
    assert both.select == ("VN",) and both.ignore == ("VS2", "VN1")
    assert Selection(ignore=("VN1",)).over(base).select == ("VS",)


def test_select_and_ignore_by_prefix_and_name(fleet):
    every = codes(api.check([str(fleet)]))
    assert {c[:2] for c in every} >= {"VS", "VN"}, every
    only_vn = codes(api.check([str(fleet)], selection=Selection(select=("VN",))))
    assert only_vn and all(c.startswith("VN") for c in only_vn)
    no_vn = codes(api.check([str(fleet)], selection=Selection(ignore=("VN",))))
    assert no_vn == {c for c in every if not c.startswith("VN")}


def test_the_configuration_file_selects_the_same_way(fleet):
    (fleet.parent / "virtc.toml").write_text('select = ["VS", "VN"]\nignore = ["VN"]\n')
    got = codes(api.check([str(fleet)]))
    assert got and all(c.startswith("VS") for c in got)
    (fleet.parent / "virtc.toml").write_text('extend-select = ["VN"]\nselect = ["VS1"]\n')
    got = codes(api.check([str(fleet)]))
    assert {c[:2] for c in got} == {"VS", "VN"}


def test_a_selector_that_names_no_code_is_an_error(fleet):
    (fleet.parent / "virtc.toml").write_text('ignore = ["QQ"]\n')
    out = api.check([str(fleet)])
    assert [d.code for d in out.config_errors] == ["VR040"] and "QQ" in out.config_errors[0].message
    (fleet.parent / "virtc.toml").unlink()
    bad = run("check", str(fleet), "--select", "VS,XX9")
    assert bad.returncode == 2 and "XX9" in bad.stderr and "Traceback" not in bad.stderr


def test_the_languages_own_errors_are_never_deselected(tmp_path):
    f = tmp_path / "broken.virt"
    f.write_text("host x1 { hypervisor xen\n")  # a syntax error
    r = run("check", str(f), "--select", "VS", "--format", "concise")
    assert r.returncode == 1 and " VP" in r.stdout, r.stdout


def test_cli_select_ignore_statistics_exit_zero_quiet_output_file(fleet, tmp_path):
    all_ = run("check", str(fleet), "--format", "concise")
    assert all_.returncode == 1
    lines = [x for x in all_.stdout.splitlines() if x]
    vn = run("check", str(fleet), "--format", "concise", "--select", "VN")
    assert vn.returncode == 1 and vn.stdout.strip()
    assert all(": VN" in x for x in vn.stdout.splitlines() if x)
    stats = run("check", str(fleet), "--statistics")
    counted = {}
    for line in stats.stdout.splitlines():
        n, code, *_ = line.split()
        counted[code] = int(n)
    want = {}
    for x in lines:
        code = x.split(": ")[1].split()[0]
        want[code] = want.get(code, 0) + 1
    assert counted == want
    zero = run("check", str(fleet), "--exit-zero", "--format", "concise")
    assert zero.returncode == 0 and zero.stdout == all_.stdout
    quiet = run("check", str(fleet), "-q", "--format", "concise")
    assert quiet.stdout == all_.stdout
    report = tmp_path / "report.txt"
    to_file = run("check", str(fleet), "--format", "concise", "--output-file", str(report))
    assert to_file.stdout == "" and report.read_text() == all_.stdout and to_file.returncode == 1


def test_lint_takes_the_same_switches(tmp_path):
    tree = tmp_path / "h1" / "etc" / "xen"
    tree.mkdir(parents=True)
    (tree / "web01").write_text('name = "web01"\nmemory = 64\nvcpus = 1\nbootloader = "/usr/bin/pygrub"\n'
                                'disk = [ "tap:aio:/var/lib/xen/images/web01.img,xvda,w" ]\n')
    full = run("lint", str(tmp_path / "h1"), "--format", "concise")
    assert ": VM10" in full.stdout
    quiet = run("lint", str(tmp_path / "h1"), "-q", "--ignore", "VM", "--format", "concise")
    assert ": VM10" not in quiet.stdout and quiet.stderr == ""
    assert run("lint", str(tmp_path / "h1"), "--select", "VM", "--exit-zero").returncode == 0
