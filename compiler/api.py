"""The library API: check and build .virt files. The CLI and the editor server use this."""
from __future__ import annotations

import gc
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from virtc.targets import registry

from . import build as _build
from . import modeljson, progress
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
    config_file: str | None = None  # the configuration read (it is in sources, but no input)

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


def _configure(out: Outcome, config: str | None, start: str):
    """Load virtc.toml / [tool.virtc] (or `config`) into `out`; None when it is invalid (its
    diagnostics then lead `out.diagnostics` and the run stops, exit 2)."""
    cfg, cfg_diags, cfg_src = load_config(config, start, resolve_code)
    if cfg_src is not None:
        out.sources[cfg_src.path] = cfg_src
        out.config_file = cfg_src.path
    if cfg_diags:
        out.config_errors = cfg_diags
        out.diagnostics = cfg_diags + out.diagnostics
        return None
    return cfg


def _check(files: list[str], texts: dict[str, str] | None, config: str | None) -> Outcome:
    progress.phase("compiling")
    r = compile_sources(files, texts)
    out = Outcome(r.model, list(r.diagnostics), dict(r.sources))
    cfg = _configure(out, config, files[0] if files else ".")
    if cfg is None:
        out.model = None
        return out
    if r.model is not None:
        progress.phase("checking")
        out.diagnostics.extend(check_model(r.model, r.syntax, r.sources, cfg))
        out.diagnostics.sort(key=Diagnostic.sort_key)
    return out


def detect_format(path: str) -> str | None:
    """Which reader a file needs, from its path alone (lint also looks at the content)."""
    from .lint import detect_path

    return detect_path(path)


def lint(paths: list[str], roots: list[str] = (), capabilities: str | None = None,
         config: str | None = None, schemas: str | None = None) -> Outcome:
    """Read existing configuration files (never executing them) into the model, one host
    per root (or all loose files as one host), and check them with every rule."""
    from .checker import run_rules
    from .lint import lint_files

    with _no_cyclic_gc():
        start = (list(roots) + list(paths) + ["."])[0]
        model, documents, sources, diags, skip = lint_files(paths, roots, capabilities, schemas)
        out = Outcome(model, diags, sources)
        cfg = _configure(out, config, start)
        if cfg is None:
            return out
        progress.phase("checking")
        out.diagnostics.extend(_not_skipped(run_rules(model, cfg, documents), model, skip))
        out.diagnostics = _unique(out.diagnostics)
        out.diagnostics.sort(key=Diagnostic.sort_key)
        return out


def import_(paths: list[str], roots: list[str] = (), capabilities: str | None = None,
            output: str | None = None, force: bool = False) -> Outcome:
    """Existing configs -> one .virt file. Nothing is written when a file could not be
    read (an error from a reader: the .virt would silently lack what it said) or when the
    text would not compile. The text is compiled back and built; files that would come
    out different from those built from what was read are a warning (VF006)."""
    from . import dslwrite
    from .build import artifacts
    from .diagnostics import error, info, warning
    from .lint import lint_files
    from .rules import Scope, by_code

    with _no_cyclic_gc():
        model, _documents, sources, diags, _skip = lint_files(paths, roots, capabilities)
    out = Outcome(model, diags, sources)
    reading = [d for d in diags if d.severity is Severity.ERROR
               and (d.code not in by_code() or by_code()[d.code].scope in (Scope.READER, Scope.LANGUAGE))]
    if reading:
        return out
    if not model.guests and not model.hosts:
        out.diagnostics.append(error("VF002", "nothing to import: no host or guest configuration found", None))
        return out
    model = _declare_used_bridges(model)
    where = {x.path_label: x.span for x in (*model.hosts, *model.guests)}
    try:
        text = dslwrite.write(model)
    except ValueError as exc:
        label = str(exc).split(":", 1)[0]
        out.diagnostics.append(error("VF006", f"cannot write this configuration as .virt: {exc}",
                                     _nearest(where, label),
                                     hint="change the value in the existing file, or write it in .virt by hand"))
        return out
    target = output or "imported.virt"
    again = compile_sources([target], {target: text})
    back = [d for d in again.diagnostics if d.severity is Severity.ERROR]
    if again.model is None or back:
        for d in back[:20]:
            line = text.splitlines()[d.span.line - 1].strip() if d.span else ""
            span = _nearest(where, d.path) or _owner(model, text, d.span.line if d.span else 0)
            out.diagnostics.append(error("VF006", f"the imported configuration is not valid .virt: {d.code} "
                                                  f"{d.message} (in `{line}`)", span,
                                         hint="fix the value in the existing file, then import again"))
        return out
    out.text = text
    mine, _ = artifacts(model)
    theirs, _ = artifacts(again.model)
    before = {a.path: (a.text, a.link) for a in mine}
    after = {a.path: (a.text, a.link) for a in theirs}
    source = {a.path: a.source for a in mine}
    for p in sorted(p for p in before if before[p] != after.get(p)):
        out.diagnostics.append(warning("VF006", f"the imported .virt builds {p} "
                                                f"{'differently' if p in after else 'no longer'}: a value "
                                                "of the files read has no exact .virt form",
                                       where.get(source[p]),
                                       hint="compare `virtc build` of the .virt with the files, and adjust"))
    extra = sorted(p for p in after if p not in before)
    if extra:
        out.diagnostics.append(info("VF006", f"the imported .virt also builds {len(extra)} file(s) the files "
                                             f"read did not describe: {', '.join(extra[:5])}"
                                             f"{' ...' if len(extra) > 5 else ''}", None,
                                    hint="the language declares every bridge a guest uses; check them"))
    if output is not None:
        if os.path.exists(output) and not force:
            out.diagnostics.append(error("VF006", f"{output} exists; not replacing it", None,
                                         hint="choose another -o, or add --force"))
            out.text = None
            return out
        tmp = f"{output}.virtc-tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, output)
    return out


def _nearest(where: dict, label: str):
    """The span of the host or guest a logical path ("host h / guest g / nic 0") is in."""
    parts = (label or "").split(" / ")
    for n in range(len(parts), 0, -1):
        span = where.get(" / ".join(parts[:n]))
        if span is not None:
            return span
    return None


_DECL = re.compile(r'^\s*(guest|host)\s+"?([^\s"{\[]+)')


def _owner(model: Model, text: str, line: int):
    """The span (in the files read) of the guest or host whose block holds line `line` of
    the written .virt text."""
    lines = text.splitlines()
    for i in range(min(line, len(lines)) - 1, -1, -1):
        m = _DECL.match(lines[i])
        if m:
            kind, name = m.groups()
            pool = model.guests if kind == "guest" else model.hosts
            for x in pool:
                if x.name == name or (kind == "guest" and x.name.startswith(name)):
                    return x.span
            return None
    return None


def _declare_used_bridges(model: Model) -> Model:
    """Bridges guests use but no file read declares (no ifcfg files were given): the
    language needs them declared on the host (VR003 otherwise), without a NIC."""
    from dataclasses import replace

    from .model import Bridge

    hosts = []
    for h in model.hosts:
        have = {b.name for b in h.bridges} | {n.bridge for n in h.networks}
        used = sorted({n.source for g in model.guests_on(h.name) for n in g.nics
                       if n.kind == "bridge" and n.source and n.source not in have})
        added = tuple(Bridge(name, None, None, "none", None, None, None, False, 0, h.span,
                             f"{h.path_label} / bridge {name}") for name in used)
        hosts.append(replace(h, bridges=h.bridges + added) if added else h)
    return replace(model, hosts=tuple(hosts))


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
    progress.phase("generating")
    arts, diags = _build.artifacts(out.model, targets)
    out.diagnostics.extend(diags)
    out.artifacts = arts
    if write and not out.has_errors and output is not None:
        _build.write_tree(arts, output)
    return out
