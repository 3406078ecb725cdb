"""Which files `virtc lint` reads: a copy of a real /etc survives (only the places the
format registry names are read), loose files are recognised by content, a format a host
has one of is read once, and linting hosts together loses none of their findings."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from virtc import api, targets
from virtc.diagnostics import Severity

from conftest import EXAMPLES

GRUB = """default=0
timeout=5
title Red Hat Enterprise Linux Server (2.6.18-308.el5xen)
\troot (hd0,0)
\tkernel /xen.gz-2.6.18-308.el5 dom0_mem=1024M
\tmodule /vmlinuz-2.6.18-308.el5xen ro root=/dev/VolGroup00/LogVol00
\tmodule /initrd-2.6.18-308.el5xen.img
"""
GUEST = """name = "web01"
uuid = "5e1d2b43-2f6a-4b85-9d1f-0c8a7c3b6d21"
memory = 512
vcpus = 1
bootloader = "/usr/bin/pygrub"
disk = [ "tap:aio:/var/lib/xen/images/web01.img,xvda,w" ]
vif = [ "mac=00:16:3e:5a:1b:01,bridge=xenbr0" ]
"""
INIT_SCRIPT = """#!/bin/sh
#
# iptables\tStart iptables firewall
#
# chkconfig: 2345 08 92
IPTABLES=iptables
IPTABLES_DATA=/etc/sysconfig/$IPTABLES
start() {
    $IPTABLES-restore $IPTABLES_DATA
}
"""
CPUSPEED_INIT = """#!/bin/bash
# cpuspeed\tThis shell script enables CPU frequency scaling
. /etc/sysconfig/cpuspeed
GOVERNOR=ondemand
"""
OTHER_PROGRAMS = {
    "etc/resolv.conf": "search example.com\nnameserver 10.0.0.2\noptions rotate timeout:1\n",
    "etc/lvm/lvm.conf": "devices {\n    dir = \"/dev\"\n    filter = [ \"a/.*/\" ]\n}\nlog {\n    verbose = 0\n}\n"
                        "global {\n    locking_type = 1\n}\n",
    "etc/audit/audit.rules": "-D\n-b 320\n-w /etc/passwd -p wa -k identity\n-a always,exit -F arch=b64 -S adjtimex\n",
    "etc/fail2ban/jail.conf": "[DEFAULT]\nname = default\nignoreip = 127.0.0.1\nbantime = 600\n\n[ssh]\nenabled = true\n"
                              "name = ssh\nport = ssh\nfilter = sshd\n",
    "etc/xen/xmexample1": "# Example Xen config\nkernel = \"/boot/vmlinuz-2.6-xenU\"\nmemory = 64\nname = \"ExampleDomain\"\n",
    "etc/xen/qemu-ifup": "#!/bin/sh\necho 'config qemu network with xen bridge for ' $*\nifconfig $1 0.0.0.0 up\n",
    "etc/xen/scripts/network-bridge": "#!/bin/bash\n# Default config params\nbridge=${bridge:-xenbr0}\n",
    "etc/sysconfig/network": "NETWORKING=yes\nHOSTNAME=xen1.example.com\n",
    "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
    "etc/xen/web01.rpmsave": "name = \"old\"\nmemory = \"lots\"\n",
}


def _write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def etc_copy(root: Path) -> Path:
    """A host as `cp -a /etc /boot` copies it: configs among init scripts, their rc?.d
    links, other programs' files and binaries, with the usual links between them."""
    _write(root, "boot/grub/grub.conf", GRUB)
    (root / "etc").mkdir()
    os.symlink("../boot/grub/grub.conf", root / "etc/grub.conf")
    _write(root, "etc/xen/web01", GUEST)
    (root / "etc/xen/auto").mkdir()
    os.symlink("/etc/xen/web01", root / "etc/xen/auto/web01")  # absolute, as xendomains' docs write it
    _write(root, "etc/redhat-release", "Red Hat Enterprise Linux Server release 5.8 (Tikanga)\n")
    _write(root, "etc/rc.d/rc.local", "#!/bin/sh\ntouch /var/lock/subsys/local\n")
    os.symlink("rc.d/rc.local", root / "etc/rc.local")
    for name, text in (("iptables", INIT_SCRIPT), ("cpuspeed", CPUSPEED_INIT)):
        script = _write(root, f"etc/rc.d/init.d/{name}", text)
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        for level in "0123456":
            (root / f"etc/rc.d/rc{level}.d").mkdir(parents=True, exist_ok=True)
            os.symlink(f"../init.d/{name}", root / f"etc/rc.d/rc{level}.d/S08{name}")
    for rel, text in OTHER_PROGRAMS.items():
        _write(root, rel, text)
    (root / "etc/ld.so.cache").write_bytes(b"ld.so-1.7.0\0\x01\x02" * 64)
    (root / "etc/prelink.cache").write_bytes(bytes(range(256)) * 4)
    (root / "etc/aliases.db").write_bytes(b"\0\x06\x15\x61" + os.urandom(512))
    return root


def test_a_copy_of_a_real_etc_gives_no_error_and_no_warning(tmp_path):
    root = etc_copy(tmp_path / "xen1")
    result = api.lint([], [str(root)])
    loud = [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics if d.severity >= Severity.WARNING]
    assert loud == []
    read = {os.path.relpath(p, root) for p in result.sources}
    # the configurations are read, each once (etc/grub.conf and etc/rc.local are links), and
    # xend's scripts as text (which exist, and the bridges a wrapper of network-bridge makes)
    assert read == {"boot/grub/grub.conf", "etc/xen/web01", "etc/redhat-release", "etc/rc.d/rc.local",
                    "etc/xen/scripts/network-bridge"}
    assert [g.name for g in result.model.guests] == ["web01"]
    assert result.model.guests[0].autostart  # the absolute link is read inside the tree
    notes = [d for d in result.diagnostics if d.code == "VF002"]
    # one note for the host, naming some (the runlevel 3 and 5 links are read, by name)
    assert len(notes) == 1 and "24 file(s)" in notes[0].message
    assert result.model.hosts[0].services_on == ("cpuspeed", "iptables")


def test_skipped_files_are_never_opened(tmp_path):
    root = etc_copy(tmp_path / "xen1")
    unreadable = _write(root, "etc/shadow", "root:!!:15000::::::\n")
    unreadable.chmod(0)
    result = api.lint([], [str(root)])
    assert not [d for d in result.diagnostics if d.code == "VF001"]


def test_named_pipes_sockets_and_devices_are_never_opened(tmp_path):
    """Opening a named pipe waits for a writer: a copy of RHEL 5's /etc holds one
    (/etc/initctl), and one at a place a configuration lives (or in a folder of loose
    files, or behind a link) stalled lint for ever. (A process, with a time limit: the
    old code waited on the pipe.)"""
    import socket
    import subprocess
    import sys

    from virtc.placement import collect

    root = etc_copy(tmp_path / "xen1")
    os.mkfifo(root / "etc/initctl")
    os.mkfifo(root / "etc/xen/pipe")  # where a guest's xm config would be
    os.symlink("pipe", root / "etc/xen/through-a-link")
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "web01").write_text(GUEST)
    os.mkfifo(loose / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "etc/xen/sock"))
    try:
        skipped = collect([], [str(root)]).hosts[0].skipped
        assert {"etc/xen/pipe (a named pipe, not a file)", "etc/xen/through-a-link (a named pipe, not a file)",
                "etc/xen/sock (a socket, not a file)"} <= set(skipped)
        assert collect([str(loose)], []).hosts[0].skipped == ["pipe (a named pipe, not a file)"]
        for args in (["--root", str(root)], [str(loose)]):
            r = subprocess.run([sys.executable, "-m", "virtc", "lint", "--format", "concise", *args],
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stdout + r.stderr  # the guest web01 read, nothing wrong
    finally:
        sock.close()


def test_a_loose_file_is_recognised_by_content_or_named_as_unknown(tmp_path):
    files = {name: _write(tmp_path, name, text) for name, text in
             (("resolv.conf", OTHER_PROGRAMS["etc/resolv.conf"]), ("lvm.conf", OTHER_PROGRAMS["etc/lvm/lvm.conf"]),
              ("audit.rules", OTHER_PROGRAMS["etc/audit/audit.rules"]),
              ("jail.conf", OTHER_PROGRAMS["etc/fail2ban/jail.conf"]), ("guest", GUEST), ("boot-menu", GRUB))}
    for name, path in files.items():
        fmt = targets.recognised(str(path), path.read_text())
        assert (fmt.name if fmt else None) == {"guest": "xm", "boot-menu": "grub"}.get(name), name
    result = api.lint([str(p) for p in files.values()])
    assert {d.code for d in result.diagnostics if d.severity >= Severity.WARNING} <= {"VF113"}
    unknown = sorted(Path(d.span.file).name for d in result.diagnostics if d.code == "VF002")
    assert unknown == ["audit.rules", "jail.conf", "lvm.conf", "resolv.conf"]


def test_two_differing_files_of_a_single_instance_format_are_one_warning(tmp_path):
    root = etc_copy(tmp_path / "xen1")
    os.unlink(root / "etc/grub.conf")
    _write(root, "etc/grub.conf", GRUB.replace("308", "274"))  # a copy, not the link
    _write(root, "etc/xen/xend-config.sxp", "(xend-relocation-server no)\n")
    result = api.lint([], [str(root)])
    twice = [d for d in result.diagnostics if d.code == "VF008"]
    assert len(twice) == 1
    assert "boot/grub/grub.conf" in twice[0].message and "etc/grub.conf" in twice[0].message
    assert twice[0].span.file.endswith("etc/grub.conf")  # the one not read
    assert result.model.hosts[0].kernel.startswith("2.6.18-308")  # GRUB's own file is the one read


def test_an_identical_copy_is_one_file(tmp_path):
    root = etc_copy(tmp_path / "xen1")
    os.unlink(root / "etc/grub.conf")
    _write(root, "etc/grub.conf", GRUB)
    result = api.lint([], [str(root)])
    assert not [d for d in result.diagnostics if d.code == "VF008"]


def test_the_same_file_given_twice_is_read_once(tmp_path):
    root = etc_copy(tmp_path / "xen1")
    guest = str(root / "etc/xen/web01")
    result = api.lint([guest, guest, str(root / "etc/xen/./web01")])
    assert len(result.model.guests) == 1
    assert not [d for d in result.diagnostics if d.code == "VF005"]


CAPS = """<capabilities><host><cpu><arch>x86_64</arch><features><pae/><vmx/></features></cpu>
<topology><cells num='1'><cell id='0'><cpus num='2'><cpu id='0'/><cpu id='1'/></cpus></cell></cells></topology>
</host><guest><os_type>xen</os_type><arch name='x86_64'><domain type='xen'/></arch></guest></capabilities>
"""


def test_capabilities_in_the_tree_and_on_the_command_line_are_read_once(tmp_path):
    root = etc_copy(tmp_path / "xen1")
    caps = _write(root, "capabilities.xml", CAPS)
    result = api.lint([], [str(root)], capabilities=str(caps))
    assert len(result.model.hosts[0].numa) == 1  # not two cells: one file, read once
    assert not [d for d in result.diagnostics if d.code == "VF008"]
    other = _write(tmp_path, "other-caps.xml", CAPS.replace("<cpu id='1'/>", "<cpu id='1'/><cpu id='2'/>"))
    result = api.lint([], [str(root)], capabilities=str(other))
    assert len(result.model.hosts[0].numa) == 1
    assert [d.code for d in result.diagnostics if d.code == "VF008"] == ["VF008"]


def _findings(result) -> set:
    return {(d.code, d.span.file if d.span else "", d.span.line if d.span else 0, d.message)
            for d in result.diagnostics if d.code != "VF004"}


def test_a_host_without_a_fact_does_not_hide_another_hosts_findings(tmp_path):
    """b states its SELinux labels and has a guest image outside them (VE101); a states
    none, so VE101 skips a, and only a."""
    b, a = tmp_path / "b", tmp_path / "a"
    _write(b, "etc/xen/web02", GUEST.replace("web01", "web02").replace("/var/lib/xen/images", "/srv/vm")
           .replace("1b:01", "1b:02"))
    _write(b, "etc/selinux/targeted/contexts/files/file_contexts.local",
           "/data(/.*)?    system_u:object_r:xen_image_t:s0\n")
    _write(a, "etc/xen/web03", GUEST.replace("web01", "web03").replace("/var/lib/xen/images", "/srv/vm")
           .replace("1b:01", "1b:03").replace("0c8a7c3b6d21", "0c8a7c3b6d23"))
    alone_b, alone_a = api.lint([], [str(b)]), api.lint([], [str(a)])
    together = api.lint([], [str(a), str(b)])
    assert [d.code for d in alone_b.diagnostics if d.code == "VE101"] == ["VE101"]
    assert _findings(alone_a) | _findings(alone_b) == _findings(together)
    (ve101,) = [d for d in together.diagnostics if d.code == "VE101"]
    assert (ve101.owner.host, ve101.owner.guest, ve101.owner.part) == ("b", "web02", "disk xvda")


def test_hosts_linted_together_keep_every_finding_of_each_alone(tmp_path):
    out = tmp_path / "out"
    assert not api.build([str(EXAMPLES / "datacenter.virt")], str(out)).has_errors
    hosts = sorted(p for p in out.iterdir() if p.is_dir() and (p / "etc").is_dir())
    assert len(hosts) >= 3
    alone = set()
    for h in hosts:
        alone |= _findings(api.lint([], [str(h)]))
    together = api.lint([], [str(h) for h in hosts])
    assert alone <= _findings(together)
    names = {h.name for h in hosts}
    assert all(d.owner.host in names for d in together.diagnostics if d.owner is not None and d.owner.host)


ELILO = """boot=/dev/sda1
delay=20
default=linux
image=vmlinuz-2.6.18-308.el5xen
	vmm=xen.gz-2.6.18-308.el5
	label=linux
	initrd=initrd-2.6.18-308.el5xen.img
	read-only
	root=/dev/VolGroup00/LogVol00
	append="dom0_mem=1024M -- quiet"
"""


def test_a_guest_file_that_names_no_architecture_runs_the_hosts(tmp_path):
    """An xm config never says its architecture: on an Itanium host (elilo.conf) its
    guests are ia64, not the model's default x86_64."""
    root = tmp_path / "itan1"
    _write(root, "boot/efi/efi/redhat/elilo.conf", ELILO)
    _write(root, "etc/xen/web01", GUEST)
    result = api.lint([], [str(root)])
    assert result.model.hosts[0].arch == "ia64"
    assert [g.arch for g in result.model.guests] == ["ia64"]


def test_a_device_at_a_virtual_functions_address_on_an_sriov_host_is_a_vf(tmp_path):
    """modprobe's max_vfs spawns Virtual Functions from device 0x10 up (03:10.0 beside the
    Physical Function 03:00.0): a guest given one has a VF, and the SR-IOV rules see it."""
    root = tmp_path / "kvm1"
    _write(root, "etc/modprobe.conf", "alias eth0 igb\noptions igb max_vfs=7\n")
    domain = ("<domain type='kvm'><name>k1</name><memory>524288</memory><os><type>hvm</type></os><devices>"
              "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' "
              "slot='0x{slot}' function='0x1'/></source></hostdev></devices></domain>\n")
    _write(root, "etc/libvirt/qemu/k1.xml", domain.format(slot="10"))
    (g,) = api.lint([], [str(root)]).model.guests
    assert [p.vf for p in g.pci] == [True]
    _write(root, "etc/libvirt/qemu/k1.xml", domain.format(slot="00"))
    (g,) = api.lint([], [str(root)]).model.guests
    assert [p.vf for p in g.pci] == [False]


def test_a_binary_file_in_a_folder_given_is_noted_and_one_named_is_an_error(tmp_path):
    """An archive or an image beside the configs of a folder given is no configuration: a
    note, not an error (which failed the run); a binary file named on the command line is
    still one."""
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "web01").write_text(GUEST)
    (folder / "configs.tar.gz").write_bytes(b"\x1f\x8b\x08\0" + bytes(range(256)))
    result = api.lint([str(folder)])
    assert not result.has_errors and [g.name for g in result.model.guests] == ["web01"]
    assert any(d.code == "VF002" and "configs.tar.gz: a binary file" in d.message for d in result.diagnostics)
    named = api.lint([str(folder / "configs.tar.gz")])
    assert [d.code for d in named.diagnostics if d.severity >= Severity.ERROR] == ["VF001"]


def test_a_tree_nested_deeper_than_pythons_recursion_limit_is_walked(tmp_path):
    """os.walk of Python 3.11 calls itself once per level: a host tree nested deeper than
    the recursion limit (about 1,000 folders) raised RecursionError out of lint. The walk
    is a loop now: under a recursion limit 100 frames above this test's own depth, a tree
    300 deep is walked, its files found as os.walk finds them. (Not a tree of 1,000
    levels: shutil.rmtree, which cleans up pytest's old temporary folders, calls itself
    per level too.)"""
    import os

    from conftest import recursion_headroom
    from virtc import api, placement

    host = tmp_path / "deep"
    (host / "etc/xen").mkdir(parents=True)
    (host / "etc/xen/web01").write_text('name = "web01"\nmemory = 512\nbootloader = "/usr/bin/pygrub"\n')
    bottom = host / "etc"
    for _ in range(300):
        bottom = bottom / "n"
        os.mkdir(bottom)
    (bottom / "x.conf").write_text("x\n")
    expected = []
    for dirpath, dirnames, filenames in os.walk(host):
        dirnames.sort()
        expected += [os.path.join(dirpath, f) for f in sorted(filenames)]
    with recursion_headroom(100):
        files = placement._walk(str(host))
    assert files == expected and str(bottom / "x.conf") in files
    assert [g.name for g in api.lint([], roots=[str(host)]).model.guests] == ["web01"]


def test_a_copy_of_etc_given_alone_is_a_host_tree(tmp_path):
    """`virtc lint copy/etc` (the /etc folder itself, not a tree holding it): its files are
    read at their places, as in a tree, and never recognised by content. As loose files,
    Debian's initramfs.conf (DEVICE= among shell settings) was read as an interface file
    (a VF302 error), ld.so.conf's `include` line as modprobe.conf, the /etc/mtab link to
    /proc and a 98 MB link of /etc/alternatives were errors (VF001, VF011)."""
    root = etc_copy(tmp_path / "xen1")
    etc = root / "etc"
    _write(root, "etc/initramfs-tools/initramfs.conf", "MODULES=most\nBUSYBOX=auto\nDEVICE=\nNFSROOT=auto\n")
    _write(root, "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n")
    os.symlink("/proc/self/mounts", etc / "mtab")  # leads out of the copy
    os.symlink("../usr/lib/os-release", etc / "os-release")
    (etc / "alternatives").mkdir()
    big = tmp_path / "outside" / "node"
    big.parent.mkdir()
    with open(big, "wb") as fh:
        fh.truncate(5 * 1024 * 1024)
    os.symlink(big, etc / "alternatives/node")
    result = api.lint([str(etc)])
    loud = [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics if d.severity >= Severity.WARNING]
    assert loud == []
    # grub.conf is a link to ../boot, which the copy does not hold
    assert {os.path.relpath(p, etc) for p in result.sources} == {
        "xen/web01", "redhat-release", "rc.d/rc.local", "xen/scripts/network-bridge"}
    assert [h.name for h in result.model.hosts] == ["xen1"]  # named after the folder above etc
    (g,) = result.model.guests
    assert g.autostart  # /etc/xen/auto/web01 -> /etc/xen/web01: inside the copy
    # the same copy under another name is told by what every /etc holds
    _write(root, "etc/inittab", "id:3:initdefault:\n")
    _write(root, "etc/group", "root:x:0:root\n")
    renamed = tmp_path / "xen1-etc"
    os.rename(etc, renamed)
    result = api.lint([str(renamed)])
    assert [h.name for h in result.model.hosts] == ["xen1-etc"]
    assert {os.path.relpath(p, renamed) for p in result.sources} == {
        "xen/web01", "redhat-release", "rc.d/rc.local", "xen/scripts/network-bridge"}


def test_a_folder_of_configs_named_etc_is_still_loose(tmp_path):
    """A folder named etc that holds neither what every /etc holds nor one of the folders
    virtc reads from (a repository's etc/ of guest configs) keeps its files loose: the
    guest beside it is recognised by its content."""
    folder = tmp_path / "repo" / "etc"
    _write(folder, "web01", GUEST)
    result = api.lint([str(folder)])
    assert [g.name for g in result.model.guests] == ["web01"]
    assert [h.name for h in result.model.hosts] == ["repo"]  # etc says nothing of the host: the folder above


def test_this_machines_own_etc_is_named_after_the_machine(monkeypatch):
    """`virtc lint /etc` (or /etc/xen) on a host: no folder of the path names the host, so
    the machine's own name does, not "etc"."""
    from virtc import placement

    class Uname:
        nodename = "xen07.example.com"

    monkeypatch.setattr(placement.os, "uname", lambda: Uname)
    assert placement._host_name("/etc") == placement._host_name("/etc/xen") == "xen07"
    assert placement._host_name("/srv/copies/web01/etc") == "web01"
    assert placement._host_name("/srv/etc") == "srv"


def test_what_keeps_an_unclaimed_walked_file_from_being_read_is_a_note(tmp_path):
    """In a folder given, a file that neither its path nor its name claims (only its
    content could) and that cannot be read (a link to nowhere, too large, not UTF-8) is
    noted and skipped; a file its name claims (ifcfg-br0) is still an error."""
    folder = tmp_path / "configs"
    _write(folder, "web01", GUEST)
    os.symlink("/nonexistent/file", folder / "dangling")
    (folder / "latin1.conf").write_bytes("# caf\xe9\nx=1\n".encode("latin-1"))
    with open(folder / "huge.log", "wb") as fh:
        fh.truncate(5 * 1024 * 1024)
    result = api.lint([str(folder)])
    assert not result.has_errors, [str(d) for d in result.diagnostics if d.severity >= Severity.ERROR]
    notes = " | ".join(d.message for d in result.diagnostics if d.code == "VF002")
    for name in ("dangling", "latin1.conf", "huge.log"):
        assert name in notes
    os.symlink("/nonexistent/ifcfg", folder / "ifcfg-br0")
    errors = [d for d in api.lint([str(folder)]).diagnostics if d.severity >= Severity.ERROR]
    assert [(d.code, "ifcfg-br0" in d.message) for d in errors] == [("VF001", True)]


def test_content_alone_does_not_take_other_programs_shell_settings_for_configs():
    from virtc.targets import ifcfg, modprobe

    assert not ifcfg.recognise("MODULES=most\nBUSYBOX=auto\nDEVICE=\nNFSROOT=auto\n")
    assert ifcfg.recognise("DEVICE=br0\nTYPE=Bridge\nONBOOT=yes\n")
    assert not modprobe.recognise("include /etc/ld.so.conf.d/*.conf\n")
    assert modprobe.recognise("alias eth0 e1000\ninclude /etc/modprobe.d\n")
