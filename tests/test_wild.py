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
# libvirt's schemas from the corpus (libvirt 11.3), so that VF711 does not depend on the
# libvirt installed on the machine running the tests.
SCHEMAS = CORPUS / "libvirt-rng"
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


def _false(file: str, code: str, lines: list[int], modes: tuple[str, ...], reason: str):
    return [((file, mode, code, line), reason) for line in lines for mode in modes]


BOTH = ("alone", "tree")
UDEV50 = "udev/systemd__systemd__etc_udev_redhat_50-udev.rules"
UDEVEX = "udev/systemd__systemd__etc_udev_udev.rules.examples"
ACMLUG = ("xm/ACMLug__xen__dev.cfg", "xm/ACMLug__xen__docker1.cfg", "xm/ACMLug__xen__nagios.cfg",
          "xm/ACMLug__xen__scheedule.cfg")
HVM31 = "xm/xen-project__xen__tools_examples_xmexample.hvm@3.1.0"
VTI = "xm/xen-project__xen__tools_examples_xmexample.vti@3.1.0"
VMX = "xm/xen-project__xen__tools_examples_xmexample.vmx@3.0.0"
MINIOS = "xm/xen-project__xen__extras_mini-os_domain_config@3.1.0"
T10_WWID = ("1DEC_____321816758474 is a T10 vendor-ID WWID (scsi_id page 0x83 type 1: '1' + vendor + "
            "serial), multipath-tools' own example for the DEC HSG80; a WWID's length depends on the "
            "identifier type (NAA-5 and EUI-64: 17), only truncated NAA-6 ones are short")
SUBSTITUTED_NAME = ("NAME uses a udev substitution (%k the kernel name, %c the PROGRAM output): each rule "
                    "names a different device")

# The false alarms virtc gives on the corpus today, by the class of bug behind them (the
# report of the review has the evidence). Strict: each must still be produced.
KNOWN_FALSE: list[tuple[tuple[str, str, str, int], str]] = [
    # --- the linter's grammar is stricter than the consuming tool's parser
    *_false(UDEV50, "VF401", [7, 329], BOTH,
            "udev's get_key() skips whitespace and commas alike between keys: this line of RHEL 5's "
            "stock 50-udev.rules works as written"),
    *_false(UDEV50, "VF402", [240, 241, 243, 244, 247], BOTH,
            "udev 095 takes any operator on PROGRAM (no operation check) and PROGRAM== runs and "
            "matches like PROGRAM=; RHEL 5's stock rules write it so"),
    *_false(UDEV50, "VF402", [274, 284, 290], BOTH,
            "udev 095 takes any operator on IMPORT{parent}; IMPORT{parent}== imports like ="),
    *[entry for file in ACMLUG for entry in _false(
        file, "VF105", [13, 14], BOTH,
        "a quoted number is read by every consumer: xm (set_int: int()), xend (int()) and RHEL 5's "
        "libvirt xm reader (xenXMConfigGetULong strtol()s strings); the guide quotes values (XEN-14)")],
    # --- udev substitutions compared as literal device names
    *_false(UDEV50, "VF402", [15, 16, 17, 22, 23, 24, 25, 28, 29, 30, 33, 34, 35, 36, 37, 38, 39, 40, 41,
                              42, 43, 49, 50, 51, 52, 53, 164, 165, 166, 167, 168, 172, 173, 174, 175, 178,
                              220, 221, 222, 223, 312], BOTH, SUBSTITUTED_NAME),
    *_false(UDEVEX, "VF402", [49, 56, 57, 58, 59, 60, 64, 65, 66, 67], BOTH, SUBSTITUTED_NAME),
    *_false("udev/xen-project__xen__tools_examples_xen-backend.rules@3.1.0", "VF402", [8], BOTH,
            SUBSTITUTED_NAME),
    # --- a length rule generalised from the guide's examples (all NAA-6) to every WWID
    *_false("multipath/hercules-team__augeas__tests_root_etc_multipath.conf", "VF412", [75], BOTH, T10_WWID),
    *_false("multipath/hercules-team__augeas__tests_root_etc_multipath.conf", "VU103", [76], BOTH,
            "the VF412 WWID again (duplicate, lower-cased, on the alias line): " + T10_WWID),
    *_false("multipath/megacoder__dmmp__multipath.conf", "VF412", [72], BOTH, T10_WWID),
    *_false("multipath/megacoder__dmmp__multipath.conf", "VU103", [73], BOTH,
            "the VF412 WWID again (duplicate, lower-cased, on the alias line): " + T10_WWID),
    *_false("multipath/mwilck__multipath-history__multipath.conf.synthetic@2005-05-03", "VF412", [27],
            ("tree",), T10_WWID),
    *_false("multipath/mwilck__multipath-history__multipath.conf.synthetic@2005-05-03", "VU103", [28],
            ("tree",), "the VF412 WWID again (duplicate, lower-cased, on the alias line): " + T10_WWID),
    # --- keyword tables of one version: aliases the RHEL 5 tool still accepts
    *_false("multipath/mwilck__multipath-history__multipath.conf.synthetic@2005-05-03", "VF411", [12],
            ("tree",), "devnode_blacklist is the old name of blacklist; RHEL 5's multipath 0.4.7 still "
                       "installs it (__deprecated install_keyword_root), so the section works"),
    *_false("xm/xen-project__xen__tools_examples_xmexample.nbd@3.1.0", "VF106", [22], BOTH,
            "nbd: is a driver prefix: RHEL 5's /etc/xen/scripts/block runs block-TYPE for any TYPE "
            "but phy and file, and Xen 3.1 ships block-nbd (the message says there is no prefix)"),
    # --- a rule applied outside the configuration it belongs to
    *_false("udev/systemd__systemd__extras_scsi_id_scsi_id.config", "VF403", [28, 28], BOTH,
            "RHEL 5's stock /etc/scsi_id.config: MPIO-03 is a step of the udev single-path LUN naming "
            "procedure (MPIO-02..07) and this host names no LUN; its callers pass -g themselves "
            "(two findings, one fact)"),
    # --- x86 / Linux assumptions on other PV kernels and architectures RHEL 5 runs
    *_false(MINIOS, "VG102", [11], BOTH,
            "Mini-OS is a Xen PV kernel (Xen 3.1's own example, RHEL 5's hypervisor): no kernel-xen, "
            "and it boots without Error 22"),
    *_false(MINIOS, "VM102", [14], BOTH,
            "Mini-OS runs in 32 MiB; MEM-04 speaks of general-purpose guest operating systems"),
    *_false(VTI, "VF111", [15], BOTH,
            "an IA-64 (VT-i) HVM guest boots /usr/lib/xen/boot/guest_firmware.bin from "
            "xen-ia64-guest-firmware (guide lines 445-447, 598-601); hvmloader is x86 only"),
    # --- values virtc makes up (or could not evaluate) checked as if the file stated them
    *[entry for file in ("xm/xen-project__xen__tools_examples_xmexample.hvm-dm@3.4.0",
                         "xm/xen-project__xen__tools_examples_xmexample2@3.1.0",
                         "xm/xen-project__xen__tools_examples_xmexample3@3.1.0")
      for entry in _false(file, "VH111", [1], ("alone",),
                          "the file has no literal name; virtc checks the file name it substitutes "
                          "(with the corpus' '@'), which xm never uses as the domain name")],
    *_false(HVM31, "VF111", [21], BOTH,
            "device_model is set (line 116) to an expression virtc did not evaluate (VF102 there): "
            "not evaluated is not unset"),
    *_false(VTI, "VF111", [18], BOTH,
            "device_model is set (line 65) to an expression virtc did not evaluate (VF102 there): "
            "not evaluated is not unset"),
    *_false(VTI, "VF103", [11], BOTH,
            "arch_libdir is the file's helper variable, used on line 65 to build device_model, not a "
            "misspelt xm key"),
    *_false("xm/xen-project__xen__tools_examples_xmexample.hvm-stubdom@3.4.0", "VF110", [174], BOTH,
            "vncpasswd='' is the template's empty default (no password) and changes nothing whatever "
            "vnc is; XEN-22 names vncunused, vncviewer and vncconsole"),
    *_false(VTI, "VF110", [100], BOTH,
            "vncpasswd='' is the template's empty default (no password) and changes nothing whatever "
            "vnc is; XEN-22 names vncunused, vncviewer and vncconsole"),
    # --- cascades: after refusing builder='vmx' (VF109), rules run on a PV guest it is not
    *_false(VMX, "VG102", [18], BOTH,
            "builder='vmx' is an HVM guest (VF109 already says RHEL 5 refuses it): vmxloader is its "
            "firmware, not a PV kernel"),
    *_false(VMX, "VN123", [44], BOTH,
            "builder='vmx' is an HVM guest (VF109): type=ioemu is right for an emulated NIC"),
    *_false(VMX, "VS112", [54], BOTH,
            "builder='vmx' is an HVM guest (VF109): hda is emulated, where the guide wants phy: or "
            "file: (STO-26)"),
    # --- a generator's convention enforced as a rule on chosen values
    *_false("xm/ACMLug__xen__docker1.cfg", "VN102", [40], BOTH,
            "00:16:3e:fd:5e:02 is a valid unicast MAC of the Xen OUI, the NET-02 check; 0x00-0x7f is "
            "only the range the guide's macgen.py draws from (virtc's own doc: no reason given)"),
]

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
    alone = api.lint([str(src)], schemas=str(SCHEMAS))          # must not raise
    for (code, line), n in _findings(alone, src).items():
        produced[("alone", code, line)] += n
    rel, _ = rhel_path(row)
    tree = tmp_path / "host"
    placed = tree / rel
    placed.parent.mkdir(parents=True)
    shutil.copyfile(src, placed)
    hosted = api.lint([], [str(tree)], schemas=str(SCHEMAS))   # must not raise
    for (code, line), n in _findings(hosted, placed).items():
        produced[("tree", code, line)] += n
    return produced


@pytest.mark.parametrize("row", ROWS or [None], ids=[r["path"] for r in ROWS] or ["absent"])
def test_wild_file(row, tmp_path):
    need_shared(WILD)
    need_shared(SCHEMAS / "domain.rng")
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
