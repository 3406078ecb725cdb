"""`virtc convert` against libvirt's own xm <-> domain XML pairs.

libvirt's tests/xmconfigdata (v11.3.0; ../shared/corpus/libvirt-xmconfig) holds pairs of an
xm config (.cfg) and the domain XML libvirt converts it to or from; MANIFEST.tsv says in
which direction(s) libvirt's own test runs each pair: `both` (cfg->xml and xml->cfg),
`cfg->xml`, or `unreferenced` (a file its test no longer runs; tried both ways here where
both files exist, and counted apart). The historic set (libvirt-xmconfig-historic, no
MANIFEST) is run cfg->xml; its .cfg and .xml may come from different libvirt commits.

Each conversion goes through virtc's readers and emitters (compiler/convert.py) on the
default host (x86_64 Xen) and is compared with libvirt's expected file on the semantic
normal forms of tests/xmconfig_forms.py. A conversion that cannot agree is listed in
DISAGREE with the reason; the test fails when any other disagrees, and when a listed one
starts to agree (so the list stays true). The corpus is read in place and never copied.
"""
from __future__ import annotations

import functools
from pathlib import Path

import pytest

from virtc import convert
from xmconfig_forms import differences, xm_normal_form, xml_normal_form

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
XMCONFIG = CORPUS / "libvirt-xmconfig"
HISTORIC = CORPUS / "libvirt-xmconfig-historic"

CFG_XML, XML_CFG = "cfg->xml", "xml->cfg"

# (pair, direction) -> why virtc's conversion cannot agree with libvirt's file.
EMPTY_CDROM = ("the empty CD-ROM drive \",hdc:cdrom,r\" names no driver; virtc reads it as an "
               "empty `cdrom hdc` of the language, which is a file drive (type='file', driver "
               "file), and libvirt makes it a block drive (type='block', driver phy). Neither "
               "has a medium to open")
DISAGREE = {
    ("test-fullvirt-serial-udp", CFG_XML):
        "the UDP serial port's local bind side (@0.0.0.0:99998) has no place in the model "
        "(VF003), and its port is above 65535",
    ("test-fullvirt-serial-udp", XML_CFG):
        "the same bind side (the second <source mode='bind'>) is not written back",
    ("test-fullvirt-nohap", CFG_XML):
        "hap = 0 / <hap state='off'/>: the model has no switch for hardware-assisted paging (VF003)",
    ("test-fullvirt-nohap", XML_CFG):
        "<hap state='off'/> is not modelled (VF003), so the cfg has no hap = 0",
    ("test-fullvirt-sound", CFG_XML):
        "soundhw = \"sb16,es1370\": the model holds one sound card; the second is reported (VF003)",
    ("test-fullvirt-sound", XML_CFG):
        "two <sound> elements: the model holds one sound card; the second is reported (VF003)",
    ("test-fullvirt-default-feature", CFG_XML):
        "the cfg has no pae, acpi or apic key: RHEL 5's xend defaults all three to 0 "
        "(guide Table 31.3, lines 4806-4877), so virtc writes no <features>, while libvirt "
        "takes xl's default of 1",
    ("test-no-source-cdrom", CFG_XML): EMPTY_CDROM,
    ("test-pci-devs", CFG_XML): EMPTY_CDROM,
    ("test-fullvirt-old-cdrom", CFG_XML):
        "historic pair from two libvirt commits: the .cfg's vif has model=e1000 and "
        "script=vif-bridge, which virtc writes; the .xml's <interface> has neither",
    ("test-fullvirt-serial-dev-2-ports", CFG_XML):
        "historic .xml made on an i686 test host (<type arch='i686'>, 32-bit qemu-dm); the "
        "cfg names no architecture, so on the default x86_64 host the guest is x86_64",
}


@functools.lru_cache(maxsize=1)
def manifest() -> tuple[tuple[str, str], ...]:
    rows = []
    for line in (XMCONFIG / "MANIFEST.tsv").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, direction = line.split("\t")[:2]
            rows.append((name, direction))
    return tuple(rows)


def cases() -> list[tuple[str, str, str]]:
    """(set, pair, direction) for every conversion MANIFEST.tsv (or the historic set) asks for."""
    if not (XMCONFIG / "MANIFEST.tsv").exists():
        return []
    out = []
    for name, direction in manifest():
        if direction == "both":
            out += [("xmconfig", name, CFG_XML), ("xmconfig", name, XML_CFG)]
        elif direction == CFG_XML:
            out.append(("xmconfig", name, CFG_XML))
        elif direction == "unreferenced":
            out += [("unreferenced", name, CFG_XML), ("unreferenced", name, XML_CFG)]
    if HISTORIC.exists():
        out += [("historic", p.stem, CFG_XML) for p in sorted(HISTORIC.glob("*.cfg"))]
    return out


def folder(set_name: str) -> Path:
    return HISTORIC if set_name == "historic" else XMCONFIG


@functools.lru_cache(maxsize=None)
def outcome(set_name: str, name: str, direction: str) -> tuple[str, list[str]]:
    """("agree" | "differ" | "no-input" | "no-expected" | "no-output", details)."""
    src_ext, dst_ext = ("cfg", "xml") if direction == CFG_XML else ("xml", "cfg")
    src, dst = folder(set_name) / f"{name}.{src_ext}", folder(set_name) / f"{name}.{dst_ext}"
    if not src.exists():
        return "no-input", []
    run = convert.xm_to_xml if direction == CFG_XML else convert.xml_to_xm
    out, diags = run(src.read_text(), str(src))
    if out is None:
        return "no-output", [f"{d.code} {d.message}" for d in diags]
    if not dst.exists():
        return "no-expected", []
    form = xml_normal_form if dst_ext == "xml" else xm_normal_form
    diffs = differences(form(out), form(dst.read_text()))
    return ("differ" if diffs else "agree"), diffs


@pytest.fixture(scope="module", autouse=True)
def corpus_present():
    if not (XMCONFIG / "MANIFEST.tsv").exists():
        pytest.skip(f"{XMCONFIG} is absent (../shared is not beside the project)")


CASES = cases()


@pytest.mark.parametrize("set_name,name,direction", CASES, ids=[f"{s}:{n}:{d}" for s, n, d in CASES])
def test_conversion_agrees_or_is_listed(set_name, name, direction):
    state, details = outcome(set_name, name, direction)
    if state in ("no-input", "no-expected"):
        assert set_name == "unreferenced", f"{name}: MANIFEST names a direction whose file is missing"
        return  # unreferenced pairs with one file: converted (when there is input), nothing to compare
    assert state != "no-output", f"{name} {direction}: nothing converted: {details}"
    listed = (name, direction) in DISAGREE
    if state == "agree":
        assert not listed, f"{name} {direction} agrees now: remove it from DISAGREE"
    else:
        assert listed, f"{name} {direction} differs from libvirt's file:\n" + "\n".join(details)


def test_disagree_lists_only_run_conversions():
    run = {(n, d) for _, n, d in CASES}
    assert set(DISAGREE) <= run, sorted(set(DISAGREE) - run)


def test_summary(capsys):
    """Print the agreement per set and direction (the figure the issue asks for)."""
    lines = []
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for set_name, name, direction in CASES:
        state, _ = outcome(set_name, name, direction)
        groups.setdefault((set_name, direction), []).append((name, state))
    for (set_name, direction), rows in groups.items():
        compared = [(n, s) for n, s in rows if s in ("agree", "differ", "no-output")]
        agreed = sum(s == "agree" for _, s in compared)
        only = [n for n, s in rows if s == "no-expected"]
        missing = [n for n, s in rows if s == "no-input"]
        lines.append(f"{set_name} {direction}: agreed {agreed} of {len(compared)}"
                     + (f"; converted, no expected file: {', '.join(only)}" if only else "")
                     + (f"; no input file: {', '.join(missing)}" if missing else ""))
    lines.append("disagreements:")
    for (name, direction), why in sorted(DISAGREE.items()):
        lines.append(f"  {name} {direction}: {why}")
    with capsys.disabled():  # shown with or without -s
        print("\n" + "\n".join(lines))
