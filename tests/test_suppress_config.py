"""Inline suppressions and project configuration."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from virtc import api

HOST = 'host xen1 { hypervisor xen; memory 8G; bridge xenbr0 }\n'
IMG = "/var/lib/libvirt/images"


def check(tmp_path, text, name="f.virt"):
    p = tmp_path / name
    p.write_text(HOST + textwrap.dedent(text))
    return api.check([str(p)]), p


def codes(result):
    return sorted((d.code, d.span.line) for d in result.diagnostics if d.span)


def test_trailing_comment_suppresses_its_statement(tmp_path):
    r, _ = check(tmp_path, f'''
        guest g on xen1 {{
          type xen-pv; memory 1G
          disk xvda tap:aio "{IMG}/a.img" sparse  # virtc: ignore[VS109] scratch disk, recreated nightly
          disk xvdb tap:aio "{IMG}/b.img" sparse
        }}''')
    assert codes(r) == [("VS109", 6)]


def test_comment_line_suppresses_the_next_element_by_name(tmp_path):
    r, _ = check(tmp_path, f'''
        # virtc: ignore[sparse-image] test guest, thrown away after each run
        guest g on xen1 {{
          type xen-pv; memory 1G
          disk xvda tap:aio "{IMG}/a.img" sparse
          disk xvdb tap:aio "{IMG}/b.img" sparse
        }}
        guest h on xen1 {{ type xen-pv; memory 1G; disk xvda tap:aio "{IMG}/h.img" sparse }}''')
    assert codes(r) == [("VS109", 9)]


def test_suppression_in_a_template_covers_its_guests(tmp_path):
    r, _ = check(tmp_path, f'''
        template t {{
          type xen-pv; memory 1G
          # virtc: ignore[VS109] CI scratch images
          disk xvda tap:aio "{IMG}/{{name}}.img" sparse
        }}
        guest w[1..5] from t on xen1 {{}}''')
    assert codes(r) == []


def test_file_level_suppression(tmp_path):
    r, _ = check(tmp_path, f'''
        # virtc: ignore-file[VS109,VS110] lab fleet: thin images on purpose
        guest g on xen1 {{ type xen-pv; memory 1G; disk xvda tap:aio "{IMG}/a.img" size 512M sparse }}
        guest h on xen1 {{ type xen-pv; memory 1G; disk xvda tap:aio "{IMG}/b.img" sparse }}''')
    assert codes(r) == []


def test_unused_reasonless_and_unknown_suppressions_are_reported(tmp_path):
    r, _ = check(tmp_path, f'''
        guest g on xen1 {{
          type xen-pv; memory 1G
          disk xvda tap:aio "{IMG}/a.img"  # virtc: ignore[VS109] nothing sparse here
          disk xvdb tap:aio "{IMG}/b.img" sparse  # virtc: ignore[VS109]
          disk xvdc tap:aio "{IMG}/c.img"  # virtc: ignore[VS999] typo
          disk xvdd tap:aio "{IMG}/d.img"  # virtc: ignore[sparse-imag] typo
          disk xvde tap:aio "{IMG}/e.img"  # virtc ignore VS109
        }}''')
    found = {(d.code, d.span.line, str(d.severity)) for d in r.diagnostics}
    assert ("VR030", 5, "warning") in found  # unused
    assert ("VR031", 6, "warning") in found  # no reason (but it works)
    assert ("VS109", 6, "warning") not in found
    assert ("VR032", 7, "warning") in found
    unknown = next(d for d in r.diagnostics if d.code == "VR032" and d.span.line == 8)
    assert unknown.hint == "did you mean 'sparse-image'?"
    assert ("VR032", 9, "warning") in found  # malformed directive
    assert not r.has_errors


def test_config_changes_severity_or_turns_a_rule_off(tmp_path):
    text = f'guest g on xen1 {{ type xen-pv; memory 1G; disk xvda tap:aio "{IMG}/a.img" sparse }}\n'
    (tmp_path / "virtc.toml").write_text('[rules]\nVS109 = "error"\n')
    r, _ = check(tmp_path, text)
    assert [(d.code, str(d.severity)) for d in r.diagnostics] == [("VS109", "error")]
    (tmp_path / "virtc.toml").write_text('[rules]\nsparse-image = "off"\n')
    r, _ = check(tmp_path, text)
    assert r.diagnostics == []


def test_config_is_found_upward_in_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.virtc.rules]\nVS109 = "off"\n')
    sub = tmp_path / "fleet" / "eu"
    sub.mkdir(parents=True)
    (sub / "f.virt").write_text(HOST + f'guest g on xen1 {{ type xen-pv; memory 1G; '
                                       f'disk xvda tap:aio "{IMG}/a.img" sparse }}\n')
    assert api.check([str(sub / "f.virt")]).diagnostics == []


def test_inline_ignores_can_be_turned_off(tmp_path):
    (tmp_path / "virtc.toml").write_text("inline-ignores = false\n")
    r, _ = check(tmp_path, f'''
        guest g on xen1 {{ type xen-pv; memory 1G
          disk xvda tap:aio "{IMG}/a.img" sparse  # virtc: ignore[VS109] please
        }}''')
    assert [d.code for d in r.diagnostics] == ["VS109"]


def test_bad_configuration_is_a_clear_error_and_exit_2(tmp_path):
    (tmp_path / "virtc.toml").write_text('[rules]\nVS109 = "warn"\nsparse-imag = "off"\n\n[output]\nx = 1\n')
    f = tmp_path / "f.virt"
    f.write_text(HOST)
    r = api.check([str(f)])
    msgs = sorted(d.message for d in r.config_errors)
    assert r.config_errors and all(d.code == "VR040" for d in r.config_errors)
    assert "unknown configuration key 'output'" in msgs
    proc = subprocess.run([sys.executable, "-m", "virtc", "check", str(f)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "virtc.toml:" in proc.stdout and "VR040" in proc.stdout


def test_unknown_rule_in_configuration(tmp_path):
    (tmp_path / "virtc.toml").write_text('[rules]\nsparse-imag = "off"\n')
    f = tmp_path / "f.virt"
    f.write_text(HOST)
    [d] = api.check([str(f)]).config_errors
    assert d.message == "configuration names unknown rule 'sparse-imag'"
    assert d.hint == "did you mean 'sparse-image'?" and (d.span.line, d.span.col) == (2, 1)


def test_rules_and_explain_commands():
    out = subprocess.run([sys.executable, "-m", "virtc", "rules"], capture_output=True, text=True).stdout
    assert any(line.split()[:3] == ["VS101", "disk-target-name", "error"] for line in out.splitlines())
    proc = subprocess.run([sys.executable, "-m", "virtc", "explain", "tap-aio-per-host"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "VS103 tap-aio-per-host (error)" in proc.stdout and "254" in proc.stdout and "lines 511, 540" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "virtc", "explain", "VS1O3"], capture_output=True, text=True)
    assert proc.returncode == 2 and "did you mean" in proc.stderr
