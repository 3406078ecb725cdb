"""virtc's own limits (compiler/bounds.py): numbers bounded before arithmetic, input limits
reported by their codes, and README's table equal to the module's.

The property tests feed huge and odd numbers to every kind of numeric field of the
language and of the xm reader: the run never raises, and a number past a limit gets a
diagnostic that names the limit."""
from __future__ import annotations

import re

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from virtc import bounds, numbers
from virtc.api import check, lint
from virtc.bounds import BOUNDS, bound
from virtc.units import UnitError, parse_size

HOST = ("host xen1 {\n  hypervisor xen; arch x86_64; memory 64G; dom0 memory 2G vcpus 2\n"
        "  cpu intel cores 8 threads 16\n  bridge xenbr0 on eth0\n}\n")

# One field of each numeric kind: (template with N for the number, the kind of N).
FIELDS = [
    ("guest g on xen1 {{ type xen-pv; memory {N}M; vcpus 1 }}", "size"),
    ('guest g on xen1 {{ type xen-pv; memory 1G; disk xvda tap:aio "/i/g.img" size {N}G }}', "size"),
    ("guest g on xen1 {{ type xen-pv; memory 1G; vcpus {N} }}", "int"),
    ("guest g on xen1 {{ type xen-pv; memory 1G; vcpus 1 max {N} }}", "int"),
    ("guest g on xen1 {{ type xen-pv; memory 1G; cpuset 0-{N} }}", "int"),
    ("guest g on xen1 {{ type xen-pv; memory 1G; cpuset {N} }}", "int"),
    ("guest g on xen1 {{ type xen-pv; memory 1G; nic bridge xenbr0 rate {N}MB/s }}", "int"),
    ("guest g on xen1 {{ type xen-pv; memory 1G; nic bridge xenbr0 rate 10MB/s@{N}ms }}", "int"),
    ("guest g on xen1 {{ type xen-hvm; memory 1G; vnc port {N} }}", "int"),
    ("guest g[1..{N}] on xen1 {{ type xen-pv; memory 1G }}", "int"),
    ("host h2 {{ hypervisor xen; memory 8G; cpu intel cores {N} }}", "int"),
    ("host h2 {{ hypervisor xen; memory 8G; bridge xenbr0 on eth0 mtu {N} }}", "int"),
    ("host h2 {{ hypervisor xen; memory 8G; firewall open {N}/tcp policy drop }}", "int"),
    ("host h2 {{ hypervisor xen; memory 8G; firewall open 22-{N}/tcp policy drop }}", "int"),
    ("host h2 {{ hypervisor xen; memory 8G; dom0 memory 1G vcpus 1 pin 0-{N} }}", "int"),
    ("host h2 {{ hypervisor xen; memory 8G; migration port {N} }}", "int"),
    ("host h2 {{ hypervisor xen; memory {N}G }}", "size"),
    ('host h2 {{ hypervisor xen; memory 8G; modprobe loop "max_loop={N}" }}', "int"),
    ('host h2 {{ hypervisor xen; memory 8G; modprobe dummy "numdummies={N}" }}', "int"),
]

HUGE = st.one_of(st.integers(min_value=10 ** 18, max_value=10 ** 40).map(str),
                 st.integers(min_value=19, max_value=9000).map(lambda n: "9" * n),
                 st.sampled_from(["9" * 4301, "9" * 9000, "1" + "0" * 5000]))
ODD = st.sampled_from(["1e999", "nan", "inf", "1.5e308", "0x10", "1_000", "-1", "9" * 400 + "." + "9" * 400])


def _run(text: str):
    return check(["t.virt"], texts={"t.virt": HOST + text + "\n"})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), number=HUGE)
def test_huge_numbers_in_every_field_give_a_diagnostic_naming_the_limit(field, number):
    template, _ = field
    out = _run(template.format(N=number))  # never raises
    shown = [d.message for d in out.diagnostics]
    if "modprobe" in template:  # free text to the language: the rules read it capped, silently
        return
    assert any(re.search(r"at most 18 digits|at most [0-9,]+|above [0-9,]+|more than [0-9,]+|largest size", m)
               for m in shown), shown


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), number=ODD)
def test_odd_number_spellings_never_raise(field, number):
    template, _ = field
    _run(template.format(N=number))


@given(text=st.text(alphabet="0123456789.eEnaif+-_x", max_size=60))
def test_the_number_readers_raise_only_their_own_error(text):
    for read in (lambda t: numbers.whole(t, "n"), lambda t: numbers.decimal(t, "n", 10 ** 6),
                 lambda t: parse_size(t + "G")):
        try:
            read(text)
        except (numbers.NumberError, UnitError):
            pass
    assert numbers.whole_or_none(text) is None or numbers.whole_or_none(text) <= bound("count")
    for problem in (numbers.cpu_list_problem, numbers.rate_problem, numbers.port_range_problem):
        problem(text)


def test_whole_and_decimal_name_the_limit():
    with pytest.raises(numbers.NumberError, match="at most 18 digits"):
        numbers.whole("9" * 9000, "vcpus")
    with pytest.raises(numbers.NumberError, match="between 1 and 4096"):
        numbers.whole("5000", "vcpus", 1, 4096)
    for odd in ("nan", "inf", "1e5", "-3", "+3", "1_0", ""):
        with pytest.raises(numbers.NumberError, match="not a whole number"):
            numbers.whole(odd, "vcpus")
    assert numbers.decimal("1.5", "size", 10) == 1.5
    assert numbers.whole("-3", "offset", -10, 10) == -3


def test_sizes_are_exact_and_bounded():
    assert parse_size("1.5M") == 1536 * 1024
    assert parse_size("1024T") == bound("size_bytes")
    with pytest.raises(UnitError, match="largest size"):
        parse_size("1025T")
    with pytest.raises(UnitError, match="at most 18 digits"):
        parse_size("9" * 400 + "." + "9" * 400 + "G")  # once an OverflowError (issue 14)
    with pytest.raises(UnitError, match="not a whole number of bytes"):
        parse_size("1.0000001K")


def test_a_9000_digit_rate_is_a_diagnostic():  # once a ValueError in the rules (issue 14)
    out = _run("guest g on xen1 { type xen-pv; memory 1G; nic bridge xenbr0 rate %sMB/s }" % ("9" * 9000))
    assert [d.code for d in out.diagnostics if "rate" in d.message] == ["VR012"]


def test_the_rules_read_lint_values_past_the_bounds_without_raising(tmp_path):
    cfg = tmp_path / "etc" / "xen" / "web01"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('name = "web01"\nmemory = %s\nvcpus = %s\ncpus = "0-%s"\n'
                   'vif = [ "bridge=xenbr0,rate=%sMB/s@%sms" ]\n' % (("9" * 5000,) * 5))
    out = lint([str(cfg)])  # never raises
    assert out.diagnostics


@pytest.mark.parametrize("kind, make", [
    ("lines", lambda: "# x\n" * (bound("file_lines") + 1)),
    ("size", lambda: "#" * (bound("file_bytes") + 1)),
])
def test_a_file_past_the_input_limits_is_VR042(kind, make):
    out = check(["big.virt"], texts={"big.virt": make()})
    assert [d.code for d in out.diagnostics] == ["VR042"]
    assert f"{bound('file_lines'):,}" in out.diagnostics[0].message or "4 MiB" in out.diagnostics[0].message


def test_includes_nest_at_most_include_depth(tmp_path):
    depth = bound("include_depth")
    for i in range(depth + 2):
        (tmp_path / f"f{i}.virt").write_text(f'include "f{i + 1}.virt"\n' if i <= depth else HOST)
    out = check([str(tmp_path / "f0.virt")])
    assert [d.code for d in out.diagnostics] == ["VR042"]
    assert f"at most {depth} levels" in out.diagnostics[0].message


def test_readme_lists_the_limits_of_the_table():
    text = (ROOT / "README.md").read_text()
    assert "## Limits of the tool" in text
    section = text[text.index("## Limits of the tool"):]
    assert bounds.readme_table() in section


def test_explain_shows_the_limits_of_its_code():
    from typer.testing import CliRunner
    from virtc.cli import app

    for code in ("VR042", "VF011"):
        shown = CliRunner().invoke(app, ["explain", code]).stdout
        for b in BOUNDS.values():
            assert (f"{b.what}: {b.shown}" in shown) == (b.code == code), (code, b.key)


def test_version_numbers_past_the_digit_limit_never_raise(tmp_path):
    # an OS release, a host release and a disk's partition of 5,000 digits: Python refuses
    # int() past 4,300 digits, so the rules compare such numbers capped (fuzzer-found)
    huge = "9" * 5000
    assert numbers.version("5." + huge) == (5, 10 ** bound("digits"))
    assert numbers.version("xp") is None and numbers.version("5.8") == (5, 8)
    assert numbers.version_parts(f"2.6.18-{huge}.el5") == (2, 6, 18, 10 ** bound("digits"), 5)
    src = tmp_path / "huge.virt"
    src.write_text(f"host h1 {{\n  hypervisor kvm; arch x86_64; release 5.{huge}; memory 16G\n}}\n"
                   f"guest g on h1 {{\n  type kvm; os rhel{huge} x86_64; memory 1G\n"
                   f'  disk xvda{huge} file "/var/lib/libvirt/images/g.img"\n}}\n')
    result = check([str(src)])  # raising here was the bug
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("VR012", 2), ("VR012", 5)]
    assert all("at most 18 digits" in d.message for d in result.diagnostics)
    src.write_text("host h1 {\n  hypervisor kvm; arch x86_64; release 5.8; memory 16G\n}\n"
                   f'guest g on h1 {{\n  type kvm; os rhel5.8 x86_64; memory 1G\n  disk xvda{huge} file "/g.img"\n}}\n')
    assert "VS101" in {d.code for d in check([str(src)]).diagnostics}  # the partition, compared capped
