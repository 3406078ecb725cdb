"""The codes of the virtc language itself: syntax (VP), names, references and values (VR),
suppressions and configuration (VR03x, VR040), and the paths of the output tree (VT).

They are reported while the compiler reads .virt files and virtc's configuration
(compiler/parse.py, resolve/, suppress.py, config.py, build.py), not by a check() here;
the classes give each code its name and documentation (`virtc explain`, SARIF, the table
of grammar/README.md). The configuration and inline suppressions apply to them as to
every code, but a file with an error among them gives no model: no rule runs and nothing
is built until it is fixed, whatever the configuration says of its severity (VR041 says
so when the errors that stopped it are hidden).
"""
from __future__ import annotations

from ..diagnostics import Severity
from .base import Rule, Scope

NOT_CHECKABLE: dict[str, str] = {}


class _Language(Rule):
    """Base of the language's codes (no code: not a rule itself)."""

    severity = Severity.ERROR
    checklist, section, lines = (), "virtc", "-"
    scope = Scope.LANGUAGE


# ---------------------------------------------------------------- syntax


class InvalidSyntax(_Language):
    """A .virt file follows the language's grammar.

    What it checks: every place where the parser (grammar/virtc.lark) meets a character no
    token starts with (`=`, `'`), a word that is not a keyword of the block it is in, or a
    value of the wrong kind (a word where a size is expected). The message says what was
    found and, in words, what the grammar takes there. After an error the statement is
    skipped and the file parsed again, so one run reports every broken statement: the
    first 25 of a file one by one, then one more VP001 that counts the rest ("and 4,000
    more syntax errors"); the rest of the file is still read.

    Why: a statement virtc cannot read cannot be checked or written; guessing what it
    meant would build a different guest. A fleet with a syntax error in any file is not
    compiled at all.

    Example:
        memory = 1G          # an xm config's assignment
        domain web01 on xen1 { ... }

    Fix: write `keyword value` without `=` (`memory 1G`), strings in double quotes, and
    the keywords grammar/README.md lists for the block.
    """

    code, name = "VP001", "syntax-error"
    fix, fix_title = "unsafe", 'replace a word that is not a keyword here with the keyword it is closest to (a guess)'


class UnterminatedString(_Language):
    """A string ends on the line it starts on.

    What it checks: a `"` with no closing `"` before the end of its line. Strings cannot
    span lines; a `\\"` inside a string is a quote, not its end.

    Why: everything after the missing quote would be read as part of the string, and the
    error would surface lines later in a statement that is fine.

    Example:
        disk xvda tap:aio "/var/lib/libvirt/images/g.img

    Fix: close the string on the same line; write `\\"` for a quote inside it.
    """

    code, name = "VP002", "unterminated-string"


class UnexpectedEndOfFile(_Language):
    """A .virt file does not end inside a block or a statement.

    What it checks: the end of a file reached while the grammar still expects something
    other than the `}` of a block (a block left open is VP004, at its header). The
    diagnostic is at the file's last character; the message lists what was expected.

    Why: blocks cannot continue into the next file (each file is parsed alone), and a
    block that never closes leaves unclear which statements belong to it.

    Example:
        guest g on xen1 {
          type xen-pv; memory 1G
        (end of file)

    Fix: close the block with `}`; with nested blocks (a guest inside a host), count
    that each `{` has its `}`.
    """

    code, name = "VP003", "unexpected-end-of-file"


class UnclosedBlock(_Language):
    """Every `{` of a host, template or guest block has its `}`.

    What it checks: a block still open when the next declaration (`host`, `guest`,
    `template`, `include`) starts where the block's statements are expected, or when the
    file ends. The finding is at the header of the block left open, not where the parser
    noticed; the block is then taken to end there, and the rest of the file is read.

    Why: a missing `}` would otherwise be reported lines later, at a statement that is
    fine, and every declaration below it would fail with it.

    Example:
        guest g1 on xen1 {
          type xen-pv; memory 1G

        guest g2 on xen1 { type xen-pv; memory 1G }

    Fix: add the `}` where the block ends.
    """

    code, name = "VP004", "unclosed-block"


# ---------------------------------------------------------------- names and references


class UnknownTemplate(_Language):
    """A template named by `from` is declared.

    What it checks: `guest NAME from TEMPLATE` and `template NAME from PARENT` name a
    template declared in one of the files compiled together (names are global across
    files and includes). The hint suggests the nearest declared name.

    Why: the guest would lack everything the template was meant to give it (type, memory,
    disks); virtc does not guess.

    Example:
        template rhel5pv { type xen-pv; memory 1G }
        guest g from rhel5 on xen1 {}

    Fix: correct the name, or include the file that declares the template.
    """

    code, name = "VR001", "unknown-template"


class UnknownHost(_Language):
    """Every guest is placed on a declared host.

    What it checks: `guest NAME on HOST` names a host declared in the fleet, and a guest
    outside every host block has `on HOST` at all. Migration peers (`migration peers H`)
    must be hosts of the fleet too.

    Why: a guest's files go into its host's folder of the output tree, and most rules
    compare the guest with its host (hypervisor, CPUs, memory, bridges).

    Example:
        guest g on xen2 { type xen-pv; memory 1G }     # no host xen2
        guest h { type xen-pv; memory 1G }             # on no host at all

    Fix: correct the host's name, declare the host, or write the guest inside the host's
    block.
    """

    code, name = "VR002", "unknown-host"


class UnknownBridge(_Language):
    """A guest's NIC uses a bridge or network its host declares.

    What it checks: `nic bridge BR` names a `bridge` of the guest's host, and
    `nic network NET` a `network` of it (or `default`, which libvirt always has).

    Why: xend and libvirt refuse to start a guest whose bridge does not exist on the host
    (guide §10, §11); the bridge is also what virtc writes the host's ifcfg files for.

    Example:
        host xen1 { ...; bridge xenbr0 on eth0 }
        guest g on xen1 { ...; nic bridge xenbr2 }

    Fix: use a bridge the host has, or declare it on the host (`bridge xenbr2 on eth2`).
    """

    code, name = "VR003", "unknown-bridge"


class DeclaredTwice(_Language):
    """A name is declared once.

    What it checks: host, template and guest names are unique across the whole fleet
    (every file and every guest a range stamps out); bridge, network, multipath alias and
    LUN names are unique within their host. The diagnostic is on the second declaration
    and points to the first. (A disk target used twice in one guest is VS102.)

    Why: these names become file names (/etc/xen/NAME, ifcfg-NAME, NAME.xml) and the keys
    other statements refer to; a second declaration would overwrite the first or make a
    reference ambiguous.

    Example:
        guest g on xen1 { type xen-pv; memory 1G }
        guest g on kvm1 { type kvm; memory 1G }

    Fix: rename one of the two, or remove the copy.
    """

    code, name = "VR004", "declared-twice"


# ---------------------------------------------------------------- values


class InvalidSize(_Language):
    """A size has a binary unit and, for memory, is a whole number of MiB.

    What it checks: sizes are a number and K, M, G or T (or KiB, MiB, GiB, TiB); decimal
    units (MB, GB) and bare numbers are rejected, and memory sizes must be a whole number
    of MiB greater than 0.

    Why: `1GB` could mean 10^9 or 2^30 bytes, and a bare number has no unit at all; xm
    configs count memory in MiB and libvirt in KiB, so a size that is not a whole number
    of MiB cannot be written the same way to both.

    Example:
        memory 1GB
        memory 1024
        memory 1.5M

    Fix: write a binary unit (`1G`, `1024M`) and round memory to a multiple of 1M.
    """

    code, name = "VR005", "invalid-size"
    fix, fix_title = "unsafe", 'a unit in lower case is written in upper case (safe); MB, GB become M, G (binary units: unsafe)'


class InvalidMacAddress(_Language):
    """A NIC's MAC address is a unicast address of six hex pairs.

    What it checks: `mac` values are six colon-separated pairs of hex digits, and the
    first octet's lowest bit (the multicast bit) is clear.

    Why: a multicast address on a NIC breaks ARP for the guest; guests use addresses with
    Xensource's prefix 00:16:3e (guide §32.9), which `mac auto` assigns.

    Example:
        nic bridge xenbr0 mac 01:16:3e:00:00:01

    Fix: use an address whose first octet is even (`00:16:3e:...`), or `mac auto`.
    """

    code, name = "VR006", "invalid-mac-address"


class InvalidPciAddress(_Language):
    """A PCI address names a device that can exist.

    What it checks: `pci` addresses are `[domain:]bus:slot.function` in hex with a slot of
    at most 1f and a function of at most 7.

    Why: pciback and xm refuse an address no device can have (guide §14), and the guest
    would start without its device.

    Example:
        pci 0000:09:00.8

    Fix: copy the address from `lspci -D` on the host.
    """

    code, name = "VR007", "invalid-pci-address"


class InvalidInterpolation(_Language):
    """A string uses only the variables `{name}`, `{host}` and `{index}`.

    What it checks: every `{...}` in a string of a guest statement is a known variable
    (`{index}` only in a guest stamped from a range), and every other brace is doubled
    (`{{`, `}}`).

    Why: an unknown variable would be written literally into a path or an argument,
    giving every guest the same image file or a file named with braces.

    Example:
        disk xvda tap:aio "/var/lib/libvirt/images/{guest}.img"

    Fix: use `{name}` for the guest's name; write `{{` and `}}` for literal braces.
    """

    code, name = "VR008", "invalid-interpolation"


class MissingInclude(_Language):
    """An included file exists and can be read.

    What it checks: `include "PATH"` names a readable file; the path is relative to the
    including file. A file given on the command line that cannot be read is reported the
    same way.

    Why: the fleet would silently lack the hosts, templates or guests the file declares.

    Example:
        include "common.virt"     # no such file beside this one

    Fix: correct the path (relative to the file that includes it), or create the file.
    """

    code, name = "VR009", "missing-include"


class IncludeCycle(_Language):
    """Includes do not form a cycle.

    What it checks: a file that includes itself, directly or through other files
    (`a.virt` includes `b.virt` includes `a.virt`). The message lists the chain. A file
    included twice on different paths is no cycle: it is read once.

    Why: a cycle has no first file, so there is no order in which to read its statements.

    Example:
        # in a.virt
        include "a.virt"

    Fix: move what both files need into a third file that both include.
    """

    code, name = "VR010", "include-cycle"


class UnsafeValue(_Language):
    """A value can be written into the generated files safely.

    What it checks: names and paths that become file names, arguments or lines of the
    output (host and guest names, paths, interface names, IQNs, devnode patterns, serial
    hosts) contain only characters their files can carry: no `/`, `..`, spaces, quotes,
    control characters or non-ASCII. On a Xen host, guest names that /etc/xen already
    uses for xend's own files (`auto`, `scripts`, `xend-config.sxp`, ...) are refused too.

    Why: an xm config is executed as Python by xend, ifcfg files are sourced by bash and
    grub.conf splits on blanks (guide §31, §32.5): a value that is not escaped or refused
    could add a line or a command, or write outside the output folder.

    Example:
        guest "web 01" on xen1 { ... }
        guest auto on xen1 { ... }

    Fix: use letters, digits, `-`, `_` and `.` in names; choose another name where xend's
    files already use it.
    """

    code, name = "VR011", "unsafe-value"


class InvalidValue(_Language):
    """A value is one the statement accepts.

    What it checks: words from a fixed set (hypervisors, guest types, boot loaders, NIC
    models, clock offsets, ...) with a "did you mean" hint, on/off switches, whole numbers
    and their bounds, IPv4 addresses, UUIDs, kernel versions, RHEL 5 releases, WWIDs, CPU
    lists, ports, rates, regular expressions, SELinux types, and a host that lists itself
    as a migration peer.

    Why: the generated files would carry a value xend, libvirt or the kernel rejects or
    misreads, and the guide's limits can only be checked on values that mean something.

    Example:
        bootloader grub      # pygrub
        autostart maybe
        vcpus 0

    Fix: take the hint's suggestion, or one of the values grammar/README.md lists for the
    statement.
    """

    code, name = "VR012", "invalid-value"
    fix, fix_title = "unsafe", 'a value in the wrong case is written as the language spells it (safe); a misspelt one becomes the closest value (unsafe)'


class RequiredSettingMissing(_Language):
    """The settings without a default are given.

    What it checks: a host says which hypervisor it runs; a guest on a Xen host says
    whether it is xen-pv or xen-hvm; every guest has a memory size (from itself or a
    template); a network that forwards (nat or route) has an address.

    Why: these decide which files are written and how (an xm config or a libvirt domain,
    a para-virtualized or an HVM kernel line), and no value is right for every fleet.

    Example:
        guest g on xen1 { memory 1G }       # xen-pv or xen-hvm?
        guest h on xen1 { type xen-pv }     # how much memory?

    Fix: add the setting to the host, the guest or its template.
    """

    code, name = "VR013", "required-setting-missing"


class InvalidDiskTarget(_Language):
    """A disk target is a device name the guest can have.

    What it checks: disk, cdrom and floppy targets are a prefix (hd, sd, xvd, vd, fd),
    lower-case letters and an optional partition number: hda, sdb, xvda, vdb, fda.

    Why: the target becomes the device name inside the guest and decides the bus
    (IDE, SCSI, Xen, virtio); a name outside these has no bus (guide §9).

    Example:
        disk xvdA tap:aio "/var/lib/libvirt/images/g.img"

    Fix: write the target in lower case with a known prefix (`xvda`).
    """

    code, name = "VR014", "invalid-disk-target"
    fix, fix_title = "safe", 'write the disk target in lower case'


class DeviceWithoutSource(_Language):
    """A device says what it is connected to.

    What it checks: a disk or floppy has an image or device path (a cdrom may be empty);
    a serial port of a kind that needs one has its path or host:port; an NFS export names
    its clients; an install from a URL has the tree's address.

    Why: xm and libvirt refuse a disk without a source, and an export without clients is
    an export to no one.

    Example:
        disk xvda tap:aio

    Fix: add the path: `disk xvda tap:aio "/var/lib/libvirt/images/NAME.img"`.
    """

    code, name = "VR015", "device-without-source"


class InvalidRange(_Language):
    """A guest range counts up.

    What it checks: in `guest web[FIRST..LAST]`, FIRST is not above LAST. (A range of more
    guests than virtc takes is VR042.)

    Why: a range that counts down stamps out no guest at all.

    Example:
        guest web[10..01] on xen1 { ... }

    Fix: write the smaller number first (`web[01..10]`).
    """

    code, name = "VR016", "invalid-range"


class TemplateCycle(_Language):
    """Template inheritance does not form a cycle.

    What it checks: `template A from B` and `template B from A`, directly or through
    other templates. The message lists the chain.

    Why: a guest takes its template's parent's statements first; in a cycle there is no
    first template.

    Example:
        template a from b { type xen-pv }
        template b from a { memory 1G }

    Fix: remove one `from`, or move the shared statements into a third template.
    """

    code, name = "VR017", "template-cycle"


class GuestOnOtherHost(_Language):
    """A guest declared inside a host block runs on that host.

    What it checks: a guest written inside `host H { ... }` whose `on` names another host.

    Why: the two places say different things; virtc does not choose between them.

    Example:
        host xen2 {
          guest g on xen1 { ... }
        }

    Fix: remove `on ...`, or move the guest out of the host's block.
    """

    code, name = "VR018", "guest-on-other-host"


class DriverForOtherHypervisor(_Language):
    """A disk driver belongs to the guest's hypervisor.

    What it checks: Xen guests do not use KVM's drivers `virtio` and `qemu`; KVM guests
    use qemu (virtio as the bus), and Xen's `phy`, `file` and `tap:aio` there only say
    whether the source is a device or a file.

    Why: xend has no virtio disk driver; a Xen guest with one would not start (guide §9:
    Xen para-virtualized disks are tap:aio or phy with an xvd target).

    Example:
        guest g on xen1 {
          type xen-pv; memory 1G
          disk xvda virtio "/var/lib/libvirt/images/g.img"
        }

    Fix: on Xen write `tap:aio` (image files) or `phy` (block devices) with an xvd target.
    """

    code, name = "VR019", "driver-for-other-hypervisor"


# ---------------------------------------------------------------- suppressions and configuration


class UnusedSuppression(_Language):
    """A suppression suppresses something.

    What it checks: `# virtc: ignore[CODE] reason` and `ignore-file[...]` comments whose
    code no finding in their statement, block or file has any more. A rule that is off in
    the configuration is not reported as unused. Reported as a warning.

    Why: a suppression outlives the problem it was written for; left in place it would
    silently hide the problem when it comes back.

    Example:
        disk xvda tap:aio "/var/lib/libvirt/images/g.img" size 8G  # virtc: ignore[VS109] scratch

    Fix: remove the comment (the disk is no longer sparse).
    """

    code, name, severity = "VR030", "unused-suppression", Severity.WARNING
    fix, fix_title = "safe", 'remove the unused code from the comment, or the whole comment'


class SuppressionWithoutReason(_Language):
    """A suppression says why.

    What it checks: `# virtc: ignore[CODE]` with nothing after the brackets. The
    suppression still works; this warning says that its reason is missing.

    Why: the next reader has to know whether the finding was judged harmless or only
    silenced; the reason is the record of that judgement.

    Example:
        disk xvda tap:aio "/var/lib/libvirt/images/g.img" sparse  # virtc: ignore[VS109]

    Fix: write the reason after the brackets: `# virtc: ignore[VS109] rebuilt nightly`.
    """

    code, name, severity = "VR031", "suppression-without-reason", Severity.WARNING


class InvalidSuppression(_Language):
    """A suppression is well-formed and names a rule.

    What it checks: comments that look like a directive (`# virtc ...`) but are not
    `# virtc: ignore[...]` or `# virtc: ignore-file[...]`, and codes or names in the
    brackets that are no rule (the hint suggests the nearest). The language's own codes
    (VP, VR, VT) cannot be suppressed, so naming one is reported here too. Reported as a
    warning.

    Why: a malformed or misspelt suppression suppresses nothing, while its author
    believes the finding is handled.

    Example:
        disk xvda ... sparse  # virtc: ignore[sparse-images] scratch disk
        disk xvdb ...         # virtc ignore VS109

    Fix: write `# virtc: ignore[CODE-OR-NAME] reason` with a name `virtc rules` lists.
    """

    code, name, severity = "VR032", "invalid-suppression", Severity.WARNING


class InvalidConfiguration(_Language):
    """virtc's configuration file is valid.

    What it checks: virtc.toml (or `[tool.virtc]` in pyproject.toml, or `--config FILE`)
    can be read as UTF-8, is TOML, has only the keys of schemas/config.schema.json, gives
    each code one of error, warning, info or off, and names only codes that exist.

    Why: a configuration that is silently half-applied would check with settings no one
    chose. virtc stops with exit code 2 and checks nothing.

    Example:
        [rules]
        VS109 = "warn"

    Fix: write the key or value the message and hint name (`VS109 = "warning"`).
    """

    code, name = "VR040", "invalid-configuration"


class InputOverLimit(_Language):
    """The input stays within virtc's own limits.

    What it checks: a .virt file is at most 4 MiB and 200,000 lines, includes nest at
    most 32 deep, and a guest range stamps out at most 10,000 guests. virtc's limits are
    one table (compiler/bounds.py; README, "Limits of the tool"); `virtc explain VR042`
    prints the ones this code reports.

    Why: these are not the guide's limits but the tool's: past them a file is a mistake
    (a range of millions is a typing error, an include chain of hundreds a loop of
    generated files), and checking it would take minutes. virtc says so at once instead.

    Example:
        guest web[1..100000] on xen1 { ... }

    Fix: split the file, the range or the chain of includes.
    """

    code, name = "VR042", "input-over-limit"


class HiddenErrorStopsCompiling(_Language):
    """An input whose errors are hidden still does not compile.

    What it checks: the .virt files have errors of the language (syntax, unknown names,
    bad values) that stop compiling, and the configuration (`VR012 = "warning"` or
    `"off"`) or an inline suppression hides every one of them. This one error remains,
    naming the first hidden one, so that `check`, `build` and `plan` still fail.

    Why: a statement the compiler cannot read gives no model to check or build from; a
    build that wrote nothing but exited 0 would look like a success.

    Example:
        # virtc.toml
        [rules]
        VR012 = "off"

    Fix: correct the input (the hidden finding says where), or stop hiding it.
    """

    code, name = "VR041", "hidden-error-stops-compiling"


# ---------------------------------------------------------------- the output tree


class OutputPathOutside(_Language):
    """Every output path stays inside the output folder.

    What it checks: each file a target would write has a relative, normalised path with no
    empty, `.` or `..` component, and only printable ASCII characters. The
    language refuses such names first (VR011), so this is the build's last line of
    defence: it names a target that made an unsafe path from a value.

    Why: `virtc build -o out` must never write outside `out`, whatever a .virt file says.
    The build writes nothing when any path is refused.

    Example:
        a network named so that its file would be ../../etc/passwd

    Fix: rename the host, guest or network the message names.
    """

    code, name = "VT001", "output-path-outside"


class OutputPathClash(_Language):
    """Two outputs do not want the same file.

    What it checks: no two files of the output tree have the same path, and no file's
    path is the folder of another (etc/xen/auto and etc/xen/auto/NAME).

    Why: one would overwrite the other and the host would get only one of them. The build
    writes nothing.

    Example:
        bridge xenbr0 on eth0
        bridge xenbr1 on eth0      # both write ifcfg-eth0 (VN117 with the rule on)

    Fix: give each bridge its own interface, or rename what the message names.
    """

    code, name = "VT002", "output-path-clash"
