"""virtc against libvirt's own xm <-> domain XML pairs.

libvirt's tests/xmconfigdata (v11.3.0; ../shared/corpus/libvirt-xmconfig) holds pairs of an
xm config (.cfg) and the domain XML libvirt converts it to or from. For every pair whose
guest the virtc language can express, tests/corpus_guests/PAIR.virt writes that guest in
virtc; this module compiles it, emits our domain XML and xm config, and checks that both
mean the same guest as libvirt's pair. "Mean the same" is decided on a semantic normal
form (a dict of plain values) built from each file; every place where the normal form
forgives a textual difference is a named constant in tests/xmconfig_forms.py, with the
reason. Pairs the
language cannot express are listed in INEXPRESSIBLE with the reason.

The corpus is read from ../shared/corpus next to the project and never copied; without it
these tests skip.
"""
from __future__ import annotations

import functools
from pathlib import Path

import pytest
from lxml import etree

from virtc.resolve import compile_sources
from virtc.targets import libvirt, xm
from xmconfig_forms import HOST_ARCH, differences, xm_normal_form, xml_normal_form

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
XMCONFIG = CORPUS / "libvirt-xmconfig"
HISTORIC = CORPUS / "libvirt-xmconfig-historic"
DOMAIN_RNG = CORPUS / "libvirt-rng" / "domain.rng"
GUESTS = Path(__file__).resolve().parent / "corpus_guests"

# The host every .virt in corpus_guests declares (HOST_ARCH): libvirt's test capabilities
# are an x86_64 Xen host too, which is where the pairs' arch='x86_64' comes from.

# ======================================================================= classification

# Pairs (by name) the language cannot express, and why. Each names the construct that is
# missing in virtc; the rest of such a guest would be expressible.
INEXPRESSIBLE = {
    "test-paravirt-net-fakemodel":
        "NIC model 'fakemodel' (vif model=fakemodel, <model type='fakemodel'/>): virtc accepts "
        "only real NIC models (netfront ioemu rtl8139 e1000 virtio ne2k_pci pcnet) and rejects "
        "others with VR012; the pair tests that libvirt passes an unknown model string through",
    "test-paravirt-net-modelstr":
        "only a .cfg (no .xml), and its NIC model is 'fakemodel', which virtc rejects (VR012)",
    "test-fullvirt-serial-udp":
        "UDP serial port with a local bind side (udp:127.0.0.1:9999@0.0.0.0:99998, two <source> "
        "elements): virtc's `serial udp HOST:PORT` has only the remote side, and the bind port "
        "99998 is above 65535, which virtc rejects",
    "test-fullvirt-nohap":
        "hap = 0 (<hap state='off'/>): virtc's `features` has no switch for hardware-assisted "
        "paging",
    "test-fullvirt-sound":
        "two sound cards (soundhw = \"sb16,es1370\", two <sound>): virtc's `sound` holds one "
        "model, and a second `sound` statement replaces the first",
}

# Expressible pairs: which sides are compared ("xml": our domain XML against the pair's
# .xml; "cfg": our xm config against the pair's .cfg). For MANIFEST `both` pairs both
# sides; ONE_SIDED says why a pair is compared on one side only.
ONE_SIDED = {
    "test-fullvirt-default-feature":
        ("xml", "libvirt runs this pair cfg->xml only: its .cfg has no pae, acpi or apic key, which "
                "libvirt reads as xl's default of 1 and RHEL 5's xend as 0 (guide Table 31.3, lines "
                "4806-4877); virtc writes the guest's features as xend needs them (pae = 1 ...)"),
    "test-fullvirt-usbtablet-no-bus":
        ("xml", "an .xml without a .cfg in libvirt's test data (not run by xmconfigtest.c)"),
    "test-fullvirt-old-cdrom":
        ("cfg", "historic pair whose .xml comes from another libvirt commit and disagrees with "
                "its own .cfg: the .cfg's NIC has model=e1000 and script=vif-bridge, the .xml's "
                "NIC has neither; the RHEL 5 syntax under test (cdrom=, ioemu:hda, type=ioemu, "
                "device_model) is in the .cfg"),
}

# Where a pair lives, for the summary: MANIFEST sets and the historic set.
HISTORIC_PAIRS = ("test-fullvirt-old-cdrom", "test-fullvirt-serial-dev-2-ports")


def manifest() -> list[tuple[str, str]]:
    """(name, direction) for every line of libvirt-xmconfig/MANIFEST.tsv."""
    rows = []
    for line in (XMCONFIG / "MANIFEST.tsv").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, direction = line.split("\t")[:2]
        rows.append((name, direction))
    return rows


def expressible_names() -> list[str]:
    return sorted(p.stem for p in GUESTS.glob("*.virt"))


def corpus_dir(name: str) -> Path:
    return HISTORIC if name in HISTORIC_PAIRS else XMCONFIG


def sides(name: str) -> tuple[str, ...]:
    if name in ONE_SIDED:
        return (ONE_SIDED[name][0],)
    return ("xml", "cfg")


@pytest.fixture(scope="module", autouse=True)
def corpus_present():
    if not (XMCONFIG / "MANIFEST.tsv").exists():
        pytest.skip(f"{XMCONFIG} is absent (../shared is not beside the project)")


# ======================================================================= compiling

@functools.lru_cache(maxsize=None)
def emitted(name: str, text: str | None = None) -> tuple[str, str]:
    """(our domain XML, our xm config) for corpus_guests/NAME.virt (or TEXT in its place)."""
    path = str(GUESTS / f"{name}.virt")
    result = compile_sources([path], {path: text} if text is not None else None)
    problems = [str(d) for d in result.diagnostics]
    assert result.model is not None and not problems, f"{name}.virt does not compile: {problems}"
    (guest,) = result.model.guests
    host = result.model.host(guest.host)
    assert host.arch == HOST_ARCH and host.hypervisor == "xen"
    return libvirt.domain_xml(guest, host), xm.config(guest, host)


# ======================================================================= comparing

def compare(name: str, side: str, text: str | None = None) -> list[str]:
    """The differences between our output and the pair's file on one side ([] = agree)."""
    our_xml, our_cfg = emitted(name, text)
    if side == "xml":
        theirs = (corpus_dir(name) / f"{name}.xml").read_text()
        ours_nf, theirs_nf = xml_normal_form(our_xml), xml_normal_form(theirs)
    else:
        theirs = (corpus_dir(name) / f"{name}.cfg").read_text()
        ours_nf, theirs_nf = xm_normal_form(our_cfg), xm_normal_form(theirs)
    return differences(ours_nf, theirs_nf)


@functools.lru_cache(maxsize=1)
def domain_rng():
    return etree.RelaxNG(etree.parse(str(DOMAIN_RNG)))


CASES = [(name, side) for name in expressible_names() for side in sides(name)]


# ======================================================================= tests

def test_every_pair_is_classified():
    """Each MANIFEST entry and historic pair is either written in virtc or in INEXPRESSIBLE."""
    written = set(expressible_names())
    names = {n for n, _ in manifest()} | set(HISTORIC_PAIRS)
    assert not written & INEXPRESSIBLE.keys(), "a pair is both written and inexpressible"
    missing = sorted(names - written - INEXPRESSIBLE.keys())
    assert not missing, f"corpus pairs neither written in tests/corpus_guests nor in INEXPRESSIBLE: {missing}"
    stray = sorted((written | INEXPRESSIBLE.keys()) - names)
    assert not stray, f"not in the corpus: {stray}"


@pytest.mark.parametrize("name,side", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_pair_agrees(name, side):
    reference = corpus_dir(name) / f"{name}.{side}"
    if not reference.exists():
        pytest.skip(f"{reference} is absent")
    diffs = compare(name, side)
    assert not diffs, f"{name}: our {side} differs from libvirt's after canonicalisation:\n" + "\n".join(diffs)


@pytest.mark.parametrize("name", expressible_names())
def test_our_xml_validates_against_libvirt_rng(name):
    if not DOMAIN_RNG.exists():
        pytest.skip(f"{DOMAIN_RNG} is absent")
    our_xml, _ = emitted(name)
    rng = domain_rng()
    doc = etree.fromstring(our_xml.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    assert rng.validate(doc), f"{name}: our XML fails domain.rng: {rng.error_log}"


def test_normal_forms_see_everything():
    """Both sides of every compared pair are fully read: no unknown element or attribute."""
    for name, side in CASES:
        if side != "xml" or not (corpus_dir(name) / f"{name}.xml").exists():
            continue
        for label, text in (("virtc", emitted(name)[0]),
                            ("libvirt", (corpus_dir(name) / f"{name}.xml").read_text())):
            assert xml_normal_form(text)["unhandled"] == [], (name, label)


# One-line edits of a .virt that change the guest. Each must make both compared sides
# disagree: a check that the normal forms still see the fields they forgive around.
MUTATIONS = [
    ("test-fullvirt-new-cdrom", "boot cdrom", "boot hd"),
    ("test-fullvirt-new-cdrom", "memory 394M", "memory 395M"),
    ("test-fullvirt-new-cdrom", 'cdrom hdc file "/root/boot.iso"', 'cdrom hdd file "/root/boot.iso"'),
    ("test-fullvirt-utc", "clock utc", "clock localtime"),
    ("test-fullvirt-force-hpet", "hpet on", "hpet off"),
    ("test-fullvirt-new-cdrom", "features acpi apic pae", "features acpi pae"),
    ("test-fullvirt-usbtablet", "usb tablet", "usb mouse"),
    ("test-fullvirt-serial-tcp", "127.0.0.1:7777", "127.0.0.1:7778"),
    ("test-fullvirt-serial-file", "serial file", "serial pipe"),
    ("test-paravirt-net-e1000", "model e1000", "model rtl8139"),
    ("test-paravirt-new-pvfb", 'password "123poi"', 'password "123po"'),
    ("test-paravirt-new-pvfb", "mac 00:16:3e:66:94:9c", "mac 00:16:3e:66:94:9d"),
    ("test-disk-drv-blktap-raw", "xvda tap:aio", "xvda tap:qcow"),
    ("test-disk-drv-blktap-raw", "vcpus 2", "vcpus 2 max 4"),
    ("test-no-source-cdrom", "serial pty", "serial null"),
    ("test-no-source-cdrom", "on crash destroy", "on crash preserve"),
    ("test-pci-devs", "pci 0000:01:13.0", "pci 0000:01:13.1"),
    ("sexpr2xml-pv-bootloader", 'args "mac=AA:00:86:e2:35:72"', 'args "mac=AA:00:86:e2:35:73"'),
]


@pytest.mark.parametrize("name,old,new", MUTATIONS, ids=[f"{n}:{o}" for n, o, _ in MUTATIONS])
def test_a_changed_guest_disagrees(name, old, new):
    text = (GUESTS / f"{name}.virt").read_text()
    assert text.count(old) == 1, f"{old!r} is not once in {name}.virt"
    for side in sides(name):
        assert compare(name, side, text.replace(old, new)), f"{name} {side}: {old!r} -> {new!r} still agrees"


def test_summary(capsys):
    """Count and report: pairs expressible and pairs that agree (the acceptance figure)."""
    rows = manifest()
    run = [n for n, d in rows if d in ("both", "cfg->xml")]
    unreferenced = [n for n, d in rows if d == "unreferenced"]
    written = set(expressible_names())

    def tally(names):
        exp = [n for n in names if n in written]
        agree = [n for n in exp if all(not compare(n, s) for s in sides(n))]
        return exp, agree

    lines = []
    failed = []
    sets = [("xmconfig", run), ("xmconfig unreferenced", unreferenced)]
    if HISTORIC.exists():
        sets.append(("xmconfig-historic", list(HISTORIC_PAIRS)))
    for label, names in sets:
        exp, agree = tally(names)
        failed += sorted(set(exp) - set(agree))
        lines.append(f"{label}: {len(exp)}/{len(names)} pairs expressible, "
                     f"{len(agree)}/{len(exp)} agree")
    for name in sorted(ONE_SIDED):
        side, why = ONE_SIDED[name]
        lines.append(f"  {name}: {side} only ({why})")
    lines.append("inexpressible:")
    for name in sorted(INEXPRESSIBLE):
        lines.append(f"  {name}: {INEXPRESSIBLE[name]}")
    report = "\n".join(lines)
    with capsys.disabled():  # shown with or without -s
        print("\n" + report)
    assert not failed, f"pairs written in virtc that do not agree: {failed}\n{report}"
