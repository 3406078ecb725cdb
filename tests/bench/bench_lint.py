"""Lint benchmark (not part of the test run): a tree of 1,000 libvirt domain XMLs and 1,000
xm configs (10 Xen hosts of 100 guests, built by virtc), linted in one process and with
`--jobs 2`, next to the floor (the same XMLs read, parsed by lxml and validated against
virtc's compiled domain.rng, in one process) and `virt-xml-validate` run on the same XMLs
(one process per file, as it is used).

    python tests/bench/bench_lint.py [--guests 1000] [--hosts 10] [--jobs 1,2] [--no-validate]

measure_lint(n) is the table's row (tests/bench/table.py): seconds and ratios, best of
`repeat`, lint and floor taken alternately so that both see the same machine.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from virtc import api

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fleet import fleet  # noqa: E402


def build_tree(tmp: str, guests: int, hosts: int) -> Path:
    src = Path(tmp) / "fleet.virt"
    src.write_text(fleet(guests, hosts))
    out = Path(tmp) / "out"
    built = api.build([str(src)], str(out))
    assert not built.has_errors, [str(d) for d in built.diagnostics[:3]]
    return out


def floor(xmls: list[Path]) -> float:
    """Seconds to read, parse (lxml) and validate (RelaxNG, compiled beforehand) each XML."""
    from lxml import etree

    from virtc.targets.libvirt import schema

    rng = schema._compiled("domain.rng")
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    t0 = time.perf_counter()
    for p in xmls:
        rng.validate(etree.fromstring(p.read_bytes(), parser).getroottree())
    return time.perf_counter() - t0


def virt_xml_validate(xmls: list[Path]) -> float | None:
    tool = shutil.which("virt-xml-validate")
    if tool is None:
        return None
    t0 = time.perf_counter()
    for p in xmls:
        subprocess.run([tool, str(p), "domain"], capture_output=True)
    return time.perf_counter() - t0


def measure_lint(n: int = 1000, hosts: int = 10, jobs=(1, 2), validate: bool = True, repeat: int = 3) -> dict:
    """`virtc lint` (api.lint, every rule and the schema check on) of n domain XMLs and n
    xm configs with each `jobs`; the lxml floor; virt-xml-validate on the n XMLs."""
    with tempfile.TemporaryDirectory() as tmp:
        out = build_tree(tmp, n, hosts)
        xmls = sorted(out.glob("*/etc/libvirt/xen/*.xml"))
        floor(xmls[:10])  # compiles the grammar outside the timings, as lint keeps it compiled
        lint_s = {j: float("inf") for j in jobs}
        best_floor = float("inf")
        found = None
        for _ in range(repeat):
            best_floor = min(best_floor, floor(xmls))
            for j in jobs:
                t0 = time.perf_counter()
                result = api.lint([], roots=[str(out)], jobs=j)
                lint_s[j] = min(lint_s[j], time.perf_counter() - t0)
                assert found is None or len(result.diagnostics) == found
                found = len(result.diagnostics)
        row = {"xmls": len(xmls), "guests": len(result.model.guests), "hosts": len(result.model.hosts),
               "floor_s": best_floor, "diagnostics": found}
        for j in jobs:
            row[f"lint_jobs{j}_s"] = lint_s[j]
            row[f"lint_jobs{j}_over_floor"] = lint_s[j] / best_floor
        if validate:
            v = virt_xml_validate(xmls)
            row["virt_xml_validate_s"] = v
            for j in jobs:
                row[f"virt_xml_validate_over_lint_jobs{j}"] = v / lint_s[j] if v else None
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--guests", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--jobs", default="1,2")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-validate", action="store_true")
    args = ap.parse_args()
    row = measure_lint(args.guests, args.hosts, tuple(int(j) for j in args.jobs.split(",")),
                       not args.no_validate, args.repeat)
    for k, v in row.items():
        print(f"{k:>36}: {v:.2f}" if isinstance(v, float) else f"{k:>36}: {v}")


if __name__ == "__main__":
    main()
