"""No hidden global state: parse, fmt and check run on several threads at once (as the
editor server checks on a worker thread while it formats on another) and every result
equals the one computed on one thread. Comments are what a shared parser state would
lose first, so most inputs hold comments, and `ignore` directives whose effect check and
fmt show; a syntax error makes parse run several times per call (its error recovery).

Nothing here measures time: the threads hand the interpreter to each other often (a short
switch interval), and what is compared is only the results.
"""
from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from virtc import api
from virtc.fmt import format_text
from virtc.loading import buffers_first
from virtc.lsp_parsecache import ParseCache
from virtc.parse import parse
from virtc.source import SourceFile

from conftest import EXAMPLES

THREADS = 4
ROUNDS = 40  # per thread; each round runs every small input's operations and one example's

SUPPRESSED = """\
# a small fleet with suppressions: a comment lost changes what check reports
host xen1 {
  hypervisor xen; arch x86_64   # the dom0
  memory 16G
  bridge xenbr0 on eth0
}

template web {
  type xen-pv; memory 1G       # small
  nic bridge xenbr0
}

# virtc: ignore[VS101] sdq is the name the SAN runbook uses
guest g01 from web on xen1 {
  disk xvda tap:aio "/var/lib/libvirt/images/g01.img"
  disk sdq phy "/dev/VolGroup00/data"
}

guest g02 from web on xen1 {
  disk xvda tap:aio "/var/lib/libvirt/images/g02.img"
  disk xvdb16 tap:aio "/img/g2.img" # virtc: ignore[VS101] kept from the old host
  disk sdq phy "/dev/VolGroup00/more"
}
"""

FILE_WIDE = """\
# virtc: ignore-file[VS101] every guest here keeps its SCSI names
host kvm1 { hypervisor kvm; arch x86_64; memory 8G  # lab box
  bridge br0 on eth0 }  # one bridge
guest a on kvm1 {  # the first
  type kvm; memory 512M; disk sdq phy "/dev/sdq"   # named by the SAN
  # a full-line comment inside a block
  nic bridge br0
}
"""

COMMENTS_ONLY = "# nothing but comments\n\n   # indented\n#\n# virtc: ignore[VS101] aims at nothing\n"

SYNTAX_ERRORS = """\
# two bad statements: parse recovers and reports both
host xen1 {
  hypervisor xen   # fine
  memory = 16G     # VP001
}
guest g on xen1 {
  type xen-pv; vcpus = 2   # VP001 again
}
"""

SMALL = {"suppressed.virt": SUPPRESSED, "file-wide.virt": FILE_WIDE,
         "comments-only.virt": COMMENTS_ONLY, "syntax-errors.virt": SYNTAX_ERRORS}


def _outcome(call):
    """What a call returns, or the exception it raises (as comparable values)."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - a raise on one thread only is a difference too
        return ("raised", type(exc).__name__, str(exc))


def op_parse(path: str, text: str):
    return _outcome(lambda: parse(SourceFile(path, text)))


def op_fmt(path: str, text: str):
    return _outcome(lambda: format_text(text, path))


def op_check(path: str, text: str):
    return _outcome(lambda: api.check([path], texts={path: text}).diagnostics)


OPS = {"parse": op_parse, "fmt": op_fmt, "check": op_check}


@pytest.fixture
def often_switching():
    """Threads take turns every 0.1 ms instead of 5 ms, so calls interleave finely."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    yield
    sys.setswitchinterval(before)


def _inputs(tmp_path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    small = [(str(tmp_path / name), text) for name, text in SMALL.items()]
    examples = [(str(p), p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.virt"))]
    assert len(examples) >= 4
    return small, examples


def _workload(thread: int, small, examples) -> list[tuple[str, str, str]]:
    """(op, path, text) in a different order on each thread, so that different operations
    and inputs overlap."""
    big = [(op, path, text) for path, text in examples for op in OPS]
    out = []
    for r in range(ROUNDS):
        rotated = small[(r + thread) % len(small):] + small[:(r + thread) % len(small)]
        ops = list(OPS)[thread % len(OPS):] + list(OPS)[:thread % len(OPS)]
        out += [(op, path, text) for path, text in rotated for op in ops]
        out.append(big[(r * THREADS + thread) % len(big)])
    return out


def _run_on_threads(work: list[list], run_one) -> list[list]:
    start = threading.Barrier(len(work))

    def worker(items):
        start.wait()
        return [run_one(*item) for item in items]

    with ThreadPoolExecutor(len(work)) as pool:
        return list(pool.map(worker, work))


def test_parse_fmt_and_check_on_threads_equal_one_thread(tmp_path, often_switching):
    small, examples = _inputs(tmp_path)
    expected = {(op, path): OPS[op](path, text) for path, text in small + examples for op in OPS}
    # the inputs do what they are here for: comments kept, suppressions used, errors found
    syntax, _ = expected[("parse", str(tmp_path / "suppressed.virt"))]
    assert len(syntax.comments) == 5
    codes = [d.code for d in expected[("check", str(tmp_path / "suppressed.virt"))]]
    assert codes.count("VS101") == 1, codes
    assert expected[("fmt", str(tmp_path / "syntax-errors.virt"))][:2] == ("raised", "FormatError")
    assert "# lab box" in expected[("fmt", str(tmp_path / "file-wide.virt"))]

    work = [_workload(t, small, examples) for t in range(THREADS)]
    assert sum(map(len, work)) >= 2000
    results = _run_on_threads(work, lambda op, path, text: (op, path, OPS[op](path, text)))
    wrong = [(op, Path(path).name, _summary(got)) for done in results for op, path, got in done
             if got != expected[(op, path)]]
    assert not wrong, f"{len(wrong)} of {sum(map(len, results))} results differ, e.g. {wrong[:3]}"


def _summary(got) -> str:
    if isinstance(got, tuple) and got and got[0] == "raised":
        return f"{got[1]}: {got[2][:200]}"
    if isinstance(got, tuple) and got and got[0] is not None and hasattr(got[0], "comments"):
        return f"a tree with {len(got[0].comments)} comments"
    if isinstance(got, list):
        return f"diagnostics {[d.code for d in got]}"
    return repr(got)[:200]


INCLUDED_ON_DISK = "host xen1 {\n  hypervisor xen; memory 16G  # on disk\n  bridge xenbr0 on eth0\n}\n"
INCLUDED_IN_EDITOR = "host xen1 {\n  hypervisor xen; memory 16G  # unsaved\n  bridge xenbr1 on eth0\n}\n"
MAIN = """\
include "hosts.virt"
guest g on xen1 {
  type xen-pv; memory 1G
  nic bridge xenbr1   # only the editor's hosts.virt has it
  disk sdq phy "/dev/sdq"  # virtc: ignore[VS101] a SAN name
}
"""


def test_editor_loader_and_parse_cache_on_threads_equal_one_thread(tmp_path, often_switching):
    """The editor server's way to compile (its buffers as the loader, its parse cache as
    the parser) runs beside compiles from disk: neither sees the other's files."""
    (tmp_path / "hosts.virt").write_text(INCLUDED_ON_DISK)
    main = str(tmp_path / "main.virt")
    (tmp_path / "main.virt").write_text(MAIN)
    buffers = {main: MAIN, str(tmp_path / "hosts.virt"): INCLUDED_IN_EDITOR}

    def from_disk():
        return api.check([main]).diagnostics

    def from_editor(cache: ParseCache):
        out = api.check([main], loader=buffers_first(buffers), parser=cache.parse)
        return out.diagnostics, {p: s.text for p, s in out.sources.items()}

    disk, editor = from_disk(), from_editor(ParseCache())
    assert [d.code for d in disk] == ["VR003"]  # xenbr1 is only in the unsaved hosts.virt
    assert [d.code for d in editor[0]] == ["VE104", "VS111"]  # VS101 suppressed
    assert editor[1][str(tmp_path / "hosts.virt")] == INCLUDED_IN_EDITOR

    caches = [ParseCache() for _ in range(THREADS)]  # one per server, as in the editor
    work = [[(t, k % 2 == t % 2) for k in range(200)] for t in range(THREADS)]
    results = _run_on_threads(work, lambda t, editor_side: (
        ("editor", _outcome(lambda: from_editor(caches[t]))) if editor_side
        else ("disk", _outcome(from_disk))))
    wrong = [side for done in results for side, got in done if got != (editor if side == "editor" else disk)]
    assert not wrong, f"{len(wrong)} results differ"
