"""Lint benchmark (not part of the test run): a tree of 1,000 libvirt domain XMLs and 1,000
xm configs (10 Xen hosts of 100 guests, built by virtc), linted in one process, next to
`virt-xml-validate` run on the same 1,000 XMLs (one process per file, as it is used).

    python tests/bench/bench_lint.py [--guests 1000] [--hosts 10] [--no-validate]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from virtc import api

from bench_fleet import fleet


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--guests", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--no-validate", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "fleet.virt"
        src.write_text(fleet(args.guests, args.hosts))
        out = Path(tmp) / "out"
        built = api.build([str(src)], str(out))
        assert not built.has_errors, [str(d) for d in built.diagnostics[:3]]
        xmls = sorted(out.glob("*/etc/libvirt/xen/*.xml"))
        xms = [p for p in out.glob("*/etc/xen/*") if p.is_file() and p.name != "xend-config.sxp"]
        print(f"tree: {len(xmls)} domain XMLs, {len(xms)} xm configs, {args.hosts} hosts")
        t0 = time.perf_counter()
        result = api.lint([], roots=[str(out)])
        t1 = time.perf_counter()
        codes: dict[str, int] = {}
        for d in result.diagnostics:
            codes[d.code] = codes.get(d.code, 0) + 1
        print(f"virtc lint: {t1 - t0:.2f} s for {len(result.model.guests)} guests on "
              f"{len(result.model.hosts)} hosts; diagnostics by code: {dict(sorted(codes.items()))}")
        tool = shutil.which("virt-xml-validate")
        if tool and not args.no_validate:
            t0 = time.perf_counter()
            bad = 0
            for p in xmls:
                r = subprocess.run([tool, str(p), "domain"], capture_output=True)
                bad += r.returncode != 0
            t1 = time.perf_counter()
            print(f"virt-xml-validate: {t1 - t0:.2f} s for {len(xmls)} XMLs ({bad} invalid)")


if __name__ == "__main__":
    main()
