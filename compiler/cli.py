"""The command line: thin wrappers over the library (virtc.api)."""
from __future__ import annotations

import enum
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

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Compile and lint Xen/KVM configuration against the RHEL 5 Virtualization Guide.")


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


CONFIG = typer.Option(None, "--config", help="Configuration file (default: the nearest virtc.toml "
                                              "or pyproject.toml with \\[tool.virtc]).")


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


def _write_reports(result, reports: list[Report], stdout=None) -> None:
    """Each report to its file (written whole, then renamed into place) or to `stdout`;
    colour only for `full` on a terminal, and never with NO_COLOR."""
    stdout = stdout or sys.stdout
    for rep in reports:
        if rep.file is None:
            color = rep.format == "full" and stdout.isatty() and not os.environ.get("NO_COLOR")
            text = render(result.diagnostics, result.sources, rep.format, color=color)
            if text:
                stdout.write(text)
            continue
        try:
            _write_text(rep.file, render(result.diagnostics, result.sources, rep.format))
        except OSError as exc:
            typer.echo(f"error: cannot write {rep.file}: {exc.strerror or exc}", err=True)
            raise typer.Exit(2)


def _exit_code(result, fail_level: FailLevel = FailLevel.error) -> int:
    """2 for a configuration error, 1 for a finding at or above the fail level, else 0."""
    if result.config_errors:
        return 2
    worst = Severity.parse(fail_level.value)
    return 1 if any(d.severity >= worst for d in result.diagnostics) else 0


@contextmanager
def _progress():
    """A progress bar on stderr while the block runs, when a person is watching."""
    with progress.shown(progress.Bar(sys.stderr) if progress.wanted(sys.stderr) else None):
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


@app.command()
def check(files: List[str] = typer.Argument(..., help=".virt files to check"),
          format: List[str] = REPORTS,
          fail_level: FailLevel = FAIL_LEVEL,
          config: Optional[str] = CONFIG):
    """Check .virt files and print diagnostics; write nothing."""
    from . import api

    reports = _reports(format)
    result = api.check(files, config=config)
    _write_reports(result, reports)
    raise typer.Exit(_exit_code(result, fail_level))


@app.command("rules")
def rules_cmd():
    """List every code: rules and the language's own; code, name, default severity,
    checklist items."""
    from .ruleset import all_rules

    rows = [(r.code, r.name, str(r.severity), " ".join(r.checklist)) for r in all_rules()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        typer.echo(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")


@app.command("formats")
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


@app.command()
def explain(code: str = typer.Argument(..., help="A code (VS101, VR012) or its name (disk-target-name).")):
    """Print the documentation of one code: a rule's, or one of the language's own."""
    from .codes import source
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
    if source(rule):
        typer.echo(f"Source: {source(rule)}")
    if rule.scope is Scope.LANGUAGE:
        typer.echo("A code of the language itself: it stops the build when it is an error, whatever the "
                   "configuration says of its severity.")


@app.command()
def build(files: List[str] = typer.Argument(..., help=".virt files to compile"),
          output: Optional[str] = typer.Option(None, "-o", "--output", help="Output folder."),
          emit: List[str] = typer.Option([], "--emit",
                                         help="What to emit: model (JSON on stdout), or target names "
                                              "(libvirt, xm). Default: all targets."),
          format: List[str] = REPORTS,
          fail_level: FailLevel = FAIL_LEVEL,
          config: Optional[str] = CONFIG):
    """Compile .virt files into the files each host needs (all or nothing)."""
    from . import api

    reports = _reports(format)
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
    with _progress():
        # Written here, not by api.build: a finding at --fail-level also keeps the old output.
        result = api.build(files, output, targets=targets, write=False, config=config)
        code = _exit_code(result, fail_level)
        if targets != [] and code == 0:
            from .build import write_tree

            write_tree(result.artifacts, output)
    stdout = sys.stdout
    if want_model and result.model is not None and not result.has_errors:
        sys.stdout.write(result.model_json)
        stdout = sys.stderr  # stdout holds the model
    _write_reports(result, reports, stdout)
    tail = ""
    if targets != []:
        tail = f"; wrote {_count(len(result.artifacts), 'file')} to {output}" if code == 0 else "; wrote nothing"
    typer.echo(summary_line("compiled", result, time.monotonic() - start, tail), err=True)
    raise typer.Exit(code)


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


@app.command()
def lint(paths: List[str] = typer.Argument(None, help="Existing config files or folders (each folder is "
                                                      "one host's tree, or a folder of host trees)."),
         root: List[str] = typer.Option([], "--root", help="A copy of a host's file tree (etc/xen, "
                                                            "etc/libvirt, boot/grub ...); may repeat."),
         capabilities: Optional[str] = typer.Option(None, "--capabilities",
                                                    help="`virsh capabilities` XML of the host(s): CPUs, "
                                                         "memory, NUMA cells."),
         format: List[str] = REPORTS,
         fail_level: FailLevel = FAIL_LEVEL,
         config: Optional[str] = CONFIG):
    """Read existing configs (never executing them) and check them with every rule."""
    from . import api

    reports = _reports(format)
    paths = _existing_inputs(paths, root, capabilities)
    start = time.monotonic()
    with _progress():
        result = api.lint(paths, root, capabilities, config=config)
    _write_reports(result, reports)
    typer.echo(summary_line("linted", result, time.monotonic() - start), err=True)
    raise typer.Exit(_exit_code(result, fail_level))


def _write_text(path: str, text: str) -> None:
    tmp = f"{path}.virtc-tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


class Direction(str, enum.Enum):
    xml = "xml"
    xm = "xm"


@app.command()
def convert(file: str = typer.Argument(..., help="An xm config (/etc/xen/NAME) or a libvirt domain XML."),
            to: Optional[Direction] = typer.Option(None, "--to", help="Output format (default: the other one)."),
            output: Optional[str] = typer.Option(None, "-o", "--output", help="Write here instead of stdout."),
            capabilities: Optional[str] = typer.Option(None, "--capabilities",
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


@app.command("import")
def import_cmd(paths: List[str] = typer.Argument(None, help="Existing config files or folders."),
               root: List[str] = typer.Option([], "--root", help="A copy of a host's file tree; may repeat."),
               output: str = typer.Option(..., "-o", "--output", help="The .virt file to write."),
               capabilities: Optional[str] = typer.Option(None, "--capabilities",
                                                          help="`virsh capabilities` XML of the host(s)."),
               force: bool = typer.Option(False, "--force", help="Replace OUTPUT if it exists."),
               format: Format = typer.Option(Format.full, "--format", help="How to print diagnostics.")):
    """Write the hosts and guests of existing configs as one .virt file."""
    from . import api

    paths = _existing_inputs(paths, root, capabilities)
    result = api.import_(paths, root, capabilities, output, force)
    text = render([d for d in result.diagnostics if d.severity.name == "ERROR" or d.code == "VF006"],
                  result.sources, format.value)
    if text:
        sys.stderr.write(text)
    if result.text is not None:
        skipped = sum(1 for d in result.diagnostics if d.code == "VF006" and d.message.endswith(")")
                      and " is not imported: " in d.message)
        left = f"; {skipped} guest(s) left out (above)" if skipped else ""
        typer.echo(f"wrote {output}: {len(result.model.hosts)} host(s), {len(result.model.guests)} guest(s){left}; "
                   f"run `virtc check {output}` for the rules", err=True)
    raise typer.Exit(1 if result.has_errors else 0)


class _PlanCommand(typer.core.TyperCommand):
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
def plan(files: List[str] = typer.Argument(..., help=".virt files to compile"),
         output: str = typer.Option(..., "-o", "--output", help="The output folder a build would replace."),
         emit: List[str] = typer.Option([], "--emit", help="Only these targets (libvirt, xm ...), as for build."),
         detailed_exitcode: bool = typer.Option(False, "--detailed-exitcode",
                                                help="Exit 0 for no changes, 1 for errors, 2 for changes "
                                                     "(as terraform plan)."),
         format: List[str] = REPORTS,
         fail_level: FailLevel = FAIL_LEVEL,
         config: Optional[str] = CONFIG):
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
        result = api.build(files, None, targets=emit or None, write=False, config=config)
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


@app.command()
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


@app.command("fmt")
def fmt_cmd(files: List[str] = typer.Argument(..., help=".virt files or folders (their *.virt files); "
                                                       "'-' reads stdin and writes stdout."),
            check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 if a file would change."),
            diff: bool = typer.Option(False, "--diff", help="Print a unified diff; write nothing; exit 1 "
                                                            "if a file would change."),
            format: Optional[FmtReport] = typer.Option(None, "--format",
                                                       help="How to print syntax errors (stderr). Default: "
                                                            "full (github when GITHUB_ACTIONS=true)."),
            stdin_filename: str = typer.Option("<stdin>", "--stdin-filename",
                                               help="The name of '-' in messages.")):
    """Rewrite .virt files in the canonical layout (comments kept). A file that does not
    parse is reported and left alone (exit 2)."""
    from . import fmt as _fmt

    report = format.value if format else ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "full")
    color = report == "full" and sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    raise typer.Exit(_fmt.run(files, check=check, diff=diff, report=report,
                              stdin_name=stdin_filename, color=color))


def main() -> None:
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


if __name__ == "__main__":
    main()
