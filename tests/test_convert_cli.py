"""`virtc convert` on the command line: xm config <-> domain XML, stdout or -o, exit codes."""
from __future__ import annotations

import subprocess
import sys

import pytest
from lxml import etree

from virtc import api

from conftest import ROOT


def run(*args):
    return subprocess.run([sys.executable, "-m", "virtc", "convert", *args], capture_output=True, text=True)


def _built(tmp_path):
    out = tmp_path / "out"
    assert not api.build([str(ROOT / "examples" / "xen-webfarm.virt")], str(out)).has_errors
    return out / "xenweb1"


def test_xm_to_xml_and_back_on_the_command_line(tmp_path):
    host = _built(tmp_path)
    cfg = host / "etc" / "xen" / "db01"
    r = run(str(cfg))
    assert r.returncode == 0, r.stderr
    root = etree.fromstring(r.stdout.encode())
    assert root.tag == "domain" and root.findtext("name") == "db01"
    assert r.stdout == (host / "etc" / "libvirt" / "xen" / "db01.xml").read_text()
    xml = tmp_path / "db01.xml"
    xml.write_text(r.stdout)
    back = tmp_path / "db01"
    r2 = run(str(xml), "--to", "xm", "-o", str(back))
    assert r2.returncode == 0, r2.stderr
    assert back.read_text() == cfg.read_text()


def test_convert_of_a_broken_file_writes_nothing_and_exits_1(tmp_path):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text('name = "bad"\nmemory = 512\nvif = [ "type=ieomu,bridge=xenbr0" ]\nimport os\n')
    out = tmp_path / "bad.xml"
    r = run(str(cfg), "-o", str(out))
    assert r.returncode == 1
    assert "VF102" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()
    assert run(str(tmp_path / "missing.cfg")).returncode == 2


@pytest.mark.parametrize("serial, missing", [
    ("<serial type='dev'></serial>", "path"),
    # the same for a socket (fuzzer-found again, seed 12: TypeError in the xm emitter)
    ("<serial type='unix'><source mode='bind'/></serial>", "path"),
    # a TCP port without <source service=...> was written as "tcp:0.0.0.0:None"
    ("<serial type='tcp'><source mode='bind' host='0.0.0.0'/></serial>", "port"),
])
def test_a_serial_port_without_a_path_is_a_finding_and_nothing_is_written(tmp_path, serial, missing):
    # <serial type='dev'> without <source path=...>: the xm emitter had None to write
    # (TypeError, fuzzer-found); now VF007 at the serial element, and no file
    xml = tmp_path / "g.xml"
    xml.write_text("<domain type='xen'>\n  <name>g</name>\n  <memory>524288</memory>\n  <vcpu>1</vcpu>\n"
                   f"  <os><type>hvm</type></os>\n  <devices>\n    {serial}\n"
                   "  </devices>\n</domain>\n")
    out = tmp_path / "g"
    r = run(str(xml), "-o", str(out))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "VF007" in r.stderr and f"serial port names no {missing}" in r.stderr
    assert f"{xml}:7:" in r.stderr or "g.xml:7:" in r.stderr
    assert not out.exists()
