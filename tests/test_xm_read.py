"""The xm reader (targets/xm.py `read`), its format rules (VF1xx) and `virtc convert`.

* the xm cases of the rule harness, tests/cases/VF1xx/*.cfg (one per format problem the
  issue names, more for each rule), read by the xm reader and its format rules alone:
  each fail case gives exactly the findings its `#> CODE severity line:col` markers list,
  of any code (test_rules.py lints them too), and tests/fixtures/xm/clean.cfg none.
* Every Xen guest of examples/*.virt survives xm.config -> read -> xm.config and
  domain_xml byte for byte.
* The reader never raises and never executes anything, whatever the text.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from virtc import api, convert
from virtc.diagnostics import Severity
from virtc.resolve import compile_sources
from virtc.rules.base import Context, Scope
from virtc.ruleset import all_rules
from virtc.model import Model
from virtc.targets import libvirt, xm

from conftest import EXAMPLES, FIXTURES, ROOT, examples
from expect import expected, found

RULE_CASES = ROOT / "tests" / "cases"
CLEAN = FIXTURES / "xm" / "clean.cfg"
# Every xm config of the rule cases (the VF1xx rules' one-file cases), and a clean one.
CASES = sorted(RULE_CASES.glob("VF1*/*.cfg")) + [CLEAN]
EVERY_FILE = {"VF113"}  # the hand-edited note, on every xm config


def findings(text: str, path: str = "/etc/xen/test"):
    """What reading and the xm format rules say about a config, and the guest read."""
    found = xm.read(text, path)
    ctx = Context(Model((), (), (path,)), documents=[found.document] if found.document else [])
    diags = list(found.diagnostics)
    for rule in all_rules():
        if rule.scope is Scope.DOCUMENT and "xm" in rule.formats:
            diags.extend(rule().run(ctx))
    return found, [d for d in diags if d.code not in EVERY_FILE]


# ================================================================ the format problems

def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", CASES, ids=_id)
def test_lint_case(path):
    """Read alone, a fail case (and the clean config) gives exactly the findings its
    markers list, whatever the code (the hand-edited note VF113 aside: it is on every xm
    config); a pass case gives none of its folder's code."""
    _, diags = findings(path.read_text(), str(path))
    if path.name.startswith("pass"):
        diags = [d for d in diags if d.code == path.parent.name]
    want = [w for w in expected([path]) if w.code not in EVERY_FILE]
    assert found(diags) == want, [f"{d.span} {d.code} {d.message}" for d in diags]


def test_the_issue_names_each_problem_with_a_useful_hint():
    def one(case, code):
        _, diags = findings((RULE_CASES / case).read_text())
        (d,) = [d for d in diags if d.code == code]
        return d

    d = one("VF103/fail-on-boot.cfg", "VF103")
    assert "on_boot" in d.message and "on_reboot" in d.hint and d.severity is Severity.ERROR
    d = one("VF107/fail-ieomu.cfg", "VF107")
    assert "ieomu" in d.message and "ioemu" in d.hint
    assert "mode" in one("VF106/fail-missing-field.cfg", "VF106").message
    assert "mode 'rw'" in one("VF106/fail-bad-mode.cfg", "VF106").message
    assert "not 32 hex digits" in one("VF112/fail-not-hex.cfg", "VF112").message
    assert "function 8" in one("VF108/fail-function.cfg", "VF108").message


def test_a_malformed_pci_entry_is_named_and_the_guest_is_still_read():
    """Each entry that is no address gets its own finding saying which field is wrong; the
    guest is read with its other entries and devices, so every other rule still sees it."""
    path = RULE_CASES / "VF108" / "fail-malformed.cfg"
    f, diags = findings(path.read_text(), str(path))
    messages = [d.message for d in diags if d.code == "VF108"]
    assert any("bus 'zz' is not hexadecimal" in m for m in messages)
    assert any("'01:00'" in m and "no function" in m for m in messages)
    assert all("starts without the device" in d.hint for d in diags if d.code == "VF108")
    (g,) = f.guests
    assert [p.address for p in g.pci] == ["0000:0a:04.1"] and [d.target for d in g.disks] == ["xvda"]
    # xend's field widths: one-digit bus and slot are read, not reported
    f, diags = findings('name = "a"\npci = [ "9:0.0", "0:1a.0" ]\n')
    assert [d for d in diags if d.code == "VF108"] == []
    assert [p.address for p in f.guests[0].pci] == ["0000:09:00.0", "0000:00:1a.0"]


def test_the_cases_go_through_virtc_lint_together():
    """Linted all at once, as one host's files, each case still gives what it lists."""
    out = api.lint([str(p) for p in CASES])
    for path in CASES:
        got = found(d for d in out.diagnostics if d.span and d.span.file == str(path))
        missing = [w for w in expected([path]) if w not in got]
        assert missing == [], (_id(path), missing)


# ================================================================ reading into the model

HVM = '''name = "win"
uuid = "29D6D14F-EA4F-5243-9452-E62E84C59CC0"
memory = "1024"
maxmem = 2048
vcpus = 4
vcpu_avail = 3
cpus = "0-3"
builder = "hvm"
kernel = "/usr/lib/xen/boot/hvmloader"
device_model = "/usr/lib/xen/bin/qemu-dm"
boot = "dc"
pae = 1
acpi = "yes"
apic = 0
localtime = 1
on_crash = "preserve"
vnc = 1
vncunused = 0
vncdisplay = 3
vnclisten = "0.0.0.0"
keymap = "de"
serial = [ "pty", "tcp:10.0.0.1:4555,server,nowait" ]
soundhw = "es1370"
usb = 1
usbdevice = "mouse"
cdrom = "/isos/w.iso"
fda = "/var/lib/xen/images/boot.flp"
vif = [ "type=ioemu, mac=00:16:3E:00:00:01, bridge=xenbr0, model=e1000, vifname=w0, rate=1MB/s",
        "bridge=xenbr1" ]
disk = [ "phy:/dev/vg/win,ioemu:hda,w", "tap:qcow:/img/data.qcow,hdb,w!", "tap2:aio:/img/x.img,xvdc,r" ]
pci = [ "0a:04.1", "0001:02:03.4,msitranslate=1" ]
cpu_weight = 512
viridian = 0
'''


def test_an_hvm_config_reads_into_the_model():
    found, diags = findings(HVM, "/etc/xen/win")
    (g,) = found.guests
    assert (g.name, g.type, g.uuid, g.uuid_auto) == ("win", "xen-hvm", "29d6d14f-ea4f-5243-9452-e62e84c59cc0", False)
    assert (g.memory_kib, g.maxmem_kib, g.vcpus, g.max_vcpus, g.cpuset) == (1024 * 1024, 2048 * 1024, 2, 4, "0-3")
    assert g.boot.order == ("cdrom", "hd") and g.features == ("acpi", "pae") and g.clock == "localtime"
    assert (g.on_poweroff, g.on_reboot, g.on_crash) == ("destroy", "restart", "preserve")
    (vnc,) = g.graphics
    assert (vnc.kind, vnc.port, vnc.listen, vnc.keymap) == ("vnc", 5903, "0.0.0.0", "de")
    assert [(s.kind, s.host, s.port, s.server) for s in g.serials] == [("pty", None, None, False),
                                                                       ("tcp", "10.0.0.1", 4555, True)]
    assert (g.sound, g.usb) == ("es1370", ("mouse",))
    disks = [(d.target, d.device, d.driver, d.source_type, d.path, d.bus, d.readonly, d.shareable, d.format)
             for d in g.disks]
    assert disks == [("hda", "disk", "phy", "block", "/dev/vg/win", "ide", False, False, "raw"),
                     ("hdb", "disk", "tap:qcow", "file", "/img/data.qcow", "ide", False, True, "qcow"),
                     ("xvdc", "disk", "tap2:aio", "file", "/img/x.img", "xen", True, False, "raw"),
                     ("hdc", "cdrom", "file", "file", "/isos/w.iso", "ide", True, False, "raw"),
                     ("fda", "floppy", "file", "file", "/var/lib/xen/images/boot.flp", "fdc", False, False, "raw")]
    n0, n1 = g.nics
    assert (n0.mac, n0.mac_auto, n0.source, n0.model, n0.vifname, n0.rate) == (
        "00:16:3e:00:00:01", False, "xenbr0", "e1000", "w0", "1MB/s")
    # no type=ioemu and no model: RHEL 5's xend gives an HVM guest a netfront NIC there
    assert (n1.source, n1.model, n1.mac_auto) == ("xenbr1", "netfront", True) and n1.mac.startswith("00:16:3e:")
    assert g.pv_drivers
    assert [p.address for p in g.pci] == ["0000:0a:04.1", "0001:02:03.4"]
    # what has no place in the model is named; keys that say "nothing" (viridian = 0) are not
    notes = sorted(d.message for d in diags if d.code == "VF003")
    assert any("cpu_weight" in m for m in notes) and any("msitranslate" in m for m in notes)
    assert not any("viridian" in m for m in notes)
    # spans point at the entry, and each device at its list item
    assert g.fields.get("memory").line == 3 and g.fields.get("type").line == 8
    assert (g.disks[1].span.line, g.disks[1].span.col) == (30, 41)
    assert (g.nics[1].span.line, g.nics[1].span.col) == (29, 9)
    assert (g.pci[1].span.line, g.pci[1].span.col) == (31, 20)
    assert {d.code for d in diags} == {"VF003", "VF105"}  # memory = "1024": a number as a string


def test_a_pv_config_reads_into_the_model():
    text = '''name = "pv"
memory = 512
kernel = "/boot/vmlinuz-xen"
ramdisk = "/boot/initrd-xen.img"
root = "/dev/xvda2"
extra = "console=xvc0"
vfb = [ "type=vnc,vncunused=1,vnclisten=127.0.0.1,vncpasswd=s3cret" ]
vif = [ "type=ioemu, mac=00:16:3e:09:f0:12, bridge=xenbr0" ]
disk = [ "file:/var/lib/xen/images/pv.img,xvda,w", ",hdc:cdrom,r" ]
serial = "pty"
'''
    found, diags = findings(text, "/etc/xen/pv")
    (g,) = found.guests
    assert g.type == "xen-pv" and g.boot.bootloader is None
    assert (g.boot.kernel, g.boot.initrd, g.boot.cmdline) == ("/boot/vmlinuz-xen", "/boot/initrd-xen.img",
                                                               "root=/dev/xvda2 console=xvc0")
    assert [(x.kind, x.port, x.listen, x.password) for x in g.graphics] == [("vnc", None, "127.0.0.1", "s3cret")]
    # the guide's PV example's type=ioemu: read as written, so VN123 can say a PV NIC is netfront
    assert g.nics[0].model == "ioemu"
    assert [(d.target, d.device, d.bus, d.driver, d.path) for d in g.disks] == [
        ("xvda", "disk", "xen", "file", "/var/lib/xen/images/pv.img"), ("hdc", "cdrom", "xen", "tap:aio", None)]
    assert g.uuid_auto and g.uuid  # none in the file: a stable one from the name
    assert g.serials == () and any("serial on a para-virtualized guest" in d.message for d in diags)


HVM_PORTS = '''name = "lpt"
memory = 512
builder = "hvm"
kernel = "/usr/lib/xen/boot/hvmloader"
device_model = "/usr/lib64/xen/bin/qemu-dm"
pae = 1
acpi = 1
apic = 1
hpet = 0
parallel = "/dev/parport0"
serial = "pty"
disk = [ "phy:/dev/vg/lpt,hda,w" ]
'''


def test_the_parallel_port_and_hpet_read_into_the_model():
    found, diags = findings(HVM_PORTS, "/etc/xen/lpt")
    (g,) = found.guests
    assert (g.parallel.kind, g.parallel.path, g.hpet) == ("dev", "/dev/parport0", False)
    assert (g.parallel.span.line, g.fields.get("hpet").line, g.fields.get("parallel").line) == (10, 9, 10)
    assert diags == []  # both keys read: no VF003
    text = xm.config(replace(g, host="h"), convert.default_host())
    assert 'parallel = "/dev/parport0"' in text.splitlines() and "hpet = 0" in text.splitlines()
    back = xm.read(text, "/etc/xen/lpt").guests[0]
    assert (back.parallel.kind, back.parallel.path, back.hpet) == ("dev", "/dev/parport0", False)


@pytest.mark.parametrize("value,kind,path,host,port,server", [
    ("pty", "pty", None, None, None, False),
    ("null", "null", None, None, None, False),
    ("file:/var/log/xen/lpt.log", "file", "/var/log/xen/lpt.log", None, None, False),
    ("tcp:127.0.0.1:7777", "tcp", None, "127.0.0.1", 7777, False),
    ("tcp:0.0.0.0:4556,server,nowait", "tcp", None, "0.0.0.0", 4556, True),
    ("udp:10.0.0.1:5555", "udp", None, "10.0.0.1", 5555, False),
])
def test_parallel_values_as_qemu_dm_takes_them(value, kind, path, host, port, server):
    found, diags = findings(HVM_PORTS.replace('"/dev/parport0"', f'"{value}"'), "/etc/xen/lpt")
    p = found.guests[0].parallel
    assert (p.kind, p.path, p.host, p.port, p.server) == (kind, path, host, port, server)
    assert diags == []
    text = xm.config(replace(found.guests[0], host="h"), convert.default_host())
    assert f'parallel = "{value}"' in text.splitlines()


def test_no_parallel_port_no_hpet_and_what_cannot_be_read():
    none, diags = findings(HVM_PORTS.replace('"/dev/parport0"', '"none"').replace("hpet = 0\n", ""))
    assert none.guests[0].parallel is None and none.guests[0].hpet is None and diags == []
    assert "parallel" not in xm.config(replace(none.guests[0], host="h"), convert.default_host())
    bad, diags = findings(HVM_PORTS.replace('"/dev/parport0"', '"lpt1"').replace("hpet = 0", 'hpet = "on"'))
    assert bad.guests[0].parallel is None and bad.guests[0].hpet is None
    notes = sorted(d.message for d in diags if d.code == "VF003")
    assert len(notes) == 2 and "hpet = 'on'" in notes[0] and "parallel 'lpt1'" in notes[1]
    # a PV guest has no device model for either: named, not modelled
    pv, diags = findings('name = "pv"\nmemory = 512\nbootloader = "/usr/bin/pygrub"\nhpet = 1\n'
                         'parallel = "/dev/parport0"\n')
    assert pv.guests[0].parallel is None and pv.guests[0].hpet is None
    assert sorted(d.message.split(" (")[0] for d in diags if d.code == "VF003") == [
        "hpet on a para-virtualized guest", "parallel on a para-virtualized guest"]
    quiet, diags = findings('name = "pv"\nmemory = 512\nbootloader = "/usr/bin/pygrub"\nhpet = 0\n'
                            'parallel = "none"\n')
    assert diags == []  # spelt-out "nothing" on a PV guest is no finding


# A PV guest as RHEL 5.0's virt-install wrote it: the framebuffer from the top-level keys
# (the guide's PV example, §34.12 lines 5914-5926, has vnc = 1 and vncunused = 1).
OLD_PVFB = '''name = "rhel5vm01"
memory = 2048
vcpus = 2
uuid = "302bd9ce-4f60-fc67-9e40-7a77d9b4e1ed"
bootloader = "/usr/bin/pygrub"
on_reboot = "restart"
on_crash = "restart"
disk = [ "tap:aio:/var/lib/libvirt/images/rhel5vm01.dsk,xvda,w" ]
vif = [ "mac=00:16:3e:09:f0:12,bridge=xenbr0" ]
vnc = 1
vncunused = 1
vnclisten = "127.0.0.1"
vncpasswd = "123poi"
keymap = "de"
'''


def test_the_older_pv_framebuffer_keys_are_the_guests_display():
    found, diags = findings(OLD_PVFB, "/etc/xen/rhel5vm01")
    (g,) = found.guests
    assert [(x.kind, x.listen, x.port, x.password, x.keymap, x.span.line) for x in g.graphics] == [
        ("vnc", "127.0.0.1", None, "123poi", "de", 10)]
    assert diags == []  # the keys xend turns into a vfb device are no finding
    xml, cdiags = convert.xm_to_xml(OLD_PVFB, "/etc/xen/rhel5vm01")
    root = etree.fromstring(xml.encode())
    (gfx,) = root.findall("devices/graphics")
    assert (gfx.get("type"), gfx.get("autoport"), gfx.get("listen"), gfx.get("passwd"), gfx.get("keymap")) == (
        "vnc", "yes", "127.0.0.1", "123poi", "de")
    assert [(i.get("type"), i.get("bus")) for i in root.findall("devices/input")] == [("mouse", "xen")]
    assert [d for d in cdiags if d.code not in EVERY_FILE] == []
    # written back as the vfb entry later RHEL 5 releases write
    back, _ = convert.xml_to_xm(xml, "rhel5vm01.xml")
    assert 'vfb = [ "type=vnc,vncunused=1,vnclisten=127.0.0.1,vncpasswd=123poi,keymap=de" ]' in back.splitlines()
    assert [(x.kind, x.listen, x.keymap) for x in xm.read(back, "b").guests[0].graphics] == [
        ("vnc", "127.0.0.1", "de")]


@pytest.mark.parametrize("keys,want", [
    ("vnc = 1\nvncunused = 0\nvncdisplay = 25\n", [("vnc", 5925)]),
    ("sdl = 1\n", [("sdl", None)]),
    ("vnc = 1\nsdl = 1\n", [("vnc", None), ("sdl", None)]),
    ("vnc = 0\nsdl = 0\nvncunused = 1\n", []),
])
def test_older_pv_framebuffer_forms(keys, want):
    text = 'name = "pv"\nmemory = 512\nbootloader = "/usr/bin/pygrub"\n' + keys
    found, diags = findings(text)
    assert [(x.kind, x.port) for x in found.guests[0].graphics] == want
    assert diags == []


def test_a_vfb_entry_wins_over_the_older_keys():
    text = ('name = "pv"\nmemory = 512\nbootloader = "/usr/bin/pygrub"\nkeymap = "fr"\nvnc = 1\n'
            'vfb = [ "type=vnc,vnclisten=0.0.0.0" ]\n')
    found, diags = findings(text)
    assert [(x.kind, x.listen, x.keymap) for x in found.guests[0].graphics] == [("vnc", "0.0.0.0", "fr")]
    (note,) = [d for d in diags if d.code == "VF003"]
    assert "vnc = 1 beside vfb" in note.message and (note.span.line, note.span.col) == (5, 1)


@pytest.mark.parametrize("keys,want,note", [
    ("vcpus = 2\nmaxvcpus = 4\n", (2, 4), "(read as the maximum vCPUs)"),
    ("vcpus = 4\nmaxvcpus = 4\n", (4, 4), "(read as the maximum vCPUs)"),
    ("vcpus = 2\nmaxvcpus = 1\n", (2, 2), "(not read: it is below vcpus = 2, which Xen 4 refuses)"),
    ("vcpus = 2\nmaxvcpus = \"many\"\n", (2, 2), "(not read: 'many' is no count of vCPUs)"),
])
def test_maxvcpus_is_read_with_its_era_named(keys, want, note):
    """Xen 4's maxvcpus: Xen 3.1's xend ignores it, virtc reads it as Xen 4 means it (the
    maximum, vcpus then being the vCPUs online at start) and says so, or says why not."""
    found, diags = findings('name = "pv"\nmemory = 512\nbootloader = "/usr/bin/pygrub"\n' + keys)
    g = found.guests[0]
    assert (g.vcpus, g.max_vcpus) == want
    (era,) = [d for d in diags if d.code == "VF009"]
    assert era.severity is Severity.WARNING and (era.span.line, era.span.col) == (5, 1)
    assert "not RHEL 5's" in era.message and era.message.endswith(note)
    assert "vcpu_avail" in era.hint
    # written back in RHEL 5's spelling: vcpus = MAXIMUM, vcpu_avail = ONLINE-MASK
    text = xm.config(replace(g, host="h"), convert.default_host())
    lines = text.splitlines()
    assert f"vcpus = {want[1]}" in lines and "maxvcpus" not in text
    assert (f"vcpu_avail = {(1 << want[0]) - 1}" in lines) == (want[0] < want[1])


def test_vcpu_avail_beside_maxvcpus_is_named():
    found, diags = findings('name = "pv"\nmemory = 512\nbootloader = "/usr/bin/pygrub"\nvcpus = 2\n'
                            'maxvcpus = 4\nvcpu_avail = 1\n')
    assert (found.guests[0].vcpus, found.guests[0].max_vcpus) == (2, 4)
    (note,) = [d for d in diags if d.code == "VF003"]
    assert "vcpu_avail = 1 beside maxvcpus" in note.message and note.span.line == 6


def test_what_a_file_does_not_say_takes_xend_defaults():
    found, _ = findings('builder = "hvm"\nkernel = "/usr/lib/xen/boot/hvmloader"\n', "/etc/xen/bare")
    (g,) = found.guests
    assert g.name == "bare"  # no name = ...: the file's name, as `xm create NAME` finds it
    assert (g.memory_kib, g.maxmem_kib, g.vcpus) == (128 * 1024, 128 * 1024, 1)  # Table 31.3
    assert g.boot.order == ("hd",) and g.features == ()  # boot 'c'; pae, acpi, apic 0


def test_a_phy_device_named_without_dev_is_under_dev():
    """xmexample's `phy:hda1,hda1,r`: xend's block script puts a bare device name under
    /dev (expand_dev), so the disk is /dev/hda1; a path with its folder stays as written."""
    found, diags = findings('name = "old"\nbootloader = "/usr/bin/pygrub"\n'
                            "disk = [ 'phy:hda1,hda1,r', 'phy:sdb,xvdb,w', 'phy:/dev/VolGroup00/old,xvda,w' ]\n",
                            "/etc/xen/old")
    (g,) = found.guests
    assert [(d.target, d.driver, d.source_type, d.path) for d in g.disks] == [
        ("hda1", "phy", "block", "/dev/hda1"), ("xvdb", "phy", "block", "/dev/sdb"),
        ("xvda", "phy", "block", "/dev/VolGroup00/old")]
    assert [d for d in diags if d.severity is Severity.ERROR] == []


def test_a_virtc_header_gives_back_the_description():
    result = compile_sources([str(EXAMPLES / "xen-webfarm.virt")])
    g = next(g for g in result.model.guests if g.description)
    text = xm.config(g, result.model.host(g.host))
    assert xm.read(text, "x").guests[0].description == g.description
    assert xm.read("# " + g.description + "\nname = 'a'\n", "x").guests[0].description is None


def xen_guests():
    out = []
    for path in sorted(EXAMPLES.glob("*.virt")):
        model = compile_sources([str(path)]).model
        out += [(path.stem, g, model.host(g.host)) for g in model.guests if g.is_xen]
    return out


XEN_GUESTS = xen_guests()


@pytest.mark.parametrize("example,guest,host", XEN_GUESTS, ids=[f"{e}/{g.name}" for e, g, _ in XEN_GUESTS])
def test_examples_read_back_byte_identical(example, guest, host):
    text = xm.config(guest, host)
    found = xm.read(text, f"{host.name}/etc/xen/{guest.name}")
    assert found.diagnostics == []
    (back,) = found.guests
    back = replace(back, host=guest.host)
    assert xm.config(back, host) == text
    # An xm config names no architecture (xend runs whatever the image holds): the reader
    # leaves it to the host, and a 32-bit guest on a 64-bit host gets its arch from there.
    assert back.fields.get("arch") is None
    if back.arch != guest.arch:
        back = replace(back, arch=guest.arch)
    assert libvirt.domain_xml(back, host) == libvirt.domain_xml(guest, host)


def test_every_example_xen_guest_is_read_back():
    assert len(XEN_GUESTS) >= 20 and {e for e, _, _ in XEN_GUESTS} >= {"xen-webfarm", "xen-hvm-windows"}


# ================================================================ never raises, never runs

KEYS = ["name", "uuid", "memory", "maxmem", "vcpus", "vcpu_avail", "cpus", "builder", "kernel", "boot",
        "pae", "localtime", "on_crash", "vnc", "vncunused", "vncdisplay", "vfb", "serial", "soundhw",
        "usbdevice", "vif", "disk", "cdrom", "fda", "pci", "root", "extra", "maxvcpus", "hpet", "device_model",
        "parallel"]
LITERALS = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=False)
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
    | st.sampled_from(["hvm", "dc", "pty", "tcp:h:99999", "udp:a:1@b:2", "phy:,hda,w", "type=vnc",
                       "mac=zz,bridge=", "0:0.9", "file:/x,hdc:cdrom,r,1", ",,", "vncunused=0,vncdisplay=-3"]),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=8)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(KEYS), LITERALS), max_size=12))
def test_any_literal_values_read_without_raising(pairs):
    text = "".join(f"{k} = {v!r}\n" for k, v in pairs)
    found, _ = findings(text)
    for g in found.guests:
        try:
            xm.config(replace(g, host="h"), convert.default_host())
        except ValueError:
            pass  # a value xm cannot hold; convert reports it as VF007
    convert.xm_to_xml(text, "/etc/xen/t")


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=200))
def test_any_text_reads_without_raising(text):
    findings(text)


MARKER = Path("/tmp/virtc-xm-read-ran")


@pytest.mark.parametrize("text", [
    "import os\nos.system('touch /tmp/virtc-xm-read-ran')\n",
    "name = __import__('os').system('touch /tmp/virtc-xm-read-ran')\n",
    "name = 'a'\x00\n", "memory = " + "[" * 500 + "]" * 500 + "\n", "memory = " + "-" * 100000 + "1\n",
    "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n", "name = 'a'\ndisk = " + "9" * 5000 + "\n",
    f"vcpus = {2 ** 80}\nvcpu_avail = 5\nvncdisplay = -1\nvnc = 1\nvncunused = 0\nbuilder = 'hvm'\n",
])
def test_hostile_files_are_diagnosed_not_run(text):
    MARKER.unlink(missing_ok=True)
    found, diags = findings(text)
    assert not MARKER.exists()
    assert found.source.text == text


# ================================================================ convert

def test_convert_names_what_the_xml_cannot_carry():
    text = 'name = "w"\nmemory = 512\nbootloader = "/usr/bin/pygrub"\n' \
           'vif = [ "mac=00:16:3e:10:00:01,bridge=xenbr1,rate=10MB/s" ]\n'
    xml, diags = convert.xm_to_xml(text, "/etc/xen/w")
    assert "<source bridge=\"xenbr1\"/>" in xml
    (lost,) = [d for d in diags if d.code == "VF007"]
    assert lost.severity is Severity.WARNING and "rate=10MB/s" in lost.message
    assert (lost.span.line, lost.span.col) == (4, 1)  # at the vif entry
    back, diags = convert.xml_to_xm(xml, "w.xml")
    assert "rate" not in back and not [d for d in diags if d.severity is Severity.ERROR]


def test_convert_refuses_a_kvm_guest_for_xm():
    kvm = ("<domain type='kvm'><name>k</name><memory>524288</memory><os><type arch='x86_64'>hvm</type></os>"
           "<devices/></domain>")
    out, diags = convert.xml_to_xm(kvm, "k.xml")
    assert out is None and [d.code for d in diags if d.severity is Severity.ERROR] == ["VF007"]


def test_convert_writes_what_xm_cannot_hold_as_an_error():
    xml = ("<domain type='xen'><name>a\"b</name><memory>524288</memory><bootloader>/usr/bin/pygrub</bootloader>"
           "<os><type>linux</type></os><devices/></domain>")
    out, diags = convert.xml_to_xm(xml, "q.xml")
    (refused,) = [d for d in diags if d.code == "VF007" and d.severity is Severity.ERROR]
    assert out is None and "xend refuses in a name" in refused.message
    assert (refused.span.line, refused.span.col) == (1, 20)  # at <name>


PV_XML = ("<domain type='xen'><name>q</name><memory>524288</memory><bootloader>/usr/bin/pygrub</bootloader>"
          "<os><type>linux</type></os><devices>{}</devices></domain>")


@pytest.mark.parametrize("path,written", [
    ('/srv/xen/a"b.img', """'tap:aio:/srv/xen/a"b.img,xvda,w'"""),
    ("/srv/xen/it's.img", "\"tap:aio:/srv/xen/it's.img,xvda,w\""),
    ("/srv/xen/\"it's\".img", '"""tap:aio:/srv/xen/"it\'s".img,xvda,w"""'),
])
def test_a_disk_path_with_quotes_converts_both_ways(path, written):
    """A quote in a disk path is no syntax: the xm string is quoted as libvirt's writer
    quotes it (virConf: '...' for a double quote, triple quotes for both), so xend's Python
    and libvirt's reader of /etc/xen both read the path as it is."""
    from xml.sax.saxutils import quoteattr
    xml = PV_XML.format(f"<disk type='file'><driver name='tap' type='aio'/><source file={quoteattr(path)}/>"
                        "<target dev='xvda' bus='xen'/></disk>")
    cfg, diags = convert.xml_to_xm(xml, "q.xml")
    assert cfg is not None and [d for d in diags if d.severity is not Severity.INFO] == []
    assert f"disk = [ {written} ]" in cfg.splitlines()
    back, diags = findings(cfg, "/etc/xen/q")
    assert [d.path for d in back.guests[0].disks] == [path] and diags == []
    xml2, diags = convert.xm_to_xml(cfg, "/etc/xen/q")
    assert [d.get("file") for d in etree.fromstring(xml2.encode()).iter("source")] == [path]


def test_kernel_arguments_with_quotes_convert():
    xml = PV_XML.replace("<os><type>linux</type></os>", "<os><type>linux</type><cmdline>ro root=LABEL=/ "
                         'acpi="off"</cmdline></os>').format("")
    cfg, _ = convert.xml_to_xm(xml, "q.xml")
    assert """extra = 'ro root=LABEL=/ acpi="off"'""" in cfg.splitlines()
    assert xm.read(cfg, "q").guests[0].boot.cmdline == 'ro root=LABEL=/ acpi="off"'


@pytest.mark.parametrize("device,what,at", [
    ("<disk type='file'><source file='/srv/xen/a,b.img'/><target dev='xvda'/></disk>",
     "the path of disk xvda '/srv/xen/a,b.img' holds a comma, and xend splits a disk entry", "/srv/xen/a,b"),
    ("<disk type='file'><source file='/srv/xen/a\\b.img'/><target dev='xvda'/></disk>",
     "holds a backslash, which xend's Python reads as an escape", "/srv/xen/a"),
    ("<interface type='bridge'><source bridge='xenbr0,script=/tmp/x'/><mac address='00:16:3e:00:00:01'/>"
     "</interface>", "the bridge of NIC 0 'xenbr0,script=/tmp/x' holds a comma, and xend splits a vif entry",
     "xenbr0,script"),
    ("<interface type='bridge'><source bridge='xenbr0'/><script path='vif-bridge,bridge=xenbr1'/>"
     "<mac address='00:16:3e:00:00:01'/></interface>", "the script of NIC 0", "vif-bridge,"),
    ("<graphics type='vnc' passwd='s3cret,vncdisplay=0'/>",
     "the VNC password 's3cret,vncdisplay=0' holds a comma, and xend splits a vfb entry", "<graphics"),
])
def test_a_value_that_would_split_an_xm_spec_is_refused_with_the_reason(device, what, at):
    """A comma inside a field of a disk, vif or vfb entry would end the field: the rest would
    be read as other fields (a vif script of the XML's choosing). Such a value, and one no
    xm string carries, is refused (VF007) at the value, saying why; nothing is written."""
    xml = PV_XML.format(device)
    out, diags = convert.xml_to_xm(xml, "q.xml")
    (refused,) = [d for d in diags if d.code == "VF007"]
    assert out is None and refused.severity is Severity.ERROR and what in refused.message
    assert (refused.span.line, refused.span.col) == (1, xml.index(at) + 1)  # at the value (a vfb: its element)


def test_a_unix_socket_path_with_a_comma_is_refused():
    xml = ("<domain type='xen'><name>h</name><memory>524288</memory><os><type>hvm</type>"
           "<loader>/usr/lib/xen/boot/hvmloader</loader></os><devices><serial type='unix'>"
           "<source mode='bind' path='/var/run/h.sock,server'/></serial></devices></domain>")
    out, diags = convert.xml_to_xm(xml, "h.xml")
    (refused,) = [d for d in diags if d.code == "VF007"]
    assert out is None and "qemu-dm splits unix:PATH,server,nowait" in refused.message
    # a file path takes the rest of the value: its comma is no syntax
    out, diags = convert.xml_to_xm(xml.replace("type='unix'", "type='file'").replace(",server", ",1"), "h.xml")
    assert 'serial = "file:/var/run/h.sock,1"' in out.splitlines()


CAPS_I686 = """<capabilities>
  <host><cpu><arch>i686</arch></cpu></host>
  <guest><os_type>hvm</os_type><arch name='i686'><domain type='xen'/></arch><features><pae/></features></guest>
</capabilities>
"""


def test_convert_takes_the_host_from_capabilities():
    host, diags = convert.host_from_capabilities(CAPS_I686, "caps.xml")
    assert (host.arch, host.hypervisor) == ("i686", "xen")
    cfg = (ROOT.parent / "shared" / "corpus" / "libvirt-xmconfig-historic" / "test-fullvirt-serial-dev-2-ports.cfg")
    if not cfg.exists():
        pytest.skip(f"{cfg} is absent")
    xml, _ = convert.xm_to_xml(cfg.read_text(), str(cfg), host)
    assert "arch=\"i686\"" in xml and "<emulator>/usr/lib/xen/bin/qemu-dm</emulator>" in xml
    xml64, _ = convert.xm_to_xml(cfg.read_text(), str(cfg))
    assert "arch=\"x86_64\"" in xml64 and "/usr/lib64/xen/bin/qemu-dm" in xml64


def test_convert_file_through_the_api(tmp_path):
    cfg = tmp_path / "web01.cfg"
    cfg.write_text('name = "web01"\nmemory = 512\nbootloader = "/usr/bin/pygrub"\n'
                   'disk = [ "tap:aio:/var/lib/xen/images/web01.img,xvda,w" ]\n')
    out = api.convert(str(cfg))
    assert not out.has_errors and "<name>web01</name>" in out.text
    xml = tmp_path / "web01.xml"
    xml.write_text(out.text)
    back = api.convert(str(xml))
    assert 'disk = [ "tap:aio:/var/lib/xen/images/web01.img,xvda,w" ]' in back.text
    caps = tmp_path / "caps.xml"
    caps.write_text(CAPS_I686)
    assert "arch=\"i686\"" in api.convert(str(cfg), "xml", str(caps)).text
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    assert api.convert(str(notes)).text is None


def test_convert_on_a_real_rhel54_host():
    caps = ROOT.parent / "shared" / "corpus" / "virt-manager-xen" / "xen-rhel5.4.xml"
    if not caps.exists():
        pytest.skip(f"{caps} is absent")
    host, _ = convert.host_from_capabilities(caps.read_text(), str(caps))
    assert (host.arch, host.hypervisor) == ("x86_64", "xen")
    xml, diags = convert.xm_to_xml(CLEAN.read_text(), "clean.cfg", host)
    assert "<name>web01</name>" in xml
    # only the vif's rate, which RHEL 5's libvirt has no element for
    assert [(d.code, "rate=10MB/s@50ms" in d.message) for d in diags if d.severity is not Severity.INFO] == [
        ("VF007", True)]


def test_python_warnings_about_the_users_literals_stay_off_stderr():
    """`512if 1 else 2` makes Python warn (SyntaxWarning: invalid decimal literal) on
    stderr as it parses; virtc reads the file without them (a linter's output is its
    diagnostics) and still recognises it."""
    import warnings

    from virtc.targets import xm

    text = 'name = "g"\nmemory = 512if 1 else 2\nvcpus = 1\n'
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        xm.read(text, "etc/xen/g")
        assert xm.recognise(text)
    assert [str(w.message) for w in seen] == []


@pytest.mark.parametrize("text", ["", "\n\n", "# a placeholder\n", "# one\r\n\r\n  # two\r\n", "\t\f\n# c", "#"])
def test_an_xm_config_with_no_setting_is_no_guest(text):
    """An empty or comment-only file in /etc/xen names no guest (libvirt's xen driver skips
    it, `xm create` refuses it): one VF002 note, and no guest whose findings would be about
    xend's defaults."""
    from virtc.targets import by_name

    found = by_name("xm").read(text, "/etc/xen/placeholder")
    assert found.guests == []
    assert [(d.code, d.severity) for d in found.diagnostics] == [("VF002", Severity.INFO)]


@pytest.mark.parametrize("text", ["memory = 512\n", "# c\nx = 1\n", "\n\nname = 'g' # c\n", "#\\\nmemory = 1\n"])
def test_an_xm_config_with_a_statement_is_a_guest(text):
    from virtc.targets import by_name

    found = by_name("xm").read(text, "/etc/xen/g")
    assert len(found.guests) == 1
    assert "VF002" not in {d.code for d in found.diagnostics}


def test_a_script_kept_in_etc_xen_is_no_guest():
    from virtc.targets import by_name

    found = by_name("xm").read("#!/bin/sh\nbridge=$2\nifconfig $1 0.0.0.0 up\n", "/etc/xen/vif-custom")
    assert found.guests == [] and found.document is None
    assert [d.code for d in found.diagnostics] == ["VF002"]


@pytest.mark.parametrize("name", ["qemu-ifup", "qemu-ifup-custom", "xend-config.sxp-old", "xend-pci-quirks.sxp",
                                  "xmexample.hvm", "README.incompatibilities",
                                  "xl.conf", "xlexample.pvlinux", "cpupool", "oxenstored.conf", "xenapiusers"])
def test_files_libvirt_skips_in_etc_xen_are_not_read_as_guests(name):
    """libvirt's xen driver skips xend's files, the examples and the qemu-ifup scripts by
    the start of their names; virtc places them as no format. So are the files later Xen
    packages keep there (xl's settings and examples, a CPU pool, oxenstored's settings):
    as guests, a CPU pool's `name = "Example-Cpupool"` made a guest with no kernel (VB109)
    and oxenstored.conf's `merge-activate = true` a syntax error (VF101)."""
    from virtc import targets

    assert targets.placed(f"etc/xen/{name}") is None


@pytest.mark.parametrize("spec", ["format=raw, vdev=xvda, access=rw, target=/dev/vg/g", "/dev/vg/g,raw,xvda,rw"])
def test_xl_disk_specs_are_read_as_xl_means_them(spec, tmp_path):
    """xl's disk syntax, named or positional (target, format, vdev, access): the disk xl
    makes of it, and a VF009 that RHEL 5's xend cannot read it, not a VF106 about a source
    without a driver prefix (xm's positional fields are source, target, mode). On a RHEL 5
    host; linted alone, the file is a later Xen's, and the VF009 is left to a note."""
    from virtc.targets.xm import read as read_xm

    text = f'name = "g"\nmemory = 512\nbootloader = "/usr/bin/pygrub"\ndisk = [ "{spec}" ]\n'
    found = read_xm(text, "g")
    (disk,) = found.guests[0].disks
    assert (disk.driver, disk.path, disk.target, disk.readonly) == ("phy", "/dev/vg/g", "xvda", False)
    assert found.later is not None and "xl's syntax" in found.later[0]
    host = tmp_path / "xen1"
    (host / "etc/xen").mkdir(parents=True)
    (host / "etc/xen/g").write_text(text)
    (host / "etc/redhat-release").write_text("Red Hat Enterprise Linux Server release 5.8 (Tikanga)\n")
    codes = [d.code for d in api.lint([], roots=[str(host)]).diagnostics]
    assert "VF009" in codes and "VF106" not in codes
