"""`virtc lint`: files found by place and content, hosts assembled from their trees, and
the same rules as for .virt files running across one host's files.

The trees are virtc's own build output of each example (clean by construction), then
changed the way an administrator's hand would change them; each change must produce its
rule's diagnostic at the file:line:col of the change.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from virtc import api
from virtc import targets

from conftest import ROOT

# under xdist the tests of this module run on one worker: every example built once for the
# module
pytestmark = pytest.mark.xdist_group("lint")

EXAMPLES = sorted((ROOT / "examples").glob("*.virt"))

# ---------------------------------------------------------------- detection


@pytest.mark.parametrize("path, fmt", [
    ("etc/xen/web01", "xm"),
    ("etc/xen/xend-config.sxp", "xend"),
    ("etc/xen/auto/web01", "xm-autostart"),
    ("etc/xen/scripts/network-bridge", "xen-scripts"),
    ("etc/xen/scripts/network-bridge-custom", "xen-scripts"),
    ("etc/xen/scripts/network-bridge.rpmnew", None),
    ("etc/xen/xmexample1.sxp", None),
    ("etc/xen/xmexample.hvm", None),
    ("etc/xen/qemu-ifup", None),
    ("etc/xen/web01.rpmsave", None),
    ("etc/rc.d/init.d/iptables", None),
    ("etc/rc.d/rc3.d/S08iptables", None),
    ("etc/resolv.conf", None),
    ("etc/lvm/lvm.conf", None),
    ("etc/libvirt/qemu/vm1.xml", "domain-xml"),
    ("etc/libvirt/xen/vm1.xml", "domain-xml"),
    ("etc/libvirt/qemu/autostart/vm1.xml", "domain-autostart"),
    ("etc/libvirt/qemu/networks/default.xml", "network-xml"),
    ("etc/libvirt/qemu/networks/autostart/default.xml", "network-autostart"),
    ("etc/libvirt/storage/autostart/pool1.xml", "pool-autostart"),
    ("etc/libvirt/storage/pool1.xml", "pool-xml"),
    ("boot/grub/grub.conf", "grub"),
    ("boot/grub/menu.lst", "grub"),
    ("etc/grub.conf", "grub"),
    ("boot/efi/efi/redhat/elilo.conf", "elilo"),
    ("etc/sysconfig/network-scripts/ifcfg-xenbr0", "ifcfg"),
    ("etc/udev/rules.d/20-names.rules", "udev"),
    ("etc/scsi_id.config", "scsi_id"),
    ("etc/multipath.conf", "multipath"),
    ("etc/rc.local", "rc.local"),
    ("etc/rc.d/rc.local", "rc.local"),
    ("etc/hosts", "hosts"),
    ("etc/modprobe.conf", "modprobe"),
    ("etc/sysctl.conf", "sysctl"),
    ("etc/sysconfig/iptables", "iptables"),
    ("etc/exports", "exports"),
    ("etc/selinux/targeted/contexts/files/file_contexts.local", "fcontext"),
    ("etc/selinux/targeted/modules/active/booleans.local", "sebool"),
    ("etc/sysconfig/cpuspeed", "cpuspeed"),
    ("etc/redhat-release", "redhat-release"),
    ("capabilities.xml", "capabilities"),
    ("notes.txt", None),
])
def test_format_from_place(path, fmt):
    found = targets.placed(path)
    assert (found.name if found else None) == fmt


@pytest.mark.parametrize("path, text, fmt", [
    ("/srv/copy/xen1/etc/xen/web01", "", "xm"),  # a copy of a host's etc/ somewhere else
    ("guest.cfg", 'name = "g"\nmemory = 512\nvcpus = 1 +\n', "xm"),  # broken, still an xm config
    ("ifcfg-br0", "", "ifcfg"),
    ("host1-multipath.conf", "", "multipath"),
    ("audit.rules", "-w /etc/passwd -p wa -k identity\n", None),  # an extension alone says nothing
    ("notes.txt", "", None),
])
def test_loose_file_format_from_its_path_or_name(path, text, fmt):
    found = targets.recognised(path, text)
    assert (found.name if found else None) == fmt


@pytest.mark.parametrize("text, fmt", [
    ("<domain type='xen'>\n  <name>a</name>\n</domain>\n", "domain-xml"),
    ("<?xml version='1.0'?>\n<!-- dumped -->\n<network><name>n</name></network>\n", "network-xml"),
    ("<pool type='dir'><name>p</name></pool>", "pool-xml"),
    ("<capabilities>\n<host/>\n</capabilities>", "capabilities"),
    ("# xend\n(xend-relocation-server yes)\n", "xend"),
    ("default=0\ntitle Red Hat\n\troot (hd0,0)\n", "grub"),
    ("defaults {\n udev_dir /dev\n}\n", "multipath"),
    ("DEVICE=eth0\nBRIDGE=xenbr0\n", "ifcfg"),
    ('KERNEL=="sd*", BUS=="scsi", NAME="x"\n', "udev"),
    ("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", "iptables"),
    ('name = "g"\nmemory = 512\n', "xm"),
    ("net.ipv4.ip_forward = 1\n", "sysctl"),
    ("options loop max_loop=64\n", "modprobe"),
    ("just some words\n", None),
])
def test_format_from_content(text, fmt):
    found = targets.recognised("loose-file", text)
    assert (found.name if found else None) == fmt


def test_xml_in_a_domain_folder_is_told_apart_by_its_root_element():
    assert targets.recognised("etc/libvirt/qemu/x.xml", "<network><name>x</name></network>").name == "network-xml"
    assert targets.recognised("somewhere/x.xml", "<domain type='kvm'/>").name == "domain-xml"
    assert targets.recognised("etc/libvirt/qemu/autostart/x.xml", "<domain/>").name == "domain-autostart"


# ---------------------------------------------------------------- trees


def build(example: Path, out: Path) -> None:
    result = api.build([str(example)], str(out))
    assert not result.has_errors, [str(d) for d in result.diagnostics]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every example built once; tests copy the tree they change."""
    out = {}
    for ex in EXAMPLES:
        d = tmp_path_factory.mktemp(ex.stem) / "out"
        build(ex, d)
        out[ex.stem] = d
    return out


def copy_tree(src: Path, dst: Path) -> Path:
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    return dst


def problems(result, at_least="warning"):
    order = {"info": 1, "warning": 2, "error": 3}
    return [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics
            if order[str(d.severity)] >= order[at_least]]


@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_built_tree_lints_clean_and_gives_back_every_host_and_guest(example, built):
    tree = built[example]
    result = api.lint([], roots=[str(tree)])
    assert problems(result) == []
    compiled = api.check([str(ROOT / "examples" / f"{example}.virt")]).model
    assert sorted(h.name for h in result.model.hosts) == sorted(h.name for h in compiled.hosts)
    assert sorted((g.host, g.name) for g in result.model.guests) == \
        sorted((g.host, g.name) for g in compiled.guests)


def _xen_host(built, tmp_path) -> Path:
    return copy_tree(built["xen-webfarm"] / "xenweb1", tmp_path / "xenweb1")


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (old, path)
    path.write_text(text.replace(old, new, 1))


def _codes(result, code):
    return [(Path(d.span.file).name, d.span.line) for d in result.diagnostics if d.code == code and d.span]


def test_a_mac_used_by_two_guests_of_one_host(built, tmp_path):
    host = _xen_host(built, tmp_path)
    mac_a = re.search(r"mac=([0-9a-f:]+)", (host / "etc/xen/web01").read_text()).group(1)
    mac_b = re.search(r"mac=([0-9a-f:]+)", (host / "etc/xen/web02").read_text()).group(1)
    _replace(host / "etc/xen/web02", mac_b, mac_a)
    (host / "etc/libvirt/xen/web02.xml").unlink()
    result = api.lint([], roots=[str(host)])
    assert ("web02", _line_of(host / "etc/xen/web02", mac_a)) in _codes(result, "VN104")


def _pool(tmp_path) -> tuple[Path, Path]:
    """The two migration peers of tests/hosts/clean/migration (each allows the other's
    relocation), with xen-a's guest app01 also on xen-b, as pools keep it."""
    import shutil

    pool = tmp_path / "pool"
    shutil.copytree(Path(ROOT) / "tests/hosts/clean/migration", pool, symlinks=True)
    a, b = pool / "xen-a", pool / "xen-b"
    shutil.copy(a / "etc/xen/app01", b / "etc/xen/app01")
    return a, b


def _codes_of(result) -> list[str]:
    return sorted(d.code for d in result.diagnostics if d.severity.name != "INFO")


def test_one_guests_configuration_on_each_host_of_its_migration_pool_is_not_a_duplicate(tmp_path):
    """The same guest (name and UUID) on two hosts that are each other's migration peers is
    one guest kept where it may run: its UUID and MAC are not another guest's."""
    a, b = _pool(tmp_path)
    assert _codes_of(api.lint([], roots=[str(a), str(b)])) == []


def test_a_copy_under_another_name_in_the_pool_is_a_duplicate(tmp_path):
    """A copy of the guest renamed but with its UUID, MAC and disk kept (the guide's §32.18:
    give a copy a new UUID, MACs and disk) is another guest that collides on each."""
    a, b = _pool(tmp_path)
    copy = b / "etc/xen/app01"
    copy.rename(b / "etc/xen/app09")
    _replace(b / "etc/xen/app09", 'name = "app01"', 'name = "app09"')
    assert _codes_of(api.lint([], roots=[str(a), str(b)])) == ["VN104", "VS120", "VX108"]


def test_one_guest_on_two_hosts_that_are_not_peers_collides(tmp_path):
    """Outside a migration pool the same UUID and MAC on two hosts are two guests' (a copied
    configuration): both are reported."""
    import shutil

    a, _ = _pool(tmp_path)
    other = tmp_path / "xen-pv"
    shutil.copytree(Path(ROOT) / "tests/hosts/clean/xen-pv", other, symlinks=True)
    shutil.copy(a / "etc/xen/app01", other / "etc/xen/app01")
    assert _codes_of(api.lint([], roots=[str(a), str(other)])) == ["VN104", "VX108"]


def test_a_second_file_of_one_guest_on_a_host_is_one_finding(tmp_path):
    """A stale copy of a config under another file name (web01.old): one VF010, not also
    the UUID and MAC it shares with the guest it copies."""
    import shutil

    host = tmp_path / "xen-pv"
    shutil.copytree(Path(ROOT) / "tests/hosts/clean/xen-pv", host, symlinks=True)
    shutil.copy(host / "etc/xen/web01", host / "etc/xen/web01.old")
    assert _codes_of(api.lint([], roots=[str(host)])) == ["VF010"]


def test_an_autostart_link_starts_the_guest_of_the_file_it_leads_to(tmp_path):
    """xendomains starts the guest each /etc/xen/auto entry defines, whatever the link is
    named (a number in front orders the starts): 01-web01 -> /etc/xen/web01 autostarts
    web01; a link named after a guest is that guest, as before."""
    import shutil

    host = tmp_path / "xen-pv"
    shutil.copytree(Path(ROOT) / "tests/hosts/clean/xen-pv", host, symlinks=True)
    auto = host / "etc/xen/auto"
    (auto / "web01").unlink()
    (auto / "01-web01").symlink_to("/etc/xen/web01")
    (auto / "02-build").symlink_to("../build01")
    started = {g.name: g.autostart for g in api.lint([], roots=[str(host)]).model.guests}
    assert started == {"build01": True, "db01": True, "web01": True, "web02": True}
    (auto / "02-build").unlink()
    (auto / "02-build").symlink_to("/etc/xen/nothing-here")  # leads nowhere: starts nothing
    started = {g.name: g.autostart for g in api.lint([], roots=[str(host)]).model.guests}
    assert started == {"build01": False, "db01": True, "web01": True, "web02": True}


def test_a_copy_in_the_autostart_folder_starts_the_guest_it_defines(tmp_path):
    """A copy kept in /etc/xen/auto instead of a link (`cp`, not `ln -s`): xendomains runs
    `xm create` on it, so the guest its `name =` names starts, whatever the copy is named.
    Certificates, the other files known only by their place, are still never opened."""
    import shutil

    host = tmp_path / "xen-pv"
    shutil.copytree(Path(ROOT) / "tests/hosts/clean/xen-pv", host, symlinks=True)
    auto = host / "etc/xen/auto"
    (auto / "web01").unlink()
    shutil.copy(host / "etc/xen/web01", auto / "web01.cfg")
    started = {g.name: g.autostart for g in api.lint([], roots=[str(host)]).model.guests}
    assert started["web01"] is True
    (auto / "web01.cfg").write_text("this is not python (\n")  # unreadable as a config: its name, as before
    started = {g.name: g.autostart for g in api.lint([], roots=[str(host)]).model.guests}
    assert started["web01"] is False


# The guide's multi-bridge wrapper (§11.1, lines 1635-1662), in the tree under the name
# configured.
MULTI_BRIDGE = """#!/bin/sh
# network-xen-multi-bridge
set -e
OP=$1
shift
script=/etc/xen/scripts/network-bridge.xen
case ${OP} in
start)
	$script start vifnum=1 bridge=xenbr1 netdev=eth1
	$script start vifnum=0 bridge=xenbr0 netdev=eth0
	;;
stop)
	$script stop vifnum=1 bridge=xenbr1 netdev=eth1
	$script stop vifnum=0 bridge=xenbr0 netdev=eth0
	;;
esac
"""


def _xend_bridged(built, tmp_path) -> Path:
    """xenweb1 with its ifcfg bridges replaced by xend's multi-bridge script."""
    host = _xen_host(built, tmp_path)
    nets = host / "etc/sysconfig/network-scripts"
    for n in (0, 1):
        (nets / f"ifcfg-xenbr{n}").unlink()
        _replace(nets / f"ifcfg-eth{n}", f"BRIDGE=xenbr{n}\n", "")
    _replace(host / "etc/xen/xend-config.sxp", "(network-script /bin/true)", "(network-script network-xen-multi-bridge)")
    (host / "etc/xen/scripts").mkdir()
    (host / "etc/xen/scripts/network-xen-multi-bridge").write_text(MULTI_BRIDGE)
    return host


def test_bridges_xends_network_script_makes_are_the_hosts(built, tmp_path):
    host = _xend_bridged(built, tmp_path)
    result = api.lint([], roots=[str(host)])
    assert problems(result) == []
    (h,) = result.model.hosts
    assert h.xen_scripts == ("network-xen-multi-bridge",)
    made = {b.name: b for b in h.bridges}
    assert sorted(made) == ["xenbr0", "xenbr1"] and (made["xenbr1"].nic, made["xenbr0"].nic) == ("eth1", "eth0")
    sxp = host / "etc/xen/xend-config.sxp"
    for b in made.values():  # made by xend: where the network-script is set, and the wrapper's call
        assert (b.xend_script.file, b.xend_script.line) == (str(sxp), _line_of(sxp, "(network-script"))
        wrapper = host / "etc/xen/scripts/network-xen-multi-bridge"
        assert (b.span.file, b.span.line) == (str(wrapper), _line_of(wrapper, f"start vifnum={b.name[-1]}"))
    # they are xend's: written back, the host gets no ifcfg file for them
    assert targets.by_name("ifcfg").emit(result.model) == []


def test_bridges_of_a_network_script_the_tree_does_not_hold(built, tmp_path):
    host = _xend_bridged(built, tmp_path)
    (host / "etc/xen/scripts/network-xen-multi-bridge").unlink()
    (host / "etc/xen/scripts").rmdir()
    # the script's bridges cannot be read: the xenbrN bridges the guests use are taken as its
    result = api.lint([], roots=[str(host)])
    assert problems(result) == []
    assert result.model.hosts[0].xen_scripts is None
    # network-bridge itself makes one bridge: xenbr1 with vifnum=1, so the guests on xenbr0 lose theirs
    _replace(host / "etc/xen/xend-config.sxp", "(network-script network-xen-multi-bridge)",
             "(network-script 'network-bridge vifnum=1')")
    result = api.lint([], roots=[str(host)])
    users = [p for p in (host / "etc/xen").iterdir() if p.is_file() and "bridge=xenbr0" in p.read_text()]
    assert users and sorted(_codes(result, "VN130")) == sorted((p.name, _line_of(p, "bridge=xenbr0")) for p in users)
    assert [b.name for b in result.model.hosts[0].bridges] == ["xenbr1"]


def test_build_of_a_host_that_keeps_xends_network_bridge(tmp_path):
    """A .virt host stating xend's network-bridge and its bridge builds as before: the
    bridge is a declared bridge, written as ifcfg files, and the xend line as stated."""
    virt = tmp_path / "nb.virt"
    virt.write_text("host xen1 {\n  hypervisor xen; memory 32G\n  bridge xenbr0 on eth0\n"
                    "  xend network-script network-bridge\n}\n"
                    "guest web01 on xen1 { type xen-pv; memory 1G; bootloader pygrub; nic bridge xenbr0 }\n")
    result = api.build([str(virt)], None, write=False)
    assert not result.has_errors, problems(result)
    files = {a.path: a.text for a in result.artifacts}
    assert "xen1/etc/sysconfig/network-scripts/ifcfg-xenbr0" in files
    assert "BRIDGE=xenbr0" in files["xen1/etc/sysconfig/network-scripts/ifcfg-eth0"]
    assert "(network-script network-bridge)" in files["xen1/etc/xen/xend-config.sxp"]
    assert all(b.xend_script is None for b in result.model.hosts[0].bridges)


def test_a_vif_bridge_that_no_ifcfg_defines(built, tmp_path):
    host = _xen_host(built, tmp_path)
    (host / "etc/sysconfig/network-scripts/ifcfg-xenbr1").unlink()
    _replace(host / "etc/sysconfig/network-scripts/ifcfg-eth1", "BRIDGE=xenbr1", "BRIDGE=xenbr0")
    users = [p for p in (host / "etc/xen").iterdir() if p.is_file() and "bridge=xenbr1" in p.read_text()]
    assert users, "the example has guests on xenbr1"
    result = api.lint([], roots=[str(host)])
    found = _codes(result, "VN130")
    for p in users:
        assert (p.name, _line_of(p, "bridge=xenbr1")) in found


def test_tap_aio_devices_are_counted_over_all_guests_of_a_host(built, tmp_path):
    host = _xen_host(built, tmp_path)
    # 13 guests; give each 20 tap:aio disks: 260 > 254
    for p in sorted((host / "etc/xen").iterdir()):
        if not p.is_file() or p.name == "xend-config.sxp":
            continue
        text = p.read_text()
        extra = ", ".join(f'"tap:aio:/var/lib/xen/images/{p.name}-{i}.img,xvd{chr(ord("c") + i)},w"'
                          for i in range(20))
        p.write_text(re.sub(r"^disk = \[ (.*) \]$", lambda m: f"disk = [ {m.group(1)}, {extra} ]", text,
                            flags=re.M))
        xml = host / "etc/libvirt/xen" / f"{p.name}.xml"
        if xml.exists():
            xml.unlink()
    result = api.lint([], roots=[str(host)])
    assert _codes(result, "VS103"), problems(result)


def test_one_pci_device_given_to_two_guests(built, tmp_path):
    host = _xen_host(built, tmp_path)
    for name in ("web01", "web02"):
        with open(host / "etc/xen" / name, "a") as fh:
            fh.write('pci = [ "0000:0b:00.0" ]\n')
        (host / "etc/libvirt/xen" / f"{name}.xml").unlink()
    result = api.lint([], roots=[str(host)])
    assert ("web02", _line_of(host / "etc/xen/web02", "pci =")) in _codes(result, "VD110") or \
        ("web01", _line_of(host / "etc/xen/web01", "pci =")) in _codes(result, "VD110"), problems(result)


CAPS = """<capabilities>
  <host>
    <cpu>
      <arch>x86_64</arch>
      <features>
        <pae/>
        <vmx/>
      </features>
    </cpu>
    <topology>
      <cells num='1'>
        <cell id='0'>
          <memory unit='KiB'>{kib}</memory>
          <cpus num='4'>
            <cpu id='0' socket_id='0' core_id='0' siblings='0'/>
            <cpu id='1' socket_id='0' core_id='1' siblings='1'/>
            <cpu id='2' socket_id='0' core_id='2' siblings='2'/>
            <cpu id='3' socket_id='0' core_id='3' siblings='3'/>
          </cpus>
        </cell>
      </cells>
    </topology>
  </host>
  <guest>
    <os_type>xen</os_type>
    <arch name='x86_64'>
      <wordsize>64</wordsize>
      <domain type='xen'/>
    </arch>
  </guest>
</capabilities>
"""


def test_guests_and_dom0_above_the_hosts_ram_needs_capabilities(built, tmp_path):
    host = _xen_host(built, tmp_path)
    without = api.lint([], roots=[str(host)])
    assert not _codes(without, "VM105")
    notes = [d for d in without.diagnostics if d.code == "VF004"]
    assert len(notes) == 1 and "VM105" in notes[0].message
    caps = tmp_path / "caps.xml"
    caps.write_text(CAPS.format(kib=8 * 1024 * 1024))
    (host / "etc/redhat-release").write_text("Red Hat Enterprise Linux Server release 5.8 (Tikanga)\n")
    result = api.lint([], roots=[str(host)], capabilities=str(caps))
    assert _codes(result, "VM105"), problems(result)
    assert not [d for d in result.diagnostics if d.code == "VF004" and "VM105" in d.message]
    # the same file found in the tree works too
    (host / "capabilities.xml").write_text(caps.read_text())
    assert _codes(api.lint([], roots=[str(host)]), "VM105")


# ---------------------------------------------------------------- command line


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "virtc", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_lint_exit_codes_and_concise_output(built, tmp_path):
    host = _xen_host(built, tmp_path)
    clean = run("lint", "--root", str(host), "--format", "concise")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    _replace(host / "etc/xen/web01", "on_reboot", "on_boot")
    bad = run("lint", "--root", str(host), "--format", "concise")
    assert bad.returncode == 1
    line = _line_of(host / "etc/xen/web01", "on_boot")
    assert re.search(rf"web01:{line}:1: VF103 error: .*on_boot", bad.stdout), bad.stdout
    (d,) = [d for d in api.lint([], roots=[str(host)]).diagnostics if d.code == "VF103"]
    assert "on_reboot" in f"{d.message} {d.hint}"  # did you mean
    assert "Traceback" not in bad.stderr
    missing = run("lint", "--root", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such" in missing.stderr
    none = run("lint")
    assert none.returncode == 2


# ---------------------------------------------------------------- RHEL 5's libvirt schema


def test_domain_xml_is_checked_against_rhel5_libvirts_schema(built, tmp_path):
    host = _xen_host(built, tmp_path)
    xml = host / "etc/libvirt/xen/web03.xml"
    # <memballoon> came with libvirt 0.8.3: later than RHEL 5's, and no other rule's
    _replace(xml, "</devices>", "  <memballoon model='xen'/>\n  </devices>")
    result = api.lint([], roots=[str(host)])
    (d,) = [d for d in result.diagnostics if d.code == "VF711"]
    assert (Path(d.span.file).name, d.span.line, d.span.col) == ("web03.xml", _line_of(xml, "<memballoon"), 5)
    assert "memballoon" in d.message and str(d.severity) == "warning"
    assert d.message.startswith("RHEL 5's libvirt 0.8 (virtc's schema of it) rejects this: ")
    # every other file of the tree is valid
    assert [x for x in result.diagnostics if x.code == "VF711" and x is not d] == []


def test_the_schema_does_not_restate_another_finding(built, tmp_path):
    """<vcpus> is VF704's finding; the schema check, which also rejects it, says nothing."""
    host = _xen_host(built, tmp_path)
    xml = host / "etc/libvirt/xen/web03.xml"
    _replace(xml, "<vcpu>", "<vcpus>")
    _replace(xml, "</vcpu>", "</vcpus>")
    result = api.lint([], roots=[str(host)])
    assert [(d.code, d.span.line) for d in result.diagnostics if d.code in ("VF704", "VF711")] == \
        [("VF704", _line_of(xml, "<vcpus>"))]


def test_an_attribute_at_fault_is_pointed_at(built, tmp_path):
    """VF711 marks the attribute libvirt 0.8 did not have, not the root or its element."""
    host = _xen_host(built, tmp_path)
    xml = host / "etc/libvirt/xen/web03.xml"
    _replace(xml, "<memory>", "<memory unit='KiB'>")
    result = api.lint([], roots=[str(host)])
    (d,) = [d for d in result.diagnostics if d.code == "VF711"]
    line = _line_of(xml, "<memory unit=")
    assert (d.span.line, d.span.col) == (line, xml.read_text().splitlines()[line - 1].index("unit=") + 1)
    assert "no attribute unit on <memory>" in d.message


def test_the_schema_check_needs_nothing_from_the_machine(built, tmp_path):
    """Without any libvirt schema on the machine, or with another libvirt's schemas where
    virtc once looked for them, the findings are the same: virtc's own grammar decides."""
    host = _xen_host(built, tmp_path)
    _replace(host / "etc/libvirt/xen/web03.xml", "<memory>", "<memory unit='KiB'>")
    cmd = [sys.executable, "-m", "virtc", "lint", "--root", str(host), "--format", "json"]

    def findings(env) -> list:
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert "Traceback" not in r.stderr
        return [(d["code"], d["message"], d["span"]["line"], d["span"]["col"])
                for d in json.loads(r.stdout)["diagnostics"] if d["code"] == "VF711"]

    env = {k: v for k, v in os.environ.items() if k != "VIRTC_LIBVIRT_SCHEMAS"}
    plain = findings(env)
    assert len(plain) == 1 and "unit" in plain[0][1]
    # libvirt 11.3's schemas accept unit=; a machine-dependent check would find nothing
    modern = ROOT.parent / "shared" / "corpus" / "libvirt-rng"
    for elsewhere in (str(tmp_path / "no-such-dir"), str(modern)):
        assert findings({**env, "VIRTC_LIBVIRT_SCHEMAS": elsewhere}) == plain


def test_lint_has_no_schemas_option():
    r = subprocess.run([sys.executable, "-m", "virtc", "lint", "--schemas", "/usr/share/libvirt/schemas", "x.xml"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--schemas" in r.stderr


# ---------------------------------------------------------------- unreadable files


@pytest.mark.parametrize("name, data, code, says", [
    ("etc/xen/core", b"name = 'x'\n\0\0\0ELF", "VF001", "binary"),
    ("etc/xen/latin1", b'name = "caf\xe9"\n', "VF001", "not UTF-8"),
    ("etc/xen/huge", b"# " + b"x" * (4 * 1024 * 1024) + b"\n", "VF011", "bytes"),  # virtc's own limit
], ids=["binary", "latin1", "huge"])
def test_binary_non_utf8_and_huge_files_are_a_diagnostic_not_a_crash(tmp_path, name, data, code, says):
    p = tmp_path / name
    p.parent.mkdir(parents=True)
    p.write_bytes(data)
    result = api.lint([], roots=[str(tmp_path)])
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1 and says in found[0].message and str(found[0].severity) == "error"
    assert result.model.guests == ()
    cli = run("lint", "--root", str(tmp_path), "--format", "concise")
    assert cli.returncode == 1 and code in cli.stdout and "Traceback" not in cli.stderr


def _kvm_domain(path: Path, name: str = "vm1", memory: str = "<memory>1048576</memory>",
                machine: str = "", disks: str = "") -> None:
    """A KVM guest's domain XML at `path` (its folders made): `memory` and the <type>'s
    machine as a later libvirt may write them, and `disks` as <disk> elements."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"<domain type='kvm'>\n  <name>{name}</name>\n  <uuid>5f0e1a8c-3b2d-4c1e-9f7a-2b3c4d5e6f70</uuid>\n"
        f"  {memory}\n  <vcpu>1</vcpu>\n  <os>\n    <type arch='x86_64'{machine}>hvm</type>\n  </os>\n"
        f"  <devices>\n    <emulator>/usr/libexec/qemu-kvm</emulator>\n{disks}  </devices>\n</domain>\n")


def test_a_host_of_another_release_than_rhel5_gets_no_rhel5_schema_findings(tmp_path):
    """A RHEL 7 KVM host's domain XML, as its libvirt writes it (`<memory unit='KiB'>`):
    RHEL 5's schema rejects it (VF711), which says nothing about that host. Its
    redhat-release stating release 7 skips the schema check with one note; release 5.4
    keeps it. The same for the nat table's INPUT chain of its iptables-save (VF825)."""
    host = tmp_path / "kvm7"
    _kvm_domain(host / "etc/libvirt/qemu/vm1.xml", memory="<memory unit='KiB'>2097152</memory>",
                machine=" machine='pc-i440fx-rhel7.0.0'")
    (host / "etc/sysconfig").mkdir()
    (host / "etc/sysconfig/iptables").write_text(  # as RHEL 7's iptables-save writes the nat table
        "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
        "COMMIT\n*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        "-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT\nCOMMIT\n")
    release = host / "etc/redhat-release"
    release.write_text("CentOS Linux release 7.9.2009 (Core)\n")
    diags = api.lint([], roots=[str(host)]).diagnostics
    assert not {"VF711", "VF825"} & {d.code for d in diags}
    notes = [d for d in diags if d.code == "VF004" and "not RHEL 5" in d.message]
    assert len(notes) == 1 and "release 7.9" in notes[0].message and "1 VF711" in notes[0].message
    assert notes[0].span.file == str(release)
    release.write_text("Red Hat Enterprise Linux Server release 5.4 (Tikanga)\n")
    diags = api.lint([], roots=[str(host)]).diagnostics
    assert {"VF711", "VF825"} <= {d.code for d in diags}
    assert not [d for d in diags if "not RHEL 5" in d.message]


def test_a_debian_host_gets_no_findings_only_rhel5s_older_programs_would_give(tmp_path):
    """A tree with /etc/debian_version (or systemd's os-release, even as a link out of the
    copy) is not RHEL 5: `softdep` in modprobe.d (VF811: module-init-tools 3.3 has no such
    command), udev keys later than RHEL 5's udev 095 (TEST, TAG), Xen 4.4's pygrub path
    (VB109) and RHEL 5's libvirt schema (VF711) say nothing about it; a defect any udev refuses (KERNEL="sd*", a match
    with one '=') is still an error."""
    import shutil

    from virtc.diagnostics import Severity

    host = tmp_path / "kvmdeb"
    (host / "etc/modprobe.d").mkdir(parents=True)
    (host / "etc/modprobe.d/kvm.conf").write_text("options kvm_intel nested=1\nsoftdep snd_hda_intel pre: snd_hda_codec\n")
    (host / "etc/xen").mkdir(parents=True)
    (host / "etc/xen/web1.cfg").write_text(  # as xen-tools writes it for a Xen 4 built from source
        "bootloader = '/usr/lib/xen/bin/pygrub'\nmemory = '512'\nname = 'web1'\n"
        "disk = ['phy:/dev/vg0/web1-disk,xvda2,w']\nvif = ['mac=00:16:3E:7D:6A:11,bridge=xenbr0']\n")
    (host / "etc/udev/rules.d").mkdir(parents=True)
    (host / "etc/udev/rules.d/99-san.rules").write_text(
        'ACTION=="add|change", SUBSYSTEM=="block", ENV{ID_WWN}=="0x5000c500a1b2c3d4", ATTR{queue/scheduler}="none"\n'
        'KERNEL="sd*", ENV{ID_SERIAL}=="3600508b400105e210000900000490000", SYMLINK+="san/lun0"\n'
        'SUBSYSTEM=="block", KERNEL=="vd*", TEST=="queue/rotational", TAG+="systemd"\n')
    loud = [(d.code, d.span.line) for d in api.lint([], roots=[str(host)]).diagnostics
            if d.severity >= Severity.WARNING]
    # nothing says which system this is: RHEL 5's reading (udev 095 has no TEST or TAG,
    # RHEL 5's pygrub is /usr/bin/pygrub)
    assert sorted(loud) == [("VB109", 1), ("VF402", 2), ("VF402", 3), ("VF402", 3), ("VF811", 2)]
    (host / "etc/debian_version").write_text("10.13\n")
    diags = api.lint([], roots=[str(host)]).diagnostics
    loud = [(d.code, d.span.line) for d in diags if d.severity >= Severity.WARNING]
    assert loud == [("VF402", 2)]  # KERNEL= is refused by every udev; ATTR{...}= assigns
    assert any(d.code == "VF004" and "debian_version" in d.message and "1 VF811" in d.message for d in diags)
    (host / "etc/debian_version").unlink()
    (host / "etc/os-release").symlink_to("../usr/lib/os-release")  # as systemd's systems have it
    assert [(d.code, d.span.line) for d in api.lint([], roots=[str(host)]).diagnostics
            if d.severity >= Severity.WARNING] == [("VF402", 2)]
    # a copy that left the release files out still has its init system's folder: systemd's
    # (RHEL 7, Debian 8 on) or upstart's (RHEL 6, Ubuntu), which RHEL 5's SysV init has not
    (host / "etc/os-release").unlink()
    for folder in ("systemd/system", "init"):
        (host / "etc" / folder).mkdir(parents=True)
        diags = api.lint([], roots=[str(host)]).diagnostics
        assert [(d.code, d.span.line) for d in diags if d.severity >= Severity.WARNING] == [("VF402", 2)], folder
        assert any(d.code == "VF004" and f"/etc/{folder.split('/')[0]}," in d.message for d in diags)
        shutil.rmtree(host / "etc" / folder.split("/")[0])


def test_an_autostart_link_left_behind_by_a_removed_guest_is_a_warning(tmp_path):
    """/etc/xen/auto/olddb -> /etc/xen/olddb with olddb removed (xendomains' `xm create`
    of it fails at every boot), and a libvirt autostart link to a domain XML that is gone:
    one VF012 each, at the link. A link into a folder the copy does not hold (/srv) is not
    judged: the copy may have left its target out."""
    import shutil

    host = tmp_path / "xen-pv"
    shutil.copytree(Path(ROOT) / "tests/hosts/clean/xen-pv", host, symlinks=True)
    assert "VF012" not in _codes_of(api.lint([], roots=[str(host)]))
    (host / "etc/xen/auto/olddb").symlink_to("/etc/xen/olddb")
    (host / "etc/xen/auto/on-srv").symlink_to("/srv/xen/configs/app01")
    (host / "etc/libvirt/qemu/autostart").mkdir(parents=True)
    (host / "etc/libvirt/qemu/autostart/gone.xml").symlink_to("/etc/libvirt/qemu/gone.xml")
    stale = sorted((Path(d.span.file).name, d.severity.name, "leads to" in d.message)
                   for d in api.lint([], roots=[str(host)]).diagnostics if d.code == "VF012")
    assert stale == [("gone.xml", "WARNING", True), ("olddb", "WARNING", True)]


def test_an_ifcfg_bridge_reference_is_resolved_on_its_own_host(tmp_path):
    """BRIDGE=br0 on a host with no ifcfg-br0 is VF305 even when another host linted with
    it has a br0 (each host's initscripts see their own files). A bridge written
    TYPE=bridge is VF303, and makes no bridge for its NIC either (VF305)."""
    nets = "etc/sysconfig/network-scripts"
    for name, files in (("a", {"ifcfg-br0": "DEVICE=br0\nTYPE=Bridge\nONBOOT=yes\n",
                                "ifcfg-eth0": "DEVICE=eth0\nONBOOT=yes\nBRIDGE=br0\n"}),
                        ("b", {"ifcfg-eth0": "DEVICE=eth0\nONBOOT=yes\nBRIDGE=br0\n"}),
                        ("c", {"ifcfg-br0": "DEVICE=br0\nTYPE=bridge\nONBOOT=yes\n",
                               "ifcfg-eth0": "DEVICE=eth0\nONBOOT=yes\nBRIDGE=br0\n"})):
        (tmp_path / name / nets).mkdir(parents=True)
        for file, text in files.items():
            (tmp_path / name / nets / file).write_text(text)
    found = sorted((Path(d.span.file).parts[-5], Path(d.span.file).name, d.code)
                   for d in api.lint([], roots=[str(tmp_path)]).diagnostics if d.code in ("VF303", "VF305"))
    assert found == [("b", "ifcfg-eth0", "VF305"), ("c", "ifcfg-br0", "VF303"), ("c", "ifcfg-eth0", "VF305")]


def test_the_services_of_a_host_tree_come_from_its_runlevel_links(tmp_path):
    """chkconfig's links (etc/rc.d/rc3.d/S98xend on, K02NetworkManager off; runlevel 3's
    word first, then 5's) are the host's services, read by their names: xend off on a Xen
    host is VX101, NetworkManager on beside initscripts bridges VN109. A tree without such
    links states no services, and neither rule judges it."""
    import shutil

    host = tmp_path / "xen-pv"
    shutil.copytree(Path(ROOT) / "tests/hosts/clean/xen-pv", host, symlinks=True)
    init, rc3, rc5 = (host / "etc/rc.d" / d for d in ("init.d", "rc3.d", "rc5.d"))
    for d in (init, rc3, rc5):
        d.mkdir(parents=True, exist_ok=True)
    for name in ("network", "xend", "xendomains", "NetworkManager", "ntpd"):
        (init / name).write_text("#!/bin/sh\n")

    def links(**states):
        for d in (rc3, rc5):
            for link in d.iterdir():
                link.unlink()
        for where, items in states.items():
            for item in items:
                (host / "etc/rc.d" / f"{where}.d" / item).symlink_to(f"../init.d/{item[3:]}")
        result = api.lint([], roots=[str(host)])
        return result.model.hosts[0], _codes_of(result)

    h, codes = links(rc3=["S10network", "S98xend", "S99xendomains", "K02NetworkManager"],
                     rc5=["S98NetworkManager"])
    assert (h.services_on, h.services_off) == (("network", "xend", "xendomains"), ("NetworkManager",))
    assert codes == []
    h, codes = links(rc3=["S10network", "K20xend", "S27NetworkManager"])
    assert codes == ["VN109", "VX101"]
    h, codes = links()
    assert (h.services_on, h.services_off) == ((), ()) and codes == []


def test_the_default_runlevel_of_inittab_decides_whose_links_count(tmp_path):
    """A desktop host (`id:5:initdefault:`) boots into runlevel 5: its links there decide,
    where they differ from runlevel 3's. An inittab that names no level, or one that is a
    link leading out of the tree (to this machine's own /etc/inittab), leaves runlevel 3 first."""
    import shutil

    host = tmp_path / "xen-pv"
    shutil.copytree(Path(ROOT) / "tests/hosts/clean/xen-pv", host, symlinks=True)
    init, rc3, rc5 = (host / "etc/rc.d" / d for d in ("init.d", "rc3.d", "rc5.d"))
    for d in (init, rc3, rc5):
        d.mkdir(parents=True, exist_ok=True)
    for name in ("network", "xend", "NetworkManager"):
        (init / name).write_text("#!/bin/sh\n")
    for where, items in {rc3: ["S10network", "S98xend", "K02NetworkManager"],
                         rc5: ["S10network", "S98xend", "S27NetworkManager"]}.items():
        for item in items:
            (where / item).symlink_to(f"../init.d/{item[3:]}")
    inittab = host / "etc/inittab"

    def services():
        result = api.lint([], roots=[str(host)])
        return result.model.hosts[0].services_off, "VN109" in _codes_of(result)

    inittab.write_text("# Default runlevel.\n#id:3:initdefault:\nid:5:initdefault:\nsi::sysinit:/etc/rc.d/rc.sysinit\n")
    assert services() == ((), True)
    inittab.write_text("id:3:initdefault:\n")
    assert services() == (("NetworkManager",), False)
    inittab.write_text("si::sysinit:/etc/rc.d/rc.sysinit\n")
    assert services() == (("NetworkManager",), False)
    outside = tmp_path / "machine-inittab"
    outside.write_text("id:5:initdefault:\n")
    inittab.unlink()
    inittab.symlink_to(outside)  # absolute: the host's own /tmp/..., not in the tree
    assert services() == (("NetworkManager",), False)


def test_runlevel_links_judge_ntpd_on_kvm_hosts_with_guests_and_are_not_read_on_systemd(tmp_path):
    """A tree whose runlevel links start no ntpd: a KVM host with a guest gets VK102, a
    server with no guest (taken for KVM, nothing in it being Xen's) does not. A systemd
    system's runlevel links are only its leftover SysV scripts: no services are read."""
    host = tmp_path / "kvm1"
    rc3 = host / "etc/rc.d/rc3.d"
    rc3.mkdir(parents=True)
    (host / "etc/rc.d/init.d").mkdir()
    for name in ("network", "sshd"):
        (host / "etc/rc.d/init.d" / name).write_text("#!/bin/sh\n")
        (rc3 / f"S10{name}").symlink_to(f"../init.d/{name}")
    (host / "etc/redhat-release").write_text("Red Hat Enterprise Linux Server release 5.4 (Tikanga)\n")
    assert "VK102" not in _codes_of(api.lint([], roots=[str(host)]))
    _kvm_domain(host / "etc/libvirt/qemu/vm1.xml")
    assert "VK102" in _codes_of(api.lint([], roots=[str(host)]))
    (host / "etc/systemd/system").mkdir(parents=True)
    result = api.lint([], roots=[str(host)])
    assert (result.model.hosts[0].services_on, result.model.hosts[0].services_off) == ((), ())
    assert "VK102" not in _codes_of(result)


def test_networkmanager_ifcfg_files_of_later_systems_need_no_device(tmp_path):
    """NetworkManager names an ifcfg file after its connection and keys it by HWADDR
    (ifcfg-Wired_connection_1, no DEVICE=); RHEL 6's and later initscripts find the
    device by it. On RHEL 5 (nothing says otherwise) it is VF302; on RHEL 7, nothing."""
    folder = tmp_path / "kvm7" / "etc" / "sysconfig" / "network-scripts"
    folder.mkdir(parents=True)
    (folder / "ifcfg-Wired_connection_1").write_text(
        'HWADDR=52:54:00:12:34:56\nTYPE=Ethernet\nBOOTPROTO=dhcp\nNAME="Wired connection 1"\nONBOOT=yes\n')
    (folder / "ifcfg-System_eth1").write_text("DEVICE=eth1\nTYPE=Ethernet\nBOOTPROTO=none\nONBOOT=yes\n")
    root = str(tmp_path / "kvm7")
    assert sorted(d.code for d in api.lint([], [root]).diagnostics if d.code == "VF302") == ["VF302", "VF302"]
    (tmp_path / "kvm7" / "etc" / "redhat-release").write_text("CentOS Linux release 7.9.2009 (Core)\n")
    assert [d.code for d in api.lint([], [root]).diagnostics if d.code == "VF302"] == []


def test_scsi_disks_and_image_directories_are_not_judged_on_later_systems(tmp_path):
    """RHEL 5's KVM has no SCSI (VS108) and its libvirt uses images as labelled (VE102:
    outside /var/lib/libvirt/images); RHEL 6's KVM gives guests virtio-scsi and its
    libvirt labels each image as the guest starts (sVirt), so a RHEL 7 host's guest with
    an sdb on SCSI and its image in /srv/vm gets neither."""
    host = tmp_path / "kvm7"
    _kvm_domain(host / "etc/libvirt/qemu/app.xml", name="app",
                disks="    <disk type='file' device='disk'>\n      <source file='/srv/vm/app.img'/>\n"
                      "      <target dev='sdb' bus='scsi'/>\n    </disk>\n")
    labels = host / "etc/selinux/targeted/contexts/files"
    labels.mkdir(parents=True)
    (labels / "file_contexts.local").write_text("/srv/vm(/.*)?    system_u:object_r:virt_image_t:s0\n")
    codes = _codes_of(api.lint([], roots=[str(host)]))
    assert "VS108" in codes and "VE102" in codes  # nothing says it is not RHEL 5
    (host / "etc/redhat-release").write_text("CentOS Linux release 7.9.2009 (Core)\n")
    codes = _codes_of(api.lint([], roots=[str(host)]))
    assert "VS108" not in codes and "VE102" not in codes


def test_a_nic_joining_a_bridge_of_the_wrong_type_case_is_told_why(tmp_path):
    """ifcfg-br0 says TYPE=bridge (VF303: initscripts make no bridge of it), so eth0's
    BRIDGE=br0 joins nothing: VF305 names that cause and points at it, rather than
    asking for an ifcfg-br0 that exists."""
    folder = tmp_path / "xen1" / "etc" / "sysconfig" / "network-scripts"
    folder.mkdir(parents=True)
    (folder / "ifcfg-br0").write_text("DEVICE=br0\nTYPE=bridge\nBOOTPROTO=dhcp\nONBOOT=yes\n")
    (folder / "ifcfg-eth0").write_text("DEVICE=eth0\nBRIDGE=br0\nONBOOT=yes\n")
    (vf305,) = [d for d in api.lint([], [str(tmp_path / "xen1")]).diagnostics if d.code == "VF305"]
    assert "ifcfg-br0 says TYPE=bridge" in vf305.message and "create" not in (vf305.hint or "")
    assert [(Path(r.span.file).name, r.span.line) for r in vf305.related] == [("ifcfg-br0", 2)]


def test_a_later_xen_hosts_hvm_guests_get_no_findings_of_rhel5s_xend_defaults(tmp_path):
    """An HVM guest of Xen 4's xl (no kernel=hvmloader, no device_model, an xvda boot disk,
    an e1000 NIC, pae left out) on a Gentoo dom0: RHEL 5's xend would need hvmloader and
    qemu-dm named (VF111), boot no xvd disk (VS115), take pae as off (VG106) and the xvd
    disk as a sign of PV drivers (VS116, VN125). Xen 4 does none of that. Without the
    release file nothing says the host is not RHEL 5, and all five are given."""
    host = tmp_path / "dom0"
    (host / "etc/xen").mkdir(parents=True)
    (host / "etc/xen/router.cfg").write_text(
        'name = "router"\nbuilder = "hvm"\nmemory = 512\nvcpus = 1\n'
        "disk = ['phy:/dev/vg/xen-router,xvda,w']\nvif = ['bridge=br0,model=e1000']\nboot = \"c\"\n")
    judged = {"VF111", "VS115", "VG106", "VS116", "VN125"}
    assert judged <= set(_codes_of(api.lint([], roots=[str(host)])))
    (host / "etc/gentoo-release").write_text("Gentoo Base System release 2.17\n")
    diags = api.lint([], roots=[str(host)]).diagnostics
    assert not judged & {d.code for d in diags}
    assert [d for d in diags if d.code == "VF004" and "gentoo-release" in d.message]


def test_an_iptables_save_of_a_later_iptables_says_its_host_is_not_rhel5(tmp_path):
    """iptables-save heads its output with its version: 1.4.21 is RHEL 7's, so the nat
    table's INPUT chain of its kernel is no finding (VF825), and one note says why; RHEL 5's
    1.3.5 keeps it."""
    rules = ("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
             ":POSTROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
             ":OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j REJECT\nCOMMIT\n")
    path = tmp_path / "iptables"
    path.write_text("# Generated by iptables-save v1.4.21 on Mon Jan  4 10:00:00 2016\n" + rules)
    diags = api.lint([str(path)]).diagnostics
    assert "VF825" not in {d.code for d in diags}
    (note,) = [d for d in diags if d.code == "VF004" and "not RHEL 5" in d.message]
    assert "iptables-save v1.4.21" in note.message and (note.span.line, note.span.col) == (1, 1)
    path.write_text("# Generated by iptables-save v1.3.5 on Mon Jan  4 10:00:00 2010\n" + rules)
    assert "VF825" in {d.code for d in api.lint([str(path)]).diagnostics}


def test_an_xl_config_or_a_stub_domain_linted_alone_is_a_later_xens(tmp_path):
    """xl's `type = "hvm"` (Xen 4.10) alone says an xl config was written for a later Xen;
    so does a stub domain's kernel (Xen 3.3), whose PV domain hands its ioemu NIC to its
    qemu (no VN123) and whose vfb says sdl=1 (no VF109). With builder and a plain kernel,
    the same guests are RHEL 5's and get both."""
    xl = tmp_path / "xl.cfg"
    xl.write_text('name = "w"\ntype = "hvm"\nmemory = 1024\ndisk = ["phy:/dev/vg/w,hda,w"]\n'
                  'vif = ["bridge=xenbr0"]\n')
    notes = [d for d in api.lint([str(xl)]).diagnostics if d.code == "VF004" and "not RHEL 5" in d.message]
    assert len(notes) == 1 and "type=" in notes[0].message
    stub = tmp_path / "w-dm"
    body = ('name = "w-dm"\nmemory = 32\nvif = ["type=ioemu, bridge=xenbr0"]\n'
            'disk = ["file:/var/images/w.img,hda,w"]\nvfb = ["sdl=1"]\n')
    stub.write_text('kernel = "/usr/lib/xen/boot/ioemu-stubdom.gz"\n' + body)
    assert not {"VN123", "VF109"} & {d.code for d in api.lint([str(stub)]).diagnostics}
    stub.write_text('kernel = "/boot/vmlinuz-2.6.18-308.el5xen"\n' + body)
    assert {"VN123", "VF109"} <= {d.code for d in api.lint([str(stub)]).diagnostics}


def test_a_centos_tree_copied_without_its_links_still_says_its_release(tmp_path):
    """CentOS 6 and 7 make /etc/redhat-release a link to centos-release; a copy of /etc
    that left the links out has centos-release alone, which states the release as well
    (here 6.5: KVM's SCSI disks are not RHEL 5's to judge). With the link there too, the
    two are one file."""
    host = tmp_path / "c6"
    _kvm_domain(host / "etc/libvirt/qemu/app.xml", name="app",
                disks="    <disk type='file' device='disk'>\n      <source file='/var/lib/libvirt/images/app.img'/>\n"
                      "      <target dev='sda' bus='scsi'/>\n    </disk>\n")
    assert "VS108" in _codes_of(api.lint([], roots=[str(host)]))
    (host / "etc/centos-release").write_text("CentOS release 6.5 (Final)\n")
    diags = api.lint([], roots=[str(host)]).diagnostics
    assert "VS108" not in {d.code for d in diags}
    assert [d for d in diags if d.code == "VF004" and "release 6.5" in d.message]
    (host / "etc/redhat-release").symlink_to("centos-release")
    codes = _codes_of(api.lint([], roots=[str(host)]))
    assert "VS108" not in codes and "VF008" not in codes
