"""Remote management rules (checklist area MGMT): URIs, transports, consoles."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..certificates import missing
from ..diagnostics import Related, Severity
from ..model import Host
from ..suggest import did_you_mean
from .base import Rule, Scope
from .migration.common import migration_groups
from .security import port_open
from ..values import is_number

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {
    "MGMT-10": "explain: drawbacks of SSH management (root login, slow set-up, no key revocation, does not scale)",
    "MGMT-13": "operational: virsh destroy is an ungraceful stop; virtc writes no stop scripts",
    "MGMT-15": "explain: guest states shown by virsh list (crashed appears only when on_crash does not restart)",
    "MGMT-16": "explain: virt-manager's VNC console, password prompt and sticky keys (VE112 checks VNC exposure)",
    "MGMT-17": "operational: virt-manager overwrites its log at every start; save it first",
    "MGMT-18": "explain: virsh save / restore keep the name and UUID but give a new domain id",
}


@dataclass(frozen=True)
class Uri:
    driver: str
    transport: str | None  # as written
    user: str | None
    host: str
    port: str | None
    path: str
    params: tuple[tuple[str, str | None], ...]

    @property
    def remote(self) -> bool:
        return bool(self.host) or (self.transport is not None and self.transport != "unix")

    def effective_transport(self, default: str) -> str:
        """The transport in use: as written; else the default (tls) for a remote host; else unix."""
        if self.transport:
            return self.transport
        return default if self.host else "unix"


_URI = re.compile(r"^(?P<driver>[A-Za-z][A-Za-z0-9_]*)(?:\+(?P<transport>[^:/]*))?://"
                  r"(?:(?P<user>[^@/?]*)@)?(?P<host>[^:/?@]*)(?::(?P<port>[^/?]*))?"
                  r"(?P<path>/[^?]*)?(?:\?(?P<query>.*))?$")


@lru_cache(maxsize=None)
def parse_uri(text: str) -> Uri | None:
    m = _URI.match(text)
    if not m:
        return None
    params = []
    for item in (m["query"] or "").split("&"):
        if item:
            key, eq, value = item.partition("=")
            params.append((key, value if eq else None))
    return Uri(m["driver"], m["transport"], m["user"], m["host"] or "", m["port"], m["path"] or "",
               tuple(params))


def libvirtd_setting(h: Host, key: str):
    """A setting of the host's libvirtd.conf (the first: libvirtd reads no other), or None."""
    return next((s for s in h.libvirtd if s.key == key), None)


def switched_on(value: str) -> bool:
    """A libvirtd.conf flag that is on: a number other than 0 (libvirtd refuses anything else)."""
    return is_number(value.lstrip("+-")) and int(value) != 0


def listens(h: Host):
    """The LIBVIRTD_ARGS setting that starts libvirtd with --listen (-l), or None: not
    started so, or not known. Without it libvirtd listens on no network socket."""
    args = h.libvirtd_args
    if args is None:
        return None
    for word in args.value.split():
        if word == "--listen":
            return args
        if word.startswith("-") and not word.startswith("--"):
            for c in word[1:]:
                if c == "l":
                    return args
                if c in "fpt":  # the rest of the word is that option's argument
                    break
    return None


class _UriRule(Rule):
    scope = Scope.HOST
    when = ("uri",)

    def host(self, h, guests):
        if not h.uri:
            return ()
        uri = parse_uri(h.uri)
        if uri is None:
            return ()
        return self.check(h, uri, h.fields.get("uri") or h.span)

    def check(self, h: Host, uri: Uri, span):
        return ()

    def transport(self, uri: Uri) -> str:
        table = self.limit("mgmt.transports").value
        default = next(name for name, spec in table.items() if spec.get("default"))
        return uri.effective_transport(default)


class UriSyntax(Rule):
    """A host's libvirt URI follows driver[+transport]://[user@][host][:port]/[path][?params].

    What it checks: the host's `uri`: its overall form, a driver the guide uses (xen,
    qemu, test), a known transport (tls, unix, ssh, ext, tcp), a numeric port, and no host
    name with the unix transport, which is local only.

    Why: "The format of a libvirt URI is (items in brackets are optional):
    driver[+transport]://[username@][hostname][:port]/[path][?extraparameters]. You must
    give a transport or a host name to reach a remote location" (§22.3, lines 3629-3633).
    The transports are tls, unix, ssh, ext and tcp (lines 3617-3627); "UNIX domain sockets
    can only be accessed on the local machine" (line 3621).

    Example:
        uri "qemu+unix://kvm2.example.com/system"

    Fix: `uri "qemu+ssh://kvm2.example.com/system"` (or `qemu+unix:///system` locally).
    """

    code, name, severity = "VA101", "uri-syntax", Severity.ERROR
    checklist, section, lines = ("MGMT-01", "MGMT-03"), "§22.3", "3617-3633"
    scope = Scope.HOST
    when = ("uri",)
    uses = ("mgmt.uri_drivers", "mgmt.transports")

    def host(self, h, guests):
        if not h.uri:
            return
        span = h.fields.get("uri") or h.span
        uri = parse_uri(h.uri)
        form = "driver[+transport]://[user@][host][:port]/[path][?params]"
        if uri is None:
            yield self.report(f"'{h.uri}' is not a libvirt URI ({form})", span, h.owner,
                              hint='e.g. "qemu+ssh://host/system" or "xen+ssh://root@host/"')
            return
        drivers = self.limit("mgmt.uri_drivers")
        transports = self.limit("mgmt.transports")
        if uri.driver not in drivers.value:
            yield self.report(f"URI driver '{uri.driver}' of host {h.name} is not one of "
                              f"{', '.join(drivers.value)}", span, h.owner, limit=drivers,
                              hint=did_you_mean(uri.driver, drivers.value) or "use xen or qemu")
        if uri.transport is not None and uri.transport not in transports.value:
            yield self.report(f"URI transport '{uri.transport}' of host {h.name} is not one of "
                              f"{', '.join(transports.value)}", span, h.owner,
                              hint=did_you_mean(uri.transport, transports.value) or "use ssh or tls")
        if uri.port is not None and not is_number(uri.port):
            yield self.report(f"URI port '{uri.port}' of host {h.name} is not a number", span, h.owner,
                              hint=form)
        if uri.transport == "unix" and uri.host:
            yield self.report(f"URI of host {h.name} names the remote host {uri.host} with the unix transport, "
                              "which reaches only the local machine", span, h.owner,
                              hint=f"use {uri.driver}+ssh://{uri.host}{uri.path or '/'}")


class UriDriverHypervisor(_UriRule):
    """A host's URI driver matches its hypervisor: xen:// for Xen, qemu:// for KVM.

    What it checks: a `uri` whose driver manages the other hypervisor (xen on a KVM host,
    qemu on a Xen host).

    Why: the guide's URIs connect "to a remote Xen hypervisor" with xen://, xen+ssh://
    and "to a remote KVM hypervisor" with qemu+ssh://.../system (§22.3, lines 3635-3645;
    §22.2, lines 3608-3609).

    Example:
        host k { hypervisor kvm; uri "xen+ssh://k.example.com/" }

    Fix: `uri "qemu+ssh://k.example.com/system"`.
    """

    code, name, severity = "VA102", "uri-driver-hypervisor", Severity.ERROR
    checklist, section, lines = ("MGMT-01",), "§22.3", "3608-3609, 3635-3645"
    uses = ("mgmt.uri_drivers",)

    def check(self, h, uri, span):
        drivers = self.limit("mgmt.uri_drivers")
        manages = drivers.value.get(uri.driver)
        if manages and manages != h.hypervisor:
            want = next(d for d, hv in drivers.value.items() if hv == h.hypervisor)
            yield self.report(f"URI of {h.hypervisor} host {h.name} uses the {uri.driver} driver, which manages "
                              f"{manages}", span, h.owner, limit=drivers,
                              hint=f"use {want}{'+' + uri.transport if uri.transport else ''}://...")


class UriExtTransport(_UriRule):
    """The ext transport is not supported.

    What it checks: a `uri` with `+ext`.

    Why: "The ext parameter is used for any external program that can connect to the
    remote machine by means outside the scope of libvirt. This parameter is not supported"
    (§22.3, lines 3624-3625).

    Example:
        uri "xen+ext://x.example.com/?command=/usr/local/bin/connect"

    Fix: use ssh (`xen+ssh://x.example.com/`) or tls.
    """

    code, name, severity = "VA103", "uri-ext-transport", Severity.ERROR
    checklist, section, lines = ("MGMT-05",), "§22.3", "3624-3625"
    uses = ("mgmt.transports",)

    def check(self, h, uri, span):
        table = self.limit("mgmt.transports")
        spec = table.value.get(uri.transport or "", {})
        if spec.get("supported") is False:
            yield self.report(f"host {h.name} is managed over the {uri.transport} transport, which is not "
                              "supported", span, h.owner, hint="use +ssh or tls")


class UriTcpTransport(_UriRule):
    """The unencrypted tcp transport is for testing only.

    What it checks: a `uri` with `+tcp`; and a host whose libvirtd listens for TCP
    connections: `listen_tcp = 1` in /etc/libvirt/libvirtd.conf with --listen in
    LIBVIRTD_ARGS of /etc/sysconfig/libvirtd (without --listen libvirtd opens no network
    socket, so listen_tcp alone does nothing).

    Why: "Unencrypted TCP/IP socket. Not recommended for production use; it is normally
    disabled, but an administrator can enable it for testing or on a trusted network. The
    default port is 16509" (§22.3, lines 3626-3627).

    Example:
        uri "qemu+tcp://k.example.com/system"

    Fix: `qemu+ssh://...` or TLS (`qemu://k.example.com/system`).
    """

    code, name, severity = "VA104", "uri-tcp-transport", Severity.WARNING
    when = ("uri", "libvirtd_args")
    checklist, section, lines = ("MGMT-06",), "§22.3", "3626-3627"
    uses = ("mgmt.transports",)

    def host(self, h, guests):
        yield from super().host(h, guests)
        listen, tcp = listens(h), libvirtd_setting(h, "listen_tcp")
        if listen is None or tcp is None or not switched_on(tcp.value):
            return
        table = self.limit("mgmt.transports")
        port = libvirtd_setting(h, "tcp_port")
        auth = libvirtd_setting(h, "auth_tcp")
        bare = " without authentication (auth_tcp = \"none\")" if auth is not None and auth.value == "none" else ""
        yield self.report(f"libvirtd on host {h.name} listens for unencrypted TCP connections{bare} on port "
                          f"{port.value if port else table.value['tcp']['port']} (listen_tcp = {tcp.value}, "
                          "started with --listen)", tcp.span, h.owner,
                          related=(Related(listen.span, "libvirtd is started with --listen here"),),
                          hint="set listen_tcp = 0 (or comment it out) and manage the host over ssh or TLS")

    def check(self, h, uri, span):
        table = self.limit("mgmt.transports")
        if table.value.get(uri.transport or "", {}).get("encrypted") is False:
            yield self.report(f"host {h.name} is managed over unencrypted {uri.transport} (port "
                              f"{uri.port or table.value[uri.transport]['port']})", span, h.owner,
                              limit=table, hint="use +ssh or tls")


class UriParams(_UriRule):
    """A URI's extra parameters are ones libvirt knows, for the transport in use.

    What it checks: each `?name=value` of a host's `uri`: the name is one of name,
    command, socket, netcat, no_verify, no_tty, and applies to the URI's transport (the
    default tls when a host is named and no transport is given).

    Why: "The table below covers the recognized parameters. All other parameters are
    ignored" (§22.3, line 3655), and table 22.1 gives each parameter's transports
    (lines 3656-3668): command for ssh and ext, socket for unix and ssh, netcat and no_tty
    for ssh, no_verify for tls. A misspelt or misplaced parameter silently does nothing.

    Example:
        uri "qemu+ssh://k.example.com/system?no_verify=1"

    Fix: drop the parameter or use the transport it belongs to.
    """

    code, name, severity = "VA105", "uri-params", Severity.WARNING
    checklist, section, lines = ("MGMT-07",), "§22.3", "3654-3668"
    uses = ("mgmt.uri_params", "mgmt.transports")

    def check(self, h, uri, span):
        table = self.limit("mgmt.uri_params")
        transport = self.transport(uri)
        for key, value in uri.params:
            if key not in table.value:
                yield self.report(f"URI parameter '{key}' of host {h.name} is not one libvirt recognises; it is "
                                  "ignored", span, h.owner, limit=table,
                                  hint=did_you_mean(key, table.value) or f"known: {', '.join(table.value)}")
            elif transport not in table.value[key]:
                yield self.report(f"URI parameter '{key}' of host {h.name} applies to the "
                                  f"{' and '.join(table.value[key])} transport, not {transport}", span,
                                  h.owner, limit=table, hint=f"drop {key}=")
            elif value is None or value == "":
                yield self.report(f"URI parameter '{key}' of host {h.name} has no value", span, h.owner,
                                  limit=table, hint=f"write {key}=VALUE (URI-escaped)")


class UriNoVerify(_UriRule):
    """A URI does not turn off the check of the server's certificate.

    What it checks: `no_verify` with a non-zero value in a host's `uri`.

    Why: "If set to a non-zero value, this disables client checks of the server's
    certificate" (§22.3, line 3667; example line 3641-3642): the connection is encrypted
    but no longer authenticated, so a man in the middle goes unnoticed.

    Example:
        uri "xen://x.example.com/?no_verify=1"

    Fix: install the CA certificate on the client (/etc/pki/CA/cacert.pem) and drop
    `no_verify`.
    """

    code, name, severity = "VA106", "uri-no-verify", Severity.WARNING
    checklist, section, lines = ("MGMT-08",), "§22.3", "3641-3642, 3667"

    def check(self, h, uri, span):
        for key, value in uri.params:
            if key == "no_verify" and value and value.strip("0"):
                yield self.report(f"URI of host {h.name} turns off the check of the server's certificate "
                                  f"(no_verify={value})", span, h.owner,
                                  hint="install the CA certificate and drop no_verify")


class QemuUriPath(_UriRule):
    """KVM URIs name the system instance: qemu:///system, qemu+ssh://host/system.

    What it checks: a `uri` with the qemu driver whose path is not /system. KVM hosts of a
    migration group are left to VL122, which reports the same URI for migration.

    Why: every KVM URI in the guide ends in /system: "qemu+ssh://towada/system" (§22.3,
    line 3645), "qemu://hostname.guestname/system" (§22.2, line 3608), migration to
    "qemu+ssh://.../system" (§21.3, line 3485). /session is a per-user instance that does
    not see the host's guests.

    Example:
        uri "qemu+ssh://k.example.com/"

    Fix: `uri "qemu+ssh://k.example.com/system"`.
    """

    code, name, severity = "VA107", "qemu-uri-path", Severity.WARNING
    checklist, section, lines = ("MGMT-09",), "§22.3", "3485, 3608, 3645"

    def check(self, h, uri, span):
        if h.hypervisor == "kvm" and h.name in migration_groups(self.ctx):
            return  # VL122 reports it, with the migration's reason
        if uri.driver == "qemu" and uri.path.rstrip("/") != "/system":
            yield self.report(f"qemu URI of host {h.name} has the path '{uri.path or '/'}', not /system", span,
                              h.owner, hint=f"end the URI in /system: {uri.driver}"
                                                 f"{'+' + uri.transport if uri.transport else ''}://"
                                                 f"{uri.user + '@' if uri.user else ''}{uri.host}/system")


class ManagedHostLibvirtd(_UriRule):
    """A host managed remotely runs libvirtd.

    What it checks: a host whose `uri` is remote (names a host, or a transport other than
    unix): `services off libvirtd` is an error; a host that does not list libvirtd in
    `services on` gets a warning (the description may just not mention it).

    Why: "You must have the libvirtd daemon installed and running on every remote host
    that needs managing" (`chkconfig libvirtd on`, `service libvirtd start`; §22.1, lines
    3577-3581); for SSH "the libvirt daemon (libvirtd) must be running on the remote
    machine" (§22.3, line 3623).

    Example:
        uri "qemu+ssh://k.example.com/system"; services off libvirtd

    Fix: `services on libvirtd`.
    """

    code, name, severity = "VA108", "managed-host-libvirtd", Severity.ERROR
    checklist, section, lines = ("MGMT-11", "MGMT-04"), "§22.1", "3577-3581, 3623"

    def check(self, h, uri, span):
        if not uri.remote:
            return
        services = h.fields.get("services")
        if "libvirtd" in h.services_on:
            return
        if "libvirtd" in h.services_off:
            yield self.report(f"host {h.name} is managed remotely ({h.uri}) but turns libvirtd off",
                              services or span, h.owner, related=(Related(span, "managed through this URI"),),
                              hint="services on libvirtd")
        else:
            yield self.report(f"host {h.name} is managed remotely ({h.uri}) but does not enable libvirtd", span,
                              h.owner, severity=Severity.WARNING, hint="add `services on libvirtd`")


class ManagementPortClosed(_UriRule):
    """The host firewall lets the management transport in.

    What it checks: a host with a remote `uri` and a `firewall` that does not accept by
    default: the transport's port (the URI's port, else ssh 22, tls 16514, tcp 16509) must
    be among the opened ports.

    Why: for SSH "port 22 must be open for SSH access" (§22.3, line 3623); TLS "usually
    listens on a public port number ... The standard port is 16514" (line 3619) and "extra
    firewall rules are needed to access the management service" (§22.2, line 3592); tcp's
    "default port is 16509" (line 3627).

    Example:
        uri "qemu://k.example.com/system"; firewall open 22/tcp policy drop

    Fix: `firewall open 22/tcp 16514/tcp policy drop`.
    """

    code, name, severity = "VA109", "management-port-closed", Severity.ERROR
    checklist, section, lines = ("MGMT-02", "MGMT-04", "MGMT-06"), "§22.3", "3592, 3619, 3623, 3627"
    uses = ("mgmt.transports",)

    def check(self, h, uri, span):
        if not uri.remote:
            return
        table = self.limit("mgmt.transports")
        transport = self.transport(uri)
        spec = table.value.get(transport, {})
        port = int(uri.port) if uri.port and is_number(uri.port) else spec.get("port")
        if port is None or port_open(h.firewall, port, "tcp"):
            return
        yield self.report(f"host {h.name} is managed over {transport} on port {port}, which its firewall does "
                          "not open", h.firewall.span, h.owner, limit=table,
                          related=(Related(span, f"managed through {h.uri}"),),
                          hint=f"add {port}/tcp to `firewall open`")


class SshNeedsNetcat(_UriRule):
    """A host managed over SSH has netcat installed.

    What it checks: a host with a `+ssh` URI that states `packages` without nc.

    Why: the SSH transport "requires Netcat (the nc package) to be installed" on the
    remote machine (§22.3, line 3623); libvirt runs `netcat -U socket` there (lines
    3662-3664).

    Example:
        uri "qemu+ssh://k.example.com/system"; packages kvm libvirt

    Fix: add nc to the host's packages.
    """

    code, name, severity = "VA110", "ssh-needs-netcat", Severity.WARNING
    checklist, section, lines = ("MGMT-04",), "§22.3", "3623, 3662-3664"

    def check(self, h, uri, span):
        if uri.transport == "ssh" and h.packages and "nc" not in h.packages:
            yield self.report(f"host {h.name} is managed over SSH but its packages lack nc (netcat)",
                              h.fields.get("packages") or span, h.owner,
                              related=(Related(span, f"managed through {h.uri}"),), hint="add nc to `packages`")


class LibvirtdTlsCertificates(Rule):
    """libvirtd serving TLS has its CA certificate, server certificate and server key.

    What it checks: a host tree whose libvirtd is started with --listen (LIBVIRTD_ARGS in
    /etc/sysconfig/libvirtd) and serves TLS (listen_tls, on unless libvirtd.conf sets it
    to 0), but does not hold the files libvirtd.conf's ca_file, cert_file and key_file name
    (by default /etc/pki/CA/cacert.pem, /etc/pki/libvirt/servercert.pem and
    /etc/pki/libvirt/private/serverkey.pem). Only a tree's /etc/pki tells; nothing is said
    about a .virt host, loose files, or a path elsewhere. The files are never opened. A
    missing key beside certificates that are there is not reported: keys are readable by
    root alone, and a copy of /etc made without root lacks them.

    Why: "The libvirt management connection opens a TCP port for incoming connections,
    which is securely encrypted and authenticated based on x509 certificates" (§22.2,
    lines 3589-3592); the server needs its CA and certificates set up first (line 3604,
    libvirt.org/remote.html), and without them libvirtd --listen fails to start, so the
    host cannot be managed at all.

    Example:
        LIBVIRTD_ARGS="--listen"     (and no /etc/pki/libvirt/servercert.pem)

    Fix: create the CA and the server's certificate and key at those paths (certtool, as
    libvirt.org/remote.html shows), or set listen_tls = 0 and manage the host over SSH.
    """

    code, name, severity = "VA111", "libvirtd-tls-certificates", Severity.ERROR
    checklist, section, lines = ("MGMT-12",), "§22.2", "3589-3592, 3604-3613"
    scope = Scope.HOST
    when = ("libvirtd_args",)
    uses = ("mgmt.libvirtd_tls_files",)
    facts = ("libvirtd", "libvirtd-args")

    def host(self, h, guests):
        listen = listens(h)
        tls = libvirtd_setting(h, "listen_tls")
        if listen is None or (tls is not None and not switched_on(tls.value)):
            return
        table = self.limit("mgmt.libvirtd_tls_files")
        wanted = []
        for key, default in table.value.items():
            stated = libvirtd_setting(h, key)
            wanted.append(stated.value if stated is not None and stated.value else default)
        gone = missing(h, wanted)
        if not gone:
            return
        related = (Related(tls.span, "TLS is switched on here"),) if tls is not None else ()
        yield self.report(f"libvirtd on host {h.name} is started with --listen and serves TLS (listen_tls "
                          f"{'= ' + tls.value if tls is not None else 'is on by default'}), but the tree has no "
                          f"{', '.join(gone)}: libvirtd fails to start without its certificates", listen.span,
                          h.owner, limit=table, related=related,
                          hint="create the CA certificate and the server's certificate and key there "
                               "(libvirt.org/remote.html), or set listen_tls = 0 and manage the host over SSH")
