"""`virtc lint`: existing configuration files read into the model and checked by the same
rules as .virt files.

Files are grouped by host. `--root DIR` is a copy of one host's file tree (etc/xen,
etc/libvirt/qemu, boot/grub, ...); a folder of such trees (a virtc build output, or
several hosts' copies side by side) is one host per sub-folder. Plain file arguments are
one host together. Each file's format comes from where it lives and, failing that, from
what it contains; each format's reader (`read(text, path)` in its target module) says
what the file holds about guests and the host, and `readback.assemble` makes the host.
"""
from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass, field, replace

from . import progress, schema
from .diagnostics import Diagnostic, info, warning
from .documents import Document
from .model import Model
from .readback import Found, assemble, whole_file
from .readers import read_text
from .source import SourceFile, Span

# format -> module whose `read(text, path)` reads it. Formats sharing a module differ in
# the function: "module:function".
READERS = {
    "xm": "xm", "domain-xml": "libvirt", "network-xml": "libvirt", "pool-xml": "libvirt",
    "capabilities": "libvirt", "grub": "grub", "guest-grub": "grub", "elilo": "elilo",
    "ifcfg": "ifcfg", "udev": "udev", "scsi_id": "udev:read_scsi_id", "multipath": "multipath",
    "rc.local": "hostfiles:read_rc_local", "hosts": "hostfiles:read_hosts",
    "modprobe": "hostconf:read_modprobe", "sysctl": "hostconf:read_sysctl", "xend": "xend",
    "iptables": "hostconf:read_iptables", "exports": "hostconf:read_exports",
    "fcontext": "hostconf:read_fcontext", "sebool": "hostconf:read_sebool",
    "cpuspeed": "hostconf:read_cpuspeed", "redhat-release": "",
    "selinux-commands": "hostconf:read_selinux_commands", "xml-unknown": "libvirt", "selinux-config": "selinux:read_config",
}

# Where each format lives on a RHEL 5 host (paths relative to the root, as regexes).
LOCATIONS = [
    (r"etc/xen/xend-config\.sxp", "xend"),
    (r"etc/xen/auto/[^/]+", "xm-autostart"),
    (r"etc/xen/(scripts|auto)/.*|etc/xen/.*\.(sxp|sh|py|pyc|orig|bak|rpmnew|rpmsave)", None),
    (r"etc/xen/[^/]+", "xm"),
    (r"etc/libvirt/(qemu|xen)/networks/autostart/[^/]+\.xml", "network-autostart"),
    (r"etc/libvirt/(qemu|xen)/networks/[^/]+\.xml", "network-xml"),
    (r"etc/libvirt/storage/autostart/[^/]+\.xml", "pool-autostart"),
    (r"etc/libvirt/storage/[^/]+\.xml", "pool-xml"),
    (r"etc/libvirt/(qemu|xen)/autostart/[^/]+\.xml", "domain-autostart"),
    (r"etc/libvirt/(qemu|xen)/[^/]+\.xml", "domain-xml"),
    (r"(boot/grub/(grub\.conf|menu\.lst)|etc/grub\.conf)", "grub"),
    (r"guests/[^/]+/boot/grub/grub\.conf", "guest-grub"),
    (r"(boot/efi/efi/redhat/|etc/)elilo\.conf", "elilo"),
    (r"etc/sysconfig/network-scripts/ifcfg-[^/]+", "ifcfg"),
    (r"etc/udev/rules\.d/[^/]+\.rules", "udev"),
    (r"etc/scsi_id\.config", "scsi_id"),
    (r"etc/multipath\.conf", "multipath"),
    (r"etc/(rc\.d/)?rc\.local", "rc.local"),
    (r"etc/hosts", "hosts"),
    (r"etc/modprobe\.conf", "modprobe"),
    (r"etc/sysctl\.conf", "sysctl"),
    (r"etc/sysconfig/iptables", "iptables"),
    (r"etc/exports", "exports"),
    (r"etc/selinux/[^/]+/contexts/files/file_contexts\.local", "fcontext"),
    (r"etc/selinux/[^/]+/modules/active/booleans\.local", "sebool"),
    (r"etc/sysconfig/cpuspeed", "cpuspeed"),
    (r"etc/selinux/config", "selinux-config"),
    (r"etc/redhat-release", "redhat-release"),
    (r"(.*/)?(virsh-)?capabilities\.xml", "capabilities"),
]
_LOCATIONS = [(re.compile(r"(?:^|.*/)" + pat + r"$"), fmt) for pat, fmt in LOCATIONS]

# What a file of each format starts with or contains, for files outside the standard
# places (a copy on a laptop, `virsh dumpxml > guest.xml`). Checked in order.
_XML_ROOT = re.compile(r"<(domain|network|pool|capabilities)\b")
_SIGNATURES = [
    ("selinux-commands", re.compile(r"^\s*(\S*/)?(semanage\s+fcontext|setsebool)\s", re.M)),
    ("xend", re.compile(r"^\s*\((xend-|network-script|vif-script|dom0-)", re.M)),
    ("grub", re.compile(r"^\s*title\s", re.M)),
    ("multipath", re.compile(r"^\s*(multipaths|defaults|blacklist|devices)\s*\{", re.M)),
    ("ifcfg", re.compile(r"^\s*DEVICE=", re.M)),
    ("udev", re.compile(r"(KERNEL|BUS|SUBSYSTEM|ACTION|PROGRAM|RESULT)==", re.M)),
    ("iptables", re.compile(r"^\*filter\s*$", re.M)),
    ("xm", re.compile(r"^\s*(name|memory|builder|kernel|disk|vif)\s*=", re.M)),
    ("sysctl", re.compile(r"^\s*(net|kernel|vm|fs)\.[\w.-]+\s*=", re.M)),
    ("modprobe", re.compile(r"^\s*(options|alias|install)\s+\S", re.M)),
]

XML_FORMATS = {"domain": "domain-xml", "network": "network-xml", "pool": "pool-xml",
               "capabilities": "capabilities"}


# File names outside the standard places (fail-multipath.conf, host1-sysctl.conf).
_SUFFIXES = {"elilo.conf": "elilo", "scsi_id.config": "scsi_id", "multipath.conf": "multipath",
             "rc.local": "rc.local", "modprobe.conf": "modprobe", "sysctl.conf": "sysctl",
             "xend-config.sxp": "xend", "exports": "exports", "iptables": "iptables",
             "file_contexts.local": "fcontext", "booleans.local": "sebool", "cpuspeed": "cpuspeed",
             "capabilities.xml": "capabilities"}


def detect_path(path: str) -> str | None:
    norm = path.replace("\\", "/")
    for pattern, fmt in _LOCATIONS:
        if pattern.match(norm):
            return fmt
    name = norm.rsplit("/", 1)[-1]
    if name.startswith("ifcfg-"):
        return "ifcfg"
    if name.endswith((".cfg", ".xm")):
        return "xm"
    if name.endswith(".rules"):
        return "udev"
    if name.endswith(".sxp"):
        return "xend"
    if name.endswith(("grub.conf", "menu.lst")):
        return "grub"
    if name.endswith("-hosts"):
        return "hosts"
    for suffix, fmt in _SUFFIXES.items():
        if name.endswith(suffix):
            return fmt
    return None


def detect_content(text: str) -> str | None:
    head = text[:8192]
    m = _XML_ROOT.search(head)
    if m and head.lstrip().startswith("<"):
        return XML_FORMATS[m.group(1)]
    for fmt, sig in _SIGNATURES:
        if sig.search(head):
            return fmt
    return None


def detect(path: str, text: str | None = None) -> str | None:
    """A file's format: from where it is, then from what it holds. An .xml file is always
    told apart by its root element (a network XML in the domain folder is a network)."""
    fmt = detect_path(path)
    if fmt is not None and fmt.endswith("-autostart"):
        return fmt
    if text is not None and (fmt is None or fmt.endswith("-xml") or fmt == "capabilities"
                             or path.endswith(".xml")):
        by_content = detect_content(text)
        if by_content in XML_FORMATS.values() or fmt is None:
            if by_content is None and _misspelt_root(path, text):
                return "xml-unknown"  # the libvirt reader says what the root should be (VF702)
            return by_content
    return fmt


_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")


def _misspelt_root(path: str, text: str) -> bool:
    """An XML file whose root element is close to a libvirt one (<domian>): worth the
    reader's error. Other XML (a RelaxNG schema, an XHTML page) is not a config."""
    from .suggest import did_you_mean

    head = text[:8192]
    if not (path.endswith(".xml") or head.lstrip("\ufeff \t\r\n").startswith("<?xml")):
        return False
    body = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", head, flags=re.S)
    m = _FIRST_TAG.search(body)
    if m is None:
        return path.endswith(".xml")  # an .xml file without any element: VF701 says so
    return did_you_mean(m.group(1), list(XML_FORMATS)) is not None


# ---------------------------------------------------------------- collecting files

@dataclass
class HostFiles:
    name: str
    root: str | None
    files: list[tuple[str, str | None]] = field(default_factory=list)  # (path, format by path)


SKIP_DIRS = {".git", "__pycache__", ".virtc-manifest"}


def is_host_tree(path: str) -> bool:
    return os.path.isdir(os.path.join(path, "etc")) or os.path.isdir(os.path.join(path, "boot"))


def _walk(root: str) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for f in sorted(filenames):
            if f in SKIP_DIRS:
                continue
            out.append(os.path.join(dirpath, f))
    return out


def collect(paths: list[str], roots: list[str]) -> tuple[list[HostFiles], list[Diagnostic]]:
    """Hosts and their files. A root that is a folder of host trees gives one host per
    sub-folder; its guests/NAME folders (a virtc build's per-guest files) go with the
    host that runs NAME."""
    hosts: list[HostFiles] = []
    diags: list[Diagnostic] = []
    loose = HostFiles("files", None)
    for root in roots + [p for p in paths if os.path.isdir(p)]:
        root = root.rstrip("/") or "/"
        if not os.path.isdir(root):
            diags.append(info("VF001", f"{root}: no such folder", None))
            continue
        if is_host_tree(root):
            hosts.append(_host_tree(root))
            continue
        subs = [os.path.join(root, d) for d in sorted(os.listdir(root))
                if os.path.isdir(os.path.join(root, d)) and is_host_tree(os.path.join(root, d))]
        if not subs:
            # not laid out as a host: every file in it, one host
            h = HostFiles(os.path.basename(os.path.abspath(root)) or "host", root)
            h.files = [(p, detect_path(os.path.relpath(p, root))) for p in _walk(root)]
            hosts.append(h)
            continue
        shared_guests = os.path.join(root, "guests")
        for sub in subs:
            h = _host_tree(sub)
            if os.path.isdir(shared_guests):
                h.files += [(p, "guest-grub-shared") for p in _walk(shared_guests)
                            if p.endswith("/boot/grub/grub.conf")]
            hosts.append(h)
    for p in paths:
        if not os.path.isdir(p):
            loose.files.append((p, detect_path(p)))
    if loose.files:
        # named after the folder the files share (a copy of /etc is named after its host)
        common = os.path.commonpath([os.path.abspath(os.path.dirname(p)) for p, _ in loose.files])
        parts = [x for x in common.split(os.sep) if x and x not in ("etc", "xen", "libvirt", "qemu", "boot",
                                                                      "grub", "sysconfig", "network-scripts")]
        loose.name = parts[-1] if parts else "host"
        hosts.append(loose)
    return hosts, diags


def _host_tree(root: str) -> HostFiles:
    h = HostFiles(os.path.basename(os.path.abspath(root)), root)
    for p in _walk(root):
        h.files.append((p, detect_path(os.path.relpath(p, root))))
    return h


# ---------------------------------------------------------------- reading and checking

# Formats whose reader has not learnt `read` yet: their document parser alone (format-level
# rules run; the model learns nothing from them).
_DOCUMENT_ONLY = {"xm": "xm:parse_document", "grub": "grub:parse_document", "ifcfg": "ifcfg:parse_document",
                  "udev": "udev:parse_rules", "scsi_id": "udev:parse_scsi_id_config",
                  "multipath": "multipath:parse_document", "rc.local": "hostfiles:parse_lines",
                  "hosts": "hostfiles:parse_hosts", "elilo": "elilo:parse_document"}


def _function(spec: str):
    module, _, func = spec.partition(":")
    try:
        mod = importlib.import_module(f"virtc.targets.{module}")
    except ImportError:
        return None
    return getattr(mod, func or "read", None)


def read_one(path: str, fmt: str, src: SourceFile) -> Found:
    """One file through its format's reader."""
    reader = _function(READERS.get(fmt, "") or "")
    if reader is not None:
        return reader(src.text, path)
    found = Found(src, fmt)
    legacy = _function(_DOCUMENT_ONLY.get(fmt, ""))
    if legacy is not None:
        found.document, found.diagnostics = legacy(src)
    return found


_RELEASE = re.compile(r"release\s+(\d+(?:\.\d+)?)")


def _redhat_release(src: SourceFile) -> Found:
    found = Found(src, "redhat-release")
    m = _RELEASE.search(src.text)
    if m:
        found.set("release", m.group(1), src.span(m.start(1), m.end(1)))
    return found


@dataclass
class HostRead:
    name: str
    found: list[Found]
    autostart: set[str]
    guest_files: dict[str, list[Found]]  # guest grub.conf files by guest name
    documents: list = field(default_factory=list)  # of guest files that belong to this host
    xml_files: int = 0  # libvirt XML files read (checked against libvirt's schema)


def read_host(h: HostFiles, capabilities: list[Found], out_sources: dict, diags: list,
              schemas: str | None = None) -> HostRead:
    hr = HostRead(h.name, [], set(), {})
    for path, by_path in h.files:
        progress.advance()
        if by_path in ("xm-autostart", "domain-autostart", "network-autostart", "pool-autostart"):
            # /etc/xen/auto/NAME, qemu/autostart/NAME.xml ...: links (or copies) that start
            # the guest (network, pool) with the host; it is read from its own file.
            kind = "pool" if by_path == "pool-autostart" else "network" if by_path == "network-autostart" else ""
            hr.autostart.add(kind + os.path.basename(path).removesuffix(".xml"))
            continue
        src, problems = read_text(path)
        diags.extend(problems)
        if src is None:
            continue
        fmt = detect(path, src.text) if by_path not in ("guest-grub-shared",) else by_path
        if fmt is None:
            diags.append(info("VF002", f"{path}: not a format virtc reads; skipped", whole_file(src)))
            continue
        out_sources[path] = src
        if fmt == "redhat-release":
            hr.found.append(_redhat_release(src))
            continue
        if fmt == "guest-grub-shared":
            guest = path.replace("\\", "/").split("/guests/")[-1].split("/")[0]
            hr.guest_files.setdefault(guest, []).append(read_one(path, "guest-grub", src))
            continue
        f = read_one(path, fmt, src)
        f.format = fmt  # lint's name for it (readers may name finer kinds)
        f.diagnostics.extend(schema.check(src, fmt, schemas))
        hr.xml_files += fmt in schema.SCHEMAS
        hr.found.append(f)
    hr.found.extend(capabilities)
    return hr


def _guest_boot(found: list[Found]) -> tuple[dict, dict]:
    boots, variants = {}, {}
    for f in found:
        boots.update(f.host.get("guest_boot", {}) or {})
        variants.update(f.host.get("guest_variant", {}) or {})
    return boots, variants


def assemble_host(hr: HostRead, span: Span) -> tuple:
    host, guests, diags = assemble(hr.name, hr.found, span)
    ifcfg = [f for f in hr.found if f.format == "ifcfg"]
    if ifcfg:
        from virtc.targets import ifcfg as ifcfg_target

        bridges, notes = ifcfg_target.assemble_bridges(ifcfg, hr.name)
        host = replace(host, bridges=tuple(host.bridges) + tuple(bridges))
        diags.extend(notes)
    # boot words the grub reader took as facts (iommu=1, processor.max_cstate=1) stay on
    # the boot line the rules and the emitters see
    from virtc.targets import grub

    host = grub.restore_derived(host, hr.found)
    if host.pools:
        host = replace(host, pools=tuple(replace(p, autostart=p.autostart or "pool" + p.name in hr.autostart)
                                         for p in host.pools))
    names = {g.name for g in guests}
    boots, variants = _guest_boot(hr.found)
    for name, files in hr.guest_files.items():
        if name in names:
            more_boots, more_variants = _guest_boot(files)
            boots.update(more_boots)
            variants.update(more_variants)
            for f in files:
                diags.extend(f.diagnostics)
                if f.document is not None:
                    hr.documents.append(f.document)
    placed = []
    for g in guests:
        if g.name in hr.autostart:
            g = replace(g, autostart=True)
        if g.name in boots:
            release, cmdline, _where = boots[g.name]
            g = replace(g, kernel_release=release or g.kernel_release,
                        kernel_variant=variants.get(g.name, g.kernel_variant),
                        boot=replace(g.boot, cmdline=g.boot.cmdline or cmdline or None))
            if g.os is None and release:
                g = replace(g, os=guest_os_from_kernel(release))
        placed.append(g)
    return host, placed, diags


# RHEL 5 update releases by the kernel they shipped (2.6.18-N.el5): how a guest whose
# own grub.conf names its kernel tells which RHEL 5 update it runs.
RHEL5_KERNELS = ((8, "5.0"), (53, "5.1"), (92, "5.2"), (128, "5.3"), (164, "5.4"), (194, "5.5"),
                 (238, "5.6"), (274, "5.7"), (308, "5.8"), (348, "5.9"), (371, "5.10"), (398, "5.11"))
_EL_KERNEL = re.compile(r"^2\.6\.(?P<minor>\d+)-(?P<build>\d+)[.\w]*\.el(?P<major>\d)")


def guest_os_from_kernel(release: str):
    from .model import GuestOS

    m = _EL_KERNEL.match(release)
    if not m:
        return None
    major, build = m.group("major"), int(m.group("build"))
    if major != "5":
        return GuestOS("rhel", None, f"rhel{major}")
    update = "5.0"
    for first, name in RHEL5_KERNELS:
        if build >= first:
            update = name
    return GuestOS("rhel", update, f"rhel{update}")


# Host facts, and what states them. The first four come from `virsh capabilities` and
# /etc/redhat-release; the others are known only when the host's file of that kind was
# read (a lone xm config says nothing about the host's bridges: "no bridge" would be a guess).
FACTS = {
    "cpu": "its CPUs (capabilities XML)",
    "memory": "its memory (capabilities XML)",
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
}
FILE_FACTS = {"bridges": ("ifcfg",), "networks": ("network-xml",), "labels": ("fcontext",),
              "sebools": ("sebool",), "modprobe": ("modprobe",), "xend": ("xend",),
              "grub": ("grub", "elilo"), "sysctl": ("sysctl",), "firewall": ("iptables",),
              "luns": ("multipath", "udev")}


def missing_facts(host, formats: set[str] = frozenset(), everything: bool = False) -> list[str]:
    """The facts no file of the host states (all known when `everything`: a .virt file)."""
    if everything:
        return []
    out = []
    if not (host.cpu.cores or host.cpu.threads or host.cpu.flags or host.cpu.vendor):
        out.append("cpu")
    if host.memory_kib is None:
        out.append("memory")
    if not host.numa:
        out.append("numa")
    if host.release is None:
        out.append("release")
    out += [fact for fact, fmts in FILE_FACTS.items() if not set(fmts) & formats]
    return out


def skipped_rules(missing: list[str]) -> list[str]:
    from .rules import all_rules

    return [r.code for r in all_rules() if set(r.facts) & set(missing)]


def skipped_note(host, missing: list[str], span: Span | None) -> Diagnostic | None:
    skipped = skipped_rules(missing)
    if not skipped:
        return None
    from .rules import by_code

    needed = [m for m in missing if any(m in by_code()[c].facts for c in skipped)]
    what = ", ".join(FACTS[m] for m in needed)
    return info("VF004", f"host {host.name}: no file states {what}; {len(skipped)} rules that need "
                         f"them were skipped: {' '.join(skipped)}", span, owner=host.owner,
                hint="give `--capabilities FILE` (`virsh capabilities` output from that host) or put "
                     "capabilities.xml in the tree; copy /etc/redhat-release and the host's other files")


def _disagreements(found: list[Found]) -> list[Diagnostic]:
    """VF005: one guest in two files that say different things."""
    seen: dict[str, tuple] = {}
    out = []
    for f in found:
        for g in f.guests:
            sig = {"memory": (g.memory_kib, g.maxmem_kib), "vCPUs": (g.vcpus, g.max_vcpus),
                   "disks": tuple((d.target, d.path) for d in g.disks), "NICs": tuple(n.mac for n in g.nics)}
            if g.name in seen and seen[g.name][0] != sig:
                first = seen[g.name][1]
                what = ", ".join(k for k in sig if sig[k] != seen[g.name][0][k])
                out.append(warning("VF005", f"guest {g.name} is described by {first.source.path} and "
                                            f"{f.source.path}, which disagree on {what}",
                                   g.span, hint="make the two agree (`virtc convert` writes one from the "
                                                 "other) or remove one"))
            seen.setdefault(g.name, (sig, f))
    return out


def lint_files(paths: list[str], roots: list[str] = (), capabilities: str | None = None,
               schemas: str | None = None):
    """(model, documents, sources, diagnostics, facts no file states per host) for existing files."""
    diags: list[Diagnostic] = []
    sources: dict[str, SourceFile] = {}
    caps: list[Found] = []
    if capabilities:
        src, problems = read_text(capabilities)
        diags.extend(problems)
        if src is not None:
            sources[capabilities] = src
            f = read_one(capabilities, "capabilities", src)
            f.format = "capabilities"
            caps.append(f)
    hosts_files, problems = collect(list(paths), list(roots))
    diags.extend(problems)
    progress.phase("reading", sum(len(h.files) for h in hosts_files))
    hosts, guests, documents = [], [], []
    skip: dict[str, set[str]] = {}
    for f in caps:  # read once, whichever hosts it describes
        diags.extend(f.diagnostics)
        if f.document is not None:
            documents.append(f.document)
    schema_dir = schema.schema_dir(schemas)
    xml_files = 0
    for hf in hosts_files:
        hr = read_host(hf, caps, sources, diags, schema_dir)
        xml_files += hr.xml_files
        if not [f for f in hr.found if f not in caps]:
            continue  # nothing of this host's own (at most shared guest files)
        for f in hr.found:
            if f in caps:
                continue
            diags.extend(f.diagnostics)
            if f.document is not None:
                documents.append(f.document)
        anchor = next((whole_file(f.source) for f in hr.found if f.format != "capabilities"), None)
        anchor = anchor or whole_file(hr.found[0].source)
        host, placed, problems = assemble_host(hr, anchor)
        diags.extend(problems)
        documents.extend(hr.documents)
        diags.extend(_disagreements(hr.found))
        missing = missing_facts(host, {f.format for f in hr.found})
        note = skipped_note(host, missing, anchor)
        if note is not None:
            diags.append(note)
        skip[host.name] = set(missing)
        hosts.append(host)
        guests.extend(placed)
    if schema_dir is None and xml_files:
        diags.append(info("VF711", "libvirt's RelaxNG schemas were not found, so XML files were not "
                                   "checked against them", None,
                          hint="install libvirt (it puts them in /usr/share/libvirt/schemas) or give "
                               "`--schemas DIR`"))
    model = Model(tuple(hosts), tuple(guests), tuple(sources))
    return model, documents, sources, diags, skip
