"""Scaling benchmark (not part of the test run): fleets of 2,000 and 20,000 guests over 100
and 1,000 hosts. Times parsing, checking (resolve + every rule) and building separately;
linear work means the second timings are about ten times the first.

    python tests/bench/bench_fleet.py [--sizes 2000:100,20000:1000]
    python tests/bench/bench_fleet.py --check 2000,20000   # check vs bare parse, peak memory

measure_check(guests) is the table's row (tests/bench/table.py): `virtc check` in process
against a bare Lark parse of the same text, timed in the same moment, and the peak memory
of a fresh process that checks the fleet.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from virtc.build import artifacts, write_tree
from virtc.checker import run_rules
from virtc.grammar import parser
from virtc.parse import parse
from virtc.resolve import compile_sources
from virtc.source import SourceFile


def fleet(guests: int, hosts: int) -> str:
    per_host = guests // hosts
    out = ["template web {", "  type xen-pv; os rhel5.8 x86_64; memory 512M; vcpus 1",
           '  disk xvda tap:aio "/var/lib/libvirt/images/{name}.img" size 8G',
           '  disk xvdb phy "/dev/VolGroup00/{name}-data"',
           "  nic bridge xenbr0", "  nic bridge xenbr1", "}"]
    for h in range(hosts):
        out += [f"host h{h:04d} {{",
                "  hypervisor xen; arch x86_64; release 5.8; memory 64G; dom0 memory 2G vcpus 2",
                "  cpu intel cores 16 threads 32 flags vmx pae nx constant_tsc",
                "  bridge xenbr0 on eth0; bridge xenbr1 on eth1",
                "  services on xend libvirtd ntpd",
                "}",
                f"guest h{h:04d}-web[001..{per_host:03d}] from web on h{h:04d} {{}}"]
    return "\n".join(out) + "\n"


def measure(guests: int, hosts: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.virt"
        text = fleet(guests, hosts)
        path.write_text(text)
        parser()  # build the Lark parser outside the timings
        gc.collect()
        gc.disable()  # as virtc.api does while compiling
        t0 = time.perf_counter()
        tree, diags = parse(SourceFile(str(path), text))
        t1 = time.perf_counter()
        assert tree is not None and not diags
        result = compile_sources([str(path)])  # parses again, then resolves
        t2 = time.perf_counter()
        assert result.model is not None, result.diagnostics[:3]
        found = run_rules(result.model)
        t3 = time.perf_counter()
        errors = [d for d in found if d.severity.name == "ERROR"]
        assert not errors, errors[:3]
        arts, _ = artifacts(result.model)
        write_tree(arts, str(Path(tmp) / "out"))
        t4 = time.perf_counter()
        gc.enable()
    # "check" is resolving (templates, ranges, defaults) plus running every rule.
    return {"guests": guests, "hosts": hosts, "lines": text.count("\n"), "parse": t1 - t0,
            "check": (t2 - t1) - (t1 - t0) + (t3 - t2), "rules": t3 - t2, "build": t4 - t3,
            "files": len(arts)}


def measure_check(guests: int, hosts: int | None = None, repeat: int = 3) -> dict:
    """`virtc check` of a fleet (api.check, in process, the parser already loaded) and a
    bare Lark parse of the same text, best of `repeat`, taken alternately so that both see
    the same machine; and the peak RSS of a fresh process checking it (`peak_mb`)."""
    from virtc import api

    hosts = hosts or max(1, guests // 20)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.virt"
        text = fleet(guests, hosts)
        path.write_text(text)
        lark = parser()
        best_check = best_parse = float("inf")
        for _ in range(repeat):
            gc.collect()
            gc.disable()
            t0 = time.perf_counter()
            lark.parse(text)
            t1 = time.perf_counter()
            gc.enable()
            out = api.check([str(path)])
            t2 = time.perf_counter()
            assert not out.has_errors, [str(d) for d in out.diagnostics[:3]]
            best_parse, best_check = min(best_parse, t1 - t0), min(best_check, t2 - t1)
        peak = _peak_mb(path)
    return {"guests": guests, "hosts": hosts, "lines": text.count("\n"), "check_s": best_check,
            "bare_parse_s": best_parse, "ratio": best_check / best_parse, "peak_mb": peak}


def _peak_mb(path: Path) -> float:
    """Peak RSS (MB) of a new interpreter that runs `virtc check` on path in process."""
    code = ("import json, resource, sys; from virtc import api; out = api.check([sys.argv[1]]); "
            "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))")
    r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": "0"})
    return json.loads(r.stdout.strip().splitlines()[-1]) / 1024  # Linux reports KiB


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2000:100,20000:1000")
    ap.add_argument("--check", metavar="GUESTS,...", help="only measure_check for these fleet sizes")
    args = ap.parse_args(argv)
    if args.check:
        print(f"{'guests':>7} {'lines':>6} {'check s':>8} {'parse s':>8} {'ratio':>6} {'peak MB':>8}")
        for n in map(int, args.check.split(",")):
            r = measure_check(n)
            print(f"{r['guests']:>7} {r['lines']:>6} {r['check_s']:>8.2f} {r['bare_parse_s']:>8.2f} "
                  f"{r['ratio']:>6.2f} {r['peak_mb']:>8.0f}")
        return 0
    rows = [measure(*map(int, s.split(":"))) for s in args.sizes.split(",")]
    print(f"{'guests':>7} {'hosts':>6} {'lines':>7} {'parse s':>8} {'check s':>8} {'(rules)':>8} "
          f"{'build s':>8} {'files':>7}")
    for r in rows:
        print(f"{r['guests']:>7} {r['hosts']:>6} {r['lines']:>7} {r['parse']:>8.2f} {r['check']:>8.2f} "
              f"{r['rules']:>8.2f} {r['build']:>8.2f} {r['files']:>7}")
    if len(rows) == 2:
        a, b = rows
        print("ratio   " + "  ".join(f"{k} {b[k] / a[k]:.1f}x" for k in ("parse", "check", "rules", "build")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
