"""`virtc convert`: one guest from an xm config to libvirt domain XML, or back.

Both directions go through the model: the format's reader (targets.xm.read or
targets.libvirt.read) makes a Guest, and the other format's emitter writes it, exactly as
`virtc build` would for a guest written in .virt. The file's format-level rules run too,
so a conversion shows the same findings as `virtc lint` on the file alone.

What a guest needs from its host is the host's architecture (the Xen device model is
lib64's on a 64-bit host, and a guest whose file names no architecture runs the host's):
an x86_64 Xen host unless a `virsh capabilities` XML says otherwise.

What the output format cannot carry is found by reading the output back: whatever the
input format would then say differently is reported (VF007), for instance a vif rate
limit, which RHEL 5's libvirt has no element for.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

from virtc import targets
from virtc.targets import libvirt, xm

from . import readback
from .diagnostics import Diagnostic, Severity, error, warning
from .model import Guest, Host, Model
from .outcome import Outcome
from .readback import Found, assemble, whole_file
from .readers import read_text
from .rules.base import Context, Scope
from .ruleset import all_rules
from .source import SourceFile

FORMATS = {"xm": "xm", "domain-xml": "xml"}  # lint's format name -> convert's
LOST_SHOWN = 3  # differing lines named in one VF007


def default_host(name: str = "host") -> Host:
    """An x86_64 Xen host that no file describes."""
    return _host(name, [])


def host_from_capabilities(text: str, path: str, name: str = "host") -> tuple[Host | None, list[Diagnostic]]:
    """The host a `virsh capabilities` XML describes (Xen unless it says otherwise)."""
    found = libvirt.read(text, path)
    diags = list(found.diagnostics)
    if found.format != "libvirt-capabilities":
        diags.append(error("VF007", f"{path} is not `virsh capabilities` output", whole_file(found.source),
                           hint="run `virsh capabilities > caps.xml` on the host"))
        return None, diags
    return _host(name, [found]), diags


def _host(name: str, found: list[Found]) -> Host:
    src = SourceFile("<default host>", "")
    base = Found(src, "host", host={"hypervisor": "xen", "arch": "x86_64"})
    host, _, _ = assemble(name, [base, *found], whole_file(src))
    return host


def place(g: Guest, host: Host) -> Guest:
    """The guest on this host: a file that names no architecture means the host's."""
    return readback.with_host_arch(readback.place(g, host.name), host)


# Format findings that are beside the point of a conversion: VF113 advises managing a
# hand-edited xm config through libvirt, which is what converting does.
NOT_FOR_CONVERT = {"VF113"}


def format_rules(found: Found) -> list[Diagnostic]:
    """The format-level rules on the file's document (what `virtc lint` says of it alone)."""
    if found.document is None:
        return []
    ctx = Context(Model((), (), (found.source.path,)), documents=[found.document])
    out = []
    for rule in all_rules():
        if rule.code in NOT_FOR_CONVERT:
            continue
        if rule.scope is Scope.DOCUMENT or (rule.scope is Scope.FLEET and rule.formats):
            out.extend(rule().run(ctx))
    return out


def xm_to_xml(text: str, path: str, host: Host | None = None) -> tuple[str | None, list[Diagnostic]]:
    """An xm config as libvirt domain XML (None when no guest could be read or written)."""
    return _convert(xm.read(text, path), "xml", host or default_host(), libvirt.domain_xml)


def xml_to_xm(text: str, path: str, host: Host | None = None) -> tuple[str | None, list[Diagnostic]]:
    """A libvirt domain XML as an xm config (None when no Xen guest could be read or written)."""
    return _convert(libvirt.read(text, path), "xm", host or default_host(), xm.config)


def _convert(found: Found, to: str, host: Host, emit) -> tuple[str | None, list[Diagnostic]]:
    diags = list(found.diagnostics) + format_rules(found)
    anchor = whole_file(found.source)
    if not found.guests:
        if not any(d.severity is Severity.ERROR for d in diags):
            diags.append(error("VF007", f"{found.source.path} describes no guest", anchor,
                               hint="convert an xm config (/etc/xen/NAME) or a <domain> XML"))
        return None, diags
    g = place(found.guests[0], host)
    if to == "xm" and not g.is_xen:
        diags.append(error("VF007", f"guest {g.name} is a {g.type} guest; an xm config describes Xen guests only",
                           g.span, hint="keep the libvirt XML; xm configs are for Xen"))
        return None, diags
    try:
        out = emit(g, host)
    except ValueError as exc:  # a value the output format cannot hold (a backslash in an xm string ...)
        # at the value when the emitter says where it came from, else at the guest
        diags.append(error("VF007", f"guest {g.name} cannot be written as {_NAMES[to]}: {exc}",
                           getattr(exc, "span", None) or g.span, hint="change the value in the input file"))
        return None, diags
    diags.extend(lost(g, host, to, out, found))
    return out, diags


_NAMES = {"xm": "an xm config", "xml": "libvirt domain XML"}


def lost(g: Guest, host: Host, to: str, out: str, found: Found | None = None) -> list[Diagnostic]:
    """VF007 for what the output cannot carry: read it back, write the input's format again
    from both guests, and name the lines that differ (for an xm input, each at its entry)."""
    back_found = libvirt.read(out, "<converted>") if to == "xml" else xm.read(out, "<converted>")
    if not back_found.guests:
        return [error("VF007", f"the {_NAMES[to]} written for {g.name} does not read back; please report it",
                      g.span)]
    back = place(back_found.guests[0], host)
    if to == "xm":
        back = replace(back, arch=g.arch, pae=g.pae)  # xm has no architecture: xend runs the image
    source_emit = xm.config if to == "xml" else libvirt.domain_xml
    try:
        before, after = source_emit(g, host), source_emit(back, host)
    except ValueError:
        return []  # the input format could not hold it either; nothing more to say
    if before == after:
        return []
    # Lines, not their order: the model keeps HVM features as a set in its own order,
    # which is no loss; a changed boot order changes its lines too.
    missing = Counter(before.splitlines()) - Counter(after.splitlines())
    gone = [line.strip() for line in before.splitlines() if missing.pop(line, 0) and not line.lstrip().startswith("#")]
    if not gone:
        return []
    hint = "set what was left out by hand after converting, or keep both files"
    doc = found.document if found is not None and to == "xml" else None
    if doc is not None:  # xm lines are `key = value`: point at the file's own entry
        out = []
        for line in gone:
            e = doc.get(line.partition(" = ")[0])
            out.append(warning("VF007", f"{_NAMES[to]} cannot carry this setting of guest {g.name}: {line}",
                               e.span if e is not None else g.span, hint=hint))
        return out
    shown = "; ".join(gone[:LOST_SHOWN]) + (f" (and {len(gone) - LOST_SHOWN} more)" if len(gone) > LOST_SHOWN else "")
    return [warning("VF007", f"{_NAMES[to]} cannot carry all of guest {g.name}; left out: {shown}", g.span,
                    hint=hint)]


def convert_file(path: str, to: str | None = None, capabilities: str | None = None):
    """`virtc convert FILE [--to xml|xm] [--capabilities FILE]` as an api.Outcome."""
    out = Outcome(None, [], {})
    host = None
    if capabilities:
        csrc, problems = read_text(capabilities)
        out.diagnostics.extend(problems)
        if csrc is None:
            return out
        out.sources[capabilities] = csrc
        host, problems = host_from_capabilities(csrc.text, capabilities)
        out.diagnostics.extend(problems)
        if host is None:
            return out
    src, problems = read_text(path)
    out.diagnostics.extend(problems)
    if src is None:
        return out
    out.sources[path] = src
    recognised = targets.recognised(path, src.text)
    fmt = FORMATS.get(recognised.name if recognised is not None else "")
    if fmt is None:
        out.diagnostics.append(error("VF002", f"{path} is neither an xm config nor a libvirt domain XML",
                                     whole_file(src), hint="virtc convert reads /etc/xen/NAME or NAME.xml"))
        return out
    to = to or ("xm" if fmt == "xml" else "xml")
    found = xm.read(src.text, path) if fmt == "xm" else libvirt.read(src.text, path)
    out.text, diags = _convert(found, to, host or default_host(), xm.config if to == "xm" else libvirt.domain_xml)
    out.diagnostics.extend(diags)
    out.diagnostics.sort(key=Diagnostic.sort_key)
    return out
