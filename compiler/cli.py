"""The command line: thin wrappers over the library (virtc.api)."""
from __future__ import annotations

import enum
import os
import sys
from typing import List, Optional

import typer

from . import __version__, api
from .build import BuildError
from .report import render

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


def _print_diagnostics(result, fmt: Format) -> None:
    color = fmt is Format.full and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    text = render(result.diagnostics, result.sources, fmt.value, color=color)
    if text:
        sys.stdout.write(text)


CONFIG = typer.Option(None, "--config", help="Configuration file (default: the nearest virtc.toml "
                                              "or pyproject.toml with [tool.virtc]).")


def _exit_code(result) -> int:
    if result.config_errors:
        return 2
    return 1 if result.has_errors else 0


@app.command()
def check(files: List[str] = typer.Argument(..., help=".virt files to check"),
          format: Format = typer.Option(Format.full, "--format", help="How to print diagnostics."),
          config: Optional[str] = CONFIG):
    """Check .virt files and print diagnostics; write nothing."""
    result = api.check(files, config=config)
    _print_diagnostics(result, format)
    raise typer.Exit(_exit_code(result))


@app.command("rules")
def rules_cmd():
    """List every rule: code, name, default severity, checklist items."""
    from .rules import all_rules

    rows = [(r.code, r.name, str(r.severity), " ".join(r.checklist)) for r in all_rules()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        typer.echo(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")


@app.command()
def explain(code: str = typer.Argument(..., help="A rule code (VS101) or name (disk-target-name).")):
    """Print one rule's documentation."""
    from .rules import by_code, resolve_code
    from .suggest import did_you_mean

    found = resolve_code(code)
    if found is None:
        hint = did_you_mean(code, resolve_code.known())
        typer.echo(f"error: no rule '{code}'" + (f"; {hint}" if hint else "; see `virtc rules`"), err=True)
        raise typer.Exit(2)
    rule = by_code()[found]
    doc = rule.doc()
    typer.echo(f"{rule.code} {rule.name} ({rule.severity})\n")
    typer.echo(doc.summary + "\n")
    if doc.body:
        typer.echo(doc.body + "\n")
    typer.echo(f"Checklist: {', '.join(rule.checklist)}")
    typer.echo(f"Source: {rule.reference()}")


@app.command()
def build(files: List[str] = typer.Argument(..., help=".virt files to compile"),
          output: Optional[str] = typer.Option(None, "-o", "--output", help="Output folder."),
          emit: List[str] = typer.Option([], "--emit",
                                         help="What to emit: model (JSON on stdout), or target names "
                                              "(libvirt, xm). Default: all targets."),
          format: Format = typer.Option(Format.full, "--format", help="How to print diagnostics."),
          config: Optional[str] = CONFIG):
    """Compile .virt files into the files each host needs (all or nothing)."""
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
    result = api.build(files, output, targets=targets, write=targets != [], config=config)
    if want_model and result.model is not None and not result.has_errors:
        sys.stdout.write(result.model_json)
        if result.diagnostics:
            sys.stderr.write(render(result.diagnostics, result.sources, format.value))
    else:
        _print_diagnostics(result, format)
    raise typer.Exit(_exit_code(result))


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
         schemas: Optional[str] = typer.Option(None, "--schemas", help="libvirt's RelaxNG schemas "
                                                                        "(default: /usr/share/libvirt/schemas)."),
         format: Format = typer.Option(Format.full, "--format", help="How to print diagnostics."),
         config: Optional[str] = CONFIG):
    """Read existing configs (never executing them) and check them with every rule."""
    paths = _existing_inputs(paths, root, capabilities)
    result = api.lint(paths, root, capabilities, config=config, schemas=schemas)
    _print_diagnostics(result, format)
    raise typer.Exit(_exit_code(result))


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
    paths = _existing_inputs(paths, root, capabilities)
    result = api.import_(paths, root, capabilities, output, force)
    text = render([d for d in result.diagnostics if d.severity.name == "ERROR" or d.code == "VF006"],
                  result.sources, format.value)
    if text:
        sys.stderr.write(text)
    if result.text is not None and not result.has_errors:
        typer.echo(f"wrote {output}: {len(result.model.hosts)} host(s), {len(result.model.guests)} guest(s); "
                   f"run `virtc check {output}` for the rules", err=True)
    raise typer.Exit(1 if result.has_errors else 0)


def main() -> None:
    try:
        app(standalone_mode=True)
    except BuildError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except SystemExit:
        raise
    except Exception as exc:  # a bug in virtc: say so, exit 2, no traceback for users
        typer.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                   "please report this with the input that caused it (set VIRTC_DEBUG=1 for a traceback)",
                   err=True)
        if os.environ.get("VIRTC_DEBUG"):
            raise
        sys.exit(2)


if __name__ == "__main__":
    main()
