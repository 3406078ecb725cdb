"""Host files read back into host facts (issue 5): grub.conf (host and guest), elilo.conf,
ifcfg-*, udev rules, scsi_id.config, multipath.conf and rc.local.

(a) Round trip: every host file virtc writes for the examples (and for three inline
fleets that cover what the examples lack: Itanium, SAN and iSCSI, a KVM host without
constant_tsc) reads back without a diagnostic into the model's facts, and writing the
files again from the facts read (after derive(), as a build does) gives the same bytes.
(b) Hand-written files in the guide's RHEL 5 style (tests/fixtures/host) give the right
facts, spans and notes at line:col. (c) Arbitrary text never makes a reader raise.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from virtc.build import artifacts
from virtc.derive import derive
from virtc.model import GrubSettings, Model
from virtc.readback import assemble, whole_file
from virtc.resolve import compile_sources
from virtc.targets import elilo, grub, ifcfg, multipath, rclocal, registry, scsi_id, udev
from virtc.units import format_kib

from conftest import EXAMPLES, FIXTURES, ROOT, examples

HOST_FILES = FIXTURES / "host"

# What the examples lack: ELILO (with an IOMMU argument virtc derives), a serial console
# on com2 with a non-default speed, multipath aliases with a blacklist, two iSCSI targets,
# bridge STP/DELAY/MTU/hwaddr and a bridge with no NIC, udev LUN names (one WWID written in
# capitals), a KVM host without constant_tsc (processor.max_cstate=1 and guest clock
# arguments), guest kernels with the xen and PAE variants and their own arguments.
FLEETS = {
    "itanium": """
host itan2 {
  hypervisor xen; arch ia64; release 5.8; kernel 2.6.18-308.el5
  cpu intel sockets 2 cores 4 threads 8
  memory 32G
  dom0 memory 3G vcpus 4
  iommu on
  grub rootfs "/dev/VolGroup00/rhel5_2" args "rhgb quiet" xen-args "sync_console"
  bridge xenbr0 on eth0 hwaddr 00:16:76:d6:c9:45 ip 192.168.60.10/24 gateway 192.168.60.1
  guest ig1 {
    type xen-pv; os rhel5.8 ia64; memory 1G
    disk xvda tap:aio "/var/lib/libvirt/images/ig1.img" size 8G
    nic bridge xenbr0
    pci 0000:0b:00.0
  }
}
""",
    "storage": """
host stor1 {
  hypervisor xen; release 5.8; kernel 2.6.18-308.el5
  cpu intel sockets 1 cores 4 threads 8 flags vmx nx pae constant_tsc
  memory 16G
  dom0 memory 1536M vcpus 1
  iommu on
  grub serial com2 speed 38400 args "rhgb quiet" xen-args "sync_console"
  bridge xenbr0 on eth0 ip 10.1.1.5/16 gateway 10.1.0.1 mtu 9000 stp on delay 2
  multipath data1 wwid 3600508B400105E210000900000490001
  multipath data2 wwid 3600508b400105e210000900000490002
  blacklist devnode "^(ram|raw|loop)[0-9]*"
  blacklist wwid 3600508b400105e210000900000490000
  iscsi-target "iqn.2004-04.rhel:rhel5:iscsi.a" lun 1 "/srv/tgt/a.img" lun 2 "/srv/tgt/b.img" allow "10.1.0.0/16"
  iscsi-target "iqn.2004-04.rhel:rhel5:iscsi.spare" lun 1 "/var/lib/tgtd/spare.img"
  guest pv1 {
    type xen-pv; os rhel5.8 x86_64; memory 1G; os-kernel 2.6.18-308.el5
    kernel-args "quiet elevator=noop"
    disk xvda phy "/dev/mpath/data1"
    serial pty
    pci 0000:0a:00.0
  }
  guest pv2 {
    type xen-pv; os rhel5.8 x86_64; memory 1G; os-kernel 2.6.18-308.el5xen
    disk xvda phy "/dev/mpath/data2"
  }
}
""",
    "kvm-tsc": """
host kvm3 {
  hypervisor kvm; release 5.8; kernel 2.6.18-308.el5
  cpu amd sockets 1 cores 4 threads 4 flags svm nx
  memory 16G
  grub root (hd0,1) rootfs "/dev/sda2" serial com2 speed 57600 args "rhgb"
  bridge br0 on eth1 hwaddr 00:1a:2b:3c:4d:5e dhcp mtu 1500 stp on delay 5
  bridge br1
  lun backup1 wwid 3600a0b800013275100000015427b6260
  lun backup2 wwid 3600A0B800013275100000015427B6261
  guest k1 {
    os rhel5.3 i686; memory 1G; os-kernel 2.6.18-128.el5 variant PAE
    kernel-args "quiet"
    disk vda virtio "/var/lib/libvirt/images/k1.img" size 8G
    nic bridge br0 model virtio
    serial pty
  }
  guest k2 {
    os rhel5.8 x86_64; memory 1G; os-kernel 2.6.18-308.el5
    disk vda virtio "/var/lib/libvirt/images/k2.img" size 8G
  }
}
""",
}

EMITTERS = tuple(registry()[name] for name in ("grub", "ifcfg", "udev", "multipath", "hostfiles"))


def reader(path: str):
    """The reader of a file virtc writes, by its name (None: not one of these formats)."""
    name = path.rsplit("/", 1)[-1]
    if name in ("grub.conf", "menu.lst") or name.endswith(".conf") and name.startswith("grub"):
        return grub.read
    if name.endswith("elilo.conf"):
        return elilo.read
    if name.startswith("ifcfg-"):
        return ifcfg.read
    if name.endswith(".rules"):
        return udev.read
    if name.endswith("scsi_id.config"):
        return scsi_id.read
    if name.endswith("multipath.conf"):
        return multipath.read
    if name.endswith("rc.local"):
        return rclocal.read
    return None


@dataclass(frozen=True)
class Built:
    name: str
    model: Model
    texts: dict  # artifact path -> text

    def host_paths(self, host: str) -> list[str]:
        return [p for p in sorted(self.texts) if p.startswith(host + "/") and reader(p)]

    def guest_paths(self, host: str) -> dict[str, str]:
        names = {g.name for g in self.model.guests_on(host)}
        return {p.split("/")[1]: p for p in sorted(self.texts)
                if p.startswith("guests/") and p.split("/")[1] in names and p.endswith("/grub.conf")}


def _build(name: str, path: str, text: str | None = None) -> Built:
    r = compile_sources([path], {path: text} if text is not None else None)
    errors = [f"{d.span}: {d.code} {d.message}" for d in r.diagnostics if d.severity.name == "ERROR"]
    assert r.model is not None and not errors, errors
    arts, diags = artifacts(r.model)
    assert not diags
    return Built(name, r.model, {a.path: a.text for a in arts if a.link is None})


BUILT = [_build(p.stem, str(p)) for p in sorted(EXAMPLES.glob("*.virt"))] + \
    [_build(n, str(ROOT / "tests" / "inline" / f"{n}.virt"), t) for n, t in FLEETS.items()]
FILES = [(b, p) for b in BUILT for p in sorted(b.texts) if reader(p)]
HOSTS = [(b, h) for b in BUILT for h in b.model.hosts if b.host_paths(h.name) or b.guest_paths(h.name)]


def _file_id(item) -> str:
    return f"{item[0].name}:{item[1]}"


def _host_id(item) -> str:
    return f"{item[0].name}:{item[1].name}"


def test_the_fleets_cover_every_format_and_fact():
    names = {p.rsplit("/", 1)[-1] for _, p in FILES}
    assert {"grub.conf", "elilo.conf", "20-names.rules", "scsi_id.config", "multipath.conf", "rc.local"} <= names
    hosts = [h for _, h in HOSTS]
    assert any(h.multipath_blacklist for h in hosts) and any(h.iscsi_targets for h in hosts)
    assert any(h.grub.serial == "com2" for h in hosts) and any(h.iommu and h.hypervisor == "kvm" for h in hosts)
    assert any("processor.max_cstate=1" in (h.grub.args or "") for h in hosts)
    assert any(h.arch == "ia64" and "iommu=1" in (h.grub.xen_args or "") for h in hosts)
    assert any(b.stp and b.mtu and b.hwaddr for h in hosts for b in h.bridges)


# ---------------------------------------------------------------- (a) round trip

@pytest.mark.parametrize("item", FILES, ids=_file_id)
def test_virtc_output_reads_back_without_notes(item):
    """Everything virtc writes is modelled: no VF003 note, no warning, a document."""
    b, path = item
    found = reader(path)(b.texts[path], path)
    assert [f"{d.span} {d.code} {d.message}" for d in found.diagnostics] == []
    assert found.document is not None and found.source.path == path


def _bridge(x) -> tuple:
    return (x.name, x.nic, x.hwaddr, x.bootproto, x.ip, x.gateway, x.mtu, x.stp, x.delay, x.path_label)


def _grub(g: GrubSettings, elilo_host: bool) -> GrubSettings:
    """What the emitter writes for a None: the defaults (ELILO writes no GRUB root)."""
    return replace(g, root=None if elilo_host else (g.root or grub.DEFAULT_ROOT),
                   rootfs=g.rootfs or grub.DEFAULT_ROOTFS,
                   serial_speed=(g.serial_speed or 115200) if g.serial else None)


def _read(b: Built, h):
    """(founds of the host's files, assembled host, bridges, {guest: guest-grub Found})."""
    founds = [reader(p)(b.texts[p], p) for p in b.host_paths(h.name)]
    got, _, _ = assemble(h.name, founds, h.span)
    bridges = ifcfg.bridges([f for f in founds if f.format == "ifcfg"], host=h.name)
    guests = {name: grub.read(b.texts[p], p) for name, p in b.guest_paths(h.name).items()}
    return founds, got, bridges, guests


def _rebuilt(b: Built, h, founds, got, bridges, guest_found) -> Model:
    """The model a build would make from the facts read: the host's other facts (CPU,
    memory, guests) from the .virt model, then derive(), then the boot words put back."""
    network = {n.bridge for n in h.networks}
    read_files = {p.rsplit("/", 1)[-1] for p in b.host_paths(h.name)}
    host = h
    if read_files & {"grub.conf", "elilo.conf"}:
        host = replace(host, kernel=got.kernel, dom0_memory_kib=got.dom0_memory_kib, dom0_vcpus=got.dom0_vcpus,
                       iommu=got.iommu, grub=got.grub, arch=got.arch if "elilo.conf" in read_files else h.arch)
    host = replace(host, bridges=tuple(bridges) + tuple(x for x in h.bridges if x.name in network),
                   luns=got.luns, multipath_blacklist=got.multipath_blacklist, iscsi_targets=got.iscsi_targets)
    guests = []
    for g in b.model.guests_on(h.name):
        f = guest_found.get(g.name)
        if f is not None:
            release, cmdline, _ = f.host["guest_boot"][g.name]
            g = replace(g, kernel_release=release, kernel_variant=f.host.get("guest_variant", {}).get(g.name),
                        boot=replace(g.boot, cmdline=cmdline))
        guests.append(g)
    model = derive(Model((host,), tuple(guests), ()))
    return replace(model, hosts=(grub.restore_derived(model.hosts[0], founds),))


@pytest.mark.parametrize("item", HOSTS, ids=_host_id)
def test_host_facts_read_back(item):
    b, h = item
    founds, got, bridges, _ = _read(b, h)
    names = {p.rsplit("/", 1)[-1] for p in b.host_paths(h.name)}
    if names & {"grub.conf", "elilo.conf"}:
        assert got.hypervisor == h.hypervisor  # from kernel_kind alone: no guest was read
        assert got.kernel == h.kernel.removesuffix("xen")
        xen = h.hypervisor == "xen"
        assert (got.dom0_memory_kib, got.dom0_vcpus) == ((h.dom0_memory_kib, h.dom0_vcpus) if xen else (None, None))
        assert got.iommu == h.iommu
        if "elilo.conf" in names:
            assert got.arch == "ia64" == h.arch
    network = {n.bridge for n in h.networks}
    assert [_bridge(x) for x in bridges] == [_bridge(x) for x in h.bridges if x.name not in network]
    for kind in ("udev", "multipath"):
        assert [(x.name, x.wwid) for x in got.luns if x.kind == kind] == \
            [(x.name, x.wwid) for x in h.luns if x.kind == kind]
    assert got.multipath_blacklist == h.multipath_blacklist
    assert [(t.iqn, t.luns, t.allow) for t in got.iscsi_targets] == [(t.iqn, t.luns, t.allow) for t in h.iscsi_targets]


@pytest.mark.parametrize("item", HOSTS, ids=_host_id)
def test_boot_arguments_come_back_through_derive(item):
    """Words virtc derives (intel_iommu=on, iommu=1, processor.max_cstate=1) are read as
    facts, not arguments; derive() and restore_derived() give back the model's settings."""
    b, h = item
    founds, got, bridges, guests = _read(b, h)
    names = {p.rsplit("/", 1)[-1] for p in b.host_paths(h.name)}
    if not names & {"grub.conf", "elilo.conf"}:
        pytest.skip("no boot file for this host")
    for word in ("intel_iommu=on", "iommu=1", "processor.max_cstate=1"):
        assert word not in (got.grub.args or "").split() + (got.grub.xen_args or "").split()
    again = _rebuilt(b, h, founds, got, bridges, guests).hosts[0]
    elilo_host = "elilo.conf" in names
    assert _grub(again.grub, elilo_host) == _grub(h.grub, elilo_host)


@pytest.mark.parametrize("item", HOSTS, ids=_host_id)
def test_writing_the_facts_read_gives_the_same_bytes(item):
    b, h = item
    founds, got, bridges, guests = _read(b, h)
    model = _rebuilt(b, h, founds, got, bridges, guests)
    emitted = {a.path: a.text for m in EMITTERS for a in m.emit(model)}
    paths = b.host_paths(h.name) + list(b.guest_paths(h.name).values())
    assert paths
    for p in paths:
        assert emitted.get(p) == b.texts[p], p


def _guest_version(g) -> str:
    v = g.kernel_release
    if g.kernel_variant and not v.endswith(g.kernel_variant):
        v += g.kernel_variant
    elif g.type == "xen-pv" and not v.endswith("xen"):
        v += "xen"
    return v


@pytest.mark.parametrize("item", [x for x in HOSTS if x[0].guest_paths(x[1].name)], ids=_host_id)
def test_guest_kernel_and_command_line_read_back(item):
    b, h = item
    for g in b.model.guests_on(h.name):
        p = b.guest_paths(h.name).get(g.name)
        if p is None:
            continue
        f = grub.read(b.texts[p], p)
        assert f.format == "guest-grub" and "kernel" not in f.host and "kernel_kind" not in f.host
        release, cmdline, span = f.host["guest_boot"][g.name]
        variant = f.host.get("guest_variant", {}).get(g.name)
        assert (release, variant) == grub.split_release(_guest_version(g))
        console = []
        if g.serials:  # the serial console arguments come first, as the emitter writes them
            console = ["console=xvc0"] if g.type == "xen-pv" else ["console=tty0", "console=ttyS0,115200"]
        assert (cmdline or "").split() == console + [a for a in (g.boot.cmdline or "").split() if a not in console]
        assert (span.file, span.line, span.col) == (p, 6, 2)  # the kernel line


@pytest.mark.parametrize("item", HOSTS, ids=_host_id)
def test_spans_point_at_the_lines_that_say_it(item):
    b, h = item
    founds, got, bridges, _ = _read(b, h)
    texts = b.texts
    for x in bridges:  # the DEVICE= line of the bridge's own file
        assert x.span.file.endswith(f"/ifcfg-{x.name}") and (x.span.line, x.span.col) == (1, 1)
    for lun in got.luns:
        line = texts[lun.span.file].split("\n")[lun.span.line - 1]
        assert line[lun.span.col - 1:].startswith(f'NAME="{lun.name}"' if lun.kind == "udev" else f"alias\t{lun.name}")
    for t in got.iscsi_targets:
        line = texts[t.span.file].split("\n")[t.span.line - 1]
        assert "--mode target" in line and t.iqn in line
    g = got.fields.get("grub")
    if g is not None:
        line = texts[g.file].split("\n")[g.line - 1]
        assert line[g.col - 1:].startswith(("kernel /", "image="))
    d = got.fields.get("dom0_memory")
    if d is not None:
        assert texts[d.file][d.start:d.end] == f"dom0_mem={format_kib(h.dom0_memory_kib)}"


# ---------------------------------------------------------------- (b) hand-written files

def _case(rel: str):
    path = HOST_FILES / rel
    return path.read_text(), str(path)


def _notes(found) -> list[tuple[str, str, int, int]]:
    return sorted((d.code, str(d.severity), d.span.line, d.span.col) for d in found.diagnostics)


def _at(span) -> tuple[int, int]:
    return span.line, span.col


def test_grub_xen_entry_with_serial_console_and_dom0_mem_in_mb():
    """Guide §32.5 (lines 5112-5125) with §32.2's two entries: default=1 is the Xen entry."""
    found = grub.read(*_case("grub-xen.conf"))
    h = found.host
    assert found.format == "grub" and h["kernel_kind"] == "xen" and h["kernel"] == "2.6.18-159.el5"
    assert h["dom0_memory_kib"] == 256 * 1024 and h["dom0_vcpus"] == 2 and h["iommu"] is True
    assert h["grub"] == GrubSettings("(hd0,0)", "/dev/VolGroup00/LogVol00", "rhgb quiet pci_pt_e820_access=on",
                                     "com1", 115200, "acpi=ht")
    assert h["boot_derived"] == {"args": (), "xen_args": ("iommu=on",)}
    spans = found.spans
    assert _at(spans["kernel"]) == (14, 9) and _at(spans["grub"]) == (14, 2)
    assert _at(spans["dom0_memory"]) == (14, 48) and _at(spans["dom0_vcpus"]) == (14, 63)
    assert _at(spans["iommu"]) == (14, 80)
    # entry 0 (the bare-metal kernel), timeout=15 and hiddenmenu (virtc drops it with a
    # serial console) are noted; 256MB is read as 256M with C-29's warning.
    assert _notes(found) == [("VB103", "warning", 14, 48), ("VF003", "info", 3, 1), ("VF003", "info", 5, 1),
                             ("VF003", "info", 8, 1)]


def test_a_kernel_line_of_many_iommu_switches_is_read_once(monkeypatch):
    """The hypervisor reads its command line left to right, so the last IOMMU switch
    counts; every switch is taken out of xen-args as derived. Each word is looked at a
    bounded number of times: a search of the line per switch taken was quadratic (a
    fuzzer's 64 KB line of them took 0.5 s)."""
    from virtc.targets import bootline

    text, path = _case("grub-xen.conf")
    switches = ["iommu=on", "iommu=off"] * 500 + ["iommu=1"]
    text = text.replace("iommu=on acpi=ht", " ".join(switches) + " acpi=ht")
    calls = 0
    real = bootline._iommu_value

    def counted(word, names):
        nonlocal calls
        calls += 1
        return real(word, names)

    monkeypatch.setattr(bootline, "_iommu_value", counted)
    found = grub.read(text, path)
    h = found.host
    assert h["iommu"] is True and h["boot_derived"]["xen_args"] == tuple(switches)
    assert h["grub"].xen_args == "acpi=ht"
    line = text.splitlines()[13]
    assert _at(found.spans["iommu"]) == (14, line.index("iommu=1") + 1)
    assert calls <= 3 * len(line.split()), calls


def test_grub_kvm_entry_maps_derived_words_to_facts():
    """Guide §14 (lines 2511-2518) and §16 (line 2895): intel_iommu=on and
    processor.max_cstate=1 are facts (iommu, a CPU without constant_tsc), not arguments."""
    found = grub.read(*_case("grub-kvm.conf"))
    h = found.host
    assert h["kernel_kind"] == "linux" and h["kernel"] == "2.6.18-190.el5" and h["iommu"] is True
    assert h["grub"] == GrubSettings("(hd0,0)", "/dev/VolGroup00/LogVol00", "rhgb quiet", None, None, None)
    assert h["boot_derived"] == {"args": ("intel_iommu=on", "processor.max_cstate=1"), "xen_args": ()}
    assert _at(found.spans["iommu"]) == (7, 79) and _at(found.spans["kernel"]) == (7, 11)
    assert _notes(found) == []
    host, _, _ = assemble("k", [found], whole_file(found.source))
    assert host.hypervisor == "kvm" and host.iommu
    assert grub.restore_derived(host, [found]).grub.args == "rhgb quiet intel_iommu=on processor.max_cstate=1"


def test_guest_grub_conf_gives_the_guest_kernel_and_command_line():
    """Guide §34.11.2 (lines 5868-5870), with the title and line break it lacks."""
    found = grub.read(*_case("guests/pv01/boot/grub/grub.conf"))
    assert found.format == "guest-grub"
    assert set(found.host) == {"guest_boot", "guest_variant"}
    release, cmdline, span = found.host["guest_boot"]["pv01"]
    # the guest's own root (LABEL=...) stays on its command line, where virtc writes it
    assert (release, cmdline, _at(span)) == ("2.6.18-92.el5", "root=LABEL=VG_i386 console=xvc0", (5, 2))
    assert found.host["guest_variant"] == {"pv01": "xen"}
    # files under /boot/ (no separate /boot partition) are noted
    assert _notes(found) == [("VF003", "info", 5, 9)]


def test_elilo_default_stanza_gives_the_itanium_host():
    """Guide §29 (lines 4631-4667): the stanza named by default= is read."""
    found = elilo.read(*_case("elilo.conf"))
    h = found.host
    assert h["arch"] == "ia64" and h["kernel_kind"] == "xen" and h["kernel"] == "2.6.18-92.el5"
    assert h["dom0_memory_kib"] == 2 * 1024 * 1024 and h["dom0_vcpus"] == 2
    assert h["grub"] == GrubSettings(None, "/dev/VolGroup00/rhel5_2", "rhgb quiet", None, None, None)
    assert _at(found.spans["kernel"]) == (13, 6) and _at(found.spans["dom0_memory"]) == (18, 10)
    # prompt, timeout, relocatable, the other stanza, label=xen
    assert _notes(found) == [("VF003", "info", 1, 1), ("VF003", "info", 2, 1), ("VF003", "info", 4, 1),
                             ("VF003", "info", 6, 1), ("VF003", "info", 14, 8)]


def test_an_ifcfg_file_with_dos_line_ends_is_one_error(tmp_path):
    """bash, sourcing an ifcfg file written with CR LF line ends, keeps each CR in the
    value (ONBOOT is "yes\r", which initscripts do not take for yes): one VF301, at the
    first assignment whose line ends so (a comment's CR is harmless), and none for a file
    with Unix line ends."""
    import shutil
    import subprocess

    text = "# eth0\r\nDEVICE=eth0\r\nONBOOT=yes\r\nBRIDGE=xenbr0\r\n"
    bash = shutil.which("bash")
    if bash:
        f = tmp_path / "ifcfg-eth0"
        f.write_bytes(text.encode())
        r = subprocess.run([bash, "-c", '. "$1"; printf %s "$ONBOOT"', "x", str(f)], capture_output=True)
        assert r.stdout == b"yes\r"
    found = ifcfg.read(text, "/etc/sysconfig/network-scripts/ifcfg-eth0")
    errors = [d for d in found.diagnostics if d.code == "VF301"]
    assert [(d.span.line, d.span.col) for d in errors] == [(2, 12)]
    assert "carriage return" in errors[0].message
    for unix in (text.replace("\r", ""), "# only a comment\r\n"):
        assert "VF301" not in {d.code for d in ifcfg.read(unix, "/x/ifcfg-eth0").diagnostics}


def test_ifcfg_files_make_bridges():
    """Guide §10.2 (lines 1553-1568) and §11.1 (lines 1616-1626)."""
    folder = HOST_FILES / "network-scripts"
    founds = [ifcfg.read(p.read_text(), str(p)) for p in sorted(folder.iterdir())]
    bridges, notes = ifcfg.assemble_bridges(founds, host="h1")
    assert [_bridge(x) for x in bridges] == [
        ("br0", "eth0", "00:16:76:d6:c9:45", "dhcp", None, None, 9000, False, 0, "host h1 / bridge br0"),
        # no DELAY: the kernel's 15 s forward delay
        ("xenbr1", "eth2", None, "static", "10.2.1.1/16", "10.2.0.254", None, True, 15, "host h1 / bridge xenbr1")]
    assert [(x.span.file.rsplit("/", 1)[-1], *_at(x.span)) for x in bridges] == [("ifcfg-br0", 1, 1),
                                                                                ("ifcfg-xenbr1", 1, 1)]
    assert ifcfg.bridges(founds, host="h1") == bridges
    by_file = {Path(f.source.path).name: _notes(f) for f in founds}
    assert by_file == {"ifcfg-br0": [], "ifcfg-eth0": [], "ifcfg-eth1": [("VF003", "info", 1, 1)],
                       "ifcfg-eth2": [("VF003", "info", 5, 1)], "ifcfg-eth3": [],
                       "ifcfg-xenbr1": [("VF003", "info", 9, 1)]}
    # eth3 is a second NIC on xenbr1
    assert [(d.code, Path(d.span.file).name, *_at(d.span)) for d in notes] == [("VF003", "ifcfg-eth3", 1, 1)]


def test_udev_rules_give_luns():
    """Guide §9.3 (lines 1442, 1445): the template's RESULT="UUID" is no WWID; the rule with
    single '=' operators is read for what it means (VF402 reports the operators)."""
    found = udev.read(*_case("20-names.rules"))
    luns = found.host["luns"]
    assert [(x.name, x.wwid, x.kind) for x in luns] == [
        ("rack4row16", "3600a0b800013275100000015427b625e", "udev"),
        ("rack4row17", "3600a0b800013275100000015427b625f", "udev")]
    assert [_at(x.span) for x in luns] == [(3, 102), (4, 115)]
    # RESULT="UUID", OWNER=, the cdrom rule
    assert _notes(found) == [("VF003", "info", 2, 81), ("VF003", "info", 4, 134), ("VF003", "info", 5, 1)]


def test_scsi_id_config():
    found = scsi_id.read(*_case("scsi_id.config"))
    assert found.host == {} and _notes(found) == [("VF003", "info", 3, 1)]


def test_multipath_conf_gives_aliases_and_blacklist():
    """Guide §9.3 (lines 1460-1477): the misspelt `mulitpath` block gives no LUN (VF411)."""
    found = multipath.read(*_case("multipath.conf"))
    assert [(x.name, x.wwid, x.kind, *_at(x.span)) for x in found.host["luns"]] == [
        ("oramp1", "3600805f30015987000000000768a0019", "multipath", 20, 2)]
    assert found.host["multipath_blacklist"] == (("devnode", "^(ram|raw|loop|fd|md|dm-|sr|scd|st)[0-9]*"),
                                                 ("wwid", "3600805f30015987000000000768a0000"))
    # polling_interval 5, blacklist/device, devices
    assert _notes(found) == [("VF003", "info", 3, 2), ("VF003", "info", 8, 2), ("VF003", "info", 12, 1)]


def test_multipath_spans_are_the_ones_their_offsets_give():
    """parse_document counts lines as it goes (no search per span): its spans must be
    SourceFile.span's, including after the characters str.splitlines breaks at but a
    line count does not (form feed, lone carriage return, U+2028)."""
    from virtc.source import SourceFile

    text = ('defaults {\r\n\tuser_friendly_names yes\x0c polling_interval 5\n}\n'
            'multipaths {\n multipath {\r wwid 36\u2028 alias "x y"\x1c}\n}\n}\n s\n # c\n\nblacklist {\x85}')
    src = SourceFile("etc/multipath.conf", text)
    doc, diags = multipath.parse_document(src)
    spans = [s for e in doc.entries for s in (e.span, e.key_span, e.value_span)] + [d.span for d in diags]
    assert len(doc.entries) == 9 and diags
    assert spans == [src.span(s.start, s.end) for s in spans]
    assert max(s.line for s in spans) == 11  # the last line's, past the breaks splitlines adds


def test_rc_local_gives_the_iscsi_target():
    """Guide §23.1.1 (lines 3719-3727, 3780): continued lines are joined."""
    found = rclocal.read(*_case("rc.local"))
    (t,) = found.host["iscsi_targets"]
    assert t.iqn == "iqn.2004-04.rhel:rhel5:iscsi.kvmguest" and t.allow == "ALL"
    assert t.luns == ((1, "/var/lib/tgtd/kvmguest/rhelx86_64.img"), (2, "/var/lib/tgtd/kvmguest/shareddata.img"))
    assert (t.span.line, t.span.col, t.span.end_line) == (6, 1, 7)
    # touch /var/lock/subsys/local, and a LUN of a target no command creates
    assert _notes(found) == [("VF003", "info", 4, 1), ("VF003", "info", 13, 1)]


def test_rc_local_says_once_per_program_what_it_does_not_model():
    text = "touch /var/lock/subsys/local\n/sbin/start_udev\necho a\necho b \\\n  c\n\\\necho d\n"
    found = rclocal.read(text, "etc/rc.d/rc.local")
    notes = sorted((d.span.line, d.message) for d in found.diagnostics)
    assert notes == [(1, "rc.local command `touch` is not modelled by virtc; ignored"),
                     (3, "rc.local command `echo` (3 times; the first is here) is not modelled by virtc; ignored")]


def test_unsuffixed_dom0_mem_is_kib_with_a_warning():
    text = "default=0\ntitle x\n\troot (hd0,0)\n\tkernel /xen.gz-2.6.18-8.el5 dom0_mem=2048 dom0_max_vcpus=x\n" \
           "\tmodule /vmlinuz-2.6.18-8.el5xen ro root=/dev/sda1\n\tmodule /initrd-2.6.18-8.el5xen.img\n"
    found = grub.read(text, "boot/grub/grub.conf")
    assert found.host["dom0_memory_kib"] == 2048 and "dom0_vcpus" not in found.host
    assert found.host["grub"].xen_args == "dom0_max_vcpus=x"  # not a number: left for VB103
    assert _notes(found) == [("VB104", "warning", 4, 30)]


def test_restore_derived_keeps_what_derive_does_not_write():
    """iommu=on on a Xen host without passthrough guests: derive() writes nothing, so the
    word read from the file is put back; a word derive() wrote already is not doubled."""
    found = grub.read(*_case("grub-xen.conf"))
    host, _, _ = assemble("x", [found], whole_file(found.source))
    assert grub.restore_derived(host, [found]).grub.xen_args == "acpi=ht iommu=on"
    derived = replace(host, grub=replace(host.grub, xen_args="acpi=ht iommu=1"))
    assert grub.restore_derived(derived, [found]).grub.xen_args == "acpi=ht iommu=1"


def test_split_release():
    assert grub.split_release("2.6.18-308.el5xen") == ("2.6.18-308.el5", "xen")
    assert grub.split_release("2.6.18-128.el5PAE") == ("2.6.18-128.el5", "PAE")
    assert grub.split_release("2.6.9-67.ELsmp") == ("2.6.9-67.EL", "smp")
    assert grub.split_release("2.6.18-308.el5") == ("2.6.18-308.el5", None)
    assert grub.split_release("2.6.32-71.el6.x86_64") == ("2.6.32-71.el6.x86_64", None)


# ---------------------------------------------------------------- (c) never raise

READERS = {"boot/grub/grub.conf": grub.read, "guests/g1/boot/grub/grub.conf": grub.read,
           "boot/efi/efi/redhat/elilo.conf": elilo.read, "etc/sysconfig/network-scripts/ifcfg-br0": ifcfg.read,
           "etc/udev/rules.d/20-names.rules": udev.read, "etc/scsi_id.config": scsi_id.read,
           "etc/multipath.conf": multipath.read, "etc/rc.local": rclocal.read}

# Pieces of every format, and the characters that end or split their tokens.
PIECES = [line for p in sorted(HOST_FILES.rglob("*")) if p.is_file() for line in p.read_text().splitlines()] + [
    "=", "\\", '"', "'", "{", "}", "--", "#", "title", "kernel", "module", "initrd", "root", "default=",
    "dom0_mem=", "dom0_mem=99999999999999999999999", "dom0_max_vcpus=" + "9" * 50, "com1=", "com2=1,8n1",
    "iommu", "iommu=", "console=ttyS1,9", "root=", "ro", "/xen.gz-", "xen.gz", "/vmlinuz-", "vmlinuz-x",
    "image=", "vmm=", 'append="', 'append="--"', "label=", "read-only", "BRIDGE=", "TYPE=Bridge", "TYPE=bridge",
    "IPADDR=1.2.3.4", "NETMASK=255.0.255.0", "PREFIX=99", "MTU=" + "9" * 30, "DELAY=x", "STP=maybe", "HWADDR=",
    'RESULT=="', 'NAME="', 'NAME=="x"', "multipaths {", "multipath {", "wwid", "alias", "blacklist {",
    "devnode", "tgtadm", "--tid", "--tid=1", "--lun", "--op", "new", "target", "logicalunit", "bind",
    "--initiator-address", "\t", " ", "\r", "\x0b", "\x0c", "\x1c", "\u2028", "\x00", "é",
    "²", "default=²", "dom0_max_vcpus=²", "--tid ²", "--lun ²", "MTU=²", "DELAY=٣"]  # digits int() refuses


@st.composite
def soup(draw):
    lines = draw(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=20),
                                    st.lists(st.sampled_from(PIECES), max_size=6).map(" ".join)), max_size=14))
    return draw(st.sampled_from(["\n", "\r\n", " ", ""])).join(lines)


def _exercise(path: str, text: str) -> None:
    found = READERS[path](text, path)
    assert found.source.text == text
    for d in found.diagnostics:
        assert d.code and (d.span is None or d.span.file == path)
    host, _, _ = assemble("h", [found], whole_file(found.source))
    grub.restore_derived(host, [found])
    ifcfg.assemble_bridges([found])


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(sorted(READERS)), text=st.text())
def test_arbitrary_text_never_raises(path, text):
    _exercise(path, text)


@settings(max_examples=examples(600), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(sorted(READERS)), text=soup())
def test_format_soup_never_raises(path, text):
    _exercise(path, text)
