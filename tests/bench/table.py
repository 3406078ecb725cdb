"""The speed table of issue 12, measured in one run (not part of the test run): every row
next to its baseline, measured in the same moment on the same machine, so the ratios hold
even where the seconds do not (a loaded machine slows both sides).

    python tests/bench/table.py                  # the table, Markdown, on stdout
    python tests/bench/table.py --quick          # small sizes: a smoke run of a minute or so
    python tests/bench/table.py --markdown FILE  # also write it to FILE
    python tests/bench/table.py --readme         # rewrite the README's "Speed" block with it

Each row is whole processes (`virtc ...` as a user runs it), best of --repeat runs, except
where a baseline says otherwise: the bare Lark parse is timed in process with the tables
already built (so virtc's row pays its whole start against it), and the external tools
(virt-xml-validate, virt-install) run once over their sample, extrapolated to the row's
size when the sample is smaller (the baseline column says so). Peak memory is the largest
resident set (wait4's ru_maxrss) of the `virtc check` runs of the big fleet.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

# the generator every bench script shares (run as a script, tests/bench is on the path)
from bench_fleet import fleet
from bench_lsp import (
    fleet as lsp_fleet,  # the file tests/test_lsp.py's latency test edits
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

README = ROOT / "README.md"
START, END = "<!-- speed-table:start -->", "<!-- speed-table:end -->"
EXAMPLE = ROOT / "examples" / "xen-webfarm.virt"


@dataclass(frozen=True)
class Sizes:
    check_small: int = 2_000      # guests, 20 per host (hosts())
    check_big: int = 20_000
    lint_guests: int = 1_000      # on lint_hosts Xen hosts: as many XMLs and xm configs
    lint_hosts: int = 10
    build_small: int = 1_000
    build_big: int = 20_000
    lsp_lines: int = 2_000
    lsp_edits: int = 40
    validate_sample: int = 1_000  # virt-xml-validate runs (extrapolated to lint_guests)
    install_sample: int = 20      # virt-install runs (extrapolated to build_small)
    repeat: int = 3


NORMAL = Sizes()
QUICK = Sizes(check_small=200, check_big=2_000, lint_guests=100, lint_hosts=2, build_small=100,
              build_big=2_000, lsp_lines=500, lsp_edits=8, validate_sample=20, install_sample=3, repeat=1)


def hosts(guests: int) -> int:
    """The fleets of issue 12: 20 guests per host (20,000 guests on 1,000 hosts)."""
    return max(1, guests // 20)


@dataclass
class Row:
    what: str
    measured: float | None         # in `unit`
    unit: str                      # "s", "ms" or "MB"
    baseline_what: str
    baseline: float | None         # same unit; None: no baseline or the tool is missing
    goal: str
    kind: str                      # "at_most": measured/baseline <= limit; "faster":
    limit: float                   # baseline/measured >= limit; "absolute": measured <= limit

    @property
    def ratio(self) -> float | None:
        if self.kind == "absolute" or not self.baseline or not self.measured:
            return None
        return self.baseline / self.measured if self.kind == "faster" else self.measured / self.baseline

    @property
    def met(self) -> bool | None:
        if self.measured is None:
            return None
        if self.kind == "absolute":
            return self.measured <= self.limit
        r = self.ratio
        if r is None:
            return None
        return r >= self.limit if self.kind == "faster" else r <= self.limit

    def cells(self) -> list[str]:
        r = self.ratio
        ratio = "-" if r is None else (f"{r:,.0f}x faster" if self.kind == "faster" else f"{r:.2f}x")
        base = self.baseline_what if self.baseline is None else f"{_num(self.baseline, self.unit)} ({self.baseline_what})"
        met = {True: "yes", False: "**no**", None: "?"}[self.met]
        return [self.what, _num(self.measured, self.unit), base, ratio, self.goal, met]


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "x":
        return f"{value:.1f}x"
    if unit == "s":
        return f"{value:.3f} s" if value < 1 else f"{value:.2f} s"
    return f"{value:.0f} {unit}"


HEADER = ["what", "measured", "baseline (same run)", "ratio", "goal", "met?"]


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row.cells()) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- running processes

def virtc_command() -> list[str]:
    script = Path(sys.executable).parent / "virtc"  # the console script a user runs
    return [str(script)] if script.exists() else [sys.executable, "-m", "virtc"]


def run(cmd: list[str], cwd: Path | None = None, ok: tuple[int, ...] = (0,)) -> tuple[float, int]:
    """(wall seconds, peak resident KB) of one whole process."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        elapsed = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode not in ok:
            out.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{out.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss


def best(cmd: list[str], repeat: int, cwd: Path | None = None, ok=(0,), before=None) -> tuple[float, int]:
    """Best wall time of `repeat` runs, and the largest peak memory (KB) among them."""
    times, peak = [], 0
    for i in range(repeat):
        if before:
            before(i)
        t, rss = run(cmd, cwd, ok)
        times.append(t)
        peak = max(peak, rss)
    return min(times), peak


def best_in_process(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


# ---------------------------------------------------------------- the rows

def start_rows(s: Sizes, tmp: Path) -> list[Row]:
    bare, _ = best([sys.executable, "-c", "pass"], s.repeat)
    check, _ = best([*virtc_command(), "check", str(EXAMPLE)], s.repeat, ok=(0, 1))
    version, _ = best([*virtc_command(), "--version"], s.repeat)
    base = "`python -c pass`"
    return [Row(f"`virtc check` of one example file ({EXAMPLE.name})", check, "s", base, bare,
                "at most 10x", "at_most", 10),
            Row("`virtc --version`", version, "s", base, bare, "at most 10x", "at_most", 10)]


def lark_parse(text: str):
    """The bare parse: virtc's grammar and Lark, tables built beforehand, nothing else."""
    from virtc.grammar import parser

    lark = parser()
    return lambda: lark.parse(text)


def check_rows(s: Sizes, tmp: Path, repeat: int) -> tuple[list[Row], float]:
    rows, peak, times = [], 0, {}
    for guests in (s.check_small, s.check_big):
        text = fleet(guests, hosts(guests))
        path = tmp / f"fleet-{guests}.virt"
        path.write_text(text)
        t, rss = best([*virtc_command(), "check", str(path)], repeat)
        times[guests] = t
        if guests == s.check_big:
            peak = rss
        bare = best_in_process(lark_parse(text), repeat)
        rows.append(Row(f"`virtc check` of {guests:,} guests ({text.count(chr(10)):,} lines)", t, "s",
                        "bare Lark parse of the same text, in process", bare, "at most 3x", "at_most", 3))
    # linear in fleet size: 10x the guests may take at most 10x the time (a whole process
    # has a fixed start, so a linear check comes out below it)
    scale = s.check_big / s.check_small
    rows.append(Row(f"`virtc check` time, {s.check_big:,} / {s.check_small:,} guests",
                    times[s.check_big] / times[s.check_small], "x", f"{scale:.0f}x the guests", scale,
                    "linear: at most the guests' ratio", "at_most", 1.0))
    return rows, peak / 1024


def lint_rows(s: Sizes, tmp: Path) -> list[Row]:
    from virtc import api
    from virtc.targets.libvirt.schema import schema_path

    src = tmp / "lint.virt"
    src.write_text(fleet(s.lint_guests, s.lint_hosts))
    tree = tmp / "lint-tree"
    built = api.build([str(src)], str(tree))
    assert not built.has_errors, [str(d) for d in built.diagnostics[:3]]
    xmls = sorted(tree.glob("*/etc/libvirt/xen/*.xml"))
    xms = [p for p in tree.glob("*/etc/xen/*") if p.is_file() and p.name != "xend-config.sxp"]
    assert len(xmls) == len(xms) == s.lint_guests, (len(xmls), len(xms))
    lint, _ = best([*virtc_command(), "lint", "-q", str(tree)], s.repeat, ok=(0, 1))
    what = f"`virtc lint` of {len(xmls):,} domain XMLs + {len(xms):,} xm configs"
    rows = []
    tool = shutil.which("virt-xml-validate")
    if tool:
        sample = xmls[:s.validate_sample]
        t0 = time.perf_counter()
        for p in sample:
            run([tool, str(p), "domain"])
        validate = (time.perf_counter() - t0) * len(xmls) / len(sample)
        note = "`virt-xml-validate`, one process per XML" + (
            "" if len(sample) == len(xmls) else f", {len(sample)} runs x {len(xmls) / len(sample):.0f}")
        rows.append(Row(what, lint, "s", note, validate, "at least 30x faster", "faster", 30))
    else:
        rows.append(Row(what, lint, "s", "`virt-xml-validate` not installed", None, "at least 30x faster",
                        "faster", 30))
    # the floor: one process that parses every XML with lxml and validates it against the
    # same RelaxNG grammar lint uses (compiled once)
    listing = tmp / "xmls.txt"
    listing.write_text("\n".join(map(str, xmls)))
    floor_script = (
        "import sys\nfrom lxml import etree\n"
        f"rng = etree.RelaxNG(etree.parse({str(schema_path('domain.rng'))!r}))\n"
        f"for p in open({str(listing)!r}).read().split('\\n'):\n"
        "    rng.validate(etree.parse(p))\n")
    floor, _ = best([sys.executable, "-c", floor_script], s.repeat)
    rows.append(Row(what, lint, "s", "floor: one process, lxml parse + RelaxNG validation of the XMLs",
                    floor, "at most 3x the floor", "at_most", 3))
    return rows


def build_small_row(s: Sizes, tmp: Path) -> Row:
    src = tmp / "build-small.virt"
    src.write_text(fleet(s.build_small, hosts(s.build_small)))
    out = tmp / "build-small"

    def fresh(_):
        shutil.rmtree(out, ignore_errors=True)

    build, _ = best([*virtc_command(), "build", str(src), "-o", str(out)], s.repeat, before=fresh)
    what = f"`virtc build` of {s.build_small:,} guests"
    tool = shutil.which("virt-install")
    if not tool:
        return Row(what, build, "s", "`virt-install` not installed (apt-get install virtinst)", None,
                   "at least 500x faster", "faster", 500)
    n = min(s.install_sample, s.build_small)
    t0 = time.perf_counter()
    for i in range(n):
        run([tool, "--connect", "test:///default", "--print-xml", "--name", f"g{i:04d}", "--memory", "512",
             "--vcpus", "1", "--disk", "none", "--network", "bridge=xenbr0", "--import", "--graphics", "none",
             "--osinfo", "detect=off,require=off", "--noautoconsole"])
    install = (time.perf_counter() - t0) * s.build_small / n
    note = f"{s.build_small:,} runs of `virt-install --print-xml`" + (
        "" if n == s.build_small else f", extrapolated from {n}")
    return Row(what, build, "s", note, install, "at least 500x faster", "faster", 500)


def one_guest_changed(guests: int, memory: str) -> str:
    """The big fleet with its first host's last guest written out on its own, at `memory`
    (512M is the template's: the same guests as fleet())."""
    per_host = guests // hosts(guests)
    text = fleet(guests, hosts(guests))
    old = f"guest h0000-web[001..{per_host:03d}] from web on h0000 {{}}"
    assert old in text
    new = (f"guest h0000-web[001..{per_host - 1:03d}] from web on h0000 {{}}\n"
           f"guest h0000-web{per_host:03d} from web on h0000 {{ memory {memory} }}")
    return text.replace(old, new)


def build_big_rows(s: Sizes, tmp: Path) -> list[Row]:
    src = tmp / "build-big.virt"
    src.write_text(one_guest_changed(s.build_big, "512M"))
    out, copy = tmp / "build-big", tmp / "build-big-copy"
    cmd = [*virtc_command(), "build", str(src), "-o", str(out)]

    def fresh(_):
        shutil.rmtree(out, ignore_errors=True)

    full, _ = best(cmd, s.repeat, before=fresh)
    files = sum(len(f) for _, _, f in os.walk(out))

    def no_copy(_):
        shutil.rmtree(copy, ignore_errors=True)

    cp, _ = best(["cp", "-r", str(out), str(copy)], s.repeat, before=no_copy)
    shutil.rmtree(copy, ignore_errors=True)

    def change(i):  # each rebuild changes one guest against the tree before it
        src.write_text(one_guest_changed(s.build_big, ("768M", "1G")[i % 2]))

    rebuild, _ = best(cmd, s.repeat, before=change)
    what = f"`virtc build` of {s.build_big:,} guests"
    return [Row(what, full, "s", f"`cp -r` of the output tree, {files:,} files", cp,
                "about `cp -r` (at most 1.5x)", "at_most", 1.5),
            Row(f"{what}, rebuild with one guest changed", rebuild, "s", "the full build above", full,
                "at most 25% of a full build", "at_most", 0.25)]


# ---------------------------------------------------------------- the language server

def lsp_median_ms(lines: int, edits: int, tmp: Path) -> float:
    """Median milliseconds from an edit (one keystroke-sized change in the middle of the
    file) to the server's publishDiagnostics for that version: `python -m virtc lsp`
    driven over stdin/stdout by pygls's client, as an editor would."""
    return asyncio.run(_lsp_edits(lines, edits, tmp))


async def _lsp_edits(lines: int, edits: int, tmp: Path) -> float:
    from lsprotocol import types as T
    from pygls.lsp.client import LanguageClient
    from pygls.uris import from_fs_path

    text = lsp_fleet(lines)
    path = tmp / "lsp.virt"
    path.write_text(text)
    uri = from_fs_path(str(path))
    arrived: dict[int, float] = {}
    client = LanguageClient("virtc-bench", "1")

    @client.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _published(params: T.PublishDiagnosticsParams):
        if params.uri == uri and params.version is not None:
            arrived.setdefault(params.version, time.perf_counter())

    async def wait(version: int, timeout: float = 60) -> float:
        deadline = time.perf_counter() + timeout
        while version not in arrived:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"no diagnostics for version {version}")
            await asyncio.sleep(0.0005)
        return arrived[version]

    await client.start_io(sys.executable, "-m", "virtc", "lsp")
    try:
        await client.initialize_async(T.InitializeParams(capabilities=T.ClientCapabilities(
            general=T.GeneralClientCapabilities(position_encodings=[T.PositionEncodingKind.Utf16]))))
        client.initialized(T.InitializedParams())
        client.text_document_did_open(T.DidOpenTextDocumentParams(T.TextDocumentItem(
            uri=uri, language_id="virt", version=1, text=text)))
        await wait(1)
        split = text.split("\n")
        line = next(i for i in range(len(split) // 2, len(split)) if split[i] == "  vcpus 2")
        # a cycle of four edits that leaves the text as it was: a value, a new statement, its removal
        cycle = [((line, 8), (line, 9), "3"), ((line, 9), (line, 9), "\n  maxmem 2G"),
                 ((line, 9), (line + 1, 11), ""), ((line, 8), (line, 9), "2")]
        times = []
        for version in range(2, edits + 2):
            (l0, c0), (l1, c1), new = cycle[(version - 2) % len(cycle)]
            t0 = time.perf_counter()
            client.text_document_did_change(T.DidChangeTextDocumentParams(
                T.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [T.TextDocumentContentChangePartial(range=T.Range(T.Position(l0, c0), T.Position(l1, c1)),
                                                    text=new)]))
            times.append(await wait(version) - t0)
        await client.shutdown_async(None)
        client.exit(None)
    finally:
        await client.stop()
    return statistics.median(times) * 1000


def lsp_row(s: Sizes, tmp: Path) -> Row:
    what = f"LSP, {s.lsp_lines:,}-line file, median after an edit"
    try:  # the language server's own benchmark, where it exists, measures the same thing
        from bench_lsp import measure
    except ImportError:
        measure = None
    ms = None
    if measure is not None:
        got = measure(lines=s.lsp_lines, edits=s.lsp_edits)
        ms = next((got[k] for k in ("median_ms", "median") if isinstance(got.get(k), (int, float))), None)
    if ms is None:
        ms = lsp_median_ms(s.lsp_lines, s.lsp_edits, tmp)
    return Row(what, ms, "ms", "-", None, "at most 50 ms", "absolute", 50)


# ---------------------------------------------------------------- the table

def labels(s: Sizes) -> list[str]:
    """The first column of the table measure(s) makes, in order (what the README's copy
    is checked against)."""
    lines = {g: fleet(g, hosts(g)).count("\n") for g in (s.check_small, s.check_big)}
    lint = f"`virtc lint` of {s.lint_guests:,} domain XMLs + {s.lint_guests:,} xm configs"
    return [f"`virtc check` of one example file ({EXAMPLE.name})", "`virtc --version`",
            *(f"`virtc check` of {g:,} guests ({lines[g]:,} lines)" for g in (s.check_small, s.check_big)),
            f"`virtc check` time, {s.check_big:,} / {s.check_small:,} guests", lint, lint,
            f"`virtc build` of {s.build_small:,} guests", f"`virtc build` of {s.build_big:,} guests",
            f"`virtc build` of {s.build_big:,} guests, rebuild with one guest changed",
            f"LSP, {s.lsp_lines:,}-line file, median after an edit",
            f"peak memory, `virtc check` of {s.check_big:,} guests"]


def byte_compile() -> None:
    """Compile virtc's modules to .pyc, as pip does when it installs the package: the
    rows measure an installed virtc, not one that compiles its modules again at every
    start (PYTHONDONTWRITEBYTECODE, set on some machines, keeps Python from writing them)."""
    import compileall

    for folder in ("compiler", "targets", "grammar", "schemas"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)


def measure(s: Sizes, progress=lambda what: None) -> list[Row]:
    rows: list[Row] = []
    byte_compile()
    with tempfile.TemporaryDirectory(prefix="virtc-bench-") as name:
        tmp = Path(name)
        progress("start")
        rows += start_rows(s, tmp)
        progress("check")
        found, peak_mb = check_rows(s, tmp, s.repeat)
        rows += found
        progress("lint")
        rows += lint_rows(s, tmp)
        progress("build")
        rows.append(build_small_row(s, tmp))
        rows += build_big_rows(s, tmp)
        progress("lsp")
        rows.append(lsp_row(s, tmp))
        rows.append(Row(f"peak memory, `virtc check` of {s.check_big:,} guests", peak_mb, "MB", "-", None,
                        "at most 150 MB", "absolute", 150))
    return rows


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{cpu}, {os.cpu_count()} CPUs, load average {load} at the start; Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}")


def report(rows: list[Row], s: Sizes, where: str) -> str:
    day = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (markdown(rows) + f"\nMeasured {day} on {where}; best of {s.repeat} whole processes per cell. "
            "Reproduce with `python tests/bench/table.py` (`--readme` rewrites this block).\n")


def rewrite_readme(text: str, block: str) -> str:
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"README.md has no {START} ... {END} block")
    return f"{head}{START}\n{block}{END}{tail}"


def readme_block(text: str) -> str:
    """The table block between the README's markers."""
    return text.partition(START)[2].partition(END)[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one run each: a smoke run")
    ap.add_argument("--repeat", type=int, help="runs per cell, the best one counts (default 3, quick 1)")
    ap.add_argument("--markdown", metavar="FILE", help="also write the table to FILE")
    ap.add_argument("--readme", action="store_true", help="rewrite the README's speed block with the table")
    args = ap.parse_args(argv)
    s = QUICK if args.quick else NORMAL
    if args.repeat:
        s = replace(s, repeat=args.repeat)
    where = machine()
    rows = measure(s, progress=lambda what: print(f"measuring {what} ...", file=sys.stderr, flush=True))
    out = report(rows, s, where)
    print(out, end="")
    if args.markdown:
        Path(args.markdown).write_text(out)
    if args.readme:
        README.write_text(rewrite_readme(README.read_text(), out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
