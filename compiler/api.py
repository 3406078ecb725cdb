"""The library API: check and build .virt files. The CLI and the editor server use this."""
from __future__ import annotations

import gc
import os
import re
from contextlib import contextmanager

from . import progress
from .atomic import write_file
from .checker import run_rules, suppressions
from .config import Selection, load_config
from .diagnostics import Diagnostic, Severity, error
from .finalize import finalize
from .loading import Loader, Parser, read_source
from .model import Model
from .outcome import Outcome  # noqa: F401  (part of the API)
from .owner import Owner
from .ruleset import resolve_code


# The formats (virtc.targets: readers, emitters, their rules) and the writer of output
# trees are imported by the functions that use them: `virtc check` needs none of them.

def target_names() -> list[str]:
    from virtc.targets import registry

    return list(registry())


@contextmanager
def _no_cyclic_gc(freeze: bool = False):
    """Compiling makes many small objects and no reference cycles worth collecting; the
    cyclic collector would rescan them all again and again (superlinear on big fleets).
    With `freeze`, what was made is left out of the collector's scans afterwards too (the
    first collection would scan it all once: 0.2 s after a lint of 2,000 files); it is
    still freed when its last reference goes."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if freeze:
                gc.freeze()
            else:
                # what was made goes to the oldest generation, not the youngest: there, the
                # next allocation would start a collection of all of it (a tenth of a check
                # of thousands of small declarations); a full collection still frees any
                # cycle among it. (Both calls move lists whole; gc.get_freeze_count walks
                # one, and cost seconds after a lint froze its objects.) What was frozen
                # before goes to the oldest generation too.
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def check(files: list[str], texts: dict[str, str] | None = None, config: str | None = None, *,
          loader: Loader = read_source, parser: Parser | None = None, selection: Selection | None = None,
          memo=None, jobs: int = 1) -> Outcome:
    """Compile, then run the rules (configured by virtc.toml / [tool.virtc], or `config`).
    `texts` overrides the contents of `files`; `loader` reads the other files (included
    ones too) and `parser` (virtc.parse's by default) parses every file (see
    virtc.resolve.compile_sources); `memo` (virtc.checkmemo.CheckMemo) keeps results
    between checks of the same files; `jobs`
    processes share the rules of a big fleet (virtc.checker.run_rules), with the same outcome."""
    with _no_cyclic_gc():
        return _check(files, texts, config, loader, parser, selection, memo, jobs)


def _configure(out: Outcome, config: str | None, start: str, selection: Selection | None = None):
    """Load virtc.toml / [tool.virtc] (or `config`) into `out`, with the command line's
    `selection` over it; None when it is invalid (its diagnostics then lead
    `out.diagnostics` and the run stops, exit 2)."""
    cfg, cfg_diags, cfg_src = load_config(config, start, resolve_code, selection)
    if cfg_src is not None:
        out.sources[cfg_src.path] = cfg_src
        out.config_file = cfg_src.path
    if cfg_diags:
        out.config_errors = cfg_diags
        out.diagnostics = cfg_diags + out.diagnostics
        return None
    out.docs_url = cfg.docs_url
    return cfg


def _check(files: list[str], texts: dict[str, str] | None, config: str | None,
           loader: Loader, parser: Parser, selection: Selection | None = None, memo=None,
           jobs: int = 1) -> Outcome:
    progress.phase("compiling")
    # The compiler and its parser (and Lark) are loaded by what compiles .virt files: lint,
    # convert and import of existing files do not need them (20 ms of each start).
    from .parse import parse
    from .resolve import compile_sources

    r = compile_sources(files, texts, loader=loader, parser=parser or parse, memo=memo and memo.compile)
    out = Outcome(r.model, list(r.diagnostics), dict(r.sources))
    cfg = _configure(out, config, files[0] if files else ".", selection)
    if cfg is None:
        out.model = None
        return out
    if r.model is not None:
        progress.phase("checking")
        out.diagnostics.extend(run_rules(r.model, cfg, memo=memo and memo.rules, jobs=jobs))
    sups, meta = suppressions(r.syntax, r.sources)
    blocking = [d for d in out.diagnostics if d.severity is Severity.ERROR]
    out.diagnostics = finalize(out.diagnostics, cfg, sups, meta, rules_ran=r.model is not None)
    if r.model is None and blocking and not out.has_errors:
        first = min(blocking, key=Diagnostic.sort_key)
        out.diagnostics.append(error("VR041", f"the input does not compile: the {first.code} error here is hidden "
                                              f"by the configuration or a suppression ({first.message})",
                                     first.span, hint=first.hint or "correct the input"))
    return out


def detect_format(path: str) -> str | None:
    """The format of the file at `path` in a host's tree (relative to its root), or None."""
    from virtc import targets

    fmt = targets.placed(path.replace(os.sep, "/"))
    return fmt.name if fmt is not None else None


def lint(paths: list[str], roots: list[str] = (), capabilities: str | None = None,
         config: str | None = None, selection: Selection | None = None, jobs: int = 1) -> Outcome:
    """Read existing configuration files (never executing them) into the model, one host
    per root (or all loose files as one host), and check them with every rule. `jobs`
    processes read the hosts and share the rules (1: all in this process); the outcome is the same."""
    from .lint import lint_files

    with _no_cyclic_gc(freeze=True):
        start = (list(roots) + list(paths) + ["."])[0]
        read = lint_files(paths, roots, capabilities, jobs)
        out = Outcome(read.model, read.diagnostics, read.sources)
        cfg = _configure(out, config, start, selection)
        if cfg is None:
            return out
        progress.phase("checking")
        out.diagnostics.extend(run_rules(read.model, cfg, read.documents, read.missing, jobs=jobs))
        out.diagnostics = _one_finding_per_fact(out.diagnostics)
        sups, meta = suppressions({}, read.sources, read.formats)
        out.diagnostics = finalize(out.diagnostics, cfg, sups, meta)
        return out


# Findings that restate what a more precise one at the same line says: the schema check
# (VF711) rejects any element another rule already named (<vcpus>, VF704).
_CATCH_ALL = ("VF711",)


def _one_finding_per_fact(diags: list[Diagnostic]) -> list[Diagnostic]:
    """Without the catch-all findings at a line another finding already reports."""
    lines = {(d.span.file, d.span.line) for d in diags if d.span is not None and d.code not in _CATCH_ALL
             and d.severity in (Severity.ERROR, Severity.WARNING)}
    return [d for d in diags
            if d.code not in _CATCH_ALL or d.span is None or (d.span.file, d.span.line) not in lines]


def import_(paths: list[str], roots: list[str] = (), capabilities: str | None = None,
            output: str | None = None, force: bool = False) -> Outcome:
    """Existing configs -> one .virt file. Nothing is written when a file could not be
    read (an error from a reader: the .virt would silently lack what it said) or when the
    text would not compile. The text is compiled back and built; files that would come
    out different from those built from what was read are a warning (VF006). What is
    reported goes through the configuration and the files' suppressions; what is written
    does not depend on them."""
    out = _import(paths, roots, capabilities, output, force)
    return _finished(out, (list(roots) + list(paths) + ["."])[0])


def _finished(out: Outcome, start: str) -> Outcome:
    """`out` after the configuration found from `start` and the suppressions of the files
    it read (convert and import, which run no model rules of their own)."""
    from virtc import targets

    cfg = _configure(out, None, start)
    if cfg is not None:
        formats = {}
        for path, src in out.sources.items():
            fmt = targets.recognised(path, src.text) if path != out.config_file else None
            if fmt is not None:
                formats[path] = fmt.name
        sups, meta = suppressions({}, out.sources, formats)
        out.diagnostics = finalize(out.diagnostics, cfg, sups, meta, rules_ran=False)
    return out


def _import(paths: list[str], roots: list[str], capabilities: str | None, output: str | None,
            force: bool) -> Outcome:
    from dataclasses import replace

    from . import dslwrite, importdiff
    from .build import artifacts
    from .diagnostics import info, warning
    from .lint import lint_files
    from .rules.base import Scope
    from .ruleset import by_code

    with _no_cyclic_gc():
        read = lint_files(paths, roots, capabilities)
    model, diags = read.model, read.diagnostics
    out = Outcome(model, diags, read.sources)
    # A file that could not be read whole (a reader's error, or values computed by code):
    # the .virt would silently lack what it says. Its guests are not imported, the rest is,
    # and the run fails (exit 1) listing what was left out.
    problems: dict[str, Diagnostic] = {}
    for d in diags:
        reading = d.severity is Severity.ERROR and (
            d.code not in by_code() or by_code()[d.code].scope in (Scope.READER, Scope.LANGUAGE))
        if (reading or d.code == "VF102") and d.span is not None:
            problems.setdefault(d.span.file, d)
    skipped = [g for g in model.guests if g.span.file in problems]
    if skipped:
        model = replace(model, guests=tuple(g for g in model.guests if g.span.file not in problems))
        out.model = model
    for g in skipped:
        d = problems[g.span.file]
        out.left_out.append(g.name)
        out.diagnostics.append(error("VF006", f"guest {g.name} is not imported: {d.span.file} cannot be read whole "
                                              f"({d.code} at line {d.span.line}: {d.message})", g.span,
                                     hint="fix the file, then import again"))
    for path in sorted(set(problems) - {g.span.file for g in skipped} - {g.span.file for g in model.guests}):
        d = problems[path]
        name = _guest_file_name(path, read.formats.get(path), read.sources.get(path))
        other = next((g for g in model.guests if g.name == name), None)
        if other is not None:  # the guest's other file (domain XML beside the xm config) was read
            message = f"{path} cannot be read; guest {name} is imported from {other.span.file} alone"
        elif name is not None:  # a guest's config that gave no guest at all
            out.left_out.append(name)
            message = f"guest {name} is not imported: {path} cannot be read"
        else:
            message = f"{path} is imported only as far as it could be read"
        out.diagnostics.append(error("VF006", f"{message} ({d.code} at line {d.span.line}: {d.message})", d.span,
                                     hint="fix the file, then import again"))
    out.left_out.sort()
    if not model.guests and not model.hosts:
        out.diagnostics.append(error("VF002", "nothing to import: no host or guest configuration found", None))
        return out
    model = _as_the_language_reads_it(_declare_used_bridges(model))
    where = {x.owner: x.span for x in (*model.hosts, *model.guests)}
    try:
        text = dslwrite.write(model)
    except ValueError as exc:
        out.diagnostics.append(error("VF006", f"cannot write this configuration as .virt: {exc}",
                                     _nearest(where, getattr(exc, "owner", None)),
                                     hint="change the value in the existing file, or write it in .virt by hand"))
        return out
    target = output or "imported.virt"
    from .resolve import compile_sources

    again = compile_sources([target], {target: text})
    back = [d for d in again.diagnostics if d.severity is Severity.ERROR]
    if again.model is None or back:
        for d in back[:20]:
            line = text.splitlines()[d.span.line - 1].strip() if d.span else ""
            span = _nearest(where, d.owner) or _owner(model, text, d.span.line if d.span else 0)
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
        near = _nearest(where, source[p])
        (ours, link), other = before[p], after.get(p)
        if other is not None and other[0] == ours:
            message, span = f"the imported .virt builds {p} as a link to {other[1]}, not to {link}", None
        else:
            message, span = importdiff.describe(p, ours, other[0] if other else None, read.sources,
                                                near.file if near else None)
        out.diagnostics.append(warning("VF006", message, span or near,
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
        write_file(output, text)
    return out


_XM_PATH = re.compile(r"(?:^|/)etc/xen/(?P<name>[^/]+)\Z")
_XML_PATH = re.compile(r"(?:^|/)etc/libvirt/(?:qemu|xen)/(?P<name>[^/]+)\.xml\Z")
_XM_NAME = re.compile(r"""^[ \t]*name[ \t]*=[ \t]*(["'])(?P<name>[^"'\r\n]+)\1""", re.M)
_XML_NAME = re.compile(r"<name>\s*(?P<name>[^<\s]+)\s*</name>")


def _guest_file_name(path: str, fmt: str | None, src) -> str | None:
    """The guest a config file that could not be read stands for, when it is a guest's
    config (an xm config, a domain XML, by its format or its place on the host): its
    name = or <name> if the text says it, else the file's name (`xm create NAME`,
    NAME.xml). None for any other file."""
    from .conventions import XEN_RESERVED

    where = path.replace("\\", "/")
    xm = _XM_PATH.search(where)
    xml = _XML_PATH.search(where)
    if fmt == "xm" or fmt is None and xm and xm.group("name") not in XEN_RESERVED and "." not in xm.group("name"):
        said = _XM_NAME.search(src.text) if src is not None else None
        return said.group("name") if said else where.rsplit("/", 1)[-1]
    if fmt == "domain-xml" or fmt is None and xml:
        said = _XML_NAME.search(src.text) if src is not None else None
        return said.group("name") if said else where.rsplit("/", 1)[-1].removesuffix(".xml")
    return None


def _nearest(where: dict, owner):
    """The span of the host or guest an owner (host h / guest g / nic 0) belongs to."""
    if owner is None:
        return None
    return where.get(Owner(owner.host, owner.guest)) or where.get(Owner(owner.host))


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
    language needs them declared on the host (VR003 otherwise), without a NIC. Bridges
    xend's network-script makes are not declared for themselves (a declared bridge is an
    ifcfg bridge that `build` writes); those the guests use are, as any other."""
    from dataclasses import replace

    from .model import Bridge

    hosts = []
    for h in model.hosts:
        if any(b.xend_script is not None for b in h.bridges):
            h = replace(h, bridges=tuple(b for b in h.bridges if b.xend_script is None))
        have = {b.name for b in h.bridges} | {n.bridge for n in h.networks}
        used = sorted({n.source for g in model.guests_on(h.name) for n in g.nics
                       if n.kind == "bridge" and n.source and n.source not in have})
        added = tuple(Bridge(name, None, None, "none", None, None, None, False, 0, h.span,
                             h.owner.of(f"bridge {name}")) for name in used)
        hosts.append(replace(h, bridges=h.bridges + added) if added else h)
    return replace(model, hosts=tuple(hosts))


def _as_the_language_reads_it(model: Model) -> Model:
    """What the files say, as the language would say it where a file leaves a value to its
    program: a Xen guest's bridged NIC without script= runs xend's vif-script, which the
    language writes as vif-bridge (conventions.XEN_VIF_SCRIPT); the read model keeps None,
    so that rules do not look for a script the file does not name."""
    from dataclasses import replace

    from .conventions import XEN_VIF_SCRIPT

    guests = []
    for g in model.guests:
        if g.is_xen and any(n.kind == "bridge" and not n.script for n in g.nics):
            g = replace(g, nics=tuple(replace(n, script=XEN_VIF_SCRIPT) if n.kind == "bridge" and not n.script
                                      else n for n in g.nics))
        guests.append(g)
    return replace(model, guests=tuple(guests))


def convert(path: str, to: str | None = None, capabilities: str | None = None) -> Outcome:
    """One guest's xm config -> libvirt domain XML, or back. `to` is "xml" or "xm";
    by default the other format of the input."""
    from . import convert as _convert

    return _finished(_convert.convert_file(path, to, capabilities), path)


def build(files: list[str], output: str | None, targets: list[str] | None = None,
          write: bool = True, config: str | None = None, selection: Selection | None = None,
          texts: dict[str, str] | None = None, jobs: int = 1) -> Outcome:
    """Compile; if there is no error, emit and (when write) write the tree atomically.
    `texts` overrides the contents of `files` (stdin, an editor's buffer); `jobs` as check's."""
    from . import build as _build
    from .buildcache import BuildCache

    out = check(files, texts, config=config, selection=selection, jobs=jobs)
    if out.model is None or out.has_errors:
        return out
    progress.phase("generating")
    # the files the tree at `output` was built from: its hosts that did not change are not emitted again
    cache = BuildCache.open(output) if output is not None else None
    with _no_cyclic_gc():
        arts, diags = _build.artifacts(out.model, targets, cache, jobs)
    out.diagnostics.extend(diags)
    out.artifacts = arts
    out.build_cache = cache
    if write and not out.has_errors and output is not None:
        _build.write_tree(arts, output, cache)
    return out
