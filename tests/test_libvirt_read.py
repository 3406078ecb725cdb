"""Existing libvirt XML read back into the model: targets/libvirt.py read(), the safe parser
(targets/libvirt/xmlsafe.py) and the format rules VF701-VF710 (targets/libvirt/rules.py).

- every guest of every example survives emit -> read -> emit with byte-identical domain
  XML and xm config;
- each format rule fires at file:line:col on its XML cases of the rule harness
  (tests/cases/CODE/fail*.xml list what they expect as `#> CODE severity line:col` in an
  XML comment), read here by the reader and the XML rules alone, each finding with a hint,
  and the pass*.xml beside them have no finding above info;
- XXE and billion-laughs documents are refused, never expanded;
- arbitrary text never makes the reader raise;
- every XML of ../shared/corpus is read, and each of its elements is either modelled or
  named by a VF003 (or a VF704/VF705 finding);
- 1,000 domain XMLs are read and checked in well under a second each.
"""
from __future__ import annotations

import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from virtc.targets.libvirt import xmlsafe
from virtc.diagnostics import Severity
from virtc.model import Model
from virtc.resolve import compile_sources
from virtc.rules.base import Context, Scope
from virtc.ruleset import all_rules
from virtc.source import SourceFile
from virtc.targets import libvirt, xm

import expect
from conftest import CORPUS, EXAMPLES, FIXTURES, ROOT, examples

RULE_CASES = ROOT / "tests" / "cases"
CORPUS_DIRS = ("libvirt-domainxml/valid", "libvirt-domainxml/schema-invalid", "libvirt-domainxml/xen-libxl",
               "libvirt-xmconfig", "libvirt-xmconfig-historic", "libvirt-xlconfig", "virt-manager-xen")
XML_RULES = [r for r in all_rules() if r.scope is Scope.DOCUMENT and "libvirt-xml" in r.formats]


def diagnose(text: str, path: str = "test.xml"):
    """The reader's diagnostics plus the XML document rules' ones, and the Found. A file
    a later libvirt wrote (Found.later) is a later system's, as `virtc lint` takes it."""
    found = libvirt.read(text, path)
    diags = list(found.diagnostics)
    if found.document is not None:
        doc = found.document if found.later is None else replace(found.document, later_system=found.later[0])
        ctx = Context(Model((), (), ()), documents=[doc])
        for rule in XML_RULES:
            diags.extend(rule().run(ctx))
    return found, diags


def _no_internal_error(diags):
    assert not [d for d in diags if "internal error" in d.message], [d.message for d in diags]


# ---------------------------------------------------------------- round trip of the examples

def _example_guests():
    out = []
    for f in sorted(EXAMPLES.glob("*.virt")):
        model = compile_sources([str(f)]).model
        assert model is not None, f
        for g in model.guests:
            if g.type != "hyperv":
                out.append(pytest.param(g, model.host(g.host), id=f"{f.stem}:{g.name}"))
    return out


EXAMPLE_GUESTS = _example_guests()


@pytest.mark.parametrize("guest, host", EXAMPLE_GUESTS)
def test_domain_xml_round_trip(guest, host):
    text = libvirt.domain_xml(guest, host)
    found = libvirt.read(text, f"{guest.name}.xml")
    assert found.diagnostics == [], [f"{d.span} {d.code} {d.message}" for d in found.diagnostics]
    assert len(found.guests) == 1
    back = found.guests[0]
    assert (back.name, back.type, back.uuid) == (guest.name, guest.type, guest.uuid)
    assert libvirt.domain_xml(back, host) == text
    if guest.is_xen:
        # A vif rate limit has no element in RHEL 5's libvirt (it came with 0.9.4's
        # <bandwidth>), so the XML cannot carry it: the xm config read back from XML is
        # the original without `rate=`.
        unrated = replace(guest, nics=tuple(replace(n, rate=None) for n in guest.nics))
        assert xm.config(back, host) == xm.config(unrated, host)


def test_round_trip_covers_every_guest_kind():
    kinds = {p.values[0].type for p in EXAMPLE_GUESTS}
    assert kinds >= {"xen-pv", "xen-hvm", "kvm"}
    assert len(EXAMPLE_GUESTS) >= 30


def test_read_guest_points_fields_at_their_elements():
    text = (
        "<domain type='xen'>\n"
        "  <name>web01</name>\n"
        "  <uuid>4a4c59a7ee3fc78196e4288f2862f011</uuid>\n"
        "  <memory>1048576</memory>\n"
        "  <currentMemory>524288</currentMemory>\n"
        "  <vcpu cpuset='0-1' current='1'>2</vcpu>\n"
        "  <bootloader>/usr/bin/pygrub</bootloader>\n"
        "  <os><type arch='i686'>linux</type></os>\n"
        "  <devices>\n"
        "    <disk type='block' device='disk'><driver name='phy'/><source dev='/dev/vg/web01'/>"
        "<target dev='xvda'/></disk>\n"
        "    <interface type='bridge'><source bridge='xenbr0'/><mac address='00:16:3E:49:1D:11'/></interface>\n"
        "    <hostdev mode='subsystem' type='pci' managed='yes'><source>"
        "<address domain='0x0000' bus='0x09' slot='0x00' function='0x1'/></source></hostdev>\n"
        "  </devices>\n"
        "</domain>\n")
    found = libvirt.read(text, "web01.xml")
    g = found.guests[0]
    assert (g.type, g.arch, g.memory_kib, g.maxmem_kib, g.vcpus, g.max_vcpus, g.cpuset) == \
        ("xen-pv", "i686", 524288, 1048576, 1, 2, "0-1")
    assert g.uuid == "4a4c59a7-ee3f-c781-96e4-288f2862f011"
    assert (g.fields.get("memory").line, g.fields.get("maxmem").line, g.fields.get("vcpus").line) == (5, 4, 6)
    assert (g.fields.get("cpuset").line, g.fields.get("cpuset").col) == (6, 17)
    d, n, p = g.disks[0], g.nics[0], g.pci[0]
    assert (d.driver, d.source_type, d.path, d.bus, str(d.span)) == ("phy", "block", "/dev/vg/web01", "xen",
                                                                      "web01.xml:10:5")
    assert (n.kind, n.source, n.mac, n.model, str(n.span)) == ("bridge", "xenbr0", "00:16:3e:49:1d:11",
                                                               "netfront", "web01.xml:11:5")
    assert (p.address, str(p.span)) == ("0000:09:00.1", "web01.xml:12:5")
    assert g.boot.bootloader == "/usr/bin/pygrub" and str(g.span) == "web01.xml:1:1"


def test_a_hostdev_with_a_bad_address_is_named_and_the_guest_is_still_read():
    """A PCI <hostdev> whose address is no PCI address (not a number, or past the bus,
    slot or function range) is VF706 at the attribute and no device of the guest; the
    guest, its other devices and its good hostdevs are read."""
    def hostdev(bus="0x0a", slot="0x04", function="0x1"):
        return ("    <hostdev mode='subsystem' type='pci' managed='no'><source>"
                f"<address domain='0x0000' bus='{bus}' slot='{slot}' function='{function}'/></source></hostdev>\n")

    text = ("<domain type='xen'>\n  <name>pvnic</name>\n  <memory>1048576</memory>\n"
            "  <bootloader>/usr/bin/pygrub</bootloader>\n  <os><type>linux</type></os>\n  <devices>\n"
            "    <disk type='block' device='disk'><driver name='phy'/><source dev='/dev/vg/pvnic'/>"
            "<target dev='xvda'/></disk>\n"
            + hostdev(bus="0xzz") + hostdev(bus="0x100") + hostdev(slot="0x20") + hostdev(function="8")
            + hostdev() + "  </devices>\n</domain>\n")
    found, diags = diagnose(text, "pvnic.xml")
    assert [(d.span.line, d.message.split(" is ")[0]) for d in diags if d.code == "VF706"] == \
        [(8, "PCI bus '0xzz'"), (9, "PCI bus 0x100"), (10, "PCI slot 0x20"), (11, "PCI function 8")]
    (g,) = found.guests
    assert [p.address for p in g.pci] == ["0000:0a:04.1"] and [d.target for d in g.disks] == ["xvda"]


HVM_PORTS_XML = """<domain type='xen'>
  <name>lpt</name>
  <memory>524288</memory>
  <os><type arch='x86_64' machine='xenfv'>hvm</type><loader>/usr/lib/xen/boot/hvmloader</loader></os>
  <clock offset='utc'>
    <timer name='hpet' present='no'/>
  </clock>
  <devices>
    <parallel type='tcp'>
      <source mode='connect' host='127.0.0.1' service='7777'/>
      <protocol type='raw'/>
      <target port='0'/>
    </parallel>
    <parallel type='pty'><target port='1'/></parallel>
  </devices>
</domain>
"""


def test_parallel_port_and_hpet_timer_are_read():
    found = libvirt.read(HVM_PORTS_XML, "lpt.xml")
    (g,) = found.guests
    p = g.parallel
    assert (p.kind, p.host, p.port, p.server, str(p.span)) == ("tcp", "127.0.0.1", 7777, False, "lpt.xml:9:5")
    assert g.hpet is False and str(g.fields.get("hpet")) == "lpt.xml:6:5"
    # xm's `parallel` holds one port: the second <parallel> is named, not modelled
    (note,) = [d for d in found.diagnostics if d.code == "VF003"]
    assert "a second <parallel>" in note.message and (note.span.line, note.span.col) == (14, 5)
    host = compile_sources([str(EXAMPLES / "xen-webfarm.virt")]).model.hosts[0]
    text = libvirt.domain_xml(g, host)
    root = etree.fromstring(text.encode())
    assert [(t.get("name"), t.get("present")) for t in root.findall("clock/timer")] == [("hpet", "no")]
    (par,) = root.findall("devices/parallel")
    assert (par.get("type"), par.find("source").get("service"), par.find("target").get("port")) == ("tcp", "7777", "0")
    assert libvirt.read(text, "back.xml").guests[0].parallel == replace(p, span=libvirt.read(
        text, "back.xml").guests[0].parallel.span)
    cfg = xm.config(g, host)
    assert 'parallel = "tcp:127.0.0.1:7777"' in cfg.splitlines() and "hpet = 0" in cfg.splitlines()


def test_timers_other_than_hpet_and_pv_ports_are_not_modelled():
    text = ("<domain type='xen'><name>pv</name><memory>524288</memory><bootloader>/usr/bin/pygrub</bootloader>"
            "<os><type>linux</type></os><clock offset='utc'><timer name='hpet' present='yes'/>"
            "<timer name='tsc' mode='native'/></clock>"
            "<devices><parallel type='pty'><target port='0'/></parallel></devices></domain>")
    found = libvirt.read(text, "pv.xml")
    (g,) = found.guests
    assert g.parallel is None and g.hpet is None  # a PV guest has neither
    kinds = sorted(d.message.split(" (element)")[0] for d in found.diagnostics if d.code == "VF003")
    assert kinds == ["<parallel type='pty'>", "<timer name='hpet'> in <clock>", "<timer name='tsc'> in <clock>"]


def test_network_round_trip():
    nets = [(f, n) for f in sorted(EXAMPLES.glob("*.virt"))
            for h in compile_sources([str(f)]).model.hosts for n in h.networks]
    assert nets, "the examples declare virtual networks"
    for f, net in nets:
        text = libvirt.network_xml(net)
        found = libvirt.read(text, f"{net.name}.xml")
        assert found.diagnostics == [] and found.format == "libvirt-network", f
        (back,) = found.host["networks"]
        assert libvirt.network_xml(back) == text
        assert (back.name, back.bridge, back.forward, back.ip) == (net.name, net.bridge, net.forward, net.ip)


def test_guide_network_and_pool():
    net = libvirt.read(
        "<network>\n  <name>vnet1</name>\n  <uuid>98361b46-1581-acb7-1643-85a412626e70</uuid>\n"
        "  <forward dev='eth0'/>\n  <bridge name='vnet0' stp='on' forwardDelay='0' />\n"
        "  <ip address='192.168.100.1' netmask='255.255.255.0'>\n    <dhcp>\n"
        "      <range start='192.168.100.128' end='192.168.100.254' />\n    </dhcp>\n  </ip>\n</network>\n",
        "vnet1.xml")
    (n,) = net.host["networks"]
    assert (n.name, n.bridge, n.forward, n.forward_dev, n.ip, n.dhcp_start, n.dhcp_end) == \
        ("vnet1", "vnet0", "nat", "eth0", "192.168.100.1/24", "192.168.100.128", "192.168.100.254")
    assert net.diagnostics == []
    pool = libvirt.read(
        "<pool type='iscsi'>\n  <name>kvmguest</name>\n  <source>\n    <host name='myiscsi.example.com'/>\n"
        "    <device path='iqn.2004-04.rhel:rhel5:iscsi.kvmguest'/>\n  </source>\n"
        "  <target>\n    <path>/dev/disk/by-path</path>\n  </target>\n</pool>\n", "kvmguest.xml")
    (p,) = pool.host["pools"]
    assert (p.name, p.type, p.source_host, p.device, p.path) == \
        ("kvmguest", "iscsi", "myiscsi.example.com", "iqn.2004-04.rhel:rhel5:iscsi.kvmguest", "/dev/disk/by-path")
    assert pool.diagnostics == [] and pool.format == "libvirt-pool"


def test_capabilities_with_numa_cells():
    found = libvirt.read((FIXTURES / "libvirt" / "capabilities-numa.xml").read_text(), "caps.xml")
    h = found.host
    assert (h["hypervisor"], h["arch"], h["memory_kib"]) == ("kvm", "x86_64", 16 * 1024 * 1024)
    cpu = h["cpu"]
    # <topology sockets='2' cores='4' threads='1'/>: RHEL 5's libvirt prints the host's
    # sockets (not per NUMA cell, libvirt 0.9.13's reading)
    assert (cpu.vendor, cpu.sockets, cpu.cores, cpu.threads) == ("intel", 2, 8, 8)
    assert {"vmx", "nx", "pae"} <= set(cpu.flags)
    assert [(c.id, c.cpus, c.memory_kib) for c in h["numa"]] == [(0, "0-3", 8388608), (1, "4-7", 8388608)]
    assert str(found.spans["hypervisor"]) == "caps.xml:56:7"  # <domain type='kvm'>
    # what the host's facts do not need is passed over, not reported: nothing in it is wrong
    assert [d for d in found.diagnostics if d.code == "VF003"] == []


def test_capabilities_of_a_rhel54_xen_host():
    path = CORPUS / "virt-manager-xen" / "xen-rhel5.4.xml"
    if not path.exists():
        pytest.skip("../shared/corpus is absent")
    found = libvirt.read(path.read_text(), str(path))
    h = found.host
    assert (h["hypervisor"], h["arch"]) == ("xen", "x86_64")
    assert (h["cpu"].vendor, h["cpu"].threads) == ("intel", 2)
    assert {"vmx", "pae"} <= set(h["cpu"].flags)
    assert [c.cpus for c in h["numa"]] == ["0-1"]
    assert "memory_kib" not in h  # RHEL 5.4's capabilities give no cell memory


# ---------------------------------------------------------------- format rules on small files

XML_CODES = sorted(r.code for r in all_rules() if r.__module__ == "virtc.targets.libvirt.rules")
CASE_FILES = sorted(p for code in XML_CODES for p in (RULE_CASES / code).glob("*.xml"))


def test_every_xml_rule_has_cases():
    assert XML_CODES
    for code in XML_CODES:
        assert list((RULE_CASES / code).glob("fail*.xml")) and list((RULE_CASES / code).glob("pass*.xml")), code


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_xml_rule_case(path: Path):
    code = path.parent.name
    text = path.read_text()
    found, diags = diagnose(text, str(path))
    _no_internal_error(diags)
    got = expect.found(d for d in diags if d.code == code)
    if path.name.startswith("pass"):
        assert got == [], [f"{d.span} {d.message}" for d in diags if d.code == code]
        assert not [d for d in diags if d.severity is not Severity.INFO], [f"{d.code} {d.message}" for d in diags]
        return
    want = expect.expected([path])
    assert want, "a fail case lists what it expects with #> CODE severity line:col"
    codes = {code} | {w.code for w in want}
    got = expect.found(d for d in diags if d.code in codes)
    assert got == want, [f"{d.span} {d.code} {d.message}" for d in diags if d.code in codes]
    for d in diags:
        assert d.hint, f"{d.code} has no hint"


def test_rules_explain_themselves():
    for rule in all_rules():
        if rule.__module__ == "virtc.targets.libvirt.rules":
            doc = rule.doc()
            assert "Why:" in doc.body and "Fix:" in doc.body and "Example" in doc.body, rule.code


# ---------------------------------------------------------------- safety

def test_xxe_is_refused_and_not_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a9c\n")
    variants = [
        f'<!DOCTYPE domain [<!ENTITY leak SYSTEM "file://{secret}">]>\n<domain type="xen"><name>&leak;</name></domain>',
        f'<!DOCTYPE domain [<!ENTITY leak SYSTEM "file://{secret}">]>\n<domain type="xen" a="&leak;"><name>x</name></domain>',
        f'<!DOCTYPE domain [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>\n<domain type="xen"><name>x</name></domain>',
        f'<!-- first -->\n<?pi x?>\n<!doctype domain [<!entity leak SYSTEM "file://{secret}">]>\n<domain/>',
    ]
    for text in variants:
        found, diags = diagnose(text, "xxe.xml")
        assert found.guests == [] and found.document is None
        assert [d.code for d in diags] == ["VF701"], text
        assert "TOP-SECRET" not in repr(found) and not any("TOP-SECRET" in (d.message + (d.hint or "")) for d in diags)


def test_the_parser_itself_expands_no_entity(tmp_path):
    """Second line of defence, below the DOCTYPE check: the lxml parser virtc uses leaves
    entity references unexpanded and reads no file (libxml2 may also refuse a nested
    expansion outright, which is as good)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a9c")
    xxe = f'<!DOCTYPE d [<!ENTITY leak SYSTEM "file://{secret}">]>\n<d><x>&leak;</x><y a="b">&amp;</y></d>'
    out = etree.tostring(etree.fromstring(xxe.encode(), xmlsafe._parser()))
    assert b"TOP-SECRET" not in out and b"&leak;" in out
    laughs = ('<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
              + "".join(f'<!ENTITY a{i} "{("&a" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 9))
              + ']>\n<d><y>&a8;</y></d>')
    try:
        out = etree.tostring(etree.fromstring(laughs.encode(), xmlsafe._parser()))
    except etree.XMLSyntaxError as exc:
        assert "amplification" in str(exc) or "entity" in str(exc).lower()
    else:
        assert len(out) < 200


def test_billion_laughs_stays_small():
    text = (RULE_CASES / "VF701" / "fail-billion-laughs.xml").read_text()
    tracemalloc.start()
    found, diags = diagnose(text, "lol.xml")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [d.code for d in diags] == ["VF701"]
    assert peak < 2 * 1024 * 1024, peak
    assert "lollol" not in repr(found)


@pytest.mark.perf
def test_billion_laughs_is_fast():
    text = (RULE_CASES / "VF701" / "fail-billion-laughs.xml").read_text()
    start = time.perf_counter()
    diagnose(text, "lol.xml")
    assert time.perf_counter() - start < 1.0


def test_external_dtd_is_not_fetched():
    """A DOCTYPE naming an external DTD (without entities) is not loaded: no network access,
    and the file is read as usual."""
    text = ('<!DOCTYPE domain SYSTEM "http://192.0.2.1/domain.dtd">\n'
            "<domain type='kvm'><name>vm1</name><memory>524288</memory></domain>\n")
    start = time.perf_counter()
    found, diags = diagnose(text, "vm1.xml")
    assert time.perf_counter() - start < 1.0
    assert [g.name for g in found.guests] == ["vm1"] and diags == []


def test_empty_and_odd_inputs():
    for text, where in [("", "1:1"), ("   \n\n", "1:1"), ("\ufeff<domain", "1:"), ("<a>\x01</a>", "1:")]:
        found, diags = diagnose(text, "odd.xml")
        assert [d.code for d in diags] == ["VF701"], (text, diags)
        assert str(diags[0].span).startswith(f"odd.xml:{where}")


_TAGS = sorted(libvirt.DOMAIN_ELEMENTS | libvirt.DEVICE_ELEMENTS | {
    "domain", "network", "pool", "capabilities", "host", "guest", "cpu", "cell", "cells", "topology",
    "type", "source", "target", "driver", "address", "mac", "model", "boot", "readonly", "range", "dhcp", "ip",
    "vcpus", "on_shutdown", "feature", "arch", "listen", "protocol", "uuid"})
_ATTRS = ["type", "dev", "bus", "file", "bridge", "network", "address", "unit", "domain", "slot", "function",
          "port", "autoport", "mode", "cpuset", "current", "id", "name", "path", "start", "end", "netmask"]
_VALUES = st.one_of(st.sampled_from(["xen", "kvm", "hvm", "linux", "file", "block", "cdrom", "bridge", "network",
                                     "0x1a", "0x7", "-1", "yes", "KiB", "MiB", "pci", "usb", "tablet", "vnc",
                                     "telnet", "tcp", "bind", "/dev/sda", "52:54:00:00:00:01", "0-3", "", "\u00b2",
                                     "-1", "0x", "09", "99999999999999999999999", "4294967296"]),
                    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8))


@st.composite
def _xml_tree(draw, depth=0):
    tag = draw(st.sampled_from(_TAGS))
    attrs = draw(st.dictionaries(st.sampled_from(_ATTRS), _VALUES, max_size=3))
    el = etree.Element(tag, {k: v for k, v in attrs.items()})
    if draw(st.booleans()):
        el.text = draw(_VALUES)
    if depth < 3:  # at most 6 x 40 elements: bigger trees find nothing more, and cost seconds each
        for child in draw(st.lists(_xml_tree(depth=depth + 1), max_size=3)):
            el.append(child)
    return el


def _check_spans(text, diags):
    lines = text.count("\n") + 2
    for d in diags:
        assert d.span is not None and 1 <= d.span.line <= lines and d.span.col >= 1, d


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["domain", "network", "pool", "capabilities"]), st.lists(_xml_tree(), max_size=6))
def test_random_xml_never_raises(root_tag, children):
    root = etree.Element(root_tag, type="xen" if root_tag == "domain" else "dir")
    for c in children:
        root.append(c)
    text = etree.tostring(root, pretty_print=True, encoding="unicode")
    found, diags = diagnose(text, "random.xml")
    _no_internal_error(diags)
    _check_spans(text, diags)


@settings(max_examples=examples(300), deadline=None)
@given(st.one_of(st.text(), st.binary().map(lambda b: b.decode("latin-1")),
                 st.text(alphabet="<>/='\"&;!-[]?xdomainet \n", max_size=80)))
def test_random_text_never_raises(text):
    found, diags = diagnose(text, "random.xml")
    _no_internal_error(diags)
    _check_spans(text, diags)


# ---------------------------------------------------------------- spans

def test_locator_finds_tags_past_comments_cdata_and_multiline_tags():
    text = ("<?xml version='1.0'?>\n<!-- <name>not this</name> -->\n<domain\n    type='xen'\n    id='3'>\n"
            "  <description><![CDATA[ <memory>1</memory> ]]></description>\n"
            "  <x:meta xmlns:x='urn:x'><x:y/></x:meta>\n"
            "  <memory\n     unit='KiB'>  524288 </memory>\n</domain>\n")
    src = SourceFile("l.xml", text)
    root, diags = xmlsafe.parse(src)
    assert diags == []
    loc = xmlsafe.Locator(src, root)
    spans = {xmlsafe.qname(el): str(loc.span(el)) for el in xmlsafe.elements(root)}
    assert spans == {"domain": "l.xml:3:1", "description": "l.xml:6:3", "x:meta": "l.xml:7:3",
                     "x:y": "l.xml:7:27", "memory": "l.xml:8:3"}
    memory = root.find("memory")
    assert str(loc.attr_span(memory, "unit")) == "l.xml:9:12"
    assert str(loc.text_span(memory)) == "l.xml:9:19"
    assert str(loc.attr_span(root, "id")) == "l.xml:5:9"


# ---------------------------------------------------------------- the corpus

def _corpus_files():
    files = []
    for d in CORPUS_DIRS:
        files += sorted((CORPUS / d).glob("*.xml"))
    return files


CORPUS_FILES = _corpus_files()


@pytest.mark.skipif(not CORPUS_FILES, reason="../shared/corpus is absent")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_is_read_and_accounted_for(path: Path):
    text = path.read_text(encoding="utf-8")
    found, inventory = libvirt.inventory(text, str(path))
    diags = list(found.diagnostics)
    if found.document is not None:
        ctx = Context(Model((), (), ()), documents=[found.document])
        for rule in XML_RULES:
            diags.extend(rule().run(ctx))
    _no_internal_error(diags)
    if found.document is None:  # not well-formed: one VF701 says where
        assert [d.code for d in diags] == ["VF701"]
        return
    assert inventory, "every element has a status"
    named = {d.message.split(" (element)")[0] for d in diags if d.code == "VF003"}
    by_rule = {(d.span.line, d.span.col) for d in diags if d.code in ("VF704", "VF705")}
    for tag, line, col, status in inventory:
        assert status != "unaccounted", f"<{tag}> at {line}:{col} is neither modelled nor reported"
        if status.startswith("ignored "):
            assert status[len("ignored "):] in named, f"<{tag}> at {line}:{col}: no VF003 names {status}"
    # An element left to VF704/VF705 is flagged there, or sits inside one that is.
    src = SourceFile(str(path), text)
    root, _ = xmlsafe.parse(src)
    loc = xmlsafe.Locator(src, root)
    status = {(line, col): s for _, line, col, s in inventory}
    for el in xmlsafe.elements(root):
        at = (loc.span(el).line, loc.span(el).col)
        parent = el.getparent()
        up = (loc.span(parent).line, loc.span(parent).col) if parent is not None else None
        if status[at] == "rule" and status.get(up) != "rule":
            assert at in by_rule, f"<{xmlsafe.qname(el)}> at {at} is left to a rule that does not report it"
    if path.parent.name != "virt-manager-xen" or "rhel5.4" not in path.name:
        assert len(found.guests) == 1, [d.message for d in diags if d.severity is not Severity.INFO]


@pytest.mark.skipif(not CORPUS_FILES, reason="../shared/corpus is absent")
def test_corpus_summary(capsys):
    files = guests = vf003 = errors = 0
    for path in CORPUS_FILES:
        found, diags = diagnose(path.read_text(encoding="utf-8"), str(path))
        files += 1
        guests += len(found.guests)
        vf003 += sum(d.code == "VF003" for d in diags)
        errors += sum(d.severity is Severity.ERROR for d in diags)
    with capsys.disabled():
        print(f"\nlibvirt XML corpus: {files} files, {guests} guests, {vf003} VF003 notes, {errors} errors")
    assert files >= 180 and guests >= files - 2


# ---------------------------------------------------------------- scale

@pytest.mark.perf
def test_thousand_domain_xmls_are_fast(capsys):
    texts = []
    base = [(p.values[0], p.values[1]) for p in EXAMPLE_GUESTS]
    for i in range(1000):
        g, h = base[i % len(base)]
        texts.append(libvirt.domain_xml(replace(g, name=f"{g.name}-{i:04d}"), h))
    start = time.perf_counter()
    docs, guests = [], 0
    for i, text in enumerate(texts):
        found = libvirt.read(text, f"vm{i}.xml")
        guests += len(found.guests)
        docs.append(found.document)
    ctx = Context(Model((), (), ()), documents=docs)
    diags = [d for rule in XML_RULES for d in rule().run(ctx)]
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n1000 domain XMLs read and checked (VF7xx) in {elapsed:.2f} s")
    assert guests == 1000 and diags == []
    assert elapsed < 20, elapsed
