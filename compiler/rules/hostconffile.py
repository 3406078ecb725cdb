"""Format-level rules for the host files the guide's procedures edit besides xend's:
/etc/sysctl.conf and /etc/modprobe.conf (targets/hostconf.py), /etc/sysconfig/iptables
(targets/iptables.py), /etc/exports (targets/exports.py), SELinux file contexts, booleans
and the commands that make them (targets/selinux.py), /etc/sysconfig/cpuspeed
(targets/cpuspeed.py).

The readers report what the file's own tool rejects or misreads (codes below, scope
READER); what the settings mean is checked on the model, with spans into the file, by
the rules that check the language's `sysctl`, `modprobe`, `firewall`, `export`, `images`
and `sebool` statements (VN, VS, VD, VL, VE).
"""
from __future__ import annotations

from ..diagnostics import Severity
from ..documents import Document
from .base import Rule, Scope
from .timekeeping import lacks_constant_tsc

NOT_CHECKABLE: dict[str, str] = {}


# ---------------------------------------------------------------- sysctl.conf


class SysctlSyntax(Rule):
    """Each line of sysctl.conf is KEY = VALUE.

    What it checks: lines that are not comments (# or ;) and have no '=', no key or no
    value.

    Why: the guide's bridge and forwarding settings are `key = value` lines appended to
    /etc/sysctl.conf and loaded with `sysctl -p /etc/sysctl.conf` (§7.3, lines 850-855;
    §10.2, lines 1587-1591; §10.1, line 1515). sysctl skips a line without '=' ("invalid
    syntax"), so the setting never reaches the kernel.

    Example:
        net.ipv4.ip_forward 1

    Fix: `net.ipv4.ip_forward = 1`.
    """

    code, name, severity = "VF801", "sysctl-syntax", Severity.ERROR
    checklist, section, lines = ("NET-08", "NET-19"), "§7.3", "850-855, 1515, 1587-1591"
    scope = Scope.READER


class SysctlUnknownKey(Rule):
    """sysctl.conf keys are kernel parameters, spelt as the kernel spells them.

    What it checks: a key whose first part is not one of /proc/sys's (net, kernel, vm,
    fs, dev, ...), an error; and a key a letter or two away from one the guide or RHEL 5's
    stock file sets (net.ipv4.ip_forward, net.bridge.bridge-nf-call-iptables ...), a
    warning with the key meant.

    Why: sysctl -p reports "unknown key" and goes on, so a misspelt bridge setting leaves
    bridged traffic filtered by iptables (§7.3, lines 848-852; §10.2, lines 1585-1589) and
    a misspelt ip_forward leaves NAT networks without forwarding (§18.4, line 3018).

    Example:
        net.bridge.bridge-nf-call-iptable = 0

    Fix: `net.bridge.bridge-nf-call-iptables = 0`.
    """

    code, name, severity = "VF802", "sysctl-unknown-key", Severity.WARNING
    checklist, section, lines = ("NET-08", "NET-19"), "§7.3", "848-852, 1585-1589, 3018"
    scope = Scope.READER


class SysctlTrailingComment(Rule):
    """A comment in sysctl.conf is a line of its own.

    What it checks: a '#' or ';' after a value.

    Why: sysctl.conf comments are whole lines; sysctl passes everything after '=' to the
    kernel, which refuses `0  # no netfilter on bridges` as a value, so the bridge
    setting of the guide (§7.3, lines 850-852) silently keeps its default.

    Example:
        net.bridge.bridge-nf-call-iptables = 0   # let bridged traffic through

    Fix: put the comment on the line above.
    """

    code, name, severity = "VF803", "sysctl-trailing-comment", Severity.ERROR
    checklist, section, lines = ("NET-19",), "§7.3", "850-855"
    scope = Scope.READER


# ---------------------------------------------------------------- modprobe.conf


class ModprobeUnknownCommand(Rule):
    """Each line of modprobe.conf starts with a modprobe command.

    What it checks: lines whose first word is not alias, options, install, remove,
    include or blacklist; a bare module name gets the hint to blacklist it.

    Why: modprobe ignores such lines with a warning. The guide writes the loop and pciback
    settings as `options` lines (§5.3, line 534; §14.4, lines 2697-2700), and its list of
    NICs to hide after installing the para-virtualized drivers is three bare module
    names, `8139cp`, `8139too`, `e1000` (§12.3.4, lines 2224-2226), which hide nothing:
    each needs `blacklist` in front.

    Example:
        8139cp

    Fix: `blacklist 8139cp` (in /etc/modprobe.d/blacklist).
    """

    code, name, severity = "VF811", "modprobe-unknown-command", Severity.ERROR
    checklist, section, lines = ("NET-34", "STO-12", "PCI-20"), "§12.3.4", "534, 2224-2226, 2697-2700"
    scope = Scope.READER


class ModprobeArguments(Rule):
    """modprobe.conf commands have the arguments they need, in the form modules read.

    What it checks: `options MODULE NAME=VALUE...` with a module and at least one
    parameter, each NAME or NAME=VALUE; `alias NAME MODULE`, `install MODULE COMMAND`,
    `blacklist MODULE`, `include FILE` complete; no comment after the arguments (modprobe
    would pass it to the module); pciback's hide list as (dddd:bb:ss.f) groups.

    Why: "options loop max_loop=64" (§5.3, line 534); "options pciback
    hide=(0000:09:00.0)", several devices as "hide=(0000:09:00.0)(0000:0a:04.1)" (§14.4,
    lines 2697-2700). A module refuses an argument it cannot parse and does not load: the
    loop driver then has its default 8 devices, and pciback hides nothing.

    Example:
        options loop max_loop 64

    Fix: `options loop max_loop=64`.
    """

    code, name, severity = "VF812", "modprobe-arguments", Severity.ERROR
    checklist, section, lines = ("STO-12", "PCI-20"), "§14.4", "534, 2697-2700"
    scope = Scope.READER


# ---------------------------------------------------------------- iptables


class IptablesSyntax(Rule):
    """/etc/sysconfig/iptables is iptables-save output that iptables-restore accepts.

    What it checks: tables (*filter ... COMMIT), chain lines (:CHAIN POLICY), and rule
    lines (-A CHAIN options): an unknown table, a table without COMMIT, a rule outside a
    table, a chain used before it is declared, an option without its value, a stray word,
    an unknown target, a shell command pasted into the file.

    Why: the guide changes the firewall with iptables commands and saves them with
    `service iptables save` (§7.3, lines 841-844; §10.2, lines 1580-1582), which writes
    this file; at boot the iptables service restores it, all or nothing: one line
    iptables-restore refuses and the host starts with no rules at all, so the ports of
    §18.4 (lines 3005-3017) are neither opened nor closed as meant.

    Example:
        -A RH-Firewall-1-INPUT -p tcp --dport 8002 -j accept

    Fix: `-j ACCEPT` (targets are upper case); edit with iptables commands and `service
    iptables save` rather than by hand.
    """

    code, name, severity = "VF821", "iptables-syntax", Severity.ERROR
    checklist, section, lines = ("NET-19", "MIG-10"), "§18.4", "841-844, 1580-1582, 3005-3017"
    scope = Scope.READER


class IptablesPort(Rule):
    """iptables ports are numbers (ranges written FIRST:LAST) of a tcp or udp rule.

    What it checks: --dport and --sport values that are not a port from 0 to 65535 or a
    range with ':'; a range written with '-' (as the guide writes 49152-49216); a
    descending range; --dport without -p tcp or -p udp; --dports without -m multiport,
    or more than 15 ports in it.

    Why: the ports to open are "8002 ... for live migration" and "49152 to 49216 ... for
    migrations with KVM" (§18.4, lines 3016-3017; §21.1, line 3430). iptables writes the
    range 49152:49216; `--dport 49152-49216` makes iptables-restore refuse the whole table
    (VF821), leaving the host without its firewall.

    Example:
        -A INPUT -p tcp -m tcp --dport 49152-49216 -j ACCEPT

    Fix: `--dport 49152:49216`.
    """

    code, name, severity = "VF822", "iptables-port", Severity.ERROR
    checklist, section, lines = ("MIG-10",), "§18.4", "3016-3017, 3430"
    scope = Scope.READER


class IptablesBridgedRuleOrder(Rule):
    """The bridged-traffic FORWARD rule comes before the rule that rejects forwarded traffic.

    What it checks: a FORWARD rule `-m physdev --physdev-is-bridged -j ACCEPT` placed
    after a rule that already decides for every forwarded packet (RHEL 5's stock `-A
    FORWARD -j RH-Firewall-1-INPUT`, which ends in REJECT).

    Why: the guide inserts the rule at the top, `iptables -I FORWARD -m physdev
    --physdev-is-bridged -j ACCEPT`, then saves it (§7.3, lines 842-844; §10.2, lines
    1580-1582). Appended (-A) after the reject, it is never reached and guests on the
    bridges stay cut off.

    Example:
        -A FORWARD -j RH-Firewall-1-INPUT
        -A FORWARD -m physdev --physdev-is-bridged -j ACCEPT

    Fix: put the physdev rule first in FORWARD (iptables -I FORWARD ...; service iptables
    save).
    """

    code, name, severity = "VF823", "iptables-bridged-rule-order", Severity.WARNING
    checklist, section, lines = ("NET-19",), "§7.3", "842-844, 1580-1582"
    scope = Scope.READER


# ---------------------------------------------------------------- /etc/exports


class ExportsSpaceBeforeOptions(Rule):
    """In /etc/exports a client and its options are written together: host(rw).

    What it checks: a client followed by a space and then its parenthesised options.

    Why: exportfs reads `host (rw,no_root_squash)` as two clients: host with the default
    options (read-only, root squashed) and every host on the network with the options,
    read-write. The guide writes the client and options together,
    `*.example.com(rw,no_root_squash,async)` (§21.2, line 3443; §20.1, line 3132), and
    asks to restrict the export to the migration hosts (line 3445).

    Example:
        /var/lib/libvirt/images *.example.com (rw,no_root_squash,async)

    Fix: `/var/lib/libvirt/images *.example.com(rw,no_root_squash,async)`.
    """

    code, name, severity = "VF831", "exports-space-before-options", Severity.ERROR
    checklist, section, lines = ("MIG-22",), "§21.2", "3132, 3443-3445"
    scope = Scope.READER


class ExportsSyntax(Rule):
    """Each /etc/exports line is an absolute directory and its clients with closed option lists.

    What it checks: a line that does not start with an absolute path (or an unclosed
    quote in it), a client whose option list is not closed or has a space inside, an
    empty option list.

    Why: "add the default image directory to /etc/exports:
    /var/lib/libvirt/images *.example.com(rw,no_root_squash,async)" (§21.2, lines
    3441-3443). exportfs refuses a line it cannot parse, so the directory is not
    exported and migration between the hosts that mount it fails.

    Example:
        /var/lib/libvirt/images *.example.com(rw, no_root_squash)

    Fix: `/var/lib/libvirt/images *.example.com(rw,no_root_squash)`.
    """

    code, name, severity = "VF832", "exports-syntax", Severity.ERROR
    checklist, section, lines = ("MIG-22",), "§21.2", "3441-3443"
    scope = Scope.READER


class ExportsUnknownOption(Rule):
    """/etc/exports options are ones exportfs knows.

    What it checks: each option of a client's list (and of a line's -defaults) against
    exports(5) of RHEL 5's nfs-utils, with the option probably meant.

    Why: the guide's options are rw, no_root_squash and async (§20.1, line 3132; §21.2,
    line 3443). exportfs refuses a line with an unknown option, so a misspelt
    no_root_squash loses the whole export.

    Example:
        /var/lib/libvirt/images *.example.com(rw,no_root_sqash,async)

    Fix: `no_root_squash`.
    """

    code, name, severity = "VF833", "exports-unknown-option", Severity.ERROR
    checklist, section, lines = ("MIG-22",), "§21.2", "3132, 3443"
    scope = Scope.READER


class ExportsNoClient(Rule):
    """An /etc/exports line names its clients.

    What it checks: a line with a directory and nothing after it.

    Why: exportfs then exports the directory to every host with the default options;
    the guide names the clients and tells the reader to "change the host parameter to
    suit your environment" (§21.2, lines 3443-3445).

    Example:
        /var/lib/libvirt/images

    Fix: `/var/lib/libvirt/images *.example.com(rw,no_root_squash,async)`.
    """

    code, name, severity = "VF834", "exports-no-client", Severity.WARNING
    checklist, section, lines = ("MIG-22",), "§21.2", "3443-3445"
    scope = Scope.READER


# ---------------------------------------------------------------- SELinux


class FcontextSyntax(Rule):
    """SELinux file contexts are REGEX [FILE-TYPE] user:role:type:level; semanage gets -t and one pattern.

    What it checks: in file_contexts.local, a line that is not 2 or 3 fields, a file type
    other than -- -d -b -c -l -p -s, a context not of the form user:role:type[:level], a
    pattern that does not start with '/', a command written into the file; in a script,
    `semanage fcontext -a` without -t TYPE or without exactly one pattern, and an
    unclosed quote.

    Why: "semanage fcontext -a -t xen_image_t "/virtstorage(/.*)?"" appends
    "/virtstorage(/.*)?    system_u:object_r:xen_image_t:s0" to
    /etc/selinux/targeted/contexts/files/file_contexts.local (§18.2, lines 2975-2981);
    block devices take `-f -b` (§18.3, line 2991). restorecon and setfiles stop at an
    invalid line, so the images keep a label the guests cannot use.

    Example:
        /virtstorage(/.*)?    xen_image_t

    Fix: `/virtstorage(/.*)?    system_u:object_r:xen_image_t:s0`.
    """

    code, name, severity = "VF841", "fcontext-syntax", Severity.ERROR
    checklist, section, lines = ("SEC-05", "SEC-06"), "§18.2", "2975-2991"
    scope = Scope.READER


class FcontextImageType(Rule):
    """An image directory's file context names an image type that exists.

    What it checks: a context type a letter or two away from xen_image_t, virt_image_t or
    tgtd_var_lib_t (a misspelling; other types are not image directories and are only
    named as not modelled).

    Why: images need "the virt_image_t label" (§18.2, line 2960), xen_image_t for a Xen
    folder (lines 2975, 2981); semanage refuses an unknown type, and a hand-edited
    file_contexts.local with one breaks restorecon.

    Example:
        /virtstorage(/.*)?    system_u:object_r:xen_img_t:s0

    Fix: `system_u:object_r:xen_image_t:s0`.
    """

    code, name, severity = "VF842", "fcontext-image-type", Severity.WARNING
    checklist, section, lines = ("SEC-05",), "§18.2", "2960, 2975-2981"
    scope = Scope.READER


class FcontextDirectoryOnly(Rule):
    """An image directory's context covers what is inside it: DIR(/.*)?.

    What it checks: an image-type context whose pattern is a bare directory (no file
    type, not under /dev, no '.' in its last part), which labels the directory alone.

    Why: the guide labels "/virtstorage(/.*)?" (§18.2, lines 2975-2981), the directory
    and everything in it; images created in a directory labelled without it inherit
    default_t, and "SELinux prevents guest images from loading" (line 2960).

    Example:
        semanage fcontext -a -t xen_image_t /virtstorage

    Fix: `semanage fcontext -a -t xen_image_t "/virtstorage(/.*)?"`.
    """

    code, name, severity = "VF843", "fcontext-directory-only", Severity.WARNING
    checklist, section, lines = ("SEC-05",), "§18.2", "2960, 2975-2981"
    scope = Scope.READER


class SemanageUnquotedPattern(Rule):
    """A semanage pattern with parentheses is quoted in a shell script.

    What it checks: `semanage fcontext` whose pattern has an unquoted '(' or ')'.

    Why: the guide quotes it, `semanage fcontext -a -t xen_image_t "/virtstorage(/.*)?"`
    (§18.2, lines 2975, 2978); unquoted, the shell stops at the parenthesis ("syntax
    error near unexpected token `('") and the directory is never labelled.

    Example:
        semanage fcontext -a -t xen_image_t /virtstorage(/.*)?

    Fix: `semanage fcontext -a -t xen_image_t "/virtstorage(/.*)?"`.
    """

    code, name, severity = "VF844", "semanage-unquoted-pattern", Severity.ERROR
    checklist, section, lines = ("SEC-05",), "§18.2", "2975, 2978"
    scope = Scope.READER


class SeboolSyntax(Rule):
    """SELinux booleans are set as NAME=1|0 in booleans.local and NAME on|off with setsebool.

    What it checks: booleans.local lines that are not NAME=VALUE with 1, 0, true or false
    (libselinux reads no other value there), a setsebool command written into that file,
    and setsebool commands without NAME VALUE or with a value other than on, off, 1, 0,
    true, false.

    Why: "setsebool -P virt_use_sysfs 1" (§14.1, lines 2607-2608) and the KVM booleans
    with their defaults (§18.3, lines 2994-3003). A boolean that is not set stays at its
    default: qemu_use_comm off, virt_use_sysfs off.

    Example:
        virt_use_sysfs=on

    Fix: `virt_use_sysfs=1` (booleans.local) or `setsebool -P virt_use_sysfs on`.
    """

    code, name, severity = "VF851", "sebool-syntax", Severity.ERROR
    checklist, section, lines = ("SEC-10", "PCI-13"), "§18.3", "2607-2608, 2994-3003"
    scope = Scope.READER


class SeboolNotPersistent(Rule):
    """setsebool in a setup script uses -P.

    What it checks: `setsebool` without -P.

    Why: the guide sets booleans with -P, "setsebool -P virt_use_sysfs 1" (§14.1, line
    2608), which writes them to the policy; without it the boolean is back at its default
    after the next reboot and PCI passthrough or serial devices fail then.

    Example:
        setsebool virt_use_sysfs 1

    Fix: `setsebool -P virt_use_sysfs 1`.
    """

    code, name, severity = "VF852", "sebool-not-persistent", Severity.WARNING
    checklist, section, lines = ("PCI-13",), "§14.1", "2607-2608"
    scope = Scope.READER


class SeboolUnknown(Rule):
    """SELinux boolean names are spelt as the policy spells them.

    What it checks: a boolean a letter or two away from one the guide names
    (virt_use_sysfs, qemu_use_comm, qemu_use_nfs, qemu_full_network, xend_disable_t ...).

    Why: the KVM booleans of §18.3 (lines 2994-3003) and virt_use_sysfs for PCI
    assignment (§14.1, line 2608); setsebool refuses an unknown name and a hand-written
    booleans.local line with one is ignored, so the boolean keeps its default.

    Example:
        setsebool -P virt_use_sysf 1

    Fix: `setsebool -P virt_use_sysfs 1`.
    """

    code, name, severity = "VF853", "sebool-unknown", Severity.WARNING
    checklist, section, lines = ("SEC-10", "PCI-13"), "§18.3", "2608, 2994-3003"
    scope = Scope.READER


class SelinuxMode(Rule):
    """/etc/selinux/config names one of the three SELinux modes.

    What it checks: the SELINUX= line of /etc/selinux/config: enforcing, permissive or
    disabled.

    Why: the guide keeps SELinux enforcing on virtualization hosts and labels images for
    it (§17, §18.2, lines 2933-2935, 2947); the host's mode decides whether the image
    label rules apply. An unknown value is ignored at boot, so the host is not in the mode
    the file seems to say.

    Example:
        SELINUX=enforced

    Fix: write SELINUX=enforcing (or permissive, disabled).
    """

    code, name, severity = "VF854", "selinux-mode", Severity.ERROR
    checklist, section, lines = ("SEC-11",), "§18.2", "2933-2935, 2947, 2959"
    scope = Scope.READER


# ---------------------------------------------------------------- cpuspeed


class CpuspeedSyntax(Rule):
    """/etc/sysconfig/cpuspeed is KEY=value shell assignments.

    What it checks: lines that are not KEY=value, and values that are not one plain word
    (unquoted spaces, command substitution).

    Why: the cpuspeed service sources the file with bash; the guide edits MIN_SPEED and
    MAX_SPEED in it (§16, line 2897). A line bash cannot read as an assignment is a
    command, and the frequencies keep their defaults.

    Example:
        MAX_SPEED = 2400000

    Fix: `MAX_SPEED=2400000`.
    """

    code, name, severity = "VF861", "cpuspeed-syntax", Severity.ERROR
    checklist, section, lines = ("TIME-04",), "§16", "2897"
    scope = Scope.READER


class CpuspeedFrequencyPinned(Rule):
    """On a KVM host without constant_tsc, cpuspeed pins the CPU at its highest frequency.

    What it checks: /etc/sysconfig/cpuspeed whose MIN_SPEED and MAX_SPEED are not both
    set to the same value. A warning when the host being checked is a KVM host whose CPU
    flags lack constant_tsc; when the CPU flags are not known (no capabilities), a note;
    nothing when they show constant_tsc.

    Why: "disable cpufreq by editing /etc/sysconfig/cpuspeed (only needed on hosts without
    constant_tsc) and set MIN_SPEED and MAX_SPEED to the highest frequency; the valid
    values are in /sys/devices/system/cpu/cpu*/cpufreq/scaling_available_frequencies"
    (§16, line 2897). A TSC that changes with the CPU frequency makes KVM guest clocks
    drift (lines 2887-2891).

    Example:
        MIN_SPEED=1000000
        MAX_SPEED=2400000

    Fix: `MIN_SPEED=2400000` and `MAX_SPEED=2400000` (the highest available frequency).
    """

    code, name, severity = "VF862", "cpuspeed-frequency-pinned", Severity.WARNING
    checklist, section, lines = ("TIME-04",), "§16", "2887-2897"
    scope = Scope.DOCUMENT
    formats = ("cpuspeed",)

    def document(self, doc: Document):
        hosts = self.ctx.model.hosts if self.ctx else ()
        if any(h.hypervisor == "kvm" and lacks_constant_tsc(h) for h in hosts):
            severity = None
        elif any(h.cpu.flags for h in hosts):
            return  # the host's CPUs keep a constant TSC, or it is not a KVM host
        else:
            severity = Severity.INFO
        low, high = doc.get("MIN_SPEED"), doc.get("MAX_SPEED")
        if not doc.entries or low is not None and high is not None and low.value and low.value == high.value:
            return  # (a file with no settings at all has nothing to point at)
        where = (low or high or doc.entries[0]).span
        now = f"MIN_SPEED={low.value if low else ''} and MAX_SPEED={high.value if high else ''}"
        yield self.report(f"{now}: the CPU frequency is not pinned, so a host without constant_tsc changes its "
                          "TSC rate and KVM guests' clocks drift"
                          + ("" if severity is None else " (whether this host lacks constant_tsc is not known: "
                             "give its capabilities)"), where, severity=severity,
                          hint="set both to the highest value in /sys/devices/system/cpu/cpu0/cpufreq/"
                               "scaling_available_frequencies")
