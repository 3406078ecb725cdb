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

# The classes of bug behind the known false alarms and misses (guide lines, limits.md IDs).
BUGS = {
    "hosts-tabs": "/etc/hosts is split on the first space, or on a tab only when the line has no space: "
                  "RHEL 5's stock `127.0.0.1<TAB><TAB>localhost.localdomain localhost` reads as an address "
                  "'127.0.0.1\\t\\tlocalhost.localdomain' (HOST-12; hosts(5) fields are separated by any blanks, the "
                  "guide aligns its line 6137 with runs of spaces)",
    "start-udev": "VF413 asks for /sbin/start_udev whenever any udev rules file has a NAME= key (stock "
                  "xen-backend.rules, 40-multipath.rules), not only for 20-names.rules LUN names, and across "
                  "every host of the run (MPIO-06 belongs to the single-path procedure, lines 1424-1449)",
    "udev-program": "PROGRAM==\"...\" and PROGRAM!=\"...\" are udev 095's match forms (the key is true when the "
                    "program exits 0), used by RHEL 5's own 40-multipath.rules; VF402 calls them an assignment "
                    "(MPIO-05 is about the guide's 20-names.rules template, lines 1441-1447)",
    "constant-tsc-caps": "`virsh capabilities` lists libvirt's CPU-model features, never Linux's synthetic "
                         "constant_tsc flag, so every RHEL 5.6+ KVM host whose capabilities list features is taken "
                         "to lack a constant TSC (VK101 on capabilities, VF862 on an unpinned cpuspeed); TIME-01..04 "
                         "(lines 2883-2897) name /proc/cpuinfo as the source",
    "caps-no-features": "RHEL 5.4/5.5 `virsh capabilities` (libvirt 0.6.3) prints only <arch> in <host><cpu>, "
                        "as the guide's own example does (lines 5247-5252); the missing feature list is read as "
                        "'neither vmx nor svm' (VH104), though <domain type='kvm'> is offered (HOST-04)",
    "guessed-arch": "an xm config states no architecture, and virtc assumes x86_64: every PV guest of an ia64 "
                    "host is reported as not matching its hypervisor (GOS-05, lines 5977, 6119-6120); facts no "
                    "file states are guessed",
    "modern-schema": "RHEL 5-era XML is validated against today's libvirt RelaxNG schemas: libvirt 0.6-0.8 "
                     "wrote <bridge ... forwardDelay='0'/> in saved networks, as the guide's own net-dumpxml "
                     "shows (line 4278), and the current network.rng rejects it (VF711)",
    "unused-network": "VN107 requires ip_forward = 1 for a NAT network that is neither autostarted nor used by a "
                      "guest; forwarding is needed once the network runs (lines 1510-1515, 3018)",
    "grub-default-kind": "the grub reader keeps the default entry's kernel version without its kind, so a Xen "
                         "host whose default= points at a plain vmlinuz entry (a bare-metal kernel) passes "
                         "(BOOT-01, lines 5093, 5834-5835, 6098-6101)",
    "grub-span": "a hypervisor option on the module /vmlinuz line is reported at the entry's kernel /xen.gz line "
                 "(BOOT-03, lines 5093, 5451)",
    "elilo-span": "ELILO findings about append= are reported at the stanza's image= line (BOOT-15, BOOT-03)",
    "sockets-per-cell": "RHEL 5's libvirt prints the total socket count in <topology sockets=...>; virtc "
                        "multiplies it by the NUMA cells (the meaning libvirt gave it in 2012), doubling the "
                        "cores of every two-node host: a KVM guest above the real cores passes (CPU-04 line 5084, "
                        "CPU-03 line 486)",
    "edition": "/etc/redhat-release's edition (Server, Client) is not read: a Client host passes HOST-01 (line 401)",
    "libvirtd-conf": "/etc/libvirt/libvirtd.conf and /etc/sysconfig/libvirtd are not read: unencrypted TCP "
                     "management passes (MGMT-06, lines 3626-3627)",
    "no-code": "no virtc code covers this checklist item (COVERAGE.md: no field)",
    "no-migration-groups": "lint never forms migration groups (the xend reader sets peers=() and nothing pairs "
                           "hosts by xend-relocation-hosts-allow, /etc/hosts or shared storage), so no rule that "
                           "compares the hosts of a group runs on real trees (MIG-05, MIG-08, MIG-15, MIG-18; "
                           "lines 3092-3115, 3144, 3429-3431)",
    "iommu-evidence": "in lint the boot argument is the only evidence of the IOMMU, so a missing intel_iommu=on "
                      "or iommu=on is reported as the BIOS requirement on a guest (VD102) instead of the missing "
                      "boot argument on the grub line (VD103; PCI-07, PCI-09, SRIOV-01, lines 2507-2539)",
    "pae-inferred": "the xm reader infers a 32-bit non-PAE guest from an HVM config without pae=1 (\"cannot be "
                    "64-bit\"), the very defect GOS-08 describes: a 64-bit guest moved to RHEL 5 without pae=1 "
                    "fails with 'Your CPU does not support long mode' (lines 5978, 6124-6126), and VG106 can never "
                    "fire on an xm config",
    "trigger-span": "a finding about a line that is missing is anchored on the fact that triggered the rule "
                    "(capabilities <cpu>, ifcfg-xenbr0, an unrelated active line of scsi_id.config) instead of where "
                    "the line belongs (TIME-03 the grub kernel line, NET-10 xend's network-script line, MPIO-03 "
                    "the commented options=-g)",
}

# Errors and warnings virtc reports on the clean trees: (tree, file, line, code) -> bug.
CLEAN_FALSE_ALARMS = {
    **{(t, "etc/hosts", line, "VF421"): "hosts-tabs"
       for t in ("ia64", "kvm-amd-revf", "kvm-luns", "kvm-nat-pools", "kvm-sriov", "xen-hvm-passthrough",
                 "xen-hvm-windows", "xen-many-pv", "xen-pv") for line in (3, 4, 5)},
    **{("migration", f"{h}/etc/hosts", line, "VF421"): "hosts-tabs"
       for h in ("xen-a", "xen-b") for line in (3, 4, 5, 6, 7, 8)},
    **{(t, "etc/rc.d/rc.local", 7, "VF413"): "start-udev"
       for t in ("ia64", "kvm-luns", "xen-hvm-passthrough", "xen-many-pv", "xen-pv")},
    ("migration", "xen-a/etc/rc.d/rc.local", 7, "VF413"): "start-udev",
    ("migration", "xen-b/etc/rc.d/rc.local", 7, "VF413"): "start-udev",
    **{("kvm-luns", "etc/udev/rules.d/40-multipath.rules", line, "VF402"): "udev-program" for line in (4, 6, 8)},
    ("kvm-luns", "capabilities.xml", 4, "VK101"): "constant-tsc-caps",
    ("kvm-sriov", "capabilities.xml", 4, "VK101"): "constant-tsc-caps",
    ("kvm-luns", "etc/sysconfig/cpuspeed", 24, "VF862"): "constant-tsc-caps",
    ("kvm-sriov", "etc/sysconfig/cpuspeed", 24, "VF862"): "constant-tsc-caps",
    ("kvm-nat-pools", "capabilities.xml", 4, "VH104"): "caps-no-features",
    **{("ia64", f"etc/xen/{g}", 1, "VG104"): "guessed-arch" for g in ("itan01", "itan02", "itan03")},
    ("kvm-nat-pools", "etc/libvirt/qemu/networks/lab.xml", 5, "VF711"): "modern-schema",
    ("xen-pv", "etc/sysctl.conf", 7, "VN107"): "unused-network",
}

# Expected findings of the seeded trees that virtc does not report: (tree, file, line, code) -> bug.
SEEDED_MISSES = {
    ("BOOT-02-default-entry-not-xen", "boot/grub/grub.conf", 10, "VB102"): "grub-default-kind",
    ("BOOT-03-dom0-mem-on-module-line", "boot/grub/grub.conf", 17, "VB101"): "grub-span",
    ("BOOT-04-elilo-append-without-separator", "boot/efi/efi/redhat/elilo.conf", 12, "VB103"): "elilo-span",
    ("CPU-01-kvm-guest-more-vcpus-than-cores", "etc/libvirt/qemu/app01.xml", 6, "VC103"): "sockets-per-cell",
    ("CPU-01-kvm-guest-more-vcpus-than-cores", "etc/libvirt/qemu/app01.xml", 6, "VC102"): "sockets-per-cell",
    ("HOST-03-client-edition", "etc/redhat-release", 1, "VH101"): "edition",
    ("MGMT-01-libvirtd-plain-tcp", "etc/libvirt/libvirtd.conf", 30, "VA104"): "libvirtd-conf",
    ("MGMT-02-tls-without-certificates", "etc/sysconfig/libvirtd", 6, "MGMT-12"): "no-code",
    ("XEN-05-vnc-tls-without-certificates", "etc/xen/xend-config.sxp", 79, "XEN-12"): "no-code",
    ("MIG-01-peer-not-allowed", "xen-b/etc/xen/xend-config.sxp", 47, "VL117"): "no-migration-groups",
    ("MIG-02-relocation-server-off", "xen-b/etc/xen/xend-config.sxp", 21, "VL114"): "no-migration-groups",
    **{("MIG-03-bridge-renamed-on-peer", f"{h}/etc/xen/{g}", 12, "VL108"): "no-migration-groups"
       for h, g in (("xen-a", "app01"), ("xen-a", "app02"), ("xen-a", "ora01"), ("xen-b", "app03"),
                    ("xen-b", "ora02"))},
    ("MIG-04-release-differs", "xen-b/etc/redhat-release", 1, "VL101"): "no-migration-groups",
    ("PCI-01-iommu-forgotten", "boot/grub/grub.conf", 16, "VD103"): "iommu-evidence",
    ("SRIOV-03-intel-iommu-missing", "boot/grub/grub.conf", 16, "VD103"): "iommu-evidence",
    ("TIME-02-max-cstate-missing", "boot/grub/grub.conf", 16, "VK101"): "trigger-span",
    ("MPIO-02-scsi-id-options-b", "etc/scsi_id.config", 13, "VF403"): "trigger-span",
    ("NET-06-network-script-with-ifcfg-bridges", "etc/xen/xend-config.sxp", 53, "VN108"): "trigger-span",
    ("GOS-03-hvm-without-pae", "etc/xen/nfv01", 1, "VG106"): "pae-inferred",
}


@functools.lru_cache(maxsize=None)
def _reported(kind: str, name: str) -> frozenset:
    return frozenset(recall.evaluate(kind, name).reported)


def _schemas_present() -> bool:
    from virtc.targets.libvirt import schema
    return os.path.exists(schema.schema_path("domain.rng"))


def _xfail(params, known: dict) -> list:
    out = []
    for p in params:
        bug = known.get(p)
        if bug is None:
            out.append(pytest.param(*p, id=":".join(map(str, p))))
            continue
        marks = [pytest.mark.xfail(strict=True, reason=f"virtc bug [{bug}]: {BUGS[bug]}")]
        if p[-1] == "VF711" and not _schemas_present():
            marks = [pytest.mark.skip(reason="libvirt's RelaxNG schemas are not installed")]
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
    assert set(CLEAN_FALSE_ALARMS.values()) | set(SEEDED_MISSES.values()) <= set(BUGS)
