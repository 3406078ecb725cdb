"""Editor latency benchmark (not part of the test run): the time from an edit of a
2,000-line file to its fresh diagnostics, in process: the edit applied to the server's
document as didChange applies it, then the server's check (parse cache and check memo)
and the conversion to LSP diagnostics, which is what publishDiagnostics sends. Edits are
spread over the file: a digit replaced, a character typed, a line inserted, a character
deleted. The same edits are also timed without the check memo (the server before it
kept rule and compile results), in the same moment, as the baseline.

    python tests/bench/bench_lsp.py [--lines 2000] [--edits 50]
"""
from __future__ import annotations

import argparse
import gc
import random
import statistics
import tempfile
import time
from pathlib import Path


def fleet(lines: int) -> str:
    """A fleet of `lines` lines: hosts of eight guests each, every guest written out."""
    out = ["# a generated fleet for the language server's latency test",
           "template web {", "  type xen-pv; os rhel5.8 x86_64; memory 512M; vcpus 1",
           '  disk xvda tap:aio "/var/lib/libvirt/images/{name}.img" size 8G',
           "  nic bridge xenbr0", "}", ""]
    h = 0
    while len(out) + 64 <= lines:
        out += [f"host h{h:03d} {{", "  hypervisor xen; arch x86_64; release 5.8; memory 64G",
                "  dom0 memory 2G vcpus 2", "  cpu intel cores 16 threads 32 flags vmx pae nx constant_tsc",
                "  bridge xenbr0 on eth0", "  bridge xenbr1 on eth1", "}", ""]
        for g in range(8):
            out += [f"guest h{h:03d}-g{g} from web on h{h:03d} {{", "  vcpus 2",
                    f'  disk xvdb phy "/dev/VolGroup00/h{h:03d}-g{g}-data"', "  nic bridge xenbr1 mac auto",
                    "  vnc listen 127.0.0.1", "}", ""]
        h += 1
    out += ["# end of the fleet"] * (lines - len(out))
    return "\n".join(out) + "\n"


def spread_edits(text: str, count: int, seed: int = 5) -> list[tuple[int, int, int, str]]:
    """(line, start, end, new text) edits at lines spread over the file, each meant for the
    text as the edits before it left it: a vcpus digit replaced, a space typed at the end
    of a line, a comment line inserted, and the space deleted again."""
    rnd = random.Random(seed)
    lines = text.split("\n")
    vcpus = [i for i, line in enumerate(lines) if line == "  vcpus 2"]
    out: list[tuple[int, int, int, str]] = []
    shift = 0  # lines inserted so far above the later edits (they go downward)
    for k, i in enumerate(sorted(rnd.sample(vcpus, count))):
        line = i + shift
        kind = k % 4
        if kind == 0:
            out.append((line, 8, 9, str(rnd.randint(1, 4))))
        elif kind == 1:
            out.append((line, 9, 9, " "))
        elif kind == 2:
            out.append((line, 9, 9, "\n  # more to come"))
            shift += 1
        else:
            out.append((line, 6, 7, ""))  # "  vcpus 2" -> "  vcpu 2": a syntax error
            out.append((line, 6, 6, "s"))  # and its fix
    return out[:count]


def _apply(text: str, edit: tuple[int, int, int, str]) -> str:
    line, start, end, new = edit
    lines = text.split("\n")
    lines[line] = lines[line][:start] + "\0" + lines[line][end:]
    return "\n".join(lines).replace("\0", new)


def _session(path: str, text: str, steps: list[str], memo: bool) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each step's check."""
    from virtc.checkmemo import CheckMemo
    from virtc.lsp import check_document
    from virtc.lsp_diagnostics import convert
    from virtc.lsp_parsecache import ParseCache

    cache, kept = ParseCache(), (CheckMemo() if memo else None)
    check_document(path, {path: text}, cache, kept)
    wall, cpu = [], []
    for now in steps:
        t0, c0 = time.perf_counter(), time.process_time()
        out = check_document(path, {path: now}, cache, kept)
        convert(out.diagnostics, path, out.sources, "utf-16")
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def _stats(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))] * 1000


def measure(lines: int = 2000, edits: int = 50) -> dict:
    """Median and 90th percentile (ms) from an edit to its diagnostics on a `lines`-line
    file, over `edits` edits, with the check memo (the server) and without (baseline_*).
    Each is run twice, alternating, and the better run of each kept (the machine is shared);
    cpu_* are the same in CPU time of the process, steadier on a loaded machine."""
    count = edits
    text = fleet(lines)
    steps, now = [], text
    for e in spread_edits(text, count):
        now = _apply(now, e)
        steps.append(now)
    gc_was = gc.isenabled()
    gc.disable()  # as the server serves (virtc.lsp.serve)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "big.virt")
            Path(path).write_text(text, encoding="utf-8")
            wall, cpu = {True: [], False: []}, {True: [], False: []}
            for _ in range(2):
                for memo in (False, True):
                    w, c = _session(path, text, steps, memo)
                    wall[memo].append(_stats(w))
                    cpu[memo].append(_stats(c))
    finally:
        if gc_was:
            gc.enable()
    out: dict = {"lines": lines, "edits": count}
    for prefix, runs in (("", wall), ("cpu_", cpu)):
        (median, p90), (b_median, b_p90) = min(runs[True]), min(runs[False])
        out |= {f"{prefix}median_ms": round(median, 1), f"{prefix}p90_ms": round(p90, 1),
                f"{prefix}baseline_median_ms": round(b_median, 1), f"{prefix}baseline_p90_ms": round(b_p90, 1)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--edits", type=int, default=50)
    args = ap.parse_args()
    r = measure(args.lines, args.edits)
    for prefix, what in (("", "wall clock"), ("cpu_", "CPU time")):
        print(f"LSP, {r['lines']}-line file, {r['edits']} edits, {what}: median {r[prefix + 'median_ms']} ms, "
              f"p90 {r[prefix + 'p90_ms']} ms (without the check memo: median {r[prefix + 'baseline_median_ms']} "
              f"ms, p90 {r[prefix + 'baseline_p90_ms']} ms)")


if __name__ == "__main__":
    main()
