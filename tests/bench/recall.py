"""Recall and precision of `virtc lint` on the host trees of tests/hosts (run by hand).

    python tests/bench/recall.py            # a table per tree, then the totals
    python tests/bench/recall.py -v         # also every miss and every false alarm
    python tests/bench/recall.py STO-01 NET # only the trees whose name starts with these

tests/hosts/clean/NAME is a copy of one RHEL 5 host's files (or, like clean/migration, a
folder of host trees linted together: one host per sub-folder), written the way an admin
following the Virtualization Guide would leave them: every error or warning virtc reports
there is a false alarm. tests/hosts/seeded/AREA-NN-slug is a copy of a clean tree with one
defect the guide forbids, and its expected.tsv lists what a correct linter reports,
`file<TAB>line<TAB>code` (file relative to the seeded folder; `#` starts a comment). A code
that is a checklist ID (STO-05, XEN-12 ...) names a guide item no virtc code covers: it
counts as a miss until virtc grows a rule for it.

Each tree is linted in process, alone (`virtc.api.lint([], [tree])`). An expected finding is
a true positive when virtc reports an error or warning with that code at that file and line,
a miss otherwise; every other error or warning (distinct file, line and code) is a false
alarm. Infos are not counted.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTS = os.path.normpath(os.path.join(HERE, "..", "hosts"))
CLEAN = os.path.join(HOSTS, "clean")
SEEDED = os.path.join(HOSTS, "seeded")

Finding = tuple[str, int, str]  # (file relative to the tree, line, code)


@dataclass
class Result:
    kind: str  # "clean" or "seeded"
    name: str
    expected: set[Finding] = field(default_factory=set)
    base: str | None = None  # a seeded tree's clean tree (`# from: clean/NAME` in expected.tsv)
    reported: dict[Finding, str] = field(default_factory=dict)  # finding -> message

    @property
    def found(self) -> set[Finding]:
        return self.expected & set(self.reported)

    @property
    def missed(self) -> set[Finding]:
        return self.expected - set(self.reported)

    @property
    def false_alarms(self) -> set[Finding]:
        return set(self.reported) - self.expected


def trees(kind: str) -> list[str]:
    base = CLEAN if kind == "clean" else SEEDED
    return sorted(d for d in os.listdir(base) if os.path.isdir(os.path.join(base, d)))


def read_expected(tree: str) -> set[Finding]:
    out = set()
    with open(os.path.join(tree, "expected.tsv"), encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            path, number, code = line.split("\t")
            out.add((path, int(number), code))
    return out


def read_base(tree: str) -> str | None:
    """The clean tree a seeded tree was copied from (its `# from: clean/NAME` line)."""
    with open(os.path.join(tree, "expected.tsv"), encoding="utf-8") as f:
        for raw in f:
            if raw.startswith("# from: clean/"):
                return raw[len("# from: clean/"):].strip()
    return None


def lint(tree: str) -> dict[Finding, str]:
    """Errors and warnings of `virtc lint` on one tree, by (file, line, code)."""
    from virtc import api
    from virtc.diagnostics import Severity

    out = api.lint([], [tree])
    reported: dict[Finding, str] = {}
    for d in out.diagnostics:
        if d.severity not in (Severity.ERROR, Severity.WARNING):
            continue
        if d.span is None:
            key = ("", 0, d.code)
        else:
            key = (os.path.relpath(os.path.abspath(d.span.file), tree).replace(os.sep, "/"), d.span.line, d.code)
        reported.setdefault(key, d.message)
    return reported


def evaluate(kind: str, name: str) -> Result:
    tree = os.path.join(CLEAN if kind == "clean" else SEEDED, name)
    r = Result(kind, name, read_expected(tree) if kind == "seeded" else set(),
               read_base(tree) if kind == "seeded" else None)
    r.reported = lint(tree)
    return r


def run(prefixes: list[str] = ()) -> list[Result]:
    results = []
    for kind in ("clean", "seeded"):
        for name in trees(kind):
            if prefixes and not any(name.startswith(p) for p in prefixes):
                continue
            results.append(evaluate(kind, name))
    return results


def _ratio(a: int, b: int) -> str:
    return f"{a / b:6.1%}" if b else "     -"


def report(results: list[Result], verbose: bool = False, out=sys.stdout) -> tuple[float, float]:
    width = max([len(r.name) for r in results] + [20])
    head = f"{'tree':<{width}}  kind     expected  found  missed  false alarms"
    print(head, file=out)
    print("-" * len(head), file=out)
    tp = fn = fp = 0
    for r in results:
        tp += len(r.found)
        fn += len(r.missed)
        fp += len(r.false_alarms)
        print(f"{r.name:<{width}}  {r.kind:<7}  {len(r.expected):>8}  {len(r.found):>5}  {len(r.missed):>6}  "
              f"{len(r.false_alarms):>12}", file=out)
        if verbose:
            for f in sorted(r.missed):
                print(f"    missed       {f[0]}:{f[1]}: {f[2]}", file=out)
            for f in sorted(r.false_alarms):
                print(f"    false alarm  {f[0]}:{f[1]}: {f[2]} {r.reported[f]}", file=out)
    print("-" * len(head), file=out)
    clean = [r for r in results if r.kind == "clean"]
    seeded = [r for r in results if r.kind == "seeded"]
    recall = tp / (tp + fn) if tp + fn else 1.0
    precision = tp / (tp + fp) if tp + fp else 1.0
    print(f"clean trees: {len(clean)}, {sum(not r.false_alarms for r in clean)} without a false alarm, "
          f"{sum(len(r.false_alarms) for r in clean)} false alarms", file=out)
    print(f"seeded trees: {len(seeded)}, {sum(not r.missed for r in seeded)} with every expected finding, "
          f"{sum(len(r.false_alarms) for r in seeded)} false alarms", file=out)
    print(f"recall    {_ratio(tp, tp + fn)}  ({tp} of {tp + fn} expected findings reported)", file=out)
    print(f"precision {_ratio(tp, tp + fp)}  ({tp} of {tp + fp} errors and warnings expected)", file=out)
    # A seeded tree repeats its clean tree's false alarms; without them, precision says how
    # much of what virtc reports about the seeded defects is right.
    by_name = {r.name: r for r in clean}
    inherited = sum(len(r.false_alarms & set(by_name[r.base].reported)) for r in seeded if r.base in by_name)
    own = sum(len(r.false_alarms) for r in clean) + sum(len(r.false_alarms) for r in seeded) - inherited
    if seeded and all(r.base in by_name for r in seeded):
        print(f"precision {_ratio(tp, tp + own)}  without the {inherited} false alarms seeded trees repeat "
              f"from their clean tree", file=out)
    return recall, precision


def main(argv: list[str]) -> int:
    verbose = "-v" in argv or "--verbose" in argv
    prefixes = [a for a in argv if not a.startswith("-")]
    report(run(prefixes), verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
