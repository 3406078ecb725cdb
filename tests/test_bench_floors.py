"""What the benchmarks' lower bounds count (nothing here times anything): the tokens of
tests/bench/scale_errors.py's per-token columns, and the work of tests/bench/lint_floor.py's
skeleton, which must read every file a lint of the tree reads."""
from __future__ import annotations

import importlib
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "bench"))  # the scripts import their neighbours as scripts do
scale_errors = importlib.import_module("scale_errors")
lint_floor = importlib.import_module("lint_floor")


def test_tokens_count_words_strings_comments_line_ends_and_other_characters():
    assert scale_errors.tokens("host h {\n") == 4  # host, h, {, end of line
    assert scale_errors.tokens("guest g on h1 { memory 1G } # two words\n") == 10
    assert scale_errors.tokens('  disk xvda tap:aio "/var/lib/a b.img" size 8G\n') == 7
    assert scale_errors.tokens("  nic bridge xenbr0 rate 10MB/s mac 00:16:3e:00:00:01\n") == 8
    assert scale_errors.tokens('  x "a; b" = ;\n') == 5  # a string holding a ';' is one
    assert scale_errors.tokens('  modprobe pciback "emory 16G; x\n') == 8  # a quote left open is one character
    assert scale_errors.tokens('"\n' * 3) == 6  # a lone quote, and its line's end
    assert scale_errors.tokens("= ; ") == 2  # blanks are not tokens


def test_the_skeleton_reads_every_xml_element_and_every_xm_assignment(tmp_path):
    from virtc import api

    src = tmp_path / "f.virt"
    src.write_text("host h1 {\n  hypervisor xen; memory 16G\n  bridge xenbr0 on eth0\n}\n"
                   "guest a on h1 { type xen-pv; memory 512M; nic bridge xenbr0\n"
                   '  disk xvda tap:aio "/var/lib/xen/images/a.img" size 4G }\n'
                   "guest b on h1 { type xen-pv; memory 256M }\n")
    out = tmp_path / "out"
    assert not api.build([str(src)], str(out)).has_errors
    from lxml import etree

    xmls = sorted(out.rglob("*.xml"))
    xms = [p for p in (out / "h1" / "etc" / "xen").iterdir() if p.is_file() and p.suffix != ".sxp"]
    assert len(xmls) == len(xms) == 2
    elements = sum(1 for p in xmls for _ in etree.parse(str(p)).iter())
    assignments = sum(p.read_text().count(" = ") for p in xms)
    assert elements > 20 and assignments > 10
    assert lint_floor.skeleton(str(out)) == elements + assignments
