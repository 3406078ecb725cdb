"""Cost of checking, per byte, against the bare Lark parse (not part of the test run).

For each kind of file (valid guests, host blocks, templates, and files full of syntax
errors of several shapes: one per guest, stray lines, unclosed blocks, broken statements
in every kind of block, unclosed strings, one long piece with no declaration at a line's
start, one block of broken lines, one line of them, two errors every 15 bytes, lines of
one refused word, an error every 4 bytes on one line, declarations' lines with no block,
blocks opened a line each and never closed, a block of lone quotes; a 1 MB
file of each with --mb) it
times the bare Lark parse of a valid file of the same size and `virtc check`'s compile
and rules (virtc.api.check, in process), and prints microseconds per KB and the ratio
check / bare parse. The bare parse is Lark's, with the positions a linter needs
(propagate_positions, as virtc's grammar module configures Lark); the last column is the
ratio against Lark's parse without them, a cheaper baseline. Issue 14 asks for at most 3x
on every line, and that host blocks, templates and errors cost no more per byte than
guests.

The last two columns are per token: the tokens of a KB of the file (words, strings,
comments, line ends and other characters, as tokens() counts them), and what the check
costs per token. Files of the same size differ in how many tokens they hold (a line
of one lone quote is two tokens in two bytes, a guest's line about one in five), and a
parser's work, Lark's as virtc's, is per token.

    python tests/bench/scale_errors.py [--kb 100] [--repeat 3]
"""
from __future__ import annotations

import argparse
import gc
import re
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


def stray_lines(n: int) -> str:
    """One guest, then lines outside any block: each a syntax error (the fuzzer's shape,
    tests/fuzz/slow/check/stray-lines-after-a-guest.virt)."""
    head = ["host h1 {", "  hypervisor xen; memory 64G", "}",
            "guest g on h1 {", "  type xen-pv; memory 1G", "  nic bridge xenbr0 rate 0MB/s", "}"]
    return "\n".join(head + ["127 error 5:3", "}"] * n) + "\n"


def unclosed_blocks(n: int) -> str:
    """Hosts whose block is never closed: each runs into the next declaration."""
    return "host x { hypervisor xen; memory 16G }\n" + "".join(
        f"host y{i:06d} {{ hypervisor xen; d memory is not checked.\n" for i in range(n))


def broken_blocks(n: int) -> str:
    """Broken statements inside host, guest and template blocks, a few in each."""
    out = []
    for i in range(n):
        out += [f"host h{i:06d} {{", "  hypervisor xen; memory = 64G", "  bridge xenbr0 on eth0 ;;; x",
                "}", f"template t{i:06d} {{", "  type xen-pv; memroy 512M", "  nic bridge xenbr0 {", "}",
                f"guest g{i:06d} from t{i:06d} on h{i:06d} {{", "  os rhel5.8 x86_64; vcpus = 1",
                "  disk xvda tap:aio \"/var/lib/xen/g.img\" size 8G", "}"]
    return "\n".join(out) + "\n"


def unclosed_strings(n: int) -> str:
    """A host block of lines each with a string left open (the 64 KB fuzzer input that
    took minutes when each error re-read the block)."""
    return ("host xen7 {\n  hypervisor xen\n"
            + '  modprobe pciback "emory 16G; bridge xenbr0 on eth0\n  iommu on\n' * n + "}\n")


def one_chunk(n: int) -> str:
    """Guests after stray words on their line: no declaration starts a line, so the file
    is one piece of text for recovery (the shape of a 65 KB fmt input that took 6.6 s)."""
    return 'include "../hosts.virt"\n' + "".join(
        "is KVM's para-virtualized driver; Xen guests useguest g on xen1 {\n  type xen-pv; memory 1G\n"
        '  disk xvda virtio "/v`r/lib/libvirt/images/g.img"   #> VR019 error 5:13\n}\n' for _ in range(n))


def broken_lines(n: int) -> str:
    """One host block of broken statements, a line each."""
    return "host h1 {\n  hypervisor xen\n" + "  memory = 64G\n" * n + "}\n"


def one_line(n: int) -> str:
    """One host block on one line, of broken statements and strings holding separators."""
    return "host h1 { hypervisor xen; " + 'memory = 64G; x "a; b" = ; ' * n + "}\n"


def dense_strings(n: int) -> str:
    """A host block of lines of a string holding a ';' and broken statements: two errors in
    every 15 bytes. Outside any block such lines are counted without the parser."""
    return "host h1 {\n  hypervisor xen\n" + '  x "a; b" = ;\n' * n + "}\n"


def word_lines(n: int) -> str:
    """A host block of lines of one word it refuses: an error every 4 bytes, each after an
    end of line."""
    return "host h1 {\n  hypervisor xen\n" + "  x\n" * n + "}\n"


def dense_line(n: int) -> str:
    """One line of a host block of statements refused at their first character: an error
    every 4 bytes, each after a ';' (the densest shape measured)."""
    return "host h1 { hypervisor xen; " + "= ; " * n + "}\n"


def header_lines(n: int) -> str:
    """Declarations' lines that open no block: one error a line, each a chunk of its own."""
    return "guest g\n" * n


def opened_lines(n: int) -> str:
    """Hosts that open a block on their line and never close it: each is closed before the
    next declaration (a VP004 a line, each a chunk of its own)."""
    return "host h {\n" * n


def lone_quotes(n: int) -> str:
    """A host block of lines of one '"': an error every 2 bytes."""
    return "host h {\n" + '"\n' * n + "}\n"


KINDS = {"valid guests": guests, "host blocks": hosts, "templates": templates, "syntax errors": errors,
         "stray lines": stray_lines, "unclosed blocks": unclosed_blocks, "broken blocks": broken_blocks,
         "unclosed strings": unclosed_strings, "one chunk of errors": one_chunk,
         "one block of broken lines": broken_lines, "one line of errors": one_line,
         "two errors every 15 bytes": dense_strings, "a refused word a line": word_lines,
         "an error every 4 bytes": dense_line, "declaration lines, no block": header_lines,
         "a block opened a line": opened_lines, "lone quotes": lone_quotes}


def sized(make, size: int) -> str:
    """The file of that kind closest to `size` bytes."""
    per = len(make(100)) / 100
    return make(max(1, int(size / per)))


# A token, for the per-token columns: a string (closed on its line: a quote left open is a
# character like any other, and what follows it is read on as words), a comment, a word (names, numbers, sizes, rates, paths, versions, MACs: what the grammar
# reads as one terminal), a line end, or any other character but a blank.
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|[\w.:/@+*-]+|\n|[^\s\w]')


def tokens(text: str) -> int:
    """The tokens of `text` (_TOKEN): about what a lexer of the grammar yields for valid
    text, and one per character it refuses."""
    return sum(1 for _ in _TOKEN.finditer(text))


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
    ap.add_argument("--only", help="the kinds to run, comma-separated (default: all)")
    args = ap.parse_args()
    grammar.parser()
    # the same parse without positions (Lark's default, propagate_positions off): a
    # cheaper baseline than virtc's own, shown beside it in the last column
    from lark import Lark
    plain = Lark(grammar.grammar_text(), **{**grammar.OPTIONS, "propagate_positions": False})
    sizes = [args.kb * 1000] + ([1_000_000] if args.mb else [])
    print(f"{'file':28} {'KB':>6} {'parse us/KB':>12} {'check us/KB':>12} {'ratio':>6} {'diags':>6} "
          f"{'ratio, no positions':>20} {'tokens/KB':>9} {'us/token':>8}")
    for size in sizes:
        for kind, make in KINDS.items():
            if args.only and kind not in args.only.split(","):
                continue
            text = sized(make, size)
            bare_text = sized(guests, len(text))  # the bare parse of a valid file that size
            bare = best(lambda t=bare_text: grammar.parse(t), args.repeat)
            bare_plain = best(lambda t=bare_text: plain.parse(t), args.repeat)
            out = None

            def run(t=text):
                nonlocal out
                out = check(["bench.virt"], texts={"bench.virt": t})
            took = best(run, args.repeat)
            kb, n = len(text) / 1000, tokens(text)
            print(f"{kind:28} {kb:6.0f} {bare / kb * 1e6:12.0f} {took / kb * 1e6:12.0f} "
                  f"{took / bare:6.2f} {len(out.diagnostics):6d} {took / bare_plain:20.2f} "
                  f"{n / kb:9.0f} {took / n * 1e6:8.2f}", flush=True)


if __name__ == "__main__":
    main()
