"""The library API: check and build .virt files. The CLI and the editor server use this."""
from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass, field

from virtc.targets import registry

from . import build as _build
from . import modeljson
from .checker import check_model
from .config import load_config
from .diagnostics import Diagnostic, Severity
from .model import Model
from .readers import read_text
from .resolve import compile_sources
from .rules import resolve_code
from .source import SourceFile


@dataclass
class Outcome:
    model: Model | None
    diagnostics: list[Diagnostic]
    sources: dict[str, SourceFile]
    artifacts: list = field(default_factory=list)
    config_errors: list[Diagnostic] = field(default_factory=list)
    text: str | None = None  # what import and convert produce

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def model_json(self) -> str:
        return modeljson.dumps(self.model) if self.model else ""


def target_names() -> list[str]:
    return list(registry())


@contextmanager
def _no_cyclic_gc():
    """Compiling makes many small objects and no reference cycles worth collecting; the
    cyclic collector would rescan them all again and again (superlinear on big fleets)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def check(files: list[str], texts: dict[str, str] | None = None, config: str | None = None) -> Outcome:
    """Compile, then run the rules (configured by virtc.toml / [tool.virtc], or `config`)."""
    with _no_cyclic_gc():
        return _check(files, texts, config)


def _check(files: list[str], texts: dict[str, str] | None, config: str | None) -> Outcome:
    r = compile_sources(files, texts)
    out = Outcome(r.model, list(r.diagnostics), dict(r.sources))
    cfg, cfg_diags, cfg_src = load_config(config, files[0] if files else ".", resolve_code)
    if cfg_src is not None:
        out.sources[cfg_src.path] = cfg_src
    if cfg_diags:
        out.config_errors = cfg_diags
        out.diagnostics = cfg_diags + out.diagnostics
        out.model = None
        return out
    if r.model is not None:
        out.diagnostics.extend(check_model(r.model, r.syntax, r.sources, cfg))
        out.diagnostics.sort(key=Diagnostic.sort_key)
    return out


def detect_format(path: str) -> str | None:
    """Which reader a file needs, from its path alone (lint also looks at the content)."""
    from .lint import detect_path

    return detect_path(path)


def lint(paths: list[str], roots: list[str] = (), capabilities: str | None = None,
         config: str | None = None) -> Outcome:
    """Read existing configuration files (never executing them) into the model, one host
    per root (or all loose files as one host), and check them with every rule."""
    from .checker import run_rules
    from .lint import lint_files

    with _no_cyclic_gc():
        start = (list(roots) + list(paths) + ["."])[0]
        cfg, cfg_diags, cfg_src = load_config(config, start, resolve_code)
        model, documents, sources, diags, skip = lint_files(paths, roots, capabilities)
        out = Outcome(model, diags, sources)
        if cfg_src is not None:
            out.sources[cfg_src.path] = cfg_src
        if cfg_diags:
            out.config_errors = cfg_diags
            out.diagnostics = cfg_diags + out.diagnostics
            return out
        out.diagnostics.extend(_not_skipped(run_rules(model, cfg, documents), model, skip))
        out.diagnostics = _unique(out.diagnostics)
        out.diagnostics.sort(key=Diagnostic.sort_key)
        return out


def import_(paths: list[str], roots: list[str] = (), capabilities: str | None = None,
            output: str | None = None, force: bool = False) -> Outcome:
    """Existing configs -> one .virt file. Nothing is written when a file could not be
    read (an error from a reader: the .virt would silently lack what it said), or when the
    written text would not compile back to the same model's files (a virtc bug)."""
    from . import dslwrite
    from .build import artifacts
    from .diagnostics import error
    from .lint import lint_files
    from .rules import Scope, by_code

    with _no_cyclic_gc():
        model, _documents, sources, diags, _skip = lint_files(paths, roots, capabilities)
    out = Outcome(model, diags, sources)
    reading = [d for d in diags if d.severity is Severity.ERROR
               and (d.code not in by_code() or by_code()[d.code].scope is Scope.READER)]
    if reading:
        return out
    if not model.guests and not model.hosts:
        out.diagnostics.append(error("VF002", "nothing to import: no host or guest configuration found", None))
        return out
    try:
        text = dslwrite.write(model)
    except ValueError as exc:
        out.diagnostics.append(error("VF006", f"cannot write this configuration as .virt: {exc}", None,
                                     hint="change the value in the existing file, or write it in .virt by hand"))
        return out
    out.text = text
    target = output or "imported.virt"
    # Check the text before writing it: it must compile, and build what the files read
    # would build. What does not is reported (VF006) and nothing is written.
    again = compile_sources([target], {target: text})
    back = [d for d in again.diagnostics if d.severity is Severity.ERROR]
    if again.model is None or back:
        for d in back[:20]:
            line = text.splitlines()[d.span.line - 1].strip() if d.span else ""
            out.diagnostics.append(error("VF006", f"the imported configuration is not valid .virt: {d.code} "
                                                  f"{d.message} (in `{line}`)", None,
                                         hint="fix the value in the existing file, then import again"))
        return out
    mine, _ = artifacts(model)
    theirs, _ = artifacts(again.model)
    before = {a.path: (a.text, a.link) for a in mine}
    after = {a.path: (a.text, a.link) for a in theirs}
    differ = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    if differ:
        out.diagnostics.append(error("VF006", f"the imported .virt would build {len(differ)} file(s) "
                                              f"differently from what was read: {', '.join(differ[:5])}", None,
                                     hint="please report this with the files (a gap in `virtc import`)"))
        return out
    if output is not None:
        if os.path.exists(output) and not force:
            out.diagnostics.append(error("VF006", f"{output} exists; not replacing it", None,
                                         hint="choose another -o, or add --force"))
            return out
        tmp = f"{output}.virtc-tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, output)
    return out


def convert(path: str, to: str | None = None, capabilities: str | None = None) -> Outcome:
    """One guest's xm config -> libvirt domain XML, or back. `to` is "xml" or "xm";
    by default the other format of the input."""
    from . import convert as _convert

    return _convert.convert_file(path, to, capabilities)


def _not_skipped(diags: list[Diagnostic], model: Model, skip: dict[str, set[str]]) -> list[Diagnostic]:
    """Drop findings of rules that needed a fact no file of that host states (VF004 says
    which were skipped). A finding belongs to the host its logical path names."""
    if not any(skip.values()):
        return diags
    out = []
    for d in diags:
        host = d.path.split(" / ")[0].removeprefix("host ") if d.path.startswith("host ") else None
        if host is not None and d.code in skip.get(host, ()):
            continue
        if host is None and d.code in set().union(*skip.values()):
            continue
        out.append(d)
    return out


def _unique(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen, out = set(), []
    for d in diags:
        key = (d.code, d.message, d.span)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def build(files: list[str], output: str | None, targets: list[str] | None = None,
          write: bool = True, config: str | None = None) -> Outcome:
    """Compile; if there is no error, emit and (when write) write the tree atomically."""
    out = check(files, config=config)
    if out.model is None or out.has_errors:
        return out
    arts, diags = _build.artifacts(out.model, targets)
    out.diagnostics.extend(diags)
    out.artifacts = arts
    if write and not out.has_errors and output is not None:
        _build.write_tree(arts, output)
    return out
