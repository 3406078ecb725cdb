"""What `virtc lint` itself says about the files it is given, before any format's rules:
files it cannot read, files it does not know, constructs it does not model, and host
facts no file states. Reported while reading (Scope.READER)."""
from __future__ import annotations

from ..diagnostics import Severity
from .base import Rule, Scope

NOT_CHECKABLE: dict[str, str] = {}


class UnreadableFile(Rule):
    """A configuration file is a text file of sensible size in UTF-8 (ASCII for xm).

    What it checks: binary files (a NUL byte) and files that are not UTF-8, before any
    reader sees them. (A file larger than virtc reads is VF011.)

    Why: xend executes /etc/xen/NAME as Python, which stops at the first byte it cannot
    decode (guide §35.11, lines 6149-6160: a non-ASCII character in a config is an error),
    and none of the other files a host reads are binary. A file that fails here is most
    likely the wrong file (an image, a core dump) in a config folder.

    Example:
        a disk image copied to /etc/xen/guest1

    Fix: move the file away, or convert it to UTF-8 (ASCII for xm configs).
    """

    code, name, severity = "VF001", "unreadable-file", Severity.ERROR
    checklist, section, lines = ("XEN-15",), "§35.11", "6149-6160"
    scope = Scope.READER


class UnknownFile(Rule):
    """A file given to `virtc lint` is in a format virtc reads.

    What it checks: files whose place (etc/xen/NAME, etc/libvirt/qemu/NAME.xml,
    boot/grub/grub.conf, etc/sysconfig/network-scripts/ifcfg-*, ...) and content match no
    format virtc reads. They are skipped with this note, never guessed at.

    Why: a host tree holds many files the guide says nothing about; saying which were
    skipped keeps a clean lint honest (nothing was checked silently or not at all).

    Example:
        etc/xen/scripts/network-bridge

    Fix: nothing, if the file is not a virtualization config; otherwise rename it to its
    standard name (see README, "Linting existing hosts").
    """

    code, name, severity = "VF002", "unknown-file", Severity.INFO
    checklist, section, lines = (), "virtc", "-"
    scope = Scope.READER


class NotModelled(Rule):
    """A construct in an existing file that virtc does not model is named, not dropped.

    What it checks: elements, keys and statements that a reader understands syntactically
    but that have no place in virtc's model (a `<channel>` in a domain XML, a multipath
    `devices` block, an xm key of a later Xen release ...).

    Why: rules cannot check what the model does not hold, and `virtc import` cannot carry
    it into the .virt file; one note per construct says exactly what was left out.

    Example:
        <channel type='unix'>...</channel>

    Fix: nothing to fix in the file; check such constructs by hand.
    """

    code, name, severity = "VF003", "not-modelled", Severity.INFO
    checklist, section, lines = (), "virtc", "-"
    scope = Scope.READER


class HostFactsUnknown(Rule):
    """Rules that compare with the host's CPUs, memory, NUMA cells or RHEL release say when
    they could not run.

    What it checks: after reading a host's files, which facts none of them states: CPUs
    and memory (only `virsh capabilities` output has them), NUMA cells, and the release
    (/etc/redhat-release). For each host with missing facts, one note lists the rules that
    were skipped because of them.

    Why: the guide's overcommit limits (§5.3, §28: vCPUs per core, memory plus dom0_mem
    against RAM) need the host's numbers; without them a clean result would be silence,
    not a check.

    Example:
        virtc lint --root copy-of-xen1/      # no capabilities.xml in the tree

    Fix: run `virsh capabilities > capabilities.xml` on the host and put it in the tree's
    top folder, or give it with `--capabilities FILE`; copy /etc/redhat-release too.
    """

    code, name, severity = "VF004", "host-facts-unknown", Severity.INFO
    checklist, section, lines = (), "virtc", "-"
    scope = Scope.READER


class GuestDescribedTwice(Rule):
    """A guest described by two files of one host says the same in both.

    What it checks: a guest with both an xm config (/etc/xen/NAME) and a libvirt domain XML
    (/etc/libvirt/xen/NAME.xml or qemu/NAME.xml), or two XMLs with the same name: the
    memory, vCPUs, disks and NICs must agree.

    Why: xend and libvirt each start the guest from their own file (guide §31, §34); when
    the two disagree, which one is used depends on the tool the administrator types, and
    a migration (§19) carries the running one.

    Example:
        /etc/xen/web01 says memory = 512; /etc/libvirt/xen/web01.xml says 1048576 KiB

    Fix: edit one and regenerate the other (`virtc convert`), or keep only one.
    """

    code, name, severity = "VF005", "guest-described-twice", Severity.WARNING
    checklist, section, lines = ("XEN-16",), "§31", "4783-4804"
    scope = Scope.READER


class ImportInexpressible(Rule):
    """`virtc import` writes .virt only when it says everything the files said.

    What it checks: a file that cannot be read whole (a reader's error) leaves its guests
    out, each named, and the rest is written; the run fails. A value the language rejects
    (for instance a NIC model xend does not know) stops the import; nothing is written.
    Before writing, the imported .virt text is compiled again and built: a file that comes
    out differently from the one the files read describe is a warning that names the file
    read and its line, what it says there and what the rebuilt file says instead.

    Why: an import that silently drops or changes a setting would make the next `virtc
    build` deploy a different guest than the one running (the guide's migration and
    storage chapters, §19 and §5, depend on the configs matching the guests).

    Example:
        vif = [ "model=fakemodel,bridge=xenbr0" ]

    Fix: correct the value in the existing file (virtc lint names the rule), then import.
    """

    code, name, severity = "VF006", "import-inexpressible", Severity.ERROR
    checklist, section, lines = (), "virtc", "-"
    scope = Scope.READER


class LibvirtSchema(Rule):
    """A libvirt XML file is what RHEL 5's libvirt (0.8.2) accepted.

    What it checks: domain, network and storage pool XML read by `virtc lint`, against
    virtc's own RelaxNG grammars of RHEL 5's libvirt, shipped with virtc
    (schemas/libvirt-0.8: domain.rng, network.rng, storagepool.rng), never the libvirt
    installed where virtc runs, so the result is the same on every machine. Each grammar
    is compiled once per run. One finding per file, at the element or attribute at fault:
    one RHEL 5's libvirt did not have (`<memory unit=...>`, `<cpu mode=...>`,
    `<memballoon>`), or a value it did not take.

    Why: RHEL 5's `virsh define` refuses such a file or silently drops what it does not
    know (guide §25 and §33, where XML files are edited by hand and defined again);
    today's libvirt schemas judge RHEL 5's files wrongly both ways (they refuse the
    guide's own `<bridge forwardDelay='0'>` and take later syntax RHEL 5 ignores).

    Example:
        <vcpus>2</vcpus>

    Fix: correct the element the message names (here `<vcpu>`), or dump a working guest
    with `virsh dumpxml` and compare.
    """

    code, name, severity = "VF711", "libvirt-schema", Severity.WARNING
    checklist, section, lines = (), "virtc", "-"
    scope = Scope.READER


class TwoFilesOfOneKind(Rule):
    """A host has one file of each kind it reads only once (grub.conf, xend-config.sxp ...).

    What it checks: two different files of a format a host has one of, for one host: both
    boot/grub/grub.conf and an etc/grub.conf that is a copy rather than the usual link,
    two xend-config.sxp, a capabilities file in the tree and another given with
    `--capabilities`. Identical copies, and one file reached by two paths, are one file.
    The one in the canonical place (or given on the command line) is read; the other is
    named here and not read.

    Why: the host reads one of them (GRUB reads /boot/grub/grub.conf; /etc/grub.conf is
    only a link to it), so the other is stale, and linting both would mix two hosts' worth
    of facts (two boot entries, NUMA cells counted twice).

    Example:
        boot/grub/grub.conf and etc/grub.conf with different kernels

    Fix: remove the stale copy, or make it the link it should be
    (`ln -sf ../boot/grub/grub.conf /etc/grub.conf`).
    """

    code, name, severity = "VF008", "two-files-of-one-kind", Severity.WARNING
    checklist, section, lines = (), "virtc", "-"
    scope = Scope.READER


class LaterXenSyntax(Rule):
    """A file uses the syntax of a later Xen than RHEL 5's (Xen 4, xl), not RHEL 5's.

    What it checks: what readers recognise as written for a later Xen: xl's disk syntax
    (`"format=raw, vdev=xvda, access=rw, target=/dev/vg/g"`), Xen 4's xm keys (maxvcpus,
    type, device_model_version, videoram ...), and Xen 3.3's `dom0_mem=AMOUNT,max:AMOUNT`
    on the hypervisor line. The finding says which Xen the syntax belongs to and what
    RHEL 5's Xen 3.1 makes of it; the value is read as the later Xen means it where the
    model can say so (maxvcpus as the maximum vCPUs, dom0_mem's amount), so the rules
    still check it.

    Why: RHEL 5 ships Xen 3.1 with xend and xm (guide §31); xl and Xen 4's keys came after.
    xend ignores a key it does not know and refuses a disk spec it cannot split
    (`source,target,mode`, line 4735); the hypervisor reads dom0_mem's amount up to the
    first comma. A file copied from a newer host looks right and does something else.

    Example:
        maxvcpus = 4
        disk = [ "format=raw, vdev=xvda, access=rw, target=/dev/vg/web01" ]

    Fix: write it the RHEL 5 way: `vcpus = 4` (with vcpu_avail for fewer online),
    `disk = [ "phy:/dev/vg/web01,xvda,w" ]`, `dom0_mem=1024M`.
    """

    code, name, severity = "VF009", "later-xen-syntax", Severity.WARNING
    checklist, section, lines = (), "virtc", "-"
    scope = Scope.READER


class GuestDefinedTwice(Rule):
    """Each guest name is defined once on a host.

    What it checks: two xm configs (or two domain XMLs) of one host that give the same
    `name`. Both are read and checked, and this finding names the second. (An xm config
    and a domain XML of one Xen guest are one guest, which xend keeps both of; VF005
    compares them.)

    Why: "name=NAME: the domain name. It must be unique" (§31, line 4710); a copied
    configuration keeps the name of its original (§32.19, lines 5579-5580). xend and
    libvirt keep one guest per name, so only one of the two files takes effect, and which
    one depends on the order they are started or defined in.

    Example:
        /etc/xen/web01 and /etc/xen/web01.copy, both with name = "web01"

    Fix: give the copy its own name (and UUID, VX108), or remove it.
    """

    code, name, severity = "VF010", "guest-defined-twice", Severity.ERROR
    checklist, section, lines = ("XEN-17",), "§31", "4710, 5579-5580"
    scope = Scope.READER


class StaleAutostartLink(Rule):
    """An autostart link leads to a configuration the host has.

    What it checks: a link in /etc/xen/auto or in a libvirt autostart folder
    (/etc/libvirt/qemu/autostart, networks/autostart, storage/autostart) whose target
    would be in a folder the host tree holds, and is not there: the guest, network or
    pool was removed and its link stayed behind. (A target outside what the tree copies,
    and a link read as a loose file, are not judged.)

    Why: a guest is marked to start with the host by its autostart link (§32.1, lines
    4889-4899: `virsh autostart` makes it, `--disable` removes it). With the configuration
    gone, xendomains' `xm create` of the link fails at every boot and libvirtd skips it:
    whatever was meant to start with the host does not, and the link says otherwise.

    Example:
        /etc/xen/auto/olddb -> /etc/xen/olddb, and no /etc/xen/olddb

    Fix: remove the link (`virsh autostart --disable NAME` before undefining a guest
    removes it), or restore the configuration it leads to.
    """

    code, name, severity = "VF012", "stale-autostart-link", Severity.WARNING
    checklist, section, lines = ("MGMT-14",), "§32.1", "4889-4899"
    scope = Scope.READER


class FileOverLimit(Rule):
    """An existing file stays within what virtc reads.

    What it checks: a configuration file is at most 4 MiB, XML elements nest at most 256
    deep (libxml2's own limit without its huge_tree option, which virtc never sets) and
    the brackets of an xm config at most 100 deep. virtc's limits are one table
    (compiler/bounds.py; README, "Limits of the tool"); `virtc explain VF011` prints the
    ones this code reports.

    Why: no real host file comes near them (a domain XML nests about 5 deep, an xm config
    3), so a file past them is not a configuration file, and reading it would cost far
    more than it could tell. virtc does not read it, and says so.

    Example:
        a 10 MB log file copied to /etc/xen/web01

    Fix: move the file away from the configuration folder.
    """

    code, name, severity = "VF011", "file-over-limit", Severity.ERROR
    checklist, section, lines = (), "virtc", "-"
    scope = Scope.READER
