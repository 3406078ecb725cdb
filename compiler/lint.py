"""`virtc lint`: existing configuration files read into the model and checked by the same
rules as .virt files.

placement.py decides which files are read, for which host, as which format; each format's
reader (`read(text, path)`, in the format registry) says what its file holds about guests
and the host; readback.assemble makes the host. Facts no file of a host states are not
guessed: the rules that need them skip that host (and say so, VF004), nothing else.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace

from virtc import targets
from virtc.targets import certificates, grub, ifcfg, xenscripts
from virtc.targets.format import Format
from virtc.targets.libvirt import schema

from . import forking, kernels, peers, progress
from .diagnostics import Diagnostic, Related, info, warning
from .model import Model
from .owner import Owner
from .placement import RC_LINK, HostFiles, Placed, collect, in_tree, not_a_file
from .readback import Found, assemble, field_spans, whole_file
from .readers import read_text
from .rules.lintfile import StaleAutostartLink
from .ruleset import all_rules
from .source import SourceFile, Span


@dataclass
class Linted:
    """What `virtc lint` read: the model of every host, the files as documents (for the
    format rules), their sources and formats (path -> format name, for suppressions), the
    readers' diagnostics, and the facts no file of each host states."""

    model: Model
    documents: list
    sources: dict[str, SourceFile]
    diagnostics: list[Diagnostic]
    missing: dict[str, set[str]]
    formats: dict[str, str]


@dataclass
class HostRead:
    name: str
    found: list[Found] = field(default_factory=list)
    autostart: set[tuple[str, str]] = field(default_factory=set)  # (guest|network|pool, name)
    # the files /etc/xen/auto links lead to (real paths): xendomains starts the guest each
    # file defines, whatever the link is named (01-web01 -> /etc/xen/web01 starts web01)
    autostart_files: set[str] = field(default_factory=set)
    guest_files: list[Found] = field(default_factory=list)  # guests' own grub.conf files
    documents: list = field(default_factory=list)  # of guest files that belong to this host
    formats: dict[str, str] = field(default_factory=dict)  # every file opened (read or not) -> its format
    # host paths of the certificate files of a host tree; None: loose files (not known)
    certificates: tuple[str, ...] | None = None
    # why the host is no RHEL 5 host, when its tree says so (_not_rhel5); None: RHEL 5, or not known
    later_system: str | None = None
    # the services the tree starts at boot and those it does not (_services); None: not known
    services: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    # files named one by one on the command line (no tree, no folder): what lies beside them was not read
    named_alone: bool = False


@dataclass
class _Loaded:
    placed: Placed
    format: Format
    source: SourceFile


def _format_of(p: Placed, src: SourceFile) -> Format | None:
    """A tree file's format is its place's; an XML file's is its root element's wherever
    it is (a network XML in the domain folder is a network); a loose file is recognised."""
    if p.format is None:
        return targets.recognised(p.path, src.text)
    if p.format.xml_root is not None:
        return targets.xml_format(src.text) or p.format
    return p.format


def _load(files: list[Placed], sources: dict, diags: list) -> tuple[list[_Loaded], list[tuple[Found, str | None]]]:
    """Each file's text and format; autostart links are read by name only, each with the
    real path of the file of the tree it leads to (None: nowhere, or it is no link)."""
    loaded, links = [], []
    for p in files:
        progress.advance()
        if p.format is not None and p.format.link:
            # a link is read by its name and where it leads; a copy kept in its place (an
            # /etc/xen/auto file that is no link) by what it says too
            text = ""
            if p.format.copies_read and p.target is None and not os.path.islink(p.path):
                copy, _ = read_text(p.path)
                text = copy.text if copy is not None else ""
            found = p.format.read(text, p.path)
            if p.missing is not None and found.host.get("autostart"):
                kind, name = found.host["autostart"][0]
                diags.append(StaleAutostartLink().report(
                    f"this link marks {kind} {name} to start with the host, but leads to {os.readlink(p.path)}, "
                    "which the host does not have: nothing starts from it", whole_file(found.source),
                    hint="remove the link (`virsh autostart --disable NAME` before undefining removes it), "
                         "or restore the configuration"))
            links.append((found, p.target and os.path.realpath(p.target)))
            continue
        if p.format is None and certificates.FORMAT.ends_at(p.path):
            # a loose certificate or key: never opened, and alone it tells nothing
            diags.append(info("VF002", f"{p.path}: a certificate or key file; virtc never opens one, and notes "
                                       "only which exist in a host tree (--root)", None))
            continue
        # a file found in a folder given that nothing but its content could claim: what
        # keeps it from being read is a note (see read_text), not an error
        unclaimed = p.walked and p.format is None and targets.expected(p.path) is None
        src, problems = read_text(p.opened, p.path, unclaimed)
        diags.extend(problems)
        if src is None:
            continue
        fmt = _format_of(p, src)
        if fmt is None:
            diags.append(info("VF002", f"{p.path}: not a format virtc reads; skipped", whole_file(src)))
            continue
        if p.format is None:  # a loose copy of a host's files: its place still ranks it
            p.rank = fmt.rank_at_end(p.path)
        sources[p.path] = src
        loaded.append(_Loaded(p, fmt, src))
    return loaded, links


def _one_each(loaded: list[_Loaded], host: str, diags: list, given: list[_Loaded] = ()) -> list[_Loaded]:
    """A format a host has one of (grub.conf, xend-config.sxp ...) found twice: identical
    copies are one file; different ones are one warning naming both, and the one in the
    canonical place (or given on the command line) is read."""
    by_format: dict[str, list[_Loaded]] = {}
    for x in [*given, *loaded]:
        if x.format.single:
            by_format.setdefault(x.format.name, []).append(x)
    dropped = set()
    for name, group in by_format.items():
        if len(group) < 2:
            continue
        ordered = list(given) + sorted((x for x in group if x not in given), key=lambda x: (x.placed.rank, x.placed.path))
        ordered = [x for x in ordered if x.format.name == name]
        kept = ordered[0]
        for other in ordered[1:]:
            dropped.add(id(other))
            if other.source.text == kept.source.text:
                continue
            diags.append(warning("VF008", f"host {host} has two {name} files, {kept.placed.path} and "
                                          f"{other.placed.path}, which differ; {kept.placed.path} is read",
                                 whole_file(other.source), related=(Related(whole_file(kept.source), "read"),),
                                 hint="remove the stale copy (or make one a link to the other)"))
    return [x for x in loaded if id(x) not in dropped]


def _read(x: _Loaded) -> Found:
    found = x.format.read(x.source.text, x.placed.path)
    found.format = x.format.name  # lint's name for it (readers may name finer kinds)
    # RHEL 5's libvirt grammar, shipped with virtc. Not where the reader already refused
    # the document (VF701/VF702: not XML, wrong root, no name): one fact, one finding.
    refused = any(d.code in ("VF701", "VF702") for d in found.diagnostics)
    if x.format.schema is not None and not refused:
        found.diagnostics.extend(schema.check(x.source, x.format.schema))
    return found


def read_host(h: HostFiles, caps: list[_Loaded], sources: dict, diags: list) -> HostRead:
    hr = HostRead(h.name, named_alone=h.root is None)
    loaded, links = _load(h.files, sources, diags)
    hr.formats = {x.placed.path: x.format.name for x in loaded}
    present = []
    for link, target in links:  # (what a link says, the file of the tree it leads to)
        hr.autostart.update(link.host.get("autostart", ()))
        if link.format == "xm-autostart" and target:
            hr.autostart_files.add(target)
        if link.host.get("certificate"):
            rel = os.path.relpath(link.source.path, h.root).replace(os.sep, "/")
            present.append(f"/{h.mount}/{rel}" if h.mount else f"/{rel}")
    if h.tree:
        hr.certificates = tuple(sorted(present))
    for x in _one_each(loaded, h.name, diags, caps):
        found = _read(x)
        (hr.guest_files if x.format.name == "guest-grub" else hr.found).append(found)
    _not_rhel5(h, hr, diags)
    if h.tree and not _systemd(h):
        hr.services = _services(h)
    return hr


def _systemd(h: HostFiles) -> bool:
    """A host tree of a systemd system (RHEL 7, today's distributions): its runlevel links
    are only what is left of SysV scripts, and say nothing of the services it runs."""
    return os.path.isdir(os.path.join(_etc(h), "systemd", "system")) or "etc/os-release" in _skipped_paths(h)


def _etc(h: HostFiles) -> str:
    """The folder of a host tree that is the host's /etc."""
    return h.root if h.mount == "etc" else os.path.join(h.root, "etc")


def _skipped_paths(h: HostFiles) -> set[str]:
    """The tree paths of the files placement left unread (its entries add why in brackets:
    "etc/os-release (a link that leads nowhere in the tree)")."""
    return {s.split(" (", 1)[0] for s in h.skipped}


def _services(h: HostFiles) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(on, off): the services a host tree's boot starts and stops, as chkconfig left its
    links (never opened: their names say it). The links of the runlevel /etc/inittab boots
    into decide (3 or 5, RHEL 5's server and desktop levels), then the other level's
    (chkconfig sets both alike but for a few desktop services); without an inittab that
    says, runlevel 3 first. A service with no link at all is in neither (not installed).
    None: the tree holds no such link (a copy without /etc/rc.d), and the services are
    not known."""
    levels: dict[str, dict[str, str]] = {"3": {}, "5": {}}
    for rel in h.rc_links:
        m = RC_LINK.search(rel)
        levels[m["level"]].setdefault(m["name"], m["state"])
    if not levels["3"] and not levels["5"]:
        return None
    first = _default_runlevel(h)
    state = {**levels["3"], **levels["5"]} if first == "5" else {**levels["5"], **levels["3"]}
    return (tuple(sorted(n for n, s in state.items() if s == "S")),
            tuple(sorted(n for n, s in state.items() if s == "K")))


# inittab's default runlevel: `id:5:initdefault:` (init(8) takes the first such line)
_INITDEFAULT = re.compile(r"^[^:#\n]*:([0-6sS]):initdefault:", re.MULTILINE)


def _default_runlevel(h: HostFiles) -> str | None:
    """The runlevel the host tree's /etc/inittab boots into, or None (no inittab, none said).
    inittab is read as text, like the files placement reads, never run."""
    if "etc/inittab" not in _skipped_paths(h):
        return None
    # a link is followed inside the tree only (/etc/inittab -> /x is the tree's x)
    path = in_tree(h.root, os.path.join(h.root, "inittab" if h.mount == "etc" else "etc/inittab"), h.mount)
    if path is None or not_a_file(path):
        return None
    src, _ = read_text(path, walked=True)
    m = _INITDEFAULT.search(src.text) if src is not None else None
    return m.group(1) if m else None


# Files only a later system than RHEL 5 has in /etc: systemd's os-release (RHEL 7, today's
# distributions), system-release (RHEL 6 on), Debian's, SUSE's, Gentoo's, Alpine's and
# Arch's release files.
_LATER_SYSTEMS = ("etc/os-release", "etc/system-release", "etc/debian_version", "etc/SuSE-release",
                  "etc/gentoo-release", "etc/alpine-release", "etc/arch-release")
# Folders of later init systems: systemd's (RHEL 7, Debian 8 and later) and upstart's
# (RHEL 6, Ubuntu); RHEL 5 boots with SysV init and has neither.
_LATER_FOLDERS = ("etc/systemd", "etc/init")
# What the readers report only because RHEL 5's programs are older than what wrote the file:
# RHEL 5's libvirt schema (VF711), modprobe commands module-init-tools 3.3 lacks (softdep,
# VF811), Xen 4's keys and syntax in an xm config (VF009), a chain later kernels build in
# (the nat table's INPUT, VF825).
_RHEL5_VERSION_CODES = ("VF711", "VF811", "VF009", "VF825")


def _not_rhel5(h: HostFiles, hr: HostRead, diags: list) -> None:
    """A host tree that says it is not RHEL 5: its /etc/redhat-release states another major
    release (RHEL 6 or 7), or it has a release file only later systems have (Debian's
    debian_version, systemd's os-release), or a later init system's folder; or, with none
    of those, one of its files has what only a later program writes (Found.later: libvirt's
    "auto-generated file" header, a later KVM machine type, NetworkManager's UUID=, xl's disk
    syntax ...), also of a file linted alone. Its files were written by later programs,
    which RHEL 5's do not know (`<memory unit='KiB'>`, `softdep`, xl's keys), so what the
    readers report only for that (_RHEL5_VERSION_CODES) is left out, and one note says so;
    every other finding stays (rules see Host.later_system)."""
    stated = next((f for f in hr.found if f.format == "redhat-release" and f.host.get("release")), None)
    if stated is not None:
        if stated.host["release"].split(".")[0] == "5":
            return
        why = f"it runs release {stated.host['release']}"
        where = stated.spans.get("release") or whole_file(stated.source)
    else:
        present = _skipped_paths(h)
        marker = next((rel for rel in _LATER_SYSTEMS if rel in present), None)
        if marker is None and h.tree:  # a copy that left the release files out: the init system says
            marker = next((rel for rel in _LATER_FOLDERS if os.path.isdir(os.path.join(_etc(h), rel[4:]))), None)
        if marker is not None:
            why = f"it has /{marker}, which RHEL 5 has not"
            where = None
        else:  # its own files say a later program wrote them
            written = next((f for f in hr.found if f.later is not None), None)
            if written is None:
                return
            what, where = written.later
            why = f"{os.path.basename(written.source.path)} has {what}"
    hr.later_system = why
    dropped: dict[str, int] = {}
    for f in hr.found:
        kept = [d for d in f.diagnostics if d.code not in _RHEL5_VERSION_CODES]
        for d in f.diagnostics:
            if d.code in _RHEL5_VERSION_CODES:
                dropped[d.code] = dropped.get(d.code, 0) + 1
        f.diagnostics[:] = kept
    left = ", ".join(f"{n} {code}" for code, n in sorted(dropped.items()))
    diags.append(info("VF004", f"host {hr.name} is not RHEL 5 ({why}): findings that only RHEL 5's older "
                               "programs would give are left out (RHEL 5's libvirt schema and memory units, xend's HVM defaults, modprobe commands, "
                               "Xen 4 keys, udev keys, iptables chains, the PV boot loader's path, ifcfg file "
                               "names, KVM's SCSI disks, SELinux image labels)"
                               + (f": {left}" if left else ""), where, owner=Owner(hr.name),
                      hint="virtc checks configurations for RHEL 5; lint a RHEL 5 host's files"))


# Reading hosts in worker processes (`virtc lint --jobs N`): forking.shared. This process
# and N-1 forked workers each take the next host to read when free; a worker reads whole
# hosts (texts, readers, the schema check) and leaves what read_host made, its sources and
# diagnostics, for this process, which takes them back once it has no host left to read,
# puts every host in the hosts' order (the result is the one of reading them in turn),
# assembles the fleet and runs every rule itself. Taking a host's reading back costs about
# a quarter of reading it (a host of 100 guests is ~1 MB pickled): this process, which
# pays it, reads fewer hosts (a fixed share, every N-th host, made it the last to finish,
# and two processes read no faster than one). Workers are only started for POOL_MIN_FILES
# files and more, over two hosts or more; below that, starting them costs more than it
# saves. They are forked: they inherit the hosts to read and the grammars, compiled
# before the fork; where fork is not available the hosts are read in process.
POOL_MIN_FILES = 200
_pool_work: tuple = ()


def _read_hosts(hosts: list[HostFiles], caps: list[_Loaded], sources: dict, diags: list,
                jobs: int) -> list[HostRead]:
    files = sum(len(h.files) for h in hosts)
    if jobs <= 1 or len(hosts) < 2 or files < POOL_MIN_FILES:
        return [read_host(hf, caps, sources, diags) for hf in hosts]
    for name in sorted({p.format.schema for h in hosts for p in h.files if p.format and p.format.schema}):
        schema.compiled(name)  # once, for the parent and every worker
    global _pool_work
    _pool_work = (hosts, caps)
    try:
        results = forking.shared(len(hosts), _read_host_at, jobs,
                                 taken=lambda i: progress.advance(len(hosts[i].files)))
    finally:
        _pool_work = ()
    out = []
    for hr, host_sources, host_diags in results:  # in the hosts' order
        sources.update(host_sources)
        diags.extend(host_diags)
        out.append(hr)
    return out


def _read_host_at(i: int) -> tuple[HostRead, dict, list]:
    """Host i of _pool_work, read as read_host reads it."""
    hosts, caps = _pool_work
    sources: dict = {}
    diags: list = []
    return read_host(hosts[i], caps, sources, diags), sources, diags


# SR-IOV: a driver loaded with max_vfs=N (igb, ixgbe) spawns its Virtual Functions as PCI
# devices from device (slot) 0x10 up, 03:10.0, 03:10.1 ... beside the Physical Function's
# 03:00.0 (guide §15.2, lines 2764-2777).
_VF_SLOT = 0x10


def _virtual_functions(host):
    """A test that says whether a PCI address is one of the host's Virtual Functions, or
    None when its modprobe options spawn none."""
    spawned = any(n.strip("0") for s in host.modprobe for m in re.finditer(r"(?:^|\s)max_vfs=([0-9,]+)", s.value)
                  for n in m.group(1).split(",") if n)
    return (lambda p: p.slot >= _VF_SLOT) if spawned else None


def _guest_boot(found: list[Found]) -> tuple[dict, dict]:
    boots, variants = {}, {}
    for f in found:
        boots.update(f.host.get("guest_boot", {}) or {})
        variants.update(f.host.get("guest_variant", {}) or {})
    return boots, variants


def assemble_host(hr: HostRead, span: Span) -> tuple:
    host, guests, diags = assemble(hr.name, hr.found, span)
    ifcfgs = [f for f in hr.found if f.format == "ifcfg"]
    if ifcfgs:
        bridges, notes = ifcfg.assemble_bridges(ifcfgs, hr.name)
        host = replace(host, bridges=tuple(host.bridges) + tuple(bridges))
        diags.extend(notes)
    # xend's network-script makes bridges too (network-bridge's xenbr0, a wrapper's several):
    # they exist for the guests, though no ifcfg file defines them
    scripts = xenscripts.scripts(hr.found)
    if scripts:
        host = replace(host, xen_scripts=tuple(sorted({s.name for s in scripts})))
    used = {n.source for g in guests for n in g.nics if n.kind == "bridge" and n.source}
    records = [f.host["ifcfg"] for f in ifcfgs if isinstance(f.host.get("ifcfg"), ifcfg.IfcfgFile)]
    made = xenscripts.xend_bridges(host, scripts, used, records)
    if made:
        host = replace(host, bridges=tuple(host.bridges) + made)
    # boot words the grub reader took as facts (iommu=1, processor.max_cstate=1) stay on
    # the boot line the rules and the emitters see
    host = grub.restore_derived(host, hr.found)
    if hr.certificates is not None:
        host = replace(host, certificates=hr.certificates)
    if host.networks:
        host = replace(host, networks=tuple(replace(n, autostart=("network", n.name) in hr.autostart)
                                            for n in host.networks))
    if host.pools:
        host = replace(host, pools=tuple(replace(p, autostart=p.autostart or ("pool", p.name) in hr.autostart)
                                         for p in host.pools))
    names = {g.name for g in guests}
    boots, variants = _guest_boot(hr.found)
    for f in hr.guest_files:
        more_boots, more_variants = _guest_boot([f])
        if not set(more_boots) & names:
            continue
        boots.update(more_boots)
        variants.update(more_variants)
        diags.extend(f.diagnostics)
        if f.document is not None:
            hr.documents.append(f.document)
    vfs = _virtual_functions(host)
    placed = []
    for g in guests:
        if vfs and any(vfs(p) and not p.vf for p in g.pci):
            g = replace(g, pci=tuple(replace(p, vf=True) if vfs(p) else p for p in g.pci))
        if ("guest", g.name) in hr.autostart or (
                hr.autostart_files and g.span is not None and os.path.realpath(g.span.file) in hr.autostart_files):
            g = replace(g, autostart=True)
        if g.name in boots:
            release, cmdline, _where = boots[g.name]
            g = replace(g, kernel_release=release or g.kernel_release,
                        kernel_variant=variants.get(g.name, g.kernel_variant),
                        boot=replace(g.boot, cmdline=g.boot.cmdline or cmdline or None))
            if g.os is None and release:
                g = replace(g, os=kernels.guest_os(release))
        if "crashkernel=" in (g.boot.cmdline or "") and "kdump" not in g.services_on:
            # a kernel booted with crashkernel= reserves memory for kdump: the guest runs it
            spans = dict(g.fields.items)
            spans.setdefault("services", spans.get("kernel-args") or g.span)
            g = replace(g, services_on=g.services_on + ("kdump",), fields=field_spans(spans))
        placed.append(g)
    return host, placed, diags


# Host facts, and what states them. The first four come from `virsh capabilities` and
# /etc/redhat-release; the others are known only when the host's file of that kind was
# read (a lone xm config says nothing about the host's bridges: "no bridge" would be a guess).
FACTS = {
    "cpu": "its CPUs (capabilities XML, or saved `xm info` / `virsh nodeinfo` output)",
    "arch": "its architecture (capabilities XML, saved `xm info` output, or elilo.conf)",
    "memory": "its memory (saved `xm info` or `virsh nodeinfo` output; capabilities XML with NUMA cells)",
    "numa": "its NUMA cells (capabilities XML)",
    "release": "its RHEL release (/etc/redhat-release)",
    "bridges": "its bridges (ifcfg files)",
    "networks": "its libvirt networks (network XMLs)",
    "labels": "its SELinux file labels (file_contexts.local)",
    "sebools": "its SELinux booleans (booleans.local)",
    "modprobe": "its module options (modprobe.conf)",
    "xend": "its xend settings (xend-config.sxp)",
    "grub": "its boot entry (grub.conf)",
    "sysctl": "its kernel settings (sysctl.conf)",
    "firewall": "its firewall (iptables)",
    "luns": "its LUN names (multipath.conf, udev rules)",
    "shared": "its shared storage (/etc/fstab)",
    "libvirtd": "libvirtd's settings (/etc/libvirt/libvirtd.conf)",
    "libvirtd-args": "libvirtd's start options (/etc/sysconfig/libvirtd)",
}


def missing_facts(host, formats: set[str] = frozenset(), everything: bool = False) -> list[str]:
    """The facts no file of the host states (all known when `everything`: a .virt file)."""
    if everything:
        return []
    out = []
    if not (host.cpu.cores or host.cpu.threads or host.cpu.flags or host.cpu.vendor):
        out.append("cpu")
    if host.fields.get("arch") is None:  # x86_64 is only assumed
        out.append("arch")
    if host.memory_kib is None:
        out.append("memory")
    if not host.numa:
        out.append("numa")
    if host.release is None:
        out.append("release")
    out += [fact for fact, fmts in targets.facts().items() if not set(fmts) & formats]
    return out


def skipped_rules(missing: list[str]) -> list[str]:
    return [r.code for r in all_rules() if set(r.facts) & set(missing)]


def skipped_note(host, missing: list[str], span: Span | None) -> Diagnostic | None:
    rules = [r for r in all_rules() if set(r.facts) & set(missing)]
    if not rules:
        return None
    needed = [m for m in missing if any(m in r.facts for r in rules)]
    what = ", ".join(FACTS[m] for m in needed)
    return info("VF004", f"host {host.name}: no file states {what}; {len(rules)} rules that need "
                         f"them were skipped: {' '.join(r.code for r in rules)}", span, owner=host.owner,
                hint="give `--capabilities FILE` (`virsh capabilities` output from that host) or put "
                     "capabilities.xml in the tree; copy /etc/redhat-release and the host's other files")


def _disagreements(found: list[Found]) -> list[Diagnostic]:
    """VF005: one guest in an xm config and a domain XML that say different things."""
    seen: dict[str, tuple] = {}
    out = []
    for f in found:
        for g in f.guests:
            sig = {"memory": (g.memory_kib, g.maxmem_kib), "vCPUs": (g.vcpus, g.max_vcpus),
                   "disks": tuple((d.target, d.path) for d in g.disks), "NICs": tuple(n.mac for n in g.nics)}
            if g.name in seen and seen[g.name][0] != sig and seen[g.name][1].format != f.format:
                first = seen[g.name][1]  # (two files of one format: VF010)
                what = ", ".join(k for k in sig if sig[k] != seen[g.name][0][k])
                out.append(warning("VF005", f"guest {g.name} is described by {first.source.path} and "
                                            f"{f.source.path}, which disagree on {what}",
                                   g.span, hint="make the two agree (`virtc convert` writes one from the "
                                                 "other) or remove one"))
            seen.setdefault(g.name, (sig, f))
    return out


def _capabilities(path: str | None, sources: dict, diags: list) -> list[_Loaded]:
    """`--capabilities FILE`: read once, for every host that has none of its own."""
    if not path:
        return []
    src, problems = read_text(path)
    diags.extend(problems)
    if src is None:
        return []
    sources[path] = src
    return [_Loaded(Placed(path, targets.by_name("capabilities")), targets.by_name("capabilities"), src)]


def _guest_file_host(hosts: list, guests: list, f: Found) -> int | None:
    boots, _ = _guest_boot([f])
    for name in boots:
        for i, h in enumerate(hosts):
            if any(g.name == name and g.host == h.name for g in guests):
                return i
    return None


def lint_files(paths: list[str], roots: list[str] = (), capabilities: str | None = None,
               jobs: int = 1) -> Linted:
    """Existing files read into one model (never executed); the hosts' files are read by
    `jobs` processes (see _read_hosts), with the same result whatever their number."""
    diags: list[Diagnostic] = []
    sources: dict[str, SourceFile] = {}
    caps = _capabilities(capabilities, sources, diags)
    found_caps = [_read(x) for x in caps]  # read once, whichever hosts it describes
    for f in found_caps:
        diags.extend(f.diagnostics)
    documents = [f.document for f in found_caps if f.document is not None]
    taken = {os.path.realpath(capabilities)} if caps else set()
    collection = collect(list(paths), list(roots), taken)
    diags.extend(collection.diagnostics)
    progress.phase("reading", sum(len(h.files) for h in collection.hosts) + len(collection.shared))
    shared_loaded, _ = _load(collection.shared, sources, diags)
    shared = [_read(x) for x in shared_loaded]
    hosts, guests, missing_by_host, reads = [], [], {}, []
    for hr in _read_hosts(collection.hosts, caps, sources, diags, jobs):
        if not hr.found and not hr.guest_files:
            continue  # nothing of this host's own
        own_caps = [f for f in hr.found if f.format == "capabilities"]
        if caps and not own_caps:
            hr.found += found_caps
        reads.append(hr)
    for hr in reads:
        hr.guest_files += shared
        for f in hr.found:
            if f not in found_caps:
                diags.extend(f.diagnostics)
                if f.document is not None:
                    documents.append(replace(f.document, host=hr.name, later_system=hr.later_system,
                                             alone=hr.named_alone))
        own = [f for f in hr.found if f.format != "capabilities"] or hr.found or hr.guest_files
        anchor = whole_file(own[0].source)
        host, placed, problems = assemble_host(hr, anchor)
        if hr.later_system is not None:
            host = replace(host, later_system=hr.later_system)
        if hr.services is not None:
            host = replace(host, services_on=hr.services[0], services_off=hr.services[1])
        diags.extend(problems)
        documents.extend(hr.documents)
        diags.extend(_disagreements(hr.found))
        missing = missing_facts(host, {f.format for f in hr.found})
        note = skipped_note(host, missing, anchor)
        if note is not None:
            diags.append(note)
        missing_by_host[host.name] = set(missing)
        hosts.append(host)
        guests.extend(placed)
    model = peers.with_peers(Model(tuple(hosts), tuple(guests), tuple(sources)), documents)
    formats = {path: name for hr in reads for path, name in hr.formats.items()}
    formats.update({f.source.path: f.format for hr in reads for f in [*hr.found, *hr.guest_files]})
    formats.update({f.source.path: f.format for f in found_caps})
    return Linted(model, documents, sources, diags, missing_by_host, formats)
