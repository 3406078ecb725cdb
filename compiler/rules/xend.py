"""Xen daemon and xm config rules (checklist area XEN).

The host's `xend KEY VALUE` statements are the settings the user states for
/etc/xen/xend-config.sxp (virtc writes the file from them plus the defaults); the guest
rules check what the model says about a Xen guest's xm config (its UUID, its kernel,
settings that only fully virtualized guests use). The syntax of existing xm files is
checked by their reader (compiler/rules/xmfile.py).
"""
from __future__ import annotations

from ..certificates import missing
from ..diagnostics import Related, Severity
from ..model import Guest, Host, Setting
from ..netscript import script_name, split
from ..suggest import did_you_mean
from ..units import KIB, format_kib
from .base import Rule, Scope
from ..values import is_number

# Checklist items of this area that no rule implements, and why (see compiler/coverage.py).
NOT_CHECKABLE: dict[str, str] = {
    "XEN-13": "no field: /etc/sysconfig/xend (XENCONSOLED_LOG_GUESTS=yes) is not described; a host statement "
              "such as `xend-sysconfig XENCONSOLED_LOG_GUESTS yes` would be needed",
    "XEN-27": "emitter: the xm writer fills the parser defaults (memory, vcpus, boot 'c', vncunused 1, ...) "
              "from the model, whose own defaults the language applies",
    "XEN-29": "emitter: the shape of a typical PV xm config (name, memory, disk, vif, vnc, uuid, bootloader, "
              "vcpus, on_*) is what the xm writer produces",
    "XEN-30": "operational: `xm create NAME` reads ./NAME before /etc/xen/NAME; virtc writes /etc/xen/NAME and "
              "runs no xm command",
    "XEN-31": "operational: xm vnet-list is a command, not configuration",
    "XEN-32": "operational: stale vmlinuz.*/initrd.* files in /var/lib/xen are cleaned up by hand",
    "XEN-33": "explain: where Xen keeps configs, logs, images and dumps (the log directory is /var/log/xen or "
              "/var/log, C-24; VX103 accepts any absolute logfile)",
    "XEN-34": "no field: virtual TPM devices (xm vtpm=instance=N,backend=DOM) are not in the model; a guest "
              "`vtpm` statement would be needed",
    "XEN-36": "explain: chapter 30's summary of libvirt parameters (memory in MB there, KiB in the XML "
              "examples, C-16)",
}


def _xen_settings(h: Host) -> list[Setting]:
    return list(h.xend) if h.hypervisor == "xen" else []


def _types(rule: Rule) -> dict[str, str]:
    return rule.limit("xend.keys").value


def _host_cpus(h: Host) -> int | None:
    return h.cpu.threads or h.cpu.cores


class XendEnabled(Rule):
    """xend runs on Xen hosts, and only there.

    What it checks: a Xen host with `services off xend`; and, as warnings, a KVM host
    with `xend` settings, which nothing reads there, or with `services on xend`, which
    cannot start without the hypervisor.

    Why: "the xend node control daemon ... must be running to interact with virtual
    machines", and its parameters are set in /etc/xen/xend-config.sxp before it is
    started (§19, line 3026). It is started at boot with `chkconfig --level 345 xend`
    (lines 3074-3078; the command lacks `on`, contradiction C-58), so runlevels 3, 4 and
    5 start it. xend-config.sxp serves migration and features libvirt does not
    configure (§36.1, line 6262); a KVM host runs libvirtd, not xend, and xend started
    without the hypervisor fails with "Could not obtain handle on privileged command
    interfaces" (§34.9, lines 5812-5829).

    Example:
        host xen1 { hypervisor xen; services off xend }

    Fix: `services on xend` (chkconfig --level 345 xend on); remove xend settings from
    KVM hosts.
    """

    code, name, severity = "VX101", "xend-enabled", Severity.ERROR
    checklist, section, lines = ("XEN-01", "XEN-11", "XEN-35"), "§19", "3026, 3074-3078, 5812-5829, 6262"
    scope = Scope.HOST
    when = ("services_off", "services_on", "xend")

    def host(self, h: Host, guests):
        if h.hypervisor == "xen" and "xend" in h.services_off and "xend" not in h.services_on:
            related = [Related(g.span, f"guest {g.name} is managed through xend") for g in guests[:1]]
            yield self.report(f"Xen host {h.name} turns xend off; guests cannot be created or managed "
                              "without it", h.fields.get("services") or h.span, h.owner, related=related,
                              hint="write `services on xend` (chkconfig --level 345 xend on)")
        if h.hypervisor != "kvm":
            return
        if h.xend:
            first = h.xend[0]
            yield self.report(f"KVM host {h.name} has xend settings ({', '.join(s.key for s in h.xend)}); xend "
                              "and xend-config.sxp belong to Xen hosts", first.span, h.owner,
                              severity=Severity.WARNING, hint="remove the `xend` statements from this host")
        if "xend" in h.services_on:
            yield self.report(f"KVM host {h.name} turns xend on; without the Xen hypervisor it fails to start "
                              "(\"Could not obtain handle on privileged command interfaces\")",
                              h.fields.get("services") or h.span, h.owner, severity=Severity.WARNING,
                              hint="write `services off xend` (or leave it out)")


class XendUnknownKey(Rule):
    """xend settings use keys xend-config.sxp has.

    What it checks: the key of each `xend KEY VALUE` of a Xen host against the guide's
    table 19.1 (plus xend-relocation-hosts-allow, vnc-tls and vnc-x509-verify, which
    other sections use) and the other keys of RHEL 5's stock xend-config.sxp (vif-script,
    vnc-listen, xend-tcp-xmlrpc-server, ...). xend ignores a key it does not know, so a
    misspelt one silently keeps the default. `min-mem`, the table's name, is a warning:
    the key xend reads is dom0-min-mem.

    Why: "the following parameters can be enabled or disabled in the xend-config.sxp
    configuration file" (§19, lines 3026-3060). Table 19.1 calls dom0's reserved memory
    "(min-mem): the minimum memory in megabytes reserved for domain0 (0 leaves it
    unchanged)" (lines 3031-3032); xend-config.sxp spells it (dom0-min-mem).

    Contradiction C-30: §20 gives hosts-allow once as (xend-relocation-hosts-allow
    '^localhost$ ^localhost\\.localdomain$') (line 3115) and once, malformed, as
    (xend-relocation-hosts-allow- '^localhost\\.localdomain$' )> (line 3402). The first
    is the key; the second is reported as unknown with a suggestion.

    Example:
        xend xend-relocation-hosts-allow- "^peer\\.example\\.com$"

    Fix: `xend xend-relocation-hosts-allow "^peer\\.example\\.com$"`; `xend dom0-min-mem 256`.
    """

    code, name, severity = "VX102", "xend-unknown-key", Severity.ERROR
    checklist, section, lines = ("XEN-01", "XEN-03"), "§19", "3026-3060, 3109-3115, 3402"
    scope = Scope.HOST
    when = ("xend",)
    hypervisors = ("xen",)
    uses = ("xend.keys",)

    def host(self, h: Host, guests):
        keys = self.limit("xend.keys")
        for s in _xen_settings(h):
            if s.key == "min-mem":
                yield self.report(f"xend min-mem of host {h.name}: the guide's table names it min-mem, but xend "
                                  "reads dom0-min-mem and ignores min-mem", s.span, h.owner,
                                  severity=Severity.WARNING, hint=f"write `xend dom0-min-mem {s.value}`")
            elif s.key not in keys.value:
                yield self.report(f"xend-config.sxp has no key '{s.key}' (host {h.name}); xend would ignore it",
                                  s.span, h.owner, limit=keys,
                                  hint=did_you_mean(s.key.rstrip("-"), keys.value) or
                                  "see table 19.1 of the guide for the keys")


class XendSettingValue(Rule):
    """xend settings have values of the kind their key takes.

    What it checks: for the keys of a Xen host's `xend` statements: loglevel is DEBUG,
    INFO, WARNING, ERROR or CRITICAL; yes/no settings (xend-http-server,
    xend-unix-server, xend-relocation-server, enable-dump, ...) are yes or no (xend also
    takes y/n, 1/0, on/off, true/false); vnc-tls and vnc-x509-verify are 0 or 1;
    console-limit and dom0-min-mem are whole numbers, dom0-min-mem below the host's RAM;
    logfile, xend-unix-path and other paths are absolute.

    Why: table 19.1 (§19, lines 3029-3060): console-limit is "the console server's memory
    buffer limit ... per domain"; (min-mem) is in megabytes (lines 3031-3032);
    enable-dump defaults to 0 (line 3036); loglevel filters with "DEBUG, INFO, WARNING,
    ERROR or CRITICAL (default DEBUG)" (line 3042); the http server is off and the UNIX
    socket server on by default (lines 3045-3048). xend stops at start-up with "invalid
    xend config" for a yes/no value it cannot read.

    Contradiction C-24: logfile's default is /var/log/xend.log (line 3040, also line
    5768) while §34.2 keeps all Xen logs in /var/log/xen/ (lines 5741, 6236). Both are
    accepted; only a relative path is an error.

    Example:
        xend loglevel debug

    Fix: `xend loglevel DEBUG`.
    """

    code, name, severity = "VX103", "xend-setting-value", Severity.ERROR
    checklist, section, lines = ("XEN-02", "XEN-03", "XEN-05", "XEN-07", "XEN-09"), "§19", \
        "3029-3048, 5741, 5768"
    scope = Scope.HOST
    when = ("xend",)
    hypervisors = ("xen",)
    uses = ("xend.keys", "xend.loglevels", "xend.bool_values")

    def host(self, h: Host, guests):
        types = _types(self)
        for s in _xen_settings(h):
            kind = types.get(s.key)
            problem = self.problem(h, s, kind)
            if problem:
                message, hint, limit = problem
                yield self.report(f"xend {s.key} {s.value!r} of host {h.name}: {message}", s.span, h.owner,
                                  hint=hint, limit=limit,
                                  related=[Related(h.fields.get("memory") or h.span, "host memory stated here")]
                                  if kind == "mib" and is_number(s.value) else ())

    def problem(self, h: Host, s: Setting, kind: str | None):
        value = s.value
        if kind == "loglevel":
            levels = self.limit("xend.loglevels")
            if value not in levels.value:
                return (f"loglevel takes {', '.join(levels.value)}",
                        f"write {value.upper()}" if value.upper() in levels.value else "write DEBUG", levels)
        elif kind == "bool":
            spellings = self.limit("xend.bool_values")
            if value.lower() not in spellings.value["true"] + spellings.value["false"]:
                return "xend reads this as yes or no and refuses to start on anything else", "write yes or no", \
                    spellings
        elif kind == "01":
            if value not in ("0", "1"):
                return "this setting is 1 (on) or 0 (off)", "write 1 or 0", None
        elif kind in ("int", "mib"):
            if not is_number(value):
                return "needs a whole number" + (" of MiB" if kind == "mib" else ""), None, None
            if kind == "mib" and h.memory_kib and int(value) * KIB >= h.memory_kib:
                return (f"{value} MiB reserved for dom0 is not below the host's {format_kib(h.memory_kib)} of RAM",
                        "dom0-min-mem is in MiB, not KiB", None)
        elif kind == "path":
            if not value.startswith("/"):
                return "needs an absolute path", None, None
        return None


class XendDom0Cpus(Rule):
    """xend's dom0-cpus is a CPU count the host has.

    What it checks: `xend dom0-cpus N` on a Xen host: a whole number, not above the
    host's logical CPUs (`cpu threads`, else `cores`); and, as a warning, not above
    dom0's vCPUs (`dom0 vcpus`, dom0_max_vcpus), which is all dom0 has to bring online.
    0 means all CPUs.

    Why: "(dom0-cpus) determines the number of CPUs domain0 uses (by default at least
    one CPU is assigned)" (§19, lines 3033-3034). dom0 sees only dom0_max_vcpus CPUs
    (§28, line 4608).

    Example:
        host x { hypervisor xen; cpu intel cores 4 threads 8; xend dom0-cpus 16 }

    Fix: `xend dom0-cpus 2` (or 0 for all), within `dom0 vcpus`.
    """

    code, name, severity = "VX104", "xend-dom0-cpus", Severity.ERROR
    facts = ("cpu",)
    checklist, section, lines = ("XEN-04",), "§19", "3033-3034, 4608"
    scope = Scope.HOST
    when = ("xend",)
    hypervisors = ("xen",)

    def host(self, h: Host, guests):
        s = h.setting("xend", "dom0-cpus") if h.hypervisor == "xen" else None
        if s is None:
            return
        if not is_number(s.value):
            yield self.report(f"xend dom0-cpus {s.value!r} of host {h.name} is not a whole number", s.span,
                              h.owner, hint="write a CPU count, or 0 for all")
            return
        n, cpus = int(s.value), _host_cpus(h)
        cpu_span = h.fields.get("cpu") or h.span
        if cpus and n > cpus:
            yield self.report(f"xend dom0-cpus {n} of host {h.name} is more than its {cpus} logical CPUs", s.span,
                              h.owner, related=(Related(cpu_span, "host CPUs stated here"),),
                              hint=f"write at most {cpus} (or 0 for all)")
        elif h.dom0_vcpus and n > h.dom0_vcpus:
            yield self.report(f"xend dom0-cpus {n} of host {h.name} is more than dom0's {h.dom0_vcpus} vCPUs "
                              "(dom0_max_vcpus)", s.span, h.owner, severity=Severity.WARNING,
                              related=(Related(h.fields.get("dom0_vcpus") or h.span, "dom0 vcpus stated here"),),
                              hint=f"write at most {h.dom0_vcpus}")


class ExternalMigrationTool(Rule):
    """xend's external-migration-tool lives in /etc/xen/scripts/external-device-migrate/.

    What it checks: `xend external-migration-tool PATH` on a Xen host: empty (the
    default) or a path in /etc/xen/scripts/external-device-migrate (the directory, or the
    script of that name RHEL 5 installs).

    Why: "(external-migration-tool) determines the script or application that handles
    the migration of external devices. The script must be in the
    /etc/xen/scripts/external-device-migrate/ directory" (§19, lines 3037-3038).

    Example:
        xend external-migration-tool "/usr/local/bin/migrate-devs"

    Fix: install the script as /etc/xen/scripts/external-device-migrate/migrate-devs and
    name that path.
    """

    code, name, severity = "VX105", "external-migration-tool", Severity.ERROR
    checklist, section, lines = ("XEN-06",), "§19", "3037-3038"
    scope = Scope.HOST
    when = ("xend",)
    hypervisors = ("xen",)

    PLACE = "/etc/xen/scripts/external-device-migrate"

    def host(self, h: Host, guests):
        s = h.setting("xend", "external-migration-tool") if h.hypervisor == "xen" else None
        if s is None or not s.value or s.value == self.PLACE or s.value.startswith(self.PLACE + "/"):
            return
        base = s.value.rsplit("/", 1)[-1]
        yield self.report(f"external-migration-tool {s.value} of host {h.name} is outside {self.PLACE}/",
                          s.span, h.owner, hint=f"install it as {self.PLACE}/{base} and name that path")


class XendScriptLocation(Rule):
    """xend's network-script and vif-script are scripts in /etc/xen/scripts.

    What it checks: the script (first word) of `xend network-script` and `xend
    vif-script` on a Xen host when it is given as a path: it must be /bin/true (no
    script) or lie in /etc/xen/scripts/. Whether a script of that name exists there is
    VN116's check (NET-24), which also handles contradiction C-28 (network-xen-multi-bridge
    configured, network-xen-multi-bridge.sh created, lines 1634 and 1664).

    Why: "(network-script) determines the script used to start the network environment
    (the script must be in the /etc/xen/scripts/ directory)" (§19, lines 3043-3044). §10.2
    turns it off with (network-script /bin/true) (lines 1535-1537); §11.2 passes
    arguments after the name (line 1706). vif scripts live in the same directory.

    Example:
        xend network-script "/usr/local/sbin/my-bridges start"

    Fix: install the script as /etc/xen/scripts/my-bridges and write `xend network-script
    my-bridges`.
    """

    code, name, severity = "VX106", "xend-script-location", Severity.ERROR
    checklist, section, lines = ("XEN-08",), "§19", "1535-1537, 1706, 3043-3044"
    scope = Scope.HOST
    when = ("xend",)
    hypervisors = ("xen",)
    uses = ("xen.network_script_off",)

    DIR = "/etc/xen/scripts/"

    def host(self, h: Host, guests):
        off = self.limit("xen.network_script_off").value
        for s in _xen_settings(h):
            if s.key not in ("network-script", "vif-script"):
                continue
            words = s.value.split()
            script = words[0] if words else ""
            if not script.startswith("/") or script.startswith(self.DIR) or \
                    (s.key == "network-script" and script == off):
                continue
            base = script.rsplit("/", 1)[-1]
            yield self.report(f"xend {s.key} {script} of host {h.name} is outside {self.DIR}", s.span, h.owner,
                              hint=f"install it as {self.DIR}{base} and write `xend {s.key} {base}`"
                                   + (f" (or {off} to leave bridging to the network scripts)"
                                      if s.key == "network-script" else ""))


class XendScriptMissing(Rule):
    """The scripts xend is told to run are files of the host's /etc/xen/scripts.

    What it checks: on a Xen host read from a tree that holds /etc/xen/scripts, the
    script (first word) of (network-script ...) and (vif-script ...) in xend-config.sxp
    and the script= of each vif (`<script path=.../>` in domain XML), when it is a bare
    name or a path in /etc/xen/scripts: a file of exactly that name must be there. A tree
    without the folder says nothing about it (VN116 then compares network-script with the
    names xen ships); a copy of the folder without any of xen's own network and vif
    scripts is taken as partial, and only the other names are checked against it.

    Why: "(network-script) determines the script used to start the network environment
    (the script must be in the /etc/xen/scripts/ directory)" (§19, lines 3043-3044); the
    multi-bridge procedure creates its script there (§11.1, lines 1628-1664), and
    contradiction C-28 shows how easily the name configured (network-xen-multi-bridge,
    line 1634) and the file created (network-xen-multi-bridge.sh, line 1664) part. xend
    joins the name to /etc/xen/scripts and runs it: without the file no bridge is made at
    xend start, and a vif whose script is missing is never connected.

    Example:
        (network-script network-xen-multi-bridge)    # the folder holds network-xen-multi-bridge.sh

    Fix: name the file exactly as it is (`(network-script network-xen-multi-bridge.sh)`),
    or copy the script into /etc/xen/scripts under the name configured (chmod +x).
    """

    code, name, severity = "VX111", "xend-script-missing", Severity.ERROR
    checklist, section, lines = ("XEN-08", "NET-24"), "§19", "1628-1664, 3043-3044"
    scope = Scope.HOST
    hypervisors = ("xen",)
    uses = ("xen.network_script_off", "xen.stock_scripts")

    def host(self, h: Host, guests):
        if h.hypervisor != "xen" or h.xen_scripts is None:
            return
        have = set(h.xen_scripts)
        stock = self.limit("xen.stock_scripts")
        partial = not have & set(stock.value)
        off = self.limit("xen.network_script_off").value
        wanted = []
        for key in ("network-script", "vif-script"):
            s = h.setting("xend", key)
            if s is not None:
                wanted.append((f"xend's ({key} ...)", split(s.value)[0], s.span, h.owner))
        wanted += [(f"the vif script of guest {g.name} (NIC {n.index})", n.script, n.span, n.owner)
                   for g in guests for n in g.nics if n.script]
        for what, script, span, owner in wanted:
            name = script_name(script)
            if script == off or name is None or name in have or (partial and name in stock.value):
                continue
            yield self.report(f"{what} on host {h.name} runs {name}, which is not in /etc/xen/scripts",
                              span, owner, hint=did_you_mean(name, sorted(have))
                              or f"copy the script to /etc/xen/scripts/{name} (chmod +x), or name one that is there")


def vnc_tls_on(h: Host) -> bool:
    """Whether xend serves the guests' VNC consoles over TLS. xend reads vnc-tls as a string
    (XendOptions.get_vnc_tls is get_config_string) and tests its truth, so any value that
    is written turns TLS on, 0 too; only a missing or empty one leaves it off, the default."""
    tls = h.setting("xend", "vnc-tls")
    return tls is not None and tls.value.strip("\"'") != ""


class XendVncTlsCertificates(Rule):
    """xend serving VNC over TLS has its CA certificate, server certificate and key.

    What it checks: a Xen host tree whose xend-config.sxp turns on (vnc-tls 1) (or writes
    any other value: xend takes (vnc-tls 0) as on too, see VX113) but whose
    /etc/xen/vnc (or the folder (vnc-x509-cert-dir ...) names) lacks ca-cert.pem,
    server-cert.pem or server-key.pem. Only a host tree tells (a .virt host or loose files
    say nothing), and only for a folder under /etc/xen/vnc or /etc/pki; the files are
    never opened. A missing server-key.pem beside certificates that are there is not
    reported: keys are readable by root alone, and a copy of /etc made without root
    lacks them.

    Why: "The Xen VNC server can have TLS enabled by editing the configuration file,
    /etc/xen/xend-config.sxp. Remove the commenting on the (vnc-tls 1) configuration
    parameter. The /etc/xen/vnc directory needs the following 3 files: ca-cert.pem - The
    CA certificate, server-cert.pem - The Server certificate signed by the CA,
    server-key.pem - The server private key" (§22.2, lines 3597-3603). Without them the
    guests' VNC consoles cannot offer TLS.

    Example:
        (vnc-tls 1)      # and /etc/xen/vnc holds none of the three files

    Fix: put the CA certificate, the server certificate and its key in /etc/xen/vnc, or
    comment out (vnc-tls 1).
    """

    code, name, severity = "VX112", "vnc-tls-certificates", Severity.ERROR
    checklist, section, lines = ("XEN-12",), "§22.2", "3597-3603"
    scope = Scope.HOST
    when = ("xend",)
    hypervisors = ("xen",)
    uses = ("xend.vnc_tls_files", "xend.bool_values")
    facts = ("xend",)

    def host(self, h: Host, guests):
        tls = h.setting("xend", "vnc-tls")
        if h.hypervisor != "xen" or not vnc_tls_on(h):
            return
        table = self.limit("xend.vnc_tls_files")
        where = h.setting("xend", "vnc-x509-cert-dir")
        folder = (where.value if where is not None and where.value else table.value["dir"]).rstrip("/")
        gone = missing(h, [f"{folder}/{name}" for name in table.value["files"]])
        if not gone:
            return
        related = (Related(where.span, "the certificate folder is set here"),) if where is not None else ()
        on = tls.value.lower() in self.limit("xend.bool_values").value["true"]
        yield self.report(f"(vnc-tls {tls.value}) on host {h.name}"
                          + ("" if on else " turns TLS on (xend reads any value it is given as on)")
                          + f", but the tree has no {', '.join(gone)}: the guests' VNC servers start with TLS and "
                          "find no certificates", tls.span, h.owner, limit=table, related=related,
                          hint=f"put ca-cert.pem, server-cert.pem and server-key.pem in {folder}, or comment "
                               f"out (vnc-tls {tls.value})")


class XendVncVerifyWithoutTls(Rule):
    """Client certificates are verified (vnc-x509-verify) only on VNC over TLS (vnc-tls).

    What it checks: a Xen host whose xend settings turn on (vnc-x509-verify 1) and do not
    set vnc-tls at all (xend's default: off). A vnc-tls that is written, even as 0, is
    left alone: xend 3.x reads that setting as a string, and any string turns TLS on.

    Why: the guide turns on TLS for the Xen VNC server with (vnc-tls 1), which "provides
    encryption of the data channel", and then: "It might be appropriate to require that
    clients present their own x509 certificate as a form of authentication. To enable
    this remove the commenting on the (vnc-x509-verify 1) parameter" (§22.2, lines
    3597-3603). Verification is a part of TLS: xend hands x509verify to the guests' VNC
    servers only when vnc-tls is on, so alone it does nothing, and the consoles are
    neither encrypted nor restricted to clients with certificates.

    Example:
        (vnc-x509-verify 1)      # and no (vnc-tls 1)

    Fix: add (vnc-tls 1) too (with the certificates it needs, see VX112), or remove
    (vnc-x509-verify 1).
    """

    code, name, severity = "VX113", "vnc-verify-without-tls", Severity.WARNING
    checklist, section, lines = ("XEN-12",), "§22.2", "3597-3603"
    scope = Scope.HOST
    when = ("xend",)
    hypervisors = ("xen",)
    uses = ("xend.bool_values",)
    facts = ("xend",)

    def host(self, h: Host, guests):
        verify = h.setting("xend", "vnc-x509-verify")
        if h.hypervisor != "xen" or verify is None or vnc_tls_on(h):
            return
        if verify.value.lower() not in self.limit("xend.bool_values").value["true"]:
            return
        yield self.report(f"(vnc-x509-verify {verify.value}) on host {h.name} without (vnc-tls 1): xend verifies "
                          "client certificates only on VNC over TLS, so the guests' consoles are neither "
                          "encrypted nor limited to clients with certificates",
                          verify.span, h.owner,
                          hint="add (vnc-tls 1) with the certificates in /etc/xen/vnc, or remove (vnc-x509-verify 1)")


class XendPorts(Rule):
    """xend's ports are valid TCP ports, and the HTTP and relocation servers use different ones.

    What it checks: `xend xend-port` and `xend xend-relocation-port` on a Xen host: a
    whole number from 1 to 65535; and the two (stated or default) not equal.

    Why: "(xend-port) determines the port the http management server uses (default
    8000)"; "(xend-relocation-port) determines the port the relocation server uses
    (default 8002)" (§19, lines 3053-3056). If xend-port is moved onto the relocation
    port, the second server cannot bind and xend fails or migration stops working; "if
    you change this value, make sure the port is unused on the relocation server" (§20,
    line 3103).

    Example:
        xend xend-port 8002

    Fix: keep the defaults (8000 and 8002) or choose two different free ports.
    """

    code, name, severity = "VX107", "xend-ports", Severity.ERROR
    checklist, section, lines = ("XEN-10",), "§19", "3053-3056, 3103"
    scope = Scope.HOST
    when = ("xend",)
    hypervisors = ("xen",)
    uses = ("xend.port_range", "migration.xend_port", "migration.xen_relocation_port")

    def host(self, h: Host, guests):
        if h.hypervisor != "xen":
            return
        low, high = self.limit("xend.port_range").value
        defaults = {"xend-port": self.limit("migration.xend_port"),
                    "xend-relocation-port": self.limit("migration.xen_relocation_port")}
        ports: dict[str, int] = {k: lim.value for k, lim in defaults.items()}
        stated: dict[str, Setting] = {}
        for key in defaults:
            s = h.setting("xend", key)
            if s is None:
                continue
            if not is_number(s.value) or not low <= int(s.value) <= high:
                yield self.report(f"xend {key} {s.value!r} of host {h.name} is not a TCP port ({low}-{high})", s.span,
                                  h.owner, limit=self.limit("xend.port_range"),
                                  hint=f"the default is {defaults[key].value}")
                return
            ports[key], stated[key] = int(s.value), s
        if ports["xend-port"] == ports["xend-relocation-port"] and stated:
            key = "xend-port" if "xend-port" in stated else "xend-relocation-port"
            other = "xend-relocation-port" if key == "xend-port" else "xend-port"
            s = stated[key]
            related = [Related(stated[other].span, f"{other} stated here")] if other in stated else []
            yield self.report(f"xend {key} {ports[key]} of host {h.name} is also its {other}"
                              + ("" if other in stated else " (the default)"), s.span, h.owner,
                              related=related, limit=defaults["xend-port"],
                              hint=f"use different ports (defaults {defaults['xend-port'].value} and "
                                   f"{defaults['xend-relocation-port'].value})")


class DuplicateUuid(Rule):
    """Each guest's UUID is unique across the whole fleet.

    What it checks: guests with the same UUID, on one host or on different hosts. Only a
    fixed `uuid` can collide (virtc derives the others from the guest's name); a template
    with a fixed UUID gives every guest made from it the same one. In linted files, one
    guest's configuration kept on each host of its migration pool (the same name and UUID
    on hosts that are each other's peers) is one guest, and a second file of a guest on
    one host is VF010.

    Why: the uuid "must be unique across the whole cluster" (§31, line 4781); a copied
    configuration needs "an all new UUID", generated with uuidgen (§32.18, line 5572;
    §32.19, lines 5581-5584). libvirt and xend identify guests by UUID, so the second
    guest overwrites or is refused, and migration mixes them up.

    Example:
        guest a on xen1 { ...; uuid 302bd9ce-4f60-fc67-9e40-7a77d9b4e1ed }
        guest b on xen2 { ...; uuid 302bd9ce-4f60-fc67-9e40-7a77d9b4e1ed }

    Fix: remove `uuid` (virtc derives a stable one from the name) or generate a new one
    with uuidgen.
    """

    code, name, severity = "VX108", "duplicate-uuid", Severity.ERROR
    checklist, section, lines = ("XEN-18",), "§31", "4781, 5572, 5581-5584"
    scope = Scope.FLEET

    def fleet(self):
        first: dict[str, Guest] = {}
        for g in self.ctx.model.guests:
            other = first.setdefault(g.uuid, g)
            if other is g or self.ctx.one_guest(other, g):
                continue
            yield self.report(f"guest {g.name} on host {g.host} has the UUID {g.uuid} of guest {other.name} "
                              f"on host {other.host}", g.fields.get("uuid") or g.span, g.owner,
                              related=(Related(other.fields.get("uuid") or other.span, f"UUID of {other.name}"),),
                              hint="remove `uuid` to let virtc derive one, or generate a new one with uuidgen")


class HvmKernelIsHvmloader(Rule):
    """A fully virtualized Xen guest boots hvmloader, not a kernel of its own.

    What it checks: a Xen HVM guest with `kernel "PATH"` other than hvmloader. virtc
    writes kernel = hvmloader for HVM guests, so a kernel of the guest's own would
    replace the firmware.

    Why: the guide's fully virtualized xm configuration has builder = "hvm", kernel =
    "/usr/lib/xen/boot/hvmloader" and device_model = ".../xen/bin/qemu-dm" (§34.12, lines
    5927-5935). RHEL 5's Xen boots HVM guests through that firmware only; a Linux kernel
    is booted directly only in PV guests (kernel=, §31, line 4714). The guide's example
    writes the path with a trailing "/" (line 5935, contradiction C-52), which is a
    directory; the path without it is used.

    Example:
        guest w { type xen-hvm; memory 1G; kernel "/var/lib/xen/vmlinuz-install" }

    Fix: remove `kernel` and boot from a disk or CD-ROM (`boot cdrom hd`); or make the
    guest `type xen-pv`.
    """

    code, name, severity = "VX109", "hvm-kernel-hvmloader", Severity.ERROR
    when = ("boot.kernel",)
    guest_types = ("xen-hvm",)
    checklist, section, lines = ("XEN-28",), "§34.12", "4714, 5927-5935"
    uses = ("xen.hvmloader_paths",)

    def guest(self, g: Guest):
        paths = self.limit("xen.hvmloader_paths")
        if g.type == "xen-hvm" and g.boot.kernel and g.boot.kernel not in paths.value:
            yield self.report(f"fully virtualized Xen guest {g.name} boots kernel {g.boot.kernel}; an HVM guest's "
                              f"kernel is {paths.value[0]}", g.fields.get("kernel") or g.span, g.owner,
                              limit=paths, hint="remove `kernel` and boot from a disk or CD-ROM (`boot cdrom hd`)")


class HvmOnlySettingOnPv(Rule):
    """pae, acpi, apic and the boot order are settings of fully virtualized guests.

    What it checks: a Xen PV guest that states `features` (acpi, apic, pae) or `boot`
    (a boot device order). Both are ignored for PV guests; reported as information.

    Why: "pae=PAE: disable or enable PAE of the HVM domain", likewise acpi= and apic=
    (§31, lines 4723-4725); boot=a|b|c|d selects the emulated boot device (line 4771),
    which a PV guest does not have: it boots through pygrub or its kernel. (Whether a PV
    guest needs a PAE kernel is a separate matter, GOS-08.)

    Example:
        guest p { type xen-pv; memory 1G; features acpi apic }

    Fix: remove `features` and `boot` from PV guests.
    """

    code, name, severity = "VX110", "hvm-only-setting-on-pv", Severity.INFO
    guest_types = ("xen-pv",)
    checklist, section, lines = ("XEN-24",), "§31", "4723-4725, 4771"

    def guest(self, g: Guest):
        if g.type != "xen-pv":
            return
        for key, what, stated in (("features", f"features {' '.join(g.features)}", g.features),
                                  ("boot", "a boot order", True)):
            span = g.fields.get(key)
            if span is not None and stated:  # (pae = 0 in an xm config states no feature)
                yield self.report(f"PV guest {g.name} states {what}, which only fully virtualized guests use",
                                  span, g.owner, hint=f"remove `{key}`")
