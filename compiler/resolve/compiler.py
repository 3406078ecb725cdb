"""The compiler of a fleet: its files (read with their includes by virtc.loading) ->
hosts, then guests stamped from their ranges and templates -> the finished and derived
model, with every diagnostic."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import partial

from .. import values
from ..conventions import XEN_RESERVED
from ..derive import derive
from ..recovery import after_syntax_errors
from ..diagnostics import Diagnostic, Related
from ..loading import Loaded, Loader, Parser, load, read_source
from ..model import Expansion, Host, Model
from ..parse import parse
from ..source import SourceFile, Span
from ..suggest import did_you_mean
from ..syntax import FileSyntax, GuestDecl, HostDecl, TemplateDecl, Value
from .defaults import finish
from .drafts import GuestBuilder
from .guests import PER_GUEST, PER_GUEST_FIELDS, GuestStatements
from .hosts import HostStatements
from .memo import CompileMemo
from .scalars import clip
from .templates import range_names, template_chain


@dataclass
class Result:
    model: Model | None
    diagnostics: list[Diagnostic]
    sources: dict[str, SourceFile]
    syntax: dict[str, FileSyntax] = field(default_factory=dict)


class Compiler(HostStatements, GuestStatements):
    """Host and guest statements over one list of diagnostics; one per compile."""


def _peer_spans(decl: HostDecl) -> list[Span]:
    for st in decl.stmts:
        if st.keyword == "migration":
            for o in st.opts:
                if o.name == "peers":
                    return [v.span for v in o.values]
    return []


def _check_unused_templates(c: Compiler, templates: dict[str, TemplateDecl], used: set[str]) -> None:
    """Templates no guest uses still get their inheritance and statements checked."""
    placeholder = {"name": "template", "host": "host", "index": "1"}
    for name, decl in templates.items():
        if name in used:
            continue
        chain = template_chain(c, templates, decl.name)
        b = GuestBuilder(name, "", decl.span, None)
        for t in reversed(chain or [decl]):
            for st in t.stmts:
                if st.keyword != "nic":  # bridges are checked against a host, which a template lacks
                    c.guest(b, st, placeholder)


def compile_sources(paths: list[str], texts: dict[str, str] | None = None, *,
                    loader: Loader = read_source, parser: Parser = parse,
                    memo: CompileMemo | None = None) -> Result:
    """Compile .virt files. `texts` may supply the contents of some of `paths`; every other
    file, included ones too, is read by `loader` and parsed by `parser` (the editor server
    passes its open buffers and its parse cache, and `memo`: what the last compile made
    from the declarations that are still the same objects)."""
    loaded = load(paths, texts, loader, parser)
    c = Compiler()
    for d in loaded.diags:
        c.report(d)
    if not loaded.files and any(d.code.startswith("VP") for d in loaded.diags):
        return Result(None, sorted(c.diags, key=Diagnostic.sort_key), loaded.sources, _trees(loaded))

    hosts: dict[str, HostDecl] = {}
    templates: dict[str, TemplateDecl] = {}
    guest_decls: list[tuple[GuestDecl, Value | None]] = []
    for fs in loaded.files:
        for item in fs.items:
            if isinstance(item, HostDecl):
                if item.name.text in hosts:
                    c.err("VR004", f"host '{item.name.text}' is declared twice", item.header,
                          related=(Related(hosts[item.name.text].header, "first declared here"),))
                    continue
                hosts[item.name.text] = item
                for g in item.guests:
                    if g.host is not None and g.host.text != item.name.text:
                        c.err("VR018", f"guest {g.name.text} is inside host {item.name.text} but says "
                                       f"`on {g.host.text}`", g.host.span,
                              hint="remove `on ...` or move the guest out of the host block")
                    guest_decls.append((g, item.name))
            elif isinstance(item, TemplateDecl):
                if item.name.text in templates:
                    c.err("VR004", f"template '{item.name.text}' is declared twice", item.header,
                          related=(Related(templates[item.name.text].header, "first declared here"),))
                    continue
                templates[item.name.text] = item
            elif isinstance(item, GuestDecl):
                guest_decls.append((item, item.host))

    host_models: dict[str, Host] = {}
    for name, decl in hosts.items():
        if (problem := values.check_name(name)):
            c.err("VR011", f"host name '{clip(name)}' {problem}", decl.name.span,
                  hint="host names become folders in the output; use letters, digits, '-', '_', '.'")
            continue
        host_models[name] = memo.host(c, decl, partial(c.host, decl)) if memo else c.host(decl)

    for h in host_models.values():
        if h.migration:
            for peer, span in zip(h.migration.peers, _peer_spans(hosts[h.name])):
                if peer not in hosts:
                    c.err("VR002", f"migration peer '{peer}' is not a host in this fleet", span,
                          hint=did_you_mean(peer, hosts) or "declare the peer host, or remove it")
                elif peer == h.name:
                    c.err("VR012", f"host {h.name} lists itself as a migration peer", span)

    builders: list[GuestBuilder] = []
    first_decl: dict[str, Span] = {}
    for decl, host_v in guest_decls:
        if host_v is None:
            c.err("VR002", f"guest {decl.name.text} is not placed on a host", decl.header,
                  hint="add `on HOST` after the guest name, or declare the guest inside a host block")
            continue
        if host_v.text not in hosts:
            hint = did_you_mean(host_v.text, hosts) or (
                f"known hosts: {', '.join(sorted(hosts))}" if hosts else "declare `host NAME { ... }`")
            c.err("VR002", f"unknown host '{host_v.text}'", host_v.span, hint=hint)
            continue
        if host_v.text not in host_models:
            continue
        chain: list[TemplateDecl] = []
        template_failed = False
        if decl.template is not None:
            found = template_chain(c, templates, decl.template)
            # Still check the guest's own statements, but do not complain about what
            # the missing template would have supplied.
            template_failed = found is None
            chain = found or []
        declared = decl.name.text + (f"[{decl.range.start.text}..{decl.range.end.text}]" if decl.range else "")
        templates_used = tuple((t.name.text, t.header) for t in chain)
        shared: list | None = None  # from the declaration's first guest, all its statements applied
        per_guest = [st for t in reversed(chain) for st in t.stmts if st.keyword in PER_GUEST] + [
            st for st in decl.stmts if st.keyword in PER_GUEST]
        for name, index in range_names(c, decl):
            if (problem := values.check_name(name)):
                c.err("VR011", f"guest name '{clip(name)}' {problem}", decl.name.span,
                      hint="guest names become file names (/etc/xen/NAME); use letters, digits, "
                           "'-', '_' and '.'")
                break
            if name in XEN_RESERVED and hosts[host_v.text] and host_models[host_v.text].hypervisor == "xen":
                c.err("VR011", f"guest name '{name}' is taken by /etc/xen/{name} on a Xen host", decl.name.span,
                      hint="xm configs live in /etc/xen/NAME beside xend's own files; choose another name")
                continue
            if name in first_decl:
                c.err("VR004", f"guest '{name}' is declared twice", decl.header,
                      related=(Related(first_decl[name], "first declared here"),),
                      hint="guest names must be unique across all hosts")
                continue
            first_decl[name] = decl.header
            expansion = None
            if decl.range is not None or chain:
                expansion = Expansion(declared, decl.header, index, templates_used)
            if memo is not None:
                make = partial(_build, c, decl, chain, name, host_v.text, index, expansion, template_failed)
                builders.append(memo.builder(c, decl, chain, (name, host_v.text, index, template_failed), make))
            elif shared is None:
                builders.append(_build(c, decl, chain, name, host_v.text, index, expansion, template_failed))
                shared = _shared(builders[-1])
            else:
                # the other guests of a range take the first's shared fields (its other
                # statements' diagnostics were reported with the first)
                builders.append(_stamp(c, shared, per_guest, name, index, expansion))

    _check_unused_templates(c, templates, {d.template.text for d, _ in guest_decls if d.template})
    guests = finish(c, builders, host_models, memo)
    # after a syntax error, only what the rest of the files say for themselves
    texts = {path: src.text for path, src in loaded.sources.items()}
    diags = sorted(after_syntax_errors(c.diags, _trees(loaded), texts), key=Diagnostic.sort_key)
    if any(d.severity.name == "ERROR" for d in diags):
        return Result(None, diags, loaded.sources, _trees(loaded))
    model = derive(Model(tuple(host_models.values()), tuple(guests), tuple(loaded.sources)), memo=memo)
    return Result(model, diags, loaded.sources, _trees(loaded))


def _build(c: Compiler, decl: GuestDecl, chain: list[TemplateDecl], name: str, host: str,
           index: int | None, expansion: Expansion | None, incomplete: bool) -> GuestBuilder:
    """A guest's builder with its templates' statements, then its own, applied."""
    b = GuestBuilder(name, host, decl.span, expansion, incomplete=incomplete)
    env = {"name": name, "host": host}
    if index is not None:
        env["index"] = str(index)
    for t in reversed(chain):
        for st in t.stmts:
            c.guest(b, st, env)
    for st in decl.stmts:
        c.guest(b, st, env)
    return b


# Where each field is in GuestBuilder's arguments; what its declaration's other guests
# take from the first guest is every field but these and those of PER_GUEST_FIELDS
_FIELDS = [f.name for f in fields(GuestBuilder)]
_OWN = [_FIELDS.index(n) for n in ("name", "expansion")]
_FRESH = [_FIELDS.index(n) for n in sorted(PER_GUEST_FIELDS) if n in ("disks", "nics", "serials")]
_RESET = {_FIELDS.index(f.name): f.default for f in fields(GuestBuilder)
          if f.name in PER_GUEST_FIELDS and f.name not in ("disks", "nics", "serials")} | {_FIELDS.index("origin"): None}


def _shared(first: GuestBuilder) -> list:
    """`first`'s fields as GuestBuilder's arguments, those of the per-guest statements
    back at their defaults: what every other guest of its declaration starts from (its
    lists and its spans too, shared: nothing changes them once the statements are applied)."""
    values = [getattr(first, n) for n in _FIELDS]
    for i, default in _RESET.items():
        values[i] = default
    return values


def _stamp(c: Compiler, shared: list, per_guest: list, name: str, index: int | None,
           expansion: Expansion | None) -> GuestBuilder:
    """Another guest of a declaration: its shared fields, then the per-guest statements
    applied for this guest, in their order. They write the shared spans dict, but only
    keys it has, and each ends as the first guest left it: the last such statement's."""
    values = shared.copy()
    values[_OWN[0]], values[_OWN[1]] = name, expansion
    for i in _FRESH:
        values[i] = []
    b = GuestBuilder(*values)
    env = {"name": name, "host": b.host}
    if index is not None:
        env["index"] = str(index)
    for st in per_guest:
        c.guest(b, st, env)
    return b


def _trees(loaded: Loaded) -> dict[str, FileSyntax]:
    return {fs.path: fs for fs in loaded.files}


def compile_text(text: str, path: str = "<input>.virt") -> Result:
    return compile_sources([path], {path: text})
