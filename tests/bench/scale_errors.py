"""Cost of checking, per byte, against the bare Lark parse (not part of the test run).

For each kind of file (valid guests, host blocks, templates, files full of syntax errors,
a 1 MB file of each) it times the bare Lark parse of a valid file of the same size and
`virtc check`'s compile and rules (virtc.api.check, in process), and prints microseconds
per KB and the ratio check / bare parse. Issue 14 asks for at most 3x on every line, and
that host blocks, templates and errors cost no more per byte than guests.

    python tests/bench/scale_errors.py [--kb 100] [--repeat 3]
"""
from __future__ import annotations

import argparse
import gc
import time

from virtc import grammar
from virtc.api import check


def guests(n: int) -> str:
    out = ["host h1 {", "  hypervisor xen; arch x86_64; memory 64G; dom0 memory 2G vcpus 2",
           "  cpu intel cores 16 threads 32", "  bridge xenbr0 on eth0", "}"]
    for i in range(n):
        out += [f"guest g{i:06d} on h1 {{", "  type xen-pv; os rhel5.8 x86_64; memory 512M; vcpus 1",
                f'  disk xvda tap:aio "/var/lib/libvirt/images/g{i:06d}.img" size 8G',
                "  nic bridge xenbr0", "}"]
    return "\n".join(out) + "\n"


def hosts(n: int) -> str:
    out = []
    for i in range(n):
        out += [f"host h{i:06d} {{", "  hypervisor xen; arch x86_64; memory 64G",
                "  bridge xenbr0 on eth0", "}"]
    return "\n".join(out) + "\n"


def templates(n: int) -> str:
    out = []
    for i in range(n):
        parent = f" from t{i - 1:06d}" if i % 4 else ""  # chains of four
        out += [f"template t{i:06d}{parent} {{", "  type xen-pv; os rhel5.8 x86_64; memory 512M",
                "  nic bridge xenbr0", "}"]
    return "\n".join(out) + "\n"


def errors(n: int) -> str:
    """Guests each holding a syntax error (a statement with '=')."""
    out = ["host h1 {", "  hypervisor xen; arch x86_64; memory 64G", "  bridge xenbr0 on eth0", "}"]
    for i in range(n):
        out += [f"guest g{i:06d} on h1 {{", "  type xen-pv; os rhel5.8 x86_64; memory = 512M",
                "  nic bridge xenbr0", "}"]
    return "\n".join(out) + "\n"


KINDS = {"valid guests": guests, "host blocks": hosts, "templates": templates, "syntax errors": errors}


def sized(make, size: int) -> str:
    """The file of that kind closest to `size` bytes."""
    per = len(make(100)) / 100
    return make(max(1, int(size / per)))


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kb", type=int, default=100, help="size of the small files (KB)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mb", action="store_true", help="also the 1 MB files")
    args = ap.parse_args()
    grammar.parser()
    sizes = [args.kb * 1000] + ([1_000_000] if args.mb else [])
    print(f"{'file':28} {'KB':>6} {'parse us/KB':>12} {'check us/KB':>12} {'ratio':>6} {'diags':>6}")
    for size in sizes:
        for kind, make in KINDS.items():
            text = sized(make, size)
            bare_text = sized(guests, len(text))  # the bare parse of a valid file that size
            bare = best(lambda t=bare_text: grammar.parse(t), args.repeat)
            out = None

            def run(t=text):
                nonlocal out
                out = check(["bench.virt"], texts={"bench.virt": t})
            took = best(run, args.repeat)
            kb = len(text) / 1000
            print(f"{kind:28} {kb:6.0f} {bare / kb * 1e6:12.0f} {took / kb * 1e6:12.0f} "
                  f"{took / bare:6.2f} {len(out.diagnostics):6d}", flush=True)


if __name__ == "__main__":
    main()
