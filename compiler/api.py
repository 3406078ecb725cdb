"""The library API: check and build .virt files. The CLI and the editor server use this."""
from __future__ import annotations

import gc
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
        model, documents, sources, diags = lint_files(paths, roots, capabilities)
        out = Outcome(model, diags, sources)
        if cfg_src is not None:
            out.sources[cfg_src.path] = cfg_src
        if cfg_diags:
            out.config_errors = cfg_diags
            out.diagnostics = cfg_diags + out.diagnostics
            return out
        out.diagnostics.extend(run_rules(model, cfg, documents))
        out.diagnostics = _unique(out.diagnostics)
        out.diagnostics.sort(key=Diagnostic.sort_key)
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
