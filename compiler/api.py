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
    """Which reader a file needs, from its path (later: its content too)."""
    norm = path.replace("\\", "/")
    name = norm.rsplit("/", 1)[-1]
    if name.endswith(("grub.conf", "menu.lst")):
        return "grub"
    if name.endswith("elilo.conf"):
        return "elilo"
    if name.startswith("ifcfg-") or "ifcfg-" in name:
        return "ifcfg"
    if name.endswith(".rules"):
        return "udev"
    if name.endswith("scsi_id.config"):
        return "scsi_id"
    if name.endswith("multipath.conf"):
        return "multipath"
    if name.endswith("rc.local"):
        return "rc.local"
    if name == "hosts" or name.endswith("-hosts"):
        return "hosts"
    if name.endswith(".cfg") or ("/etc/xen/" in norm and "." not in name and "/scripts/" not in norm):
        return "xm"
    return None


def lint(paths: list[str]) -> Outcome:
    """Read existing configuration files (never executing them) and check them."""
    from virtc.targets import elilo, grub, hostfiles, ifcfg, multipath, udev, xm

    readers = {"xm": xm.parse_document, "grub": grub.parse_document, "ifcfg": ifcfg.parse_document,
               "udev": udev.parse_rules, "scsi_id": udev.parse_scsi_id_config,
               "multipath": multipath.parse_document, "rc.local": hostfiles.parse_lines,
               "hosts": hostfiles.parse_hosts, "elilo": elilo.parse_document}

    from .diagnostics import info
    from .rules import Context, Scope, all_rules

    with _no_cyclic_gc():
        out = Outcome(None, [], {})
        docs = []
        for path in paths:
            fmt = detect_format(path)
            if fmt is None:
                out.diagnostics.append(info("VF002", f"{path}: not a format virtc reads yet; skipped", None))
                continue
            src, problems = read_text(path)
            out.diagnostics.extend(problems)
            if src is None:
                continue
            out.sources[path] = src
            doc, problems = readers[fmt](src)
            out.diagnostics.extend(problems)
            if doc is not None:
                docs.append(doc)
        ctx = Context(Model((), (), tuple(out.sources)), documents=docs)
        for rule in all_rules():
            if rule.scope is Scope.DOCUMENT or (rule.scope is Scope.FLEET and rule.formats):
                out.diagnostics.extend(rule().run(ctx))
        out.diagnostics.sort(key=Diagnostic.sort_key)
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
