"""After a syntax error the rest of the file is read and checked: independent mistakes
come out in one run, a missing '}' is reported at the block left open, and a misspelt
keyword gets a 'did you mean' from the keywords of its block."""
from __future__ import annotations

from virtc import api

TEXT = """host h1 { hypervisor kvm; memory 8G }
guest g1 on h1 {
  type kvm
  memory 1G

guest g2 on h1 {
  type kvm
  memroy 1G
  nic bridge br0 mac 01:16:3e:00:00:01
}
guest g3 from nosuch on h1 {
  type kvm
  memory 1Q
"""


def findings(tmp_path, text=TEXT):
    f = tmp_path / "f.virt"
    f.write_text(text)
    out = api.check([str(f)])
    return [(d.code, d.span.line, d.span.col) for d in out.diagnostics], out


def test_independent_errors_come_out_in_one_run(tmp_path):
    got, out = findings(tmp_path)
    assert got == [("VP004", 2, 1),      # g1 left open, at its header
                   ("VP001", 8, 3),      # memroy, in g2
                   ("VR006", 9, 22),     # a multicast MAC, in g2 too: its statement parsed
                   ("VP004", 11, 1),     # g3 open at the end of the file
                   ("VR001", 11, 15),    # an unknown template, not written where anything failed
                   ("VR005", 13, 10)], got
    assert out.model is None  # nothing is built from a file with errors
    memroy = next(d for d in out.diagnostics if d.code == "VP001")
    assert "did you mean 'memory'?" in memroy.message and "memory" in memroy.hint


def test_what_a_blanked_statement_leaves_behind_is_not_reported(tmp_path):
    # g1's `type` line fails: that g1 then lacks a type is not a second finding; and a host
    # whose header fails takes its name with it, so "unknown host h1" is not reported
    got, _ = findings(tmp_path, "host h1 {\n  hypervisor kvm; memory 8G\n}\nguest g1 on h1 {\n  type = kvm\n"
                                "  memory 1G\n}\n")
    assert [c for c, *_ in got] == ["VP001"], got
    got, _ = findings(tmp_path, "host h1 = { hypervisor kvm }\nguest g1 on h1 {\n  type kvm\n  memory 1G\n}\n")
    assert "VR002" not in [c for c, *_ in got] and got[0][0] == "VP001", got


def test_vcpu_is_offered_vcpus(tmp_path):
    got, out = findings(tmp_path, "host h1 { hypervisor kvm; memory 8G }\nguest g1 on h1 {\n  type kvm\n"
                                  "  memory 1G\n  vcpu 2\n}\n")
    (d,) = out.diagnostics
    assert d.code == "VP001" and "did you mean 'vcpus'?" in d.message
