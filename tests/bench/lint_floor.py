"""How far down `virtc lint` could go (not part of the test run): a lower bound for any
lint of the speed table's tree, next to the table's floor and to `virtc lint` itself.

The tree is the table's (tests/bench/bench_lint.py: 1,000 domain XMLs and 1,000 xm
configs on 10 Xen hosts). The table's floor is lxml's parse and RelaxNG validation of
the XMLs, timed in process with the schema compiled beforehand. A lint does all of that
and more, so the "skeleton" here does only what any lint of this tree must do and nothing
else: start Python, import lxml (and no module of virtc), compile the schema, walk the tree, read every file,
parse and validate each XML, parse each xm config with `ast` (never executing it), and
visit every element and every assignment once. It builds no model, runs no rule and
prints nothing. If the skeleton alone is over a bound, no lint of the tree can be under it.

Two more rows price what the skeleton leaves out and a lint cannot: loading virtc's code
for it (its readers and rules: the import of virtc.lint and the rule registry, a whole
process), and running the rules alone on the model a lint of the tree reads (in this
process, one process, the model already read).

    python tests/bench/lint_floor.py [--guests 1000] [--hosts 10] [--repeat 5]
"""
from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
RNG = Path(__file__).resolve().parents[2] / "schemas" / "libvirt-0.8" / "domain.rng"
from table import best_in_process as best  # noqa: E402  (best of `repeat`, seconds)


def skeleton(root: str) -> int:
    """Read, parse and validate what a lint of `root` reads; the count of nodes visited."""
    from lxml import etree

    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    rng = etree.RelaxNG(etree.parse(str(RNG), parser))  # virtc's grammar, not virtc's code
    seen = 0
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as fh:
                data = fh.read()
            if name.endswith(".xml"):
                doc = etree.fromstring(data, parser)
                rng.validate(doc.getroottree())
                seen += sum(1 for el in doc.iter() if el.sourceline)
            elif folder.endswith(os.sep + "xen") and not name.endswith(".sxp"):
                seen += sum(isinstance(node, ast.Assign) for node in ast.parse(data).body)
    return seen


def rules_alone(tree: Path, repeat: int) -> float:
    """Seconds of run_rules on the model and documents lint reads from `tree`, one process."""
    from virtc.api import _no_cyclic_gc
    from virtc.checker import run_rules
    from virtc.lint import lint_files

    with _no_cyclic_gc():
        read = lint_files([], [str(tree)])
        return best(lambda: run_rules(read.model, None, read.documents, read.missing), repeat)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--guests", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skeleton", metavar="DIR", help=argparse.SUPPRESS)  # the child process
    args = ap.parse_args()
    if args.skeleton:
        skeleton(args.skeleton)
        return 0
    from bench_lint import build_tree, floor

    with tempfile.TemporaryDirectory() as tmp:
        tree = build_tree(tmp, args.guests, args.hosts)
        xmls = sorted(tree.glob("*/etc/libvirt/xen/*.xml"))
        floor(xmls[:10])  # compiles the schema outside the timings, as the table does
        skeleton(str(tree))  # the same in process: files in the page cache for every row
        me = [sys.executable, __file__, "--skeleton", str(tree)]
        virtc = [sys.executable, "-m", "virtc", "lint", "-q", str(tree)]
        rows = [
            ("floor (the table's): lxml parse + RelaxNG of the XMLs, in process", best(lambda: floor(xmls), args.repeat)),
            ("skeleton in process (no start, no imports)", best(lambda: skeleton(str(tree)), args.repeat)),
            ("skeleton as a whole process", best(lambda: subprocess.run(me, check=True), args.repeat)),
            ("python -c pass", best(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), args.repeat)),
            ("virtc's code for lint imported, whole process", best(lambda: subprocess.run(
                [sys.executable, "-c", "import virtc.lint; from virtc.ruleset import all_rules; all_rules()"],
                check=True), args.repeat)),
            ("the rules alone on the linted model, in process", rules_alone(tree, args.repeat)),
            ("virtc lint -q, whole process (default --jobs)",
             best(lambda: subprocess.run(virtc, stdout=subprocess.DEVNULL), args.repeat)),
        ]
    t = dict(rows)
    # the skeleton's process, plus what loading virtc's code adds to a bare start, plus the
    # rules: each is part of any lint of the tree, and none overlaps another
    bound = (t["skeleton as a whole process"] + t["virtc's code for lint imported, whole process"]
             - t["python -c pass"] + t["the rules alone on the linted model, in process"])
    rows.insert(-1, ("lower bound: skeleton process + virtc's code loaded + the rules", bound))
    base = rows[0][1]
    print(f"{len(xmls):,} domain XMLs + {len(xmls):,} xm configs, best of {args.repeat}")
    print(f"{'':72} {'s':>7} {'x floor':>8}")
    for what, s in rows:
        print(f"{what:72} {s:7.3f} {s / base:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
