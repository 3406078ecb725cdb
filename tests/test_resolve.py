"""The resolver: templates, ranges, includes, interpolation, units, defaults, identities,
and the semantic errors, each at its file:line:col."""
from __future__ import annotations

import os
import textwrap

import pytest

from virtc import identity
from virtc.loading import buffers_first
from virtc.parse import parse
from virtc.resolve import compile_sources, compile_text

HOSTS = """\
host xen1 { hypervisor xen; arch x86_64; memory 32G; bridge xenbr0 on eth0; bridge xenbr1 on eth1 }
host kvm1 { hypervisor kvm; memory 16G; bridge br0 on eth0; network lab bridge virbr1 ip 192.168.50.1/24 }
"""


def model(text: str):
    r = compile_text(HOSTS + textwrap.dedent(text))
    errors = [f"{d.span}: {d.code} {d.message}" for d in r.diagnostics if d.severity.name == "ERROR"]
    assert r.model is not None, errors
    return r.model


def guest(text: str, name: str):
    return next(g for g in model(text).guests if g.name == name)


def diags(text: str):
    return compile_text(HOSTS + textwrap.dedent(text)).diagnostics


def test_template_chain_child_overrides_parent_and_devices_accumulate():
    g = guest("""
        template base { type xen-pv; memory 512M; vcpus 1; nic bridge xenbr0 }
        template web from base { memory 1G; disk xvda "/var/lib/libvirt/images/{name}.img" }
        guest w1 from web on xen1 { vcpus 2; nic bridge xenbr1 }
    """, "w1")
    assert (g.type, g.memory_kib, g.vcpus) == ("xen-pv", 1024 * 1024, 2)
    assert [n.source for n in g.nics] == ["xenbr0", "xenbr1"]
    assert [d.path for d in g.disks] == ["/var/lib/libvirt/images/w1.img"]
    assert [t for t, _ in g.expansion.templates] == ["web", "base"]


def test_ranges_pad_like_the_first_number_and_interpolate():
    m = model("""
        guest web[08..11] on xen1 { type xen-pv; memory 1G; description "n={name} i={index} h={host}" }
        guest db[1..2] on xen1 { type xen-pv; memory 1G }
    """)
    names = [g.name for g in m.guests]
    assert names == ["web08", "web09", "web10", "web11", "db1", "db2"]
    w = m.guests[0]
    assert w.description == "n=web08 i=8 h=xen1"
    assert (w.expansion.declared, w.expansion.index) == ("web[08..11]", 8)
    assert w.expansion.span.line == 4  # after the two host lines and the blank line


def test_units_are_binary_and_normalised():
    g = guest("""guest g on xen1 { type xen-pv; memory 1536M; maxmem 2G
                 disk xvda "/var/lib/libvirt/images/g.img" size 1.5T }""", "g")
    assert (g.memory_kib, g.maxmem_kib) == (1536 * 1024, 2 * 1024 * 1024)
    assert g.disks[0].size_bytes == 1536 * 1024 ** 3


def test_sizes_are_shown_in_their_largest_exact_unit():
    from virtc.units import format_kib

    assert [format_kib(k) for k in (1024 ** 3, 1536 * 1024, 1024, 1536, 0)] == ["1T", "1536M", "1M", "1536K", "0K"]


def test_defaults_are_applied():
    pv = guest('guest p on xen1 { type xen-pv; memory 1G; disk xvda "/var/lib/libvirt/images/p.img"; nic bridge xenbr0 }', "p")
    assert pv.boot.bootloader == "/usr/bin/pygrub"
    assert (pv.vcpus, pv.maxmem_kib, pv.clock) == (1, pv.memory_kib, "utc")
    assert (pv.on_poweroff, pv.on_reboot, pv.on_crash) == ("destroy", "restart", "restart")
    assert (pv.disks[0].driver, pv.disks[0].bus, pv.nics[0].model) == ("tap:aio", "xen", "netfront")
    assert pv.nics[0].script == "vif-bridge"
    hvm = guest('guest h on xen1 { type xen-hvm; memory 1G; disk hda "/var/lib/libvirt/images/h.img"; '
                'disk xvdb "/var/lib/libvirt/images/h2.img"; disk hdb "/dev/VG/lv"; nic bridge xenbr0 }', "h")
    assert [(d.driver, d.bus, d.source_type) for d in hvm.disks] == [
        ("file", "ide", "file"), ("tap:aio", "xen", "file"), ("phy", "ide", "block")]
    assert (hvm.boot.order, hvm.features, hvm.nics[0].model) == (("hd",), ("acpi", "apic", "pae"), "ioemu")
    pvd = guest('guest d on xen1 { type xen-hvm; pv-drivers; memory 1G; nic bridge xenbr0 }', "d")
    assert pvd.nics[0].model == "netfront"
    kvm = guest('guest k on kvm1 { memory 1G; disk vda virtio "/var/lib/libvirt/images/k.img"; nic network lab }', "k")
    assert (kvm.type, kvm.disks[0].driver, kvm.disks[0].bus, kvm.nics[0].model) == ("kvm", "qemu", "virtio", "rtl8139")
    assert kvm.nics[0].mac.startswith("52:54:00:")


def test_includes_are_relative_and_read_once(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "hosts.virt").write_text('include "../templates.virt"\n' + HOSTS)
    (tmp_path / "templates.virt").write_text("template t { type xen-pv; memory 1G }\n")
    (tmp_path / "main.virt").write_text('include "sub/hosts.virt"\ninclude "templates.virt"\n'
                                        "guest g from t on xen1 {}\n")
    r = compile_sources([str(tmp_path / "main.virt")])
    assert r.model is not None, r.diagnostics
    assert [g.name for g in r.model.guests] == ["g"]
    assert len(r.sources) == 3


def test_include_cycle_and_missing_include(tmp_path):
    (tmp_path / "a.virt").write_text('include "b.virt"\n')
    (tmp_path / "b.virt").write_text('\ninclude "a.virt"\ninclude "nope.virt"\n')
    r = compile_sources([str(tmp_path / "a.virt")])
    found = {(d.code, d.span.file.rsplit("/", 1)[-1], d.span.line, d.span.col) for d in r.diagnostics}
    assert ("VR010", "b.virt", 2, 1) in found
    assert ("VR009", "b.virt", 3, 9) in found
    cycle = next(d for d in r.diagnostics if d.code == "VR010")
    assert "a.virt -> " in cycle.message and cycle.related[0].span.file.endswith("a.virt")


def test_files_are_read_by_the_loader_and_parsed_by_the_parser_given(tmp_path):
    """The editor's way: unsaved buffers (here hosts.virt, not on disk at all) are read
    through the loader, included files too, and every file goes through the parser."""
    main = str(tmp_path / "main.virt")
    buffers = {main: 'include "hosts.virt"\nguest g on xen1 { type xen-pv; memory 1G }\n',
               str(tmp_path / "hosts.virt"): HOSTS}
    parsed = []

    def parser(src):
        parsed.append(os.path.basename(src.path))
        return parse(src)

    r = compile_sources([main], loader=buffers_first(buffers), parser=parser)
    assert r.model is not None, r.diagnostics
    assert parsed == ["main.virt", "hosts.virt"]
    missing = compile_sources([main], texts={main: buffers[main]})  # from disk: no hosts.virt
    assert [(d.code, d.message) for d in missing.diagnostics][:1] == [
        ("VR009", "included file 'hosts.virt' does not exist")]


def test_a_missing_include_is_reported_at_each_include(tmp_path):
    (tmp_path / "a.virt").write_text('include "nope.virt"\ninclude "b.virt"\n')
    (tmp_path / "b.virt").write_text('include "nope.virt"\n')
    r = compile_sources([str(tmp_path / "nope.virt"), str(tmp_path / "a.virt")])
    found = [(d.code, d.span and os.path.basename(d.span.file), d.message) for d in r.diagnostics]
    assert found == [("VR009", None, f"cannot read '{tmp_path / 'nope.virt'}': No such file or directory"),
                     ("VR009", "a.virt", "included file 'nope.virt' does not exist"),
                     ("VR009", "b.virt", "included file 'nope.virt' does not exist")]


@pytest.mark.parametrize("src, code, line, col, text", [
    ("guest g from nope on xen1 { memory 1G }", "VR001", 3, 14, "unknown template 'nope'"),
    ("guest g on xen9 { memory 1G }", "VR002", 3, 12, "unknown host 'xen9'"),
    ("guest g { type xen-pv; memory 1G }", "VR002", 3, 1, "not placed on a host"),
    ("guest g on xen1 { type xen-pv; memory 1G; nic bridge xenbr2 }", "VR003", 3, 54, "bridge 'xenbr2' does not exist"),
    ("guest g on kvm1 { memory 1G; nic network labb }", "VR003", 3, 42, "network 'labb' does not exist"),
    ("guest g on xen1 { type xen-pv; memory 1G }\nguest g on kvm1 { memory 1G }", "VR004", 4, 1, "guest 'g' is declared twice"),
    ("guest g on xen1 { type xen-pv; memory 1GB }", "VR005", 3, 39, "ambiguous"),
    ("guest g on xen1 { type xen-pv; memory 1024 }", "VR005", 3, 39, "has no unit"),
    ("guest g on xen1 { type xen-pv; memory 1G; nic bridge xenbr0 mac 01:16:3e:00:00:01 }", "VR006", 3, 65, "multicast"),
    ("guest g on xen1 { type xen-pv; memory 1G; pci 00:02.1a }", "VR007", 3, 47, "function 1a is above 7"),
    ('guest g on xen1 { type xen-pv; memory 1G; disk xvda "/var/{nmae}.img" }', "VR008", 3, 59, "unknown variable '{nmae}'"),
    ('guest g on xen1 { type xen-pv; memory 1G; disk xvda "/var/{index}.img" }', "VR008", 3, 59, "{index}"),
    ('guest "../x" on xen1 { type xen-pv; memory 1G }', "VR011", 3, 7, "contains '..'"),
    ('guest "a/b" on xen1 { type xen-pv; memory 1G }', "VR011", 3, 7, "contains '/'"),
    ('guest g on xen1 { type xen-pv; memory 1G; disk xvda "/var/a\\".img" }', "VR011", 3, 53, "double quote"),
    ('guest g on xen1 { type xen-pv; memory 1G; disk xvda "/var/$(reboot).img" }', "VR011", 3, 53, "'$'"),
    ('guest g on xen1 { type xen-pv; memory 1G; disk xvda "/var/../etc/shadow" }', "VR011", 3, 53, "'..'"),
    ('guest g on xen1 { type xen-pv; memory 1G; kernel "/boot/vmlinuz" args "ro `id`" }', "VR011", 3, 71, "backtick"),
    ("guest g on xen1 { type xen_pv; memory 1G }", "VR012", 3, 24, "did you mean 'xen-pv'"),
    ("guest g on xen1 { memory 1G }", "VR013", 3, 1, "xen-pv or xen-hvm"),
    ('guest g on xen1 { type xen-pv; memory 1G; disk xvdA "/var/lib/libvirt/images/g.img" }', "VR014", 3, 48, "not a disk target"),
    ("guest g on xen1 { type xen-pv; memory 1G; disk xvda }", "VR015", 3, 43, "no source path"),
    ("guest g[5..1] on xen1 { type xen-pv; memory 1G }", "VR016", 3, 8, "counts down"),
    ("template a from b {}\ntemplate b from a {}\nguest g from a on xen1 {}", "VR017", 3, 1, "inheritance cycle"),
    ('guest g on xen1 { type xen-pv; memory 1G; disk xvda virtio "/var/lib/libvirt/images/g.img" }', "VR019", 3, 53, "virtio is a KVM driver"),
])
def test_semantic_errors(src, code, line, col, text):
    found = [d for d in diags(src) if d.code == code]
    assert found, [f"{d.code} {d.message}" for d in diags(src)]
    d = found[0]
    assert (d.span.line, d.span.col) == (line, col), f"{d.span} {d.message}"
    assert text in d.message + " " + (d.hint or "")
    assert d.severity.name == "ERROR"


def test_did_you_mean_for_names():
    d = next(x for x in diags("guest g from rhel5pv on xen1 {}\ntemplate rhel5-pv { type xen-pv; memory 1G }")
             if x.code == "VR001")
    assert d.hint == "did you mean 'rhel5-pv'?"
    d = next(x for x in diags("guest g on xen1 { type xen-pv; memory 1G; nic bridge xenbr3 }") if x.code == "VR003")
    assert d.hint in ("did you mean 'xenbr0'?", "did you mean 'xenbr1'?")


def test_template_errors_are_reported_once_not_per_guest():
    ds = diags("template t { type xen-pv; memory 1G; nic bridge nosuch }\nguest w[1..20] from t on xen1 {}")
    assert [d.code for d in ds].count("VR003") == 1


# A range's statements that read no {variable} and number nothing run for its first guest
# only; the other guests share their fields (virtc.resolve.compiler._stamp). The editor's
# memo builds every guest with all its statements: both must give the same guests and
# the same diagnostics.
STAMPED = """\
template base {
  type xen-hvm; memory 512M; vcpus 1; services on ntpd sshd; cdrom hdc
  kernel "/boot/{name}" args "console={index}" initrd "/boot/i-{host}"
  nic bridge xenbr0 model e1000
  description "{name} base"
  serial file "/var/log/{nme}.log"
}
template mid from base {
  kernel-args "x y"; description "w2"; nic bridge "{host}x"; services off sshd; memory 1g; usb tablet
  disk hda file "/var/lib/{name}/a b.img" size 4Q
}
guest w[1..3] from mid on xen1 {
  kernel "/boot/k-{name}"; disk hdb "/var/lib/{index}.img" size 1G; nic network "lab{index}" mac auto
  hostname "{name}.example"; vnc listen 127.0.0.1; install url "http://x/{name}/"; os rhel5.8 x86_64
  bootloader pygrub args "--a={index}"; parallel file "/tmp/{name}"; on crash destroy
}
guest solo from mid on xen1 { description "{index}" }
guest k[1..3] from mid on kvm1 { disk vda "/var/lib/libvirt/images/{name}.img"; memory 2G }
"""


EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


@pytest.mark.parametrize("case", [
    HOSTS + STAMPED,
    # without its errors, so that the guests are made
    HOSTS + STAMPED.replace("{nme}", "{name}").replace(" size 4Q", "").replace("a b.img", "ab.img")
    .replace("memory 1g", "memory 1G").replace("console={index}", "console=1").replace('"{index}"', '"x"')
    .replace('"{host}x"', "xenbr0").replace('network "lab{index}"', "bridge xenbr1")
    .replace("on kvm1", "on xen1").replace("disk vda", "disk xvdb"),
] + sorted(os.path.join(EXAMPLES, f) for f in os.listdir(EXAMPLES) if f.endswith(".virt")))
def test_stamped_guests_share_what_all_their_statements_would_give(case):
    from virtc.resolve.memo import CompileMemo

    texts = {"t.virt": case} if "\n" in case else None
    paths = ["t.virt"] if texts else [case]
    shared = compile_sources(paths, texts)
    whole = compile_sources(paths, texts, memo=CompileMemo())
    assert shared.diagnostics == whole.diagnostics
    assert shared.model == whole.model
    if texts and "{nme}" not in case:
        assert [g.name for g in shared.model.guests] == ["w1", "w2", "w3", "solo", "k1", "k2", "k3"]


# ---------------------------------------------------------------- identities

FLEET = "\n".join(f"guest g{i:03d} on xen1 {{ type xen-pv; memory 64M; nic bridge xenbr0; nic bridge xenbr1 }}"
                  for i in range(300))


def test_macs_and_uuids_are_deterministic_unique_and_in_range():
    a, b = model(FLEET), model(FLEET)
    macs = [n.mac for g in a.guests for n in g.nics]
    assert macs == [n.mac for g in b.guests for n in g.nics]
    assert len(set(macs)) == len(macs) == 600
    assert all(m.startswith("00:16:3e:") and int(m.split(":")[3], 16) < 0x80 for m in macs)
    uuids = [g.uuid for g in a.guests]
    assert len(set(uuids)) == 300 and uuids == [g.uuid for g in b.guests]


def test_adding_a_guest_keeps_existing_identities():
    before = {(g.name, n.index): n.mac for g in model(FLEET).guests for n in g.nics}
    uuids_before = {g.name: g.uuid for g in model(FLEET).guests}
    grown = "guest aaa-new on xen1 { type xen-pv; memory 64M; nic bridge xenbr0 }\n" + FLEET
    after_model = model(grown)
    after = {(g.name, n.index): n.mac for g in after_model.guests for n in g.nics}
    assert {k: after[k] for k in before} == before
    assert {g.name: g.uuid for g in after_model.guests if g.name in uuids_before} == uuids_before


def test_pinned_mac_wins_over_automatic_ones():
    # Find the automatic MAC that g000 would get, pin it on another guest first.
    auto = identity.assign_macs([("g000", 0, True)], set())[("g000", 0)]
    m = model(f"guest pin on xen1 {{ type xen-pv; memory 64M; nic bridge xenbr0 mac {auto} }}\n"
              "guest g000 on xen1 { type xen-pv; memory 64M; nic bridge xenbr0 }")
    g000 = next(g for g in m.guests if g.name == "g000")
    assert g000.nics[0].mac != auto and g000.nics[0].mac_auto


def test_uuid_is_normalised_and_kvm_macs_use_the_qemu_prefix():
    g = guest("guest k on kvm1 { memory 1G; uuid 4A4C59A7EE3FC78196E4288F2862F011; nic bridge br0 }", "k")
    assert g.uuid == "4a4c59a7-ee3f-c781-96e4-288f2862f011" and not g.uuid_auto
    assert g.nics[0].mac.startswith("52:54:00:")


def test_a_rejected_value_does_not_cause_follow_on_errors():
    codes = [d.code for d in diags("template t { type xen-pv; memory 1GB }\nguest w[1..3] from t on xen1 {}")]
    assert codes == ["VR005"]
    codes = [d.code for d in diags("guest g on xen1 { type xen-hmv; memory 1G }")]
    assert codes == ["VR012"]


def test_unused_templates_are_still_checked():
    ds = diags("template a from nosuch { type xen-pv }\ntemplate c { memory 2XB }")
    assert sorted(d.code for d in ds) == ["VR001", "VR005"]
    ds = diags("template x from y {}\ntemplate y from x {}")
    assert [d.code for d in ds] == ["VR017"]


def test_host_references_and_duplicates():
    ds = compile_text("host a { hypervisor xen; migration peers b c; multipath m1 wwid 3600805f30015987000000000768a0019\n"
                      "multipath m1 wwid 3600805f30015987000000000768a001a }\nhost b { hypervisor xen }").diagnostics
    assert [(d.code, d.span.line) for d in ds] == [("VR002", 1), ("VR004", 2)]
    assert "migration peer 'c'" in ds[0].message


def test_hosts_allow_keeps_regular_expressions():
    m = compile_text('host a { hypervisor xen; migration peers b allow "^b\\\\.example\\\\.com$ ^localhost$" }\n'
                     "host b { hypervisor xen }").model
    assert m.host("a").migration.allow == "^b\\.example\\.com$ ^localhost$"
    ds = compile_text("host a { hypervisor xen; migration allow \"x'y\" }").diagnostics
    assert [d.code for d in ds] == ["VR011"] and "single quote" in ds[0].message


def test_networks_get_libvirt_defaults_or_need_an_address():
    m = compile_text("host k { hypervisor kvm; network default }").model
    net = m.host("k").networks[0]
    assert (net.bridge, net.forward, net.ip, net.dhcp_start) == ("virbr0", "nat", "192.168.122.1/24", "192.168.122.2")
    ds = compile_text("host k { hypervisor kvm; network lab forward nat }").diagnostics
    assert [d.code for d in ds] == ["VR013"] and "has no address" in ds[0].message
    assert compile_text("host k { hypervisor kvm; network iso forward none }").model is not None


@pytest.mark.parametrize("name", ["web01", "", "h0001-web001", "caf\u00e9", "a" * 300])
def test_guest_uuid_is_the_name_based_uuid5(name):
    import uuid  # identity builds the text itself; it must stay uuid5's

    assert identity.guest_uuid(name) == str(uuid.uuid5(identity.NAMESPACE, f"guest/{name}"))


@pytest.mark.parametrize("text,expected", [
    ("/img/{name}.img", "/img/web01.img"), ("/img/{{name}}-{host}", "/img/{name}-xen1"),
    ("{{{name}}}", "{web01}"), ("/plain", "/plain"), ("{index}{index}", "11"),
    ("{0}", None), ("{a.b}", None), ("{name:>9}", None), ("{nope}", None), ("a}b", None), ("{", None)])
def test_interpolation_reads_only_its_own_variables(text, expected):
    from virtc.resolve.compiler import Compiler
    from virtc.source import Span
    from virtc.syntax import Value

    c = Compiler()
    v = Value("STRING", text, Span("f.virt", 1, 1, 1, 2, 0, 1))
    env = {"name": "web01", "host": "xen1", "index": "1"}
    assert c.interpolate(v, env) == expected
    assert c.interpolate(v, env) == expected  # the second time from the compiled form
    assert bool(c.diags) == (expected is None)


@pytest.mark.parametrize("text", ["8G", "0008G", "512M", "1.5G", "1024T", "1025T", "1" + "0" * 18 + "K",
                                  "9" * 19 + "K", "0.5K", "3KiB", "0M"])
def test_whole_sizes_read_as_exact_decimals(text):
    from fractions import Fraction

    from virtc.units import UNITS, UnitError, parse_size

    try:
        got = parse_size(text)
    except UnitError as exc:
        got = str(exc)
    number, unit = text.rstrip("KMGTiB"), text[len(text.rstrip("KMGTiB")):][0]
    if len(number.replace(".", "")) > 18:
        assert "digits" in got
    elif Fraction(number) * UNITS[unit] > 1024 ** 5:
        assert "more than 1024T" in got
    else:
        assert got == Fraction(number) * UNITS[unit]
