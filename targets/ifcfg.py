"""initscripts interface files, /etc/sysconfig/network-scripts/ifcfg-DEVICE.

Read side: shell variable assignments are parsed, never sourced (quotes and escapes are
undone the way bash would for plain assignments; anything that would run a command is
reported instead of evaluated). Writing bridges is the host-files issue.
"""
from __future__ import annotations

import re
import shlex

from virtc.diagnostics import error
from virtc.documents import Document, Entry

_ASSIGN = re.compile(r"^(?P<indent>[ \t]*)(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*?)[ \t]*$")


def parse_document(src) -> tuple[Document, list]:
    entries, diags = [], []
    for start, body in src.lines():
        stripped = body.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _ASSIGN.match(body)
        line_span = src.span(start + len(body) - len(body.lstrip()), start + len(body))
        if not m:
            diags.append(error("VF301", "not a KEY=value assignment; initscripts source this file with bash",
                               line_span, hint="write KEY=value with no spaces around '='"))
            continue
        raw = m.group("value")
        if re.search(r"\$\(|`|\$\{|;|&&|\|\|", raw):
            diags.append(error("VF301", f"the value of {m.group('key')} would run a command when the file is sourced",
                               line_span, hint="write a plain value"))
            continue
        try:
            parts = shlex.split(raw, comments=True, posix=True)
        except ValueError as exc:
            diags.append(error("VF301", f"{m.group('key')}: {exc} (bash would fail to source the file)", line_span))
            continue
        value = " ".join(parts)
        key_start = start + len(m.group("indent"))
        value_start = start + m.start("value")
        entries.append(Entry(m.group("key"), value, line_span,
                             src.span(key_start, key_start + len(m.group("key"))),
                             src.span(value_start, max(value_start + 1, start + m.end("value")))))
    return Document("ifcfg", src.path, tuple(entries)), diags


# ---------------------------------------------------------------- writing

NAME = "ifcfg"
_BARE = re.compile(r"^[A-Za-z0-9_.:/@%+,=-]*$")


def shell_value(value: str) -> str:
    """A value bash reads back unchanged when it sources the file: bare when it holds no
    shell syntax, else single-quoted (a quote inside becomes '\\'')."""
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError(f"a line break cannot be written to an ifcfg file: {value!r}")
    if _BARE.match(value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def _file(settings: list[tuple[str, str]]) -> str:
    return "".join(f"{k}={shell_value(str(v))}\n" for k, v in settings)


def emit(model) -> list:
    """ifcfg-BRIDGE and ifcfg-NIC for every host bridge (guide §10.2): the bridge carries
    the IP settings; the enslaved NIC only DEVICE, HWADDR, ONBOOT and BRIDGE."""
    import ipaddress

    from virtc.targets import Artifact

    out = []
    for h in model.hosts:
        network_bridges = {n.bridge for n in h.networks}
        folder = f"{h.name}/etc/sysconfig/network-scripts"
        for b in h.bridges:
            if b.name in network_bridges:
                continue  # libvirt's own bridge (virbr0): no ifcfg (guide §10.1)
            s = [("DEVICE", b.name), ("TYPE", "Bridge"), ("BOOTPROTO", b.bootproto), ("ONBOOT", "yes")]
            if b.ip:
                iface = ipaddress.ip_interface(b.ip)
                s += [("IPADDR", str(iface.ip)), ("NETMASK", str(iface.network.netmask))]
                if b.gateway:
                    s.append(("GATEWAY", b.gateway))
            s += [("DELAY", b.delay), ("STP", "on" if b.stp else "off"), ("NM_CONTROLLED", "no")]
            if b.mtu:
                s.append(("MTU", b.mtu))
            out.append(Artifact(f"{folder}/ifcfg-{b.name}", _file(s), source=b.path_label))
            if b.nic:
                n = [("DEVICE", b.nic)]
                if b.hwaddr:
                    n.append(("HWADDR", b.hwaddr.upper()))
                n += [("ONBOOT", "yes"), ("BRIDGE", b.name), ("NM_CONTROLLED", "no")]
                if b.mtu:
                    n.append(("MTU", b.mtu))
                out.append(Artifact(f"{folder}/ifcfg-{b.nic}", _file(n), source=b.path_label))
    return out
