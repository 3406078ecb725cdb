"""The command line: exit codes, all-or-nothing builds, determinism, safety of the output folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from virtc.schemas import load

GOOD = """\
host xen1 { hypervisor xen; memory 8G; bridge xenbr0 on eth0 }
host kvm1 { hypervisor kvm; memory 8G; bridge br0 on eth0 }
guest web[01..03] on xen1 {
  type xen-pv; memory 512M; autostart
  disk xvda "/var/lib/libvirt/images/{name}.img"
  nic bridge xenbr0
}
guest k on kvm1 { memory 1G; disk vda virtio "/var/lib/libvirt/images/k.img"; nic bridge br0; autostart }
"""
BAD = GOOD + 'guest broken on xen1 { type xen-pv; memory 1G; nic bridge nosuch }\n'


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "virtc", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})})


@pytest.fixture
def good(tmp_path):
    f = tmp_path / "fleet.virt"
    f.write_text(GOOD)
    return f


@pytest.fixture
def bad(tmp_path):
    f = tmp_path / "bad.virt"
    f.write_text(BAD)
    return f


def tree(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = p.read_text()
    return out


def test_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("virtc ")


def test_check_exit_codes(good, bad):
    assert run("check", str(good)).returncode == 0
    r = run("check", str(bad))
    assert r.returncode == 1
    assert "error[VR003]: bridge 'nosuch' does not exist on host xen1" in r.stdout
    assert f"--> {bad}:9:" in r.stdout
    assert "1 error, 0 warnings" in r.stdout


def test_usage_errors_exit_2(good, tmp_path):
    assert run("check").returncode == 2
    assert run("frobnicate").returncode == 2
    assert run("build", str(good)).returncode == 2  # no -o
    assert run("build", str(good), "-o", str(tmp_path / "o"), "--emit", "nonsense").returncode == 2


def test_missing_file_is_a_diagnostic_not_a_traceback(tmp_path):
    r = run("check", str(tmp_path / "nope.virt"))
    assert r.returncode == 1
    assert "VR009" in r.stdout and "Traceback" not in r.stdout + r.stderr


def test_build_writes_the_host_tree(good, tmp_path):
    out = tmp_path / "out"
    r = run("build", str(good), "-o", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    files = tree(out)
    assert set(files) == {
        ".virtc-manifest",
        "xen1/etc/xen/web01", "xen1/etc/xen/web02", "xen1/etc/xen/web03",
        "xen1/etc/xen/auto/web01", "xen1/etc/xen/auto/web02", "xen1/etc/xen/auto/web03",
        "xen1/etc/libvirt/xen/web01.xml", "xen1/etc/libvirt/xen/web02.xml", "xen1/etc/libvirt/xen/web03.xml",
        "kvm1/etc/libvirt/qemu/k.xml", "kvm1/etc/libvirt/qemu/autostart/k.xml",
        # host files: the bridges as ifcfg files, their sysctls, xend's network-script
        "xen1/etc/sysconfig/network-scripts/ifcfg-xenbr0", "xen1/etc/sysconfig/network-scripts/ifcfg-eth0",
        "kvm1/etc/sysconfig/network-scripts/ifcfg-br0", "kvm1/etc/sysconfig/network-scripts/ifcfg-eth0",
        "xen1/etc/sysctl.conf", "kvm1/etc/sysctl.conf", "xen1/etc/xen/xend-config.sxp",
    }
    assert files["xen1/etc/xen/auto/web02"] == "-> ../web02"
    assert (out / "xen1/etc/xen/auto/web02").read_text() == files["xen1/etc/xen/web02"]


def test_build_is_byte_identical_across_runs(good, tmp_path):
    assert run("build", str(good), "-o", str(tmp_path / "a")).returncode == 0
    assert run("build", str(good), "-o", str(tmp_path / "b")).returncode == 0
    assert run("build", str(good), "-o", str(tmp_path / "a")).returncode == 0  # rebuild in place
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_failed_build_writes_nothing_and_keeps_the_old_output(good, bad, tmp_path):
    out = tmp_path / "out"
    r = run("build", str(bad), "-o", str(out))
    assert r.returncode == 1 and not out.exists()
    assert run("build", str(good), "-o", str(out)).returncode == 0
    before = tree(out)
    assert run("build", str(bad), "-o", str(out)).returncode == 1
    assert tree(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".virtc")] == []


def test_refuses_to_replace_a_folder_it_did_not_write(good, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    r = run("build", str(good), "-o", str(out))
    assert r.returncode == 2 and "was not written by virtc" in r.stderr
    assert (out / "notes.txt").read_text() == "keep me"


def test_unsafe_names_never_reach_the_file_system(tmp_path):
    f = tmp_path / "evil.virt"
    f.write_text('host xen1 { hypervisor xen; bridge xenbr0 }\n'
                 'guest "../../escape" on xen1 { type xen-pv; memory 1G }\n'
                 'guest "a/b" on xen1 { type xen-pv; memory 1G }\n')
    out = tmp_path / "o"
    r = run("build", str(f), "-o", str(out))
    assert r.returncode == 1
    assert r.stdout.count("VR011") >= 2
    assert not out.exists() and not (tmp_path.parent / "escape").exists()


def test_emit_model_validates_against_the_schema(good):
    r = run("build", str(good), "--emit", "model")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    jsonschema.validate(data, load("model.schema.json"))
    assert [g["name"] for g in data["guests"]] == ["web01", "web02", "web03", "k"]
    assert data["guests"][0]["expansion"]["declared"] == "web[01..03]"
    assert data["guests"][0]["memory_kib"] == 512 * 1024


def test_json_diagnostics(bad):
    r = run("check", "--format", "json", str(bad))
    data = json.loads(r.stdout)
    assert r.returncode == 1
    [d] = data["diagnostics"]
    assert (d["code"], d["severity"], d["span"]["line"]) == ("VR003", "error", 9)
    assert d["path"] == "host xen1 / guest broken / nic 0"


def test_concise_format(bad):
    r = run("check", "--format", "concise", str(bad))
    assert r.stdout.strip() == f"{bad}:9:59: VR003 error: bridge 'nosuch' does not exist on host xen1"
