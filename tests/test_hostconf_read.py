"""Readers of the host files the guide's procedures edit: xend-config.sxp, sysctl.conf,
modprobe.conf, /etc/sysconfig/iptables, /etc/exports, SELinux file contexts, booleans and
the commands that make them, /etc/sysconfig/cpuspeed.

Each format rule's cases are tests/cases/CODE/ (test_rules.py lints them); here each
one-file case is read by its reader alone: it gives exactly the VF5xx/VF8xx findings its
`#> CODE severity line:col` markers list (tests/expect.py), each with a hint. The clean
files (tests/fixtures/hostconf) produce nothing; what virtc writes reads back as the model
it was written from; and no text makes a reader raise.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from virtc.build import artifacts
from virtc.checker import run_rules
from virtc.model import Model
from virtc.readback import assemble
from virtc.resolve import compile_sources
from virtc.rules.base import Context, Scope
from virtc.ruleset import all_rules
from virtc.source import SourceFile
from virtc.targets import by_name, cpuspeed, xend

from conftest import FIXTURES, ROOT, examples
from expect import expected, found

CLEAN = FIXTURES / "hostconf"
RULE_CASES = ROOT / "tests" / "cases"
EXAMPLES = sorted((ROOT / "examples").glob("*.virt"))
READERS = {"xend-config.sxp": by_name("xend").read, "sysctl.conf": by_name("sysctl").read,
           "modprobe.conf": by_name("modprobe").read, "iptables": by_name("iptables").read,
           "exports": by_name("exports").read, "file_contexts.local": by_name("fcontext").read,
           "booleans.local": by_name("sebool").read, "selinux-setup.sh": by_name("selinux-commands").read,
           "cpuspeed": by_name("cpuspeed").read}
OUR_CODES = sorted({r.code for name in ("xend", "sysctl", "modprobe", "iptables", "exports", "fcontext", "sebool",
                                          "selinux-config", "selinux-commands", "cpuspeed") for r in by_name(name).rules})
# A KVM host whose CPU flags lack constant_tsc: the cpuspeed rule warns for it.
KVM_NO_TSC = ('host kvm1 { hypervisor kvm; cpu amd cores 4 flags svm nx; memory 8G; '
              'grub args "processor.max_cstate=1" }\n')


def _reader(path: Path):
    """The reader of a file named as READERS names it, or ending so (fail-sysctl.conf)."""
    return next((r for name, r in READERS.items() if path.name.endswith(name)), None)


def _lint(path: Path, model: Model | None = None):
    """The reader's diagnostics plus the format rules that check its document."""
    found = _reader(path)(path.read_text(), str(path))
    diags = list(found.diagnostics)
    if found.document is not None:
        ctx = Context(model or Model((), (), ()), documents=[found.document])
        for rule in all_rules():
            if rule.scope is Scope.DOCUMENT and found.document.format in rule.formats:
                diags.extend(rule().run(ctx))
    return found, diags


# The one-file cases of these rules (folder cases need a host: test_rules.py lints them).
CASE_FILES = sorted(p for code in OUR_CODES for p in (RULE_CASES / code).glob("*")
                    if p.is_file() and p.name.startswith(("fail", "pass")) and _reader(p))


# ---------------------------------------------------------------- each rule's case


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_rule_case_read_alone(path):
    """Read alone, with no host: exactly the findings of these rules that its markers list
    (none for a pass case, whatever the rule), and each says what to do."""
    _, diags = _lint(path)
    want = expected([path])
    assert {w.code for w in want} <= {path.parent.name}, "a case lists what it expects, for its own code"
    got = found(d for d in diags if d.code in OUR_CODES)
    assert got == want, [f"{d.span} {d.code} {d.message}" for d in diags]
    assert all(d.hint for d in diags if d.code in OUR_CODES), "every finding says what to do"


@pytest.mark.parametrize("name", sorted(READERS))
def test_clean_file_has_no_diagnostics(name):
    model = compile_sources(["kvm.virt"], texts={"kvm.virt": KVM_NO_TSC}).model
    _, diags = _lint(CLEAN / name, model)
    # cpuspeed's settings have no place in the model: one note says so
    allowed = {"VF003"} if name == "cpuspeed" else set()
    assert [f"{d.span} {d.code} {d.message}" for d in diags if d.code not in allowed] == []


def test_rules_explain_themselves():
    for code in OUR_CODES:
        rule = next(r for r in all_rules() if r.code == code)
        doc = rule.doc()
        assert doc.summary and "What it checks:" in doc.body and "Why:" in doc.body and "Fix:" in doc.body
        assert rule.scope in (Scope.READER, Scope.DOCUMENT)


# ---------------------------------------------------------------- facts of the clean files


def _read(name: str):
    path = CLEAN / name
    return READERS[name](path.read_text(), str(path))


def test_xend_facts():
    f = _read("xend-config.sxp")
    xs = {s.key: s.value for s in f.host["xend"]}
    assert xs["network-script"] == "/bin/true"
    assert xs["xend-relocation-hosts-allow"] == r"^localhost$ ^localhost\.localdomain$ ^xen2\.example\.com$"
    assert xs["vncpasswd"] == ""
    assert "xend-http-server" not in xs  # commented out
    m = f.host["migration"]
    assert (m.peers, m.port, m.address, m.allow) == ((), 8002, "10.0.0.1", xs["xend-relocation-hosts-allow"])
    assert (m.span.line, m.span.col) == (5, 1)
    s = next(s for s in f.host["xend"] if s.key == "dom0-min-mem")
    assert (s.span.line, s.span.col, s.span.end_col) == (11, 1, 19)


def test_xend_first_setting_wins_and_no_server_no_migration():
    f = xend.read("(xend-relocation-server no)\n(xend-relocation-server yes)\n(xend-relocation-port 8003)\n", "x")
    assert [(s.key, s.value) for s in f.host["xend"]] == [("xend-relocation-server", "no"),
                                                         ("xend-relocation-port", "8003")]
    assert "migration" not in f.host
    f = xend.read("(xend-relocation-address)\n(xend-relocation-address '10.0.0.1')\n", "x")
    assert "xend" not in f.host  # the empty first one hides the second, as in xend


def test_xend_escapes_as_xend_reads_them():
    f = xend.read(r"(a 'x\\.y') (b 'x\.y') (c 'tab\there') (d '\101\x42') (e " + '"q\'s")', "x")
    assert [s.value for s in f.host["xend"]] == ["x\\.y", "x\\y", "tab\there", "AB", "q's"]
    assert [d.code for d in f.diagnostics] == ["VF506"]


def test_sysctl_and_modprobe_facts():
    f = _read("sysctl.conf")
    assert [(s.key, s.value) for s in f.host["sysctl"]][:2] == [("net.ipv4.ip_forward", "1"),
                                                               ("net.bridge.bridge-nf-call-ip6tables", "0")]
    assert by_name("sysctl").read("net/ipv4/ip_forward=1\n", "s").host["sysctl"][0].key == "net.ipv4.ip_forward"
    f = _read("modprobe.conf")
    assert [(s.key, s.value) for s in f.host["modprobe"]] == [
        ("loop", "max_loop=64"), ("pciback", "hide=(0000:09:00.0)(0000:0a:04.1)"), ("igb", "max_vfs=7"),
        ("bonding", "mode=1 miimon=100")]
    assert f.host["modprobe"][3].span.line == 5 and f.host["modprobe"][3].span.end_line == 6


def test_firewall_facts():
    fw = _read("iptables").host["firewall"]
    assert fw.open == ("icmp", "22/tcp", "8002/tcp", "49152-49216/tcp", "16509/tcp", "16514/tcp")
    assert (fw.policy, fw.bridged, fw.enabled) == ("reject", True, None)
    assert (fw.span.line, fw.span.col) == (2, 1)
    # The VF823 file: the physdev rule is never reached.
    path = RULE_CASES / "VF823" / "fail-iptables"
    fw = by_name("iptables").read(path.read_text(), str(path)).host["firewall"]
    assert (fw.open, fw.policy, fw.bridged) == (("22/tcp",), "reject", False)
    plain = "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n-A INPUT -p udp --dport 53 -j ACCEPT\nCOMMIT\n"
    fw = by_name("iptables").read(plain, "i").host["firewall"]
    assert (fw.open, fw.policy, fw.bridged) == (("53/udp",), "drop", True)



def test_a_firewall_that_ends_in_reject_or_drop_denies_by_default():
    """An unconditional REJECT or DROP decides for every packet INPUT still has: what comes
    after it opens nothing. Matches every packet passes (-p all, 0.0.0.0/0) leave a rule
    unconditional; any other match does not."""
    head = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:RH-Firewall-1-INPUT - [0:0]\n"

    def fw(rules: str):
        f = by_name("iptables").read(head + rules + "COMMIT\n", "/etc/sysconfig/iptables").host["firewall"]
        return f.open, f.policy

    stock = ("-A INPUT -j RH-Firewall-1-INPUT\n"
             "-A RH-Firewall-1-INPUT -m state --state NEW -m tcp -p tcp --dport 22 -j ACCEPT\n"
             "-A RH-Firewall-1-INPUT -j REJECT --reject-with icmp-host-prohibited\n")
    assert fw(stock) == (("22/tcp",), "reject")
    assert fw(stock + "-A RH-Firewall-1-INPUT -p tcp -m tcp --dport 8002 -j ACCEPT\n") == (("22/tcp",), "reject")
    assert fw(stock + "-A INPUT -p tcp -m tcp --dport 8002 -j ACCEPT\n") == (("22/tcp",), "reject")
    assert fw("-A INPUT -p tcp -m tcp --dport 8002 -j ACCEPT\n" + stock) == (("8002/tcp", "22/tcp"), "reject")
    assert fw("-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP\n") == (("22/tcp",), "drop")
    assert fw("-A INPUT -p all -j REJECT\n") == ((), "reject")
    assert fw("-A INPUT -s 0.0.0.0/0 -d 0/0 -j DROP\n") == ((), "drop")
    # Conditional: only some packets are refused, so the firewall is not default-deny.
    assert fw("-A INPUT -p tcp -j REJECT --reject-with tcp-reset\n") == ((), "accept")
    assert fw("-A INPUT -i eth0 -j RH-Firewall-1-INPUT\n-A RH-Firewall-1-INPUT -j REJECT\n") == ((), "accept")
    assert fw("-A INPUT ! -p all -j REJECT\n") == ((), "accept")


def test_exports_facts():
    ex = _read("exports").host["exports"]
    assert [(e.path, e.clients, e.options) for e in ex] == [
        ("/var/lib/libvirt/images", "*.example.com", "rw,no_root_squash,async"),
        ("/srv/iso", "10.0.0.0/24", "ro,sync"), ("/srv/iso", "kvm2.example.com", "ro,sync")]
    # `host (rw)` is read as exportfs reads it: two clients.
    ex = by_name("exports").read("/srv/a h1 (rw)\n/srv/b -rw h2 h3(sync)\n", "e").host["exports"]
    assert [(e.clients, e.options) for e in ex] == [("h1", None), ("*", "rw"), ("h2", "rw"), ("h3", "rw,sync")]


def test_selinux_facts():
    dirs = _read("file_contexts.local").host["image_dirs"]
    assert [(d.path, d.label) for d in dirs] == [("/virtstorage", "xen_image_t"), ("/dev/sda2", "xen_image_t"),
                                                 ("/var/lib/tgtd", "tgtd_var_lib_t")]
    f = _read("selinux-setup.sh")
    assert [(d.path, d.label) for d in f.host["image_dirs"]] == [("/virtstorage", "xen_image_t"),
                                                                 ("/dev/sda2", "xen_image_t")]
    assert [(s.key, s.value) for s in f.host["sebools"]] == [("virt_use_sysfs", "on"), ("qemu_use_comm", "on"),
                                                             ("qemu_use_nfs", "on")]
    assert [(s.key, s.value) for s in _read("booleans.local").host["sebools"]] == [
        ("virt_use_sysfs", "on"), ("qemu_use_comm", "on"), ("xend_disable_t", "off")]


def test_cpuspeed_has_no_host_facts_and_says_so():
    f = _read("cpuspeed")
    assert f.host == {}
    assert [(d.code, str(d.severity), d.span.line) for d in f.diagnostics] == [("VF003", "info", 2)]


def test_cpuspeed_rule_depends_on_what_is_known_of_the_cpu():
    path = RULE_CASES / "VF862" / "fail-cpu-unknown-cpuspeed"
    _, diags = _lint(path)  # no host facts: a note
    assert [(d.code, str(d.severity)) for d in diags if d.code == "VF862"] == [("VF862", "info")]
    kvm = compile_sources(["kvm.virt"], texts={"kvm.virt": KVM_NO_TSC}).model
    _, diags = _lint(path, kvm)
    assert [(d.code, str(d.severity), d.span.line) for d in diags if d.code == "VF862"] == [("VF862", "warning", 3)]
    tsc = compile_sources(["tsc.virt"], texts={"tsc.virt": "host k { hypervisor kvm; cpu intel flags vmx "
                                                          "constant_tsc }\n"}).model
    _, diags = _lint(path, tsc)
    assert [d for d in diags if d.code == "VF862"] == []


# ---------------------------------------------------------------- virtc's own files read back

EXTRA = """
host x1 {
  hypervisor xen; cpu intel cores 4 flags vmx; memory 16G
  bridge xenbr0 on eth0
  migration peers x2 port 8003 allow "^x2\\\\.example\\\\.com$ ^10\\\\.0\\\\.0\\\\.[0-9]+$"
  xend dom0-min-mem 512
  xend loglevel INFO
  xend network-script "network-bridge bridge=xenbr0 netdev=dummy0"
  xend vncpasswd ""
  sysctl vm.swappiness 10
  sysctl net.ipv4.ip_local_port_range "32768 61000"
  modprobe dummy "numdummies=1"
  modprobe loop "max_loop=128"
  modprobe pciback "hide=(0000:09:00.0)(0000:0a:04.1)"
}
host x2 { hypervisor xen; memory 16G; migration peers x1 }
"""


def _built():
    out = []
    for path in EXAMPLES:
        out.append(compile_sources([str(path)]))
    out.append(compile_sources(["extra.virt"], texts={"extra.virt": EXTRA}))
    for result in out:
        assert result.model is not None, result.diagnostics
        arts, diags = artifacts(result.model)
        assert diags == []
        yield result.model, arts


def test_virtc_host_files_read_back_as_the_model():
    from virtc.targets.xend import settings as xend_settings

    seen = set()
    for model, arts in _built():
        hosts = {h.name: h for h in model.hosts}
        for a in arts:
            name = a.path.rsplit("/", 1)[-1]
            if name not in ("xend-config.sxp", "sysctl.conf", "modprobe.conf"):
                continue
            h = hosts[a.path.split("/", 1)[0]]
            f = READERS[name](a.text, a.path)
            assert f.diagnostics == [], (a.path, [d.message for d in f.diagnostics])
            seen.add(name)
            if name == "sysctl.conf":
                assert [(s.key, s.value) for s in f.host["sysctl"]] == [(s.key, s.value) for s in h.sysctl]
            elif name == "modprobe.conf":
                assert [(s.key, s.value) for s in f.host["modprobe"]] == [(s.key, s.value) for s in h.modprobe]
            else:
                assert [(s.key, s.value) for s in f.host["xend"]] == xend_settings(h)
                m = h.migration
                if m is not None and m.peers:
                    got = f.host["migration"]
                    assert (got.port, got.address, got.allow) == (m.port or 8002, m.address, m.allow)
                else:
                    assert "migration" not in f.host
    assert seen == {"xend-config.sxp", "sysctl.conf", "modprobe.conf"}


def test_read_settings_reach_the_model_rules_with_file_spans():
    """Unknown keys and yes/no values are the model rules' (VX102, VX103), at file:line:col."""
    text = "(xend-relocation-server maybe)\n(dom0-min-men 256)\n(network-script /bin/true)\n"
    f = xend.read(text, "/h/etc/xen/xend-config.sxp")
    host, guests, _ = assemble("h", [f], f.source.span(0, 1))
    assert host.hypervisor == "xen"
    diags = run_rules(Model((host,), tuple(guests), ()))
    got = sorted((d.code, d.span.file, d.span.line, d.span.col) for d in diags if d.code in ("VX102", "VX103"))
    assert got == [("VX102", "/h/etc/xen/xend-config.sxp", 2, 1), ("VX103", "/h/etc/xen/xend-config.sxp", 1, 1)]
    assert "dom0-min-mem" in next(d.hint for d in diags if d.code == "VX102")


def test_firewall_and_relocation_meet_in_the_migration_rules():
    xf = xend.read("(xend-relocation-server yes)\n(xend-relocation-port 8002)\n", "/h/etc/xen/xend-config.sxp")
    fw = by_name("iptables").read("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
                                "-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j REJECT\nCOMMIT\n",
                                "/h/etc/sysconfig/iptables")
    host, guests, _ = assemble("h", [xf, fw], xf.source.span(0, 1))
    diags = [d for d in run_rules(Model((host,), tuple(guests), ())) if d.code == "VL119"]
    assert [(d.span.file, d.span.line) for d in diags] == [("/h/etc/sysconfig/iptables", 1)]
    assert "8002/tcp" in diags[0].message


# ---------------------------------------------------------------- robustness

_ALL_READERS = list(READERS.values())
_FORMAT_SOUP = st.lists(st.sampled_from([
    "(", ")", "'", '"', "\\", "\\\n", "#", ";", "=", " ", "\t", "\n", "\r\n", "*filter", "COMMIT", ":INPUT ACCEPT",
    "-A", "INPUT", "-p", "tcp", "--dport", "49152:49216", "8002-9000", "-j", "ACCEPT", "!", "-m", "multiport",
    "--dports", "1,2,3", "options", "loop", "max_loop=64", "hide=(0000:09:00.0)", "alias", "net.ipv4.ip_forward",
    "/var/lib/libvirt/images", "*.example.com(rw,no_root_squash)", "(rw)", "-rw", "semanage", "fcontext", "-a",
    "-t", "xen_image_t", "-f", "-b", "(/.*)?", "system_u:object_r:xen_image_t:s0", "<<none>>", "setsebool", "-P",
    "virt_use_sysfs", "1", "on", "MIN_SPEED=", "$(", "`", "xend-relocation-server", "yes", "\\x4", "\\777",
    "9" * 5000, "\x00", "\u00e9", "\ufeff"]), max_size=60).map("".join)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=400))
def test_arbitrary_text_never_raises(text):
    for reader in _ALL_READERS:
        f = reader(text, "f")
        assert f.source.text == text


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_FORMAT_SOUP)
def test_format_soup_never_raises(text):
    for reader in _ALL_READERS:
        f = reader(text, "f")
        for d in f.diagnostics:
            assert d.span is None or 0 <= d.span.start <= d.span.end <= len(text)
        if f.document is not None:
            for rule in all_rules():
                if rule.scope is Scope.DOCUMENT and f.document.format in rule.formats:
                    list(rule().run(Context(Model((), (), ()), documents=[f.document])))


_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e, blacklist_characters="'\"`"), max_size=40)


@settings(max_examples=examples(300), deadline=None)
@given(value=_VALUE)
def test_any_value_virtc_writes_to_xend_config_reads_back(value):
    text = f"(vncpasswd {xend.sxp_value(value) if value else chr(39) * 2})\n"
    f = xend.read(text, "x")
    assert [(s.key, s.value) for s in f.host["xend"]] == [("vncpasswd", value)]
    assert f.diagnostics == []


@settings(max_examples=examples(200), deadline=None)
@given(value=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e, blacklist_characters="'\"\\`$#;"),
                     min_size=1, max_size=30))
def test_any_value_virtc_writes_to_sysctl_and_modprobe_reads_back(value):
    f = by_name("sysctl").read(f"kernel.x = {value}\n", "s")
    assert [(s.key, s.value) for s in f.host["sysctl"]] == [("kernel.x", value)]
    f = by_name("modprobe").read(f"options m p={value}\n", "m")
    assert [(s.key, s.value) for s in f.host.get("modprobe", ())] in ([("m", f"p={value}")], [])


def test_sources_are_the_given_text():
    for name, reader in READERS.items():
        f = reader("", name)
        assert isinstance(f.source, SourceFile) and f.diagnostics == [] and f.document is not None
    assert cpuspeed.read("", "c").host == {}


def test_line_readers_do_not_read_across_lines():
    # `SELINUX=` with nothing after it is an empty mode, whatever the lines below hold:
    # the shell that sources the file reads one line per assignment. A pattern whose \s
    # crossed newlines read `permissive` from two lines down, and took time quadratic in
    # the blank lines (64 KB of them: 20 s).
    cfg = by_name("selinux-config").read("SELINUX=\n\npermissive\nSELINUXTYPE=targeted\n", "/etc/selinux/config")
    assert "selinux" not in cfg.host
    assert [(d.code, d.span.line, d.span.col) for d in cfg.diagnostics] == [("VF854", 1, 9)]
    assert by_name("selinux-config").read("SELINUX=disabled\n", "c").host["selinux"] == "disabled"
    # the same holds for the format sniffers: a lone keyword line followed by `=` on the
    # next line is not the format
    assert not by_name("selinux-config").recognise("SELINUX\n=enforcing\nSELINUXTYPE\n=targeted\n")
    assert by_name("selinux-config").recognise("SELINUX=enforcing\nSELINUXTYPE=targeted\n")


def test_a_regex_python_cannot_compile_is_a_finding():
    # re raises OverflowError for a huge repeat count and RecursionError for deep groups,
    # not only re.error: each is a finding about the user's pattern (fuzzer-found)
    from virtc.regexes import regex_error

    assert regex_error("/srv(/.*)?") is None
    assert regex_error("a{99999999999}") == "a repeat count is too large"
    assert regex_error("a{" + "9" * 5000 + "}") == "a repeat count is too large"  # past the int digit limit
    assert regex_error("(" * 3000 + ")" * 3000) == "its groups are nested too deeply"
    assert "missing )" in regex_error("/srv(/.*")
    text = "/srv/x" + "(" * 3000 + ")" * 3000 + "    system_u:object_r:xen_image_t:s0\n"
    f = by_name("fcontext").read(text, "/etc/selinux/targeted/contexts/files/file_contexts.local")
    assert [(d.code, d.span.line) for d in f.diagnostics] == [("VF841", 1)]
    assert "nested too deeply" in f.diagnostics[0].message


def test_multipath_sections_nested_past_the_limit_are_one_finding():
    # a file of unclosed sections made each entry's key the path of every section above
    # it: keys, and the reader, grew with the file (fuzzer-found: 64 KB took 0.5 s)
    from virtc.targets.multipath import MAX_DEPTH

    n = MAX_DEPTH + 4
    text = "multipaths {\n" * n + "\tmultipath {\n\t\twwid 3600\n\t}\n" + "}\n" * n
    f = by_name("multipath").read(text, "/etc/multipath.conf")
    assert [(d.code, d.span.line) for d in f.diagnostics] == [("VF411", MAX_DEPTH + 1)]
    assert max(len(e.key.split("/")) for e in f.document.entries) == MAX_DEPTH + 1
    # two levels, as RHEL 5 writes them, read as before
    ok = by_name("multipath").read("multipaths {\n\tmultipath {\n\t\twwid 3600\n\t\talias a\n\t}\n}\n", "m")
    assert not ok.diagnostics and [e.key for e in ok.document.entries][-1] == "multipaths/multipath/alias"


def test_a_multipath_section_left_open_at_the_end_is_a_warning_and_still_read():
    """multipath reads an unclosed section to the end of the file and uses its aliases
    (multipath-tools notes "missing '}' at end of file"): not an error, and the LUNs count."""
    from virtc.diagnostics import Severity

    text = "multipaths {\n\tmultipath {\n\t\twwid 3600805f30015987000000000768a0019\n\t\talias ora1\n\t}\n"
    f = by_name("multipath").read(text, "/etc/multipath.conf")
    assert [(d.code, d.severity, d.span.line) for d in f.diagnostics] == [("VF411", Severity.WARNING, 1)]
    assert [lun.name for lun in f.host["luns"]] == ["ora1"]


def test_the_overrides_section_of_later_multipath_tools_is_no_error():
    """`overrides { }` (multipath-tools 0.4.9 on): RHEL 5's 0.4.7 logs it as an invalid
    keyword and reads on, so it is a note of what virtc does not model, not VF411's error."""
    from virtc.targets.multipath import MultipathSections

    text = ("overrides {\n\tno_path_retry fail\n}\nmultipaths {\n\tmultipath {\n"
            "\t\twwid 3600805f30015987000000000768a0019\n\t\talias ora1\n\t}\n}\n")
    found = by_name("multipath").read(text, "/etc/multipath.conf")
    assert [d.code for d in found.diagnostics] == ["VF003"] and "overrides" in found.diagnostics[0].message
    assert [lun.name for lun in found.host["luns"]] == ["ora1"]
    assert list(MultipathSections().run(Context(Model((), (), ()), documents=[found.document]))) == []


def test_iptables_service_names_open_their_ports_and_a_local_name_opens_nothing_known(tmp_path):
    """--dport ssh is port 22 (schemas/services.json); a name only the host's own
    /etc/services holds is no error, opens no port virtc knows, and is noted (VF003);
    the host still imports to .virt."""
    from virtc import api

    host = tmp_path / "h1" / "etc"
    (host / "sysconfig").mkdir(parents=True)
    (host / "redhat-release").write_text("Red Hat Enterprise Linux Server release 5.8 (Tikanga)\n")
    (host / "sysconfig" / "iptables").write_text(
        "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n"
        "-A INPUT -p tcp -m tcp --dport ssh -j ACCEPT\n"
        "-A INPUT -p tcp -m tcp --dport our-local-app -j ACCEPT\n"
        "-A INPUT -p tcp -m multiport --dports imaps,ftp-data:ftp -j ACCEPT\nCOMMIT\n")
    result = api.lint([], [str(tmp_path / "h1")])
    assert result.model.hosts[0].firewall.open == ("22/tcp", "993/tcp", "20-21/tcp")
    assert not result.has_errors
    assert any(d.code == "VF003" and "service name" in d.message and d.span.line == 5 for d in result.diagnostics)
    out = tmp_path / "h1.virt"
    imported = api.import_([str(tmp_path / "h1")], output=str(out))
    assert not imported.has_errors, [str(d) for d in imported.diagnostics]
    assert "open 22/tcp 993/tcp 20-21/tcp" in out.read_text()


def test_a_sysctl_conf_of_thousands_of_unknown_keys_is_compared_within_its_bound():
    """Each unknown key is compared with the kernel's hundreds of keys (difflib) for a
    misspelling: past the bound's first distinct unknown keys the others are counted in
    one note, not compared; misspellings among the first are still found."""
    from virtc.bounds import bound
    from virtc.targets import sysctl

    n = bound("sysctl_misspellings")
    lines = ["net.ipv4.ip_forwad = 1"] + [f"net.unknown{i}.setting{i} = 1" for i in range(n + 50)]
    lines.append("net.bridge.bridge-nf-call-iptable = 0")  # past the bound: not compared
    found = sysctl.read("\n".join(lines) + "\n", "sysctl.conf")
    warned = [d for d in found.diagnostics if d.code == "VF802" and d.severity.name == "WARNING"]
    assert [d.span.line for d in warned] == [1]
    (note,) = [d for d in found.diagnostics if d.code == "VF802" and d.severity.name == "INFO"]
    assert note.message.startswith("52 more unknown keys")  # 250 + 2 unknown, 200 compared


def test_a_comment_after_a_sysctl_value_is_told_by_what_the_kernel_does_with_it():
    """A number is set and the rest refused (`sysctl -p` reports an error); text keeps the
    comment as part of itself."""
    from virtc.targets import sysctl

    found = sysctl.read("net.ipv4.conf.all.rp_filter = 2 # strict\n"
                        "kernel.core_pattern = /var/crash/core.%e # where cores go\n", "sysctl.conf")
    number, text = [d.message for d in found.diagnostics if d.code == "VF803"]
    assert "takes the number before it, refuses the rest" in number
    assert "given the comment as part of the value" in text
