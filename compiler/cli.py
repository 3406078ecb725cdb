"""The command line: thin wrappers over the library (virtc.api)."""
# No `from __future__ import annotations`: typer reads the annotations of every command at
# every start, and as strings each would be compiled on its own (typing.ForwardRef), some
# 180 compiles, 5% of the instructions of `virtc --version`.

import enum
import gc
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import List, Optional

import typer

# The library (virtc.api, and through it the compiler, the rules and the formats) is
# imported by the commands that use it, not here: `virtc --version` and `virtc --help`
# load none of it, and each command only what it needs.
from . import __version__, progress
from .diagnostics import Severity
from .report import FORMATS, render

app = typer.Typer(add_completion=True, no_args_is_help=True, rich_markup_mode=None,
                  help="Compile and lint Xen/KVM configuration against the RHEL 5 Virtualization Guide.")


class _Argument(typer.core.TyperArgument):
    """An argument shown by its metavar: `FILE...` when it takes several, in brackets in
    the usage line when it is optional (typer writes `{FILE}` and drops the dots)."""

    def make_metavar(self, ctx=None, *, usage: bool = False) -> str:
        name = self.metavar or (self.name or "").upper()
        if self.nargs != 1:
            name += "..."
        return f"[{name}]" if usage and not self.required else name


class _Command(typer.core.TyperCommand):
    """Every command: arguments in the help as `PATH...`, not as Python types."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for p in params:
            if type(p) is typer.core.TyperArgument:
                p.__class__ = _Argument
        return params


class Format(str, enum.Enum):
    full = "full"
    concise = "concise"
    json = "json"


def _version(value: bool):
    if value:
        typer.echo(f"virtc {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Show the version and exit.")):
    pass


CONFIG = typer.Option(None, "--config", metavar="FILE", help="Configuration file (default: the nearest virtc.toml "
                                              "or pyproject.toml with [tool.virtc]).")


# -- reports, exit codes, progress and summary of check, build and lint -------------------
# One spelling for all three: `--format FORMAT[:FILE]`, repeated for several reports
# (build's -o/--output is its output folder, so reports cannot use --output).

REPORTS = typer.Option([], "--format", metavar="FORMAT[:FILE]",
                       help=f"How to report diagnostics: {', '.join(FORMATS)}. FORMAT:FILE writes the "
                            "report to FILE instead of stdout. May repeat, e.g. `--format full --format "
                            "sarif:virtc.sarif`. Default: full (github when GITHUB_ACTIONS=true).")


class FailLevel(str, enum.Enum):
    error = "error"
    warning = "warning"
    info = "info"


FAIL_LEVEL = typer.Option(FailLevel.error, "--fail-level",
                          help="Exit with 1 when a finding is at least this severe (build then writes nothing).")

# Which codes are reported, as ruff spells it; also `select`, `ignore`, `extend-select` in
# virtc.toml (a --select here replaces the file's; --ignore and --extend-select add to it).
SELECT = typer.Option([], "--select", metavar="CODES",
                      help="Report only these codes: codes (VS101), prefixes (VS, VF7) or rule names, "
                           "comma-separated; may repeat.")
IGNORE = typer.Option([], "--ignore", metavar="CODES", help="Do not report these codes or prefixes.")
EXTEND_SELECT = typer.Option([], "--extend-select", metavar="CODES",
                             help="Report these codes too, on top of the selection.")
STATISTICS = typer.Option(False, "--statistics", help="Print a count per code instead of each finding.")
EXIT_ZERO = typer.Option(False, "--exit-zero", help="Exit 0 even when findings are reported (2 still "
                                                    "means a usage or configuration error).")
QUIET = typer.Option(False, "-q", "--quiet", help="Print the findings only: no progress bar, no summary line.")
OUTPUT_FILE = typer.Option(None, "--output-file", metavar="FILE",
                           help="Write the report to FILE instead of stdout (as --format FORMAT:FILE).")


# Autofix, as ruff spells it (virtc.fixing does the work).
FIX = typer.Option(False, "--fix", help="Apply the findings' safe fixes to the files, in place; then report "
                                        "what remains.")
UNSAFE_FIXES = typer.Option(False, "--unsafe-fixes", help="With --fix or --diff, apply the unsafe fixes too "
                                                          "(those that change what a file does).")
DIFF = typer.Option(False, "--diff", help="Print the fixes as unified diffs and write nothing; exit 1 when "
                                          "there is something to fix.")


def _fixing(runner, in_memory: bool, unsafe: bool, diff: bool, quiet: bool, stdin=()):
    """--fix or --diff: the fixes applied (or shown), their summary on stderr; the outcome
    of what remains. --diff exits here: its diffs are the report."""
    from . import fixing

    fixed = fixing.run(runner, unsafe=unsafe, in_memory=in_memory, write=not diff, stdin=tuple(stdin))
    for problem in fixed.problems:
        typer.echo(f"warning: {problem}", err=True)
    if diff:
        sys.stdout.write(fixing.diff(fixed))
    if not quiet:
        typer.echo(fixing.summary(fixed, write=not diff), err=True)
    if diff:
        raise typer.Exit(2 if fixed.result.config_errors else 1 if fixed.applied else 0)
    return fixed.result


STDIN_NAME = typer.Option("<stdin>", "--stdin-filename", metavar="NAME",
                          help="The name of '-' (stdin) in messages; includes are found from its folder.")


@dataclass(frozen=True)
class Output:
    """How a command reports: its reports, and the everyday switches of the linters."""
    reports: list
    statistics: bool = False
    exit_zero: bool = False
    quiet: bool = False


def _selection(select: list[str], ignore: list[str], extend: list[str]):
    """The command line's selection; a usage error (exit 2) for a selector naming no code."""
    from .config import Selection, selectors
    from .ruleset import find_code
    from .suggest import did_you_mean

    def split(values):
        return [v for value in values for v in value.split(",") if v.strip()]

    if not (select or ignore or extend):
        return None  # (and the code list is not built)
    parts = {}
    for name, values in (("--select", select), ("--ignore", ignore), ("--extend-select", extend)):
        parts[name], bad = selectors(split(values), find_code)
        for v in bad:
            hint = did_you_mean(v, find_code.known())
            raise typer.BadParameter(f"'{v}' names no code" + (f"; {hint}" if hint else ""), param_hint=f"'{name}'")
    return Selection(parts["--select"] if select else None, parts["--ignore"], parts["--extend-select"])


def _output(format: list[str], output_file: str | None, statistics: bool = False, exit_zero: bool = False,
            quiet: bool = False) -> Output:
    specs = list(format)
    if output_file:
        stdout_specs = [s for s in specs if ":" not in s] or ["full"]
        if len(stdout_specs) > 1:
            raise typer.BadParameter("--output-file takes one report; give the others as FORMAT:FILE",
                                     param_hint="'--output-file'")
        specs = [s for s in specs if ":" in s] + [f"{stdout_specs[0]}:{output_file}"]
    return Output(_reports(specs), statistics, exit_zero, quiet)


@dataclass(frozen=True)
class Report:
    format: str
    file: str | None  # None: stdout


def _reports(specs: list[str]) -> list[Report]:
    """The reports `--format` asks for; a usage error (exit 2) for an unknown format or
    two reports in one place."""
    if not specs:
        return [Report("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "full", None)]
    out, places = [], set()
    for spec in specs:
        fmt, colon, file = spec.partition(":")
        if fmt not in FORMATS:
            raise typer.BadParameter(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})",
                                     param_hint="'--format'")
        if colon and not file:
            raise typer.BadParameter(f"'{spec}' names no file after ':' (use '-' for stdout)",
                                     param_hint="'--format'")
        file = None if file in ("", "-") else file
        place = os.path.abspath(file) if file else "stdout"
        if place in places:
            raise typer.BadParameter(f"two reports would be written to {file or 'stdout'}",
                                     param_hint="'--format'")
        places.add(place)
        out.append(Report(fmt, file))
    return out


def statistics(diags) -> str:
    """One line per code: count, code, name and severity, most frequent first (ruff's
    --statistics)."""
    from collections import Counter

    from .ruleset import by_code

    rules = by_code()
    counts = Counter((d.code, str(d.severity)) for d in diags)
    if not counts:
        return ""
    width = len(f"{max(counts.values()):,}")
    lines = []
    for (code, sev), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        name = rules[code].name if code in rules else ""
        lines.append(f"{n:>{width},}  {code}  {name}  ({sev})")
    return "\n".join(lines) + "\n"


def _write_reports(result, reports, stdout=None) -> None:
    """Each report to its file (written whole, then renamed into place) or to `stdout`;
    colour only for `full` on a terminal, and never with NO_COLOR. With --statistics the
    report on stdout is the count per code."""
    stdout = stdout or sys.stdout
    stats = False
    if isinstance(reports, Output):
        stats, reports = reports.statistics, reports.reports
    for rep in reports:
        if rep.file is None and stats:
            stdout.write(statistics(result.diagnostics))
            continue
        if rep.file is None:
            color = rep.format == "full" and stdout.isatty() and not os.environ.get("NO_COLOR")
            text = render(result.diagnostics, result.sources, rep.format, color=color,
                          docs_url=result.docs_url)
            if text:
                stdout.write(text)
            continue
        try:
            _write_text(rep.file, render(result.diagnostics, result.sources, rep.format,
                                         docs_url=result.docs_url))
        except OSError as exc:
            typer.echo(f"error: cannot write {rep.file}: {exc.strerror or exc}", err=True)
            raise typer.Exit(2)


def _exit_code(result, fail_level: FailLevel = FailLevel.error, out: Output | None = None) -> int:
    """2 for a configuration error, 1 for a finding at or above the fail level (0 with
    --exit-zero), else 0."""
    if result.config_errors:
        return 2
    if out is not None and out.exit_zero:
        return 0
    worst = Severity.parse(fail_level.value)
    return 1 if any(d.severity >= worst for d in result.diagnostics) else 0


@contextmanager
def _progress(quiet: bool = False):
    """A progress bar on stderr while the block runs, when a person is watching."""
    with progress.shown(progress.Bar(sys.stderr) if not quiet and progress.wanted(sys.stderr) else None):
        yield


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def summary_line(verb: str, result, seconds: float, tail: str = "") -> str:
    """`linted 2,060 files: 1,000 guests on 10 hosts, 0 errors, 3 warnings in 2.9 s`."""
    files = sum(1 for p in result.sources if p != result.config_file)
    sev = [d.severity for d in result.diagnostics]
    counts = [_count(sev.count(Severity.ERROR), "error"), _count(sev.count(Severity.WARNING), "warning")]
    if Severity.INFO in sev:
        counts.append(f"{sev.count(Severity.INFO):,} info")
    fleet = ""
    if result.model is not None and not result.config_errors:
        fleet = f"{_count(len(result.model.guests), 'guest')} on {_count(len(result.model.hosts), 'host')}, "
    took = f"{seconds:.1f}" if seconds >= 1 else f"{seconds:.2f}"
    return f"{verb} {_count(files, 'file')}: {fleet}{', '.join(counts)} in {took} s{tail}"


JOBS = typer.Option(None, "--jobs", "-j", metavar="N", min=1,
                    help="Processes that share the rules of a big fleet (default: the number of CPUs); "
                         "the report is the same whatever N is.")


@app.command(cls=_Command)
def check(files: List[str] = typer.Argument(..., metavar="FILE", help=".virt files or folders (their *.virt "
                                                                     "files); '-' reads stdin."),
          format: List[str] = REPORTS,
          fail_level: FailLevel = FAIL_LEVEL,
          config: Optional[str] = CONFIG,
          select: List[str] = SELECT, ignore: List[str] = IGNORE, extend_select: List[str] = EXTEND_SELECT,
          statistics: bool = STATISTICS, exit_zero: bool = EXIT_ZERO, quiet: bool = QUIET,
          output_file: Optional[str] = OUTPUT_FILE, stdin_filename: str = STDIN_NAME,
          jobs: Optional[int] = JOBS,
          fix: bool = FIX, unsafe_fixes: bool = UNSAFE_FIXES, diff: bool = DIFF):
    """Check .virt files and print diagnostics; write nothing (but the fixes, with --fix)."""
    from . import api

    out = _output(format, output_file, statistics, exit_zero, quiet)
    files, texts = _virt_inputs(files, stdin_filename)
    selection = _selection(select, ignore, extend_select)
    if fix or diff:
        result = _fixing(lambda fixed: api.check(files, {**(texts or {}), **(fixed or {})} or None, config=config,
                                                 selection=selection, jobs=jobs or available_cpus()),
                         True, unsafe_fixes, diff, quiet, texts or ())
    else:
        result = api.check(files, texts, config=config, selection=selection, jobs=jobs or available_cpus())
    _write_reports(result, out)
    raise typer.Exit(_exit_code(result, fail_level, out))


class RulesFormat(str, enum.Enum):
    text = "text"
    json = "json"


@app.command("rules", cls=_Command)
def rules_cmd(format: RulesFormat = typer.Option(RulesFormat.text, "--format",
                                                 help="text: a table; json: a list of objects (code, name, "
                                                      "severity, checklist, section, lines, fix, summary).")):
    """List every code: rules and the language's own; code, name, default severity,
    checklist items."""
    from .ruleset import all_rules

    if format is RulesFormat.json:
        import json

        from .codes import describe, fix_kind

        typer.echo(json.dumps([{"code": r.code, "name": r.name, "severity": str(r.severity),
                                "checklist": list(r.checklist), "section": r.section, "lines": r.lines,
                                "fix": fix_kind(r), "summary": describe(r.code).summary}
                               for r in all_rules()], indent=2, ensure_ascii=False))
        return
    from .codes import fix_kind

    # the fix column (safe, unsafe) is blank for a rule without a fix
    rows = [(r.code, r.name, str(r.severity), fix_kind(r) or "", " ".join(r.checklist)) for r in all_rules()]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        typer.echo(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]:<{widths[3]}}  "
                   f"{row[4]}".rstrip())


@app.command("docs", cls=_Command)
def docs_cmd(output: str = typer.Option(..., "-o", "--output", metavar="DIR",
                                        help="Folder to write the site into (created if needed)."),
             cases: Optional[str] = typer.Option(None, "--cases", metavar="DIR",
                                                 help="The rule cases to take examples from (CODE/fail*, "
                                                      "CODE/pass*). Default: tests/cases of virtc's source "
                                                      "tree; without one, each rule's documented example.")):
    """Write the rule reference as a static HTML site: an index of every code and a page
    per code with its documentation, limits and examples."""
    from pathlib import Path

    from . import docsite

    where = Path(cases) if cases else docsite.default_cases()
    if where is not None and not where.is_dir():
        typer.echo(f"error: --cases {cases}: not a folder", err=True)
        raise typer.Exit(2)
    try:
        written = docsite.write(output, where)
    except OSError as exc:
        typer.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"wrote {len(written)} files to {output}", err=True)


@app.command("formats", cls=_Command)
def formats_cmd():
    """List every file format virtc reads or writes: where it lives on a RHEL 5 host,
    whether `virtc build` writes it (and under which --emit name), and its codes."""
    from virtc import targets

    from .ruleset import all_rules

    rows = [("FORMAT", "HOST PATHS", "WRITTEN BY", "CODES")]
    for f in targets.FORMATS:
        codes = sorted({r.code for r in f.rules} | {r.code for r in all_rules() if f.name in r.formats})
        where = " ".join("/" + p for p in f.paths) or "(loose files only)"
        rows.append((f.name, where, f"build --emit {f.target}" if f.emit else "read only", " ".join(codes) or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        typer.echo(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}".rstrip())


@app.command(cls=_Command)
def explain(code: str = typer.Argument(..., metavar="CODE", help="A code (VS101, VR012) or its name (disk-target-name).")):
    """Print the documentation of one code: a rule's, or one of the language's own."""
    from .codes import fix_kind, source
    from .rules.base import Scope
    from .ruleset import by_code, find_code
    from .suggest import did_you_mean

    found = find_code(code)
    if found is None:
        hint = did_you_mean(code, find_code.known())
        typer.echo(f"error: no rule '{code}'" + (f"; {hint}" if hint else "; see `virtc rules`"), err=True)
        raise typer.Exit(2)
    rule = by_code()[found]
    doc = rule.doc()
    typer.echo(f"{rule.code} {rule.name} ({rule.severity})\n")
    typer.echo(doc.summary + "\n")
    if doc.body:
        typer.echo(doc.body + "\n")
    if rule.checklist:
        typer.echo(f"Checklist: {', '.join(rule.checklist)}")
    if fix_kind(rule):
        typer.echo(f"Fix: {fix_kind(rule)} ({rule.fix_title}); `--fix` applies safe fixes, "
                   "`--unsafe-fixes` the others too.")
    if source(rule):
        typer.echo(f"Source: {source(rule)}")
    from .bounds import explain_table

    if explain_table(rule.code):  # virtc's own limits this code reports (compiler/bounds.py)
        typer.echo(f"Limits:\n{explain_table(rule.code)}\n")
    if rule.scope is Scope.LANGUAGE:
        typer.echo("A code of the language itself: it stops the build when it is an error, whatever the "
                   "configuration says of its severity.")


@app.command(cls=_Command)
def build(files: List[str] = typer.Argument(..., metavar="FILE", help=".virt files or folders (their *.virt "
                                                                     "files); '-' reads stdin."),
          output: Optional[str] = typer.Option(None, "-o", "--output", metavar="DIR", help="Output folder."),
          emit: List[str] = typer.Option([], "--emit", metavar="TARGET",
                                         help="What to emit: model (JSON on stdout), or target names "
                                              "(libvirt, xm). Default: all targets."),
          format: List[str] = REPORTS,
          fail_level: FailLevel = FAIL_LEVEL,
          config: Optional[str] = CONFIG,
          select: List[str] = SELECT, ignore: List[str] = IGNORE, extend_select: List[str] = EXTEND_SELECT,
          statistics: bool = STATISTICS, exit_zero: bool = EXIT_ZERO, quiet: bool = QUIET,
          output_file: Optional[str] = OUTPUT_FILE, stdin_filename: str = STDIN_NAME,
          jobs: Optional[int] = JOBS):
    """Compile .virt files into the files each host needs (all or nothing)."""
    from . import api

    reports = _output(format, output_file, statistics, exit_zero, quiet)
    selection = _selection(select, ignore, extend_select)
    files, texts = _virt_inputs(files, stdin_filename)
    known = {"model", *api.target_names()}
    for e in emit:
        if e not in known:
            typer.echo(f"error: unknown --emit value '{e}' (choose from {', '.join(sorted(known))})", err=True)
            raise typer.Exit(2)
    want_model = "model" in emit
    targets = [e for e in emit if e != "model"] or (None if not want_model else [])
    if targets != [] and output is None:
        typer.echo("error: -o/--output is required to write files", err=True)
        raise typer.Exit(2)
    start = time.monotonic()
    with _progress(quiet):
        # Written here, not by api.build: a finding at --fail-level also keeps the old output.
        result = api.build(files, output, targets=targets, write=False, config=config, selection=selection,
                           texts=texts, jobs=jobs or available_cpus())
        code = _exit_code(result, fail_level, reports)
        if targets != [] and code == 0:
            from .build import write_tree

            write_tree(result.artifacts, output, result.build_cache)
    stdout = sys.stdout
    if want_model and result.model is not None and not result.has_errors:
        sys.stdout.write(result.model_json)
        stdout = sys.stderr  # stdout holds the model
    _write_reports(result, reports, stdout)
    tail = ""
    if targets != []:
        tail = f"; wrote {_count(len(result.artifacts), 'file')} to {output}" if code == 0 else "; wrote nothing"
    if not quiet:
        typer.echo(summary_line("compiled", result, time.monotonic() - start, tail), err=True)
    raise typer.Exit(code)


def _virt_inputs(files: list[str], stdin_name: str) -> tuple[list[str], dict[str, str] | None]:
    """The .virt files to compile: a folder stands for the *.virt files under it, '-' for
    stdin (read once, named `stdin_name`); a usage error (exit 2) for a folder with none."""
    from .loading import expand

    out, texts = [], None
    for f in files:
        if f == "-":
            if texts is not None:
                raise typer.BadParameter("'-' (stdin) is given twice", param_hint="FILE")
            texts = {stdin_name: sys.stdin.read()}
            out.append(stdin_name)
            continue
        found = expand([f])
        if os.path.isdir(f) and not found:
            raise typer.BadParameter(f"{f} holds no .virt file", param_hint="FILE")
        out.extend(found)
    return out, texts


def _existing_inputs(paths, root, capabilities) -> list[str]:
    """The files and folders to read; a usage error (exit 2) when none or one is missing."""
    paths = paths or []
    if not paths and not root:
        typer.echo("error: give files, folders or --root DIR", err=True)
        raise typer.Exit(2)
    for p in [*paths, *root, *([capabilities] if capabilities else [])]:
        if not os.path.exists(p):
            typer.echo(f"error: {p}: no such file or folder", err=True)
            raise typer.Exit(2)
    return paths


@app.command(cls=_Command)
def lint(paths: List[str] = typer.Argument(None, metavar="PATH", help="Existing config files or folders (each folder is "
                                                      "one host's tree, or a folder of host trees)."),
         root: List[str] = typer.Option([], "--root", metavar="DIR", help="A copy of a host's file tree (etc/xen, "
                                                            "etc/libvirt, boot/grub ...); may repeat."),
         capabilities: Optional[str] = typer.Option(None, "--capabilities", metavar="FILE",
                                                    help="`virsh capabilities` XML of the host(s): CPUs, "
                                                         "memory, NUMA cells."),
         format: List[str] = REPORTS,
         fail_level: FailLevel = FAIL_LEVEL,
         config: Optional[str] = CONFIG,
         select: List[str] = SELECT, ignore: List[str] = IGNORE, extend_select: List[str] = EXTEND_SELECT,
         statistics: bool = STATISTICS, exit_zero: bool = EXIT_ZERO, quiet: bool = QUIET,
         output_file: Optional[str] = OUTPUT_FILE,
         jobs: Optional[int] = typer.Option(None, "--jobs", "-j", metavar="N", min=1,
                                            help="Processes that read the hosts and share the rules "
                                                 "(default: the number of CPUs); the report is the same "
                                                 "whatever N is."),
         fix: bool = FIX, unsafe_fixes: bool = UNSAFE_FIXES, diff: bool = DIFF):
    """Read existing configs (never executing them) and check them with every rule."""
    from . import api

    out = _output(format, output_file, statistics, exit_zero, quiet)
    selection = _selection(select, ignore, extend_select)
    paths = _existing_inputs(paths, root, capabilities)
    start = time.monotonic()
    with _progress(quiet):
        if fix or diff:
            result = _fixing(lambda _: api.lint(paths, root, capabilities, config=config, selection=selection,
                                                jobs=jobs or available_cpus()),
                             False, unsafe_fixes, diff, quiet)
        else:
            result = api.lint(paths, root, capabilities, config=config, selection=selection,
                              jobs=jobs or available_cpus())
    _write_reports(result, out)
    if not quiet:
        typer.echo(summary_line("linted", result, time.monotonic() - start), err=True)
    raise typer.Exit(_exit_code(result, fail_level, out))


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _write_text(path: str, text: str) -> None:
    from .atomic import write_file

    write_file(path, text)


class Direction(str, enum.Enum):
    xml = "xml"
    xm = "xm"


@app.command(cls=_Command)
def convert(file: str = typer.Argument(..., metavar="FILE", help="An xm config (/etc/xen/NAME) or a libvirt domain XML."),
            to: Optional[Direction] = typer.Option(None, "--to", help="Output format (default: the other one)."),
            output: Optional[str] = typer.Option(None, "-o", "--output", metavar="FILE",
                                                 help="Write here instead of stdout."),
            capabilities: Optional[str] = typer.Option(None, "--capabilities", metavar="FILE",
                                                       help="`virsh capabilities` XML of the target host."),
            format: Format = typer.Option(Format.full, "--format", help="How to print diagnostics.")):
    """Convert one guest between xm config and libvirt domain XML."""
    from . import api

    for p in [file, *([capabilities] if capabilities else [])]:
        if not os.path.isfile(p):
            typer.echo(f"error: {p}: no such file", err=True)
            raise typer.Exit(2)
    result = api.convert(file, to.value if to else None, capabilities)
    if result.text is not None and not result.has_errors:
        if output:
            _write_text(output, result.text)
        else:
            sys.stdout.write(result.text)
    text = render(result.diagnostics, result.sources, format.value)
    if text:
        sys.stderr.write(text)
    raise typer.Exit(_exit_code(result))


@app.command("import", cls=_Command)
def import_cmd(paths: List[str] = typer.Argument(None, metavar="PATH", help="Existing config files or folders."),
               root: List[str] = typer.Option([], "--root", metavar="DIR", help="A copy of a host's file tree; may repeat."),
               output: str = typer.Option(..., "-o", "--output", metavar="FILE",
                                          help="The .virt file to write; - writes it to standard output."),
               capabilities: Optional[str] = typer.Option(None, "--capabilities", metavar="FILE",
                                                          help="`virsh capabilities` XML of the host(s)."),
               force: bool = typer.Option(False, "--force", help="Replace OUTPUT if it exists."),
               format: Format = typer.Option(Format.full, "--format", help="How to print diagnostics.")):
    """Write the hosts and guests of existing configs as one .virt file."""
    from . import api

    paths = _existing_inputs(paths, root, capabilities)
    to_stdout = output == "-"  # as fmt's `-`: the text on stdout, what is reported on stderr
    result = api.import_(paths, root, capabilities, None if to_stdout else output, force)
    text = render([d for d in result.diagnostics if d.severity.name == "ERROR" or d.code == "VF006"],
                  result.sources, format.value)
    if text:
        sys.stderr.write(text)
    if result.text is not None:
        if to_stdout:
            sys.stdout.write(result.text)
        left = f"; {len(result.left_out)} guest(s) left out: {', '.join(result.left_out)}" \
            if result.left_out else ""
        where = "standard output" if to_stdout else output
        typer.echo(f"wrote {where}: {len(result.model.hosts)} host(s), {len(result.model.guests)} guest(s){left}; "
                   f"run `virtc check {'FILE' if to_stdout else output}` for the rules", err=True)
    raise typer.Exit(1 if result.has_errors else 0)


class _PlanCommand(_Command):
    """With --detailed-exitcode, 2 means "there are changes": a usage error (a mistyped
    option) must then exit 1 like every other error, or a CI job would take it for changes."""

    def make_context(self, info_name, args, parent=None, **extra):
        detailed = "--detailed-exitcode" in args
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except Exception as exc:  # click's UsageError (typer may carry its own copy of click)
            if detailed and getattr(exc, "exit_code", None) == 2:
                exc.exit_code = 1
            raise


@app.command(cls=_PlanCommand)
def plan(files: List[str] = typer.Argument(..., metavar="FILE", help=".virt files or folders (their *.virt "
                                                                    "files); '-' reads stdin."),
         output: str = typer.Option(..., "-o", "--output", metavar="DIR",
                                    help="The output folder a build would replace."),
         emit: List[str] = typer.Option([], "--emit", metavar="TARGET", help="Only these targets (libvirt, xm ...), as for build."),
         detailed_exitcode: bool = typer.Option(False, "--detailed-exitcode",
                                                help="Exit 0 for no changes, 1 for errors, 2 for changes "
                                                     "(as terraform plan)."),
         format: List[str] = REPORTS,
         fail_level: FailLevel = FAIL_LEVEL,
         config: Optional[str] = CONFIG,
         select: List[str] = SELECT, ignore: List[str] = IGNORE, extend_select: List[str] = EXTEND_SELECT,
         stdin_filename: str = STDIN_NAME):
    """Show, as a unified diff, what `build -o DIR` would change in DIR; write nothing."""
    from . import api
    from . import plan as _plan
    from .build import BuildError

    def fail(code: int) -> typer.Exit:  # errors are 1 in detailed mode, whatever their kind
        return typer.Exit(1 if detailed_exitcode and code else code)

    reports = _reports(format)
    known = api.target_names()
    for e in emit:
        if e not in known:
            typer.echo(f"error: unknown --emit value '{e}' (choose from {', '.join(sorted(known))})", err=True)
            raise fail(2)
    try:
        files, texts = _virt_inputs(files, stdin_filename)
        result = api.build(files, None, targets=emit or None, write=False, config=config,
                           selection=_selection(select, ignore, extend_select), texts=texts)
        code = _exit_code(result, fail_level)
        _write_reports(result, reports, sys.stderr)  # stdout is the diff
        if code:
            typer.echo("a build would write nothing: fix the findings above", err=True)
            raise fail(code)
        the_plan = _plan.plan(result.artifacts, output)
    except BuildError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise fail(2)
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:  # a bug in virtc; main() would exit 2, which here means "changes"
        if not detailed_exitcode or os.environ.get("VIRTC_DEBUG"):
            raise
        typer.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(1)
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    sys.stdout.write(_plan.render(the_plan, color=color))
    sys.stderr.write(_plan.summary(the_plan))
    raise typer.Exit(2 if detailed_exitcode and the_plan.has_changes else 0)


@app.command(cls=_Command)
def lsp(stdio: bool = typer.Option(True, "--stdio", help="Talk over stdin/stdout, the only transport "
                                                      "(accepted because editors pass it).")):
    """Run the language server on stdin/stdout, for editors (needs the `lsp` extra)."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        typer.echo("error: `virtc lsp` needs pygls, which is not installed; "
                   "install it with: pip install 'virtc[lsp]'", err=True)
        raise typer.Exit(2)
    from .lsp import serve

    serve()


class FmtReport(str, enum.Enum):
    full = "full"
    concise = "concise"
    github = "github"


@app.command("fmt", cls=_Command)
def fmt_cmd(files: List[str] = typer.Argument(..., metavar="PATH", help=".virt files or folders (their *.virt files); "
                                                       "'-' reads stdin and writes stdout."),
            check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 if a file would change."),
            diff: bool = typer.Option(False, "--diff", help="Print a unified diff; write nothing; exit 1 "
                                                            "if a file would change."),
            format: Optional[FmtReport] = typer.Option(None, "--format",
                                                       help="How to print syntax errors (stderr). Default: "
                                                            "full (github when GITHUB_ACTIONS=true)."),
            stdin_filename: str = typer.Option("<stdin>", "--stdin-filename", metavar="NAME",
                                               help="The name of '-' in messages.")):
    """Rewrite .virt files in the canonical layout (comments kept). A file that does not
    parse is reported and left alone (exit 2)."""
    from . import fmt as _fmt

    report = format.value if format else ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "full")
    color = report == "full" and sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    raise typer.Exit(_fmt.run(files, check=check, diff=diff, report=report,
                              stdin_name=stdin_filename, color=color))


def main() -> None:
    """The program (the `virtc` script, `python -m virtc`): one command, then the process ends."""
    # What a command makes (modules, the model, diagnostics, the files it writes) holds next
    # to no reference cycles: under a thousand objects after a build of 1,000 guests. Python's
    # cyclic collector would only rescan it, during the imports and once more, all of it,
    # as the interpreter exits; so it is off from here to the end of the process (2.5% of
    # the instructions of a small `virtc check`). The library turns it off itself for
    # compile, check and lint (api._no_cyclic_gc); the language server collects when idle.
    gc.disable()
    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except Exception as exc:  # a bug in virtc: say so, exit 2, no traceback for users
        from .build import BuildError

        if isinstance(exc, BuildError):  # the output folder cannot be written: not a bug
            typer.echo(f"error: {exc}", err=True)
            sys.exit(2)
        typer.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                   "please report this with the input that caused it (set VIRTC_DEBUG=1 for a traceback)",
                   err=True)
        if os.environ.get("VIRTC_DEBUG"):
            raise
        sys.exit(2)
    finally:
        # Disabled or not, the collector scans every object still tracked as the
        # interpreter exits (Py_FinalizeEx, three times): frozen, they are left out of
        # those scans (a build of 1,000 guests: 51M instructions, 1.5% of the process).
        gc.freeze()


if __name__ == "__main__":
    main()
