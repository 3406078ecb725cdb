"""/etc/xen/xend-config.sxp: the xend settings a Xen host needs (guide §19, §20, §10.2).

Written: (network-script /bin/true) when the host's bridges are ifcfg bridges, the
relocation settings of a migration peer, and the `xend` settings stated in the host.
S-expression syntax: `(key value)`; strings in single quotes, a backslash written twice
(guide line 3115). Values were checked by the compiler (no quotes, no line breaks).
"""
from __future__ import annotations

import re

from . import Artifact

NAME = "xend"
# Symbols and numbers are written bare, as the guide does ((xend-relocation-port 8002),
# (network-script /bin/true)); anything else, addresses and patterns included, is a quoted
# string ((xend-relocation-address '10.0.0.1')).
_BARE = re.compile(r"^(yes|no|[0-9]+|/[A-Za-z0-9_./-]*|[a-z][a-z0-9-]*)$")


def sxp_value(value: str) -> str:
    if any(c in value for c in "'\n\r"):
        raise ValueError(f"value cannot be written to xend-config.sxp: {value!r}")
    if _BARE.match(value):
        return value
    return "'" + value.replace("\\", "\\\\") + "'"


def settings(h) -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    m = h.migration
    if m is not None and m.peers:
        out["xend-relocation-server"] = "yes"
        out["xend-relocation-port"] = str(m.port or 8002)
        out["xend-relocation-address"] = m.address or ""
        out["xend-relocation-hosts-allow"] = m.allow or ""
    for s in h.xend:  # stated (and derived) settings win
        out[s.key] = s.value
    return list(out.items())


def emit(model) -> list:
    out = []
    for h in model.hosts:
        if h.hypervisor != "xen":
            continue
        items = settings(h)
        if not items:
            continue
        lines = ["# Written by virtc: these settings go into /etc/xen/xend-config.sxp (replace the",
                 "# lines of the same name); then restart xend (service xend restart)."]
        for key, value in items:
            lines.append(f"({key} {sxp_value(value) if value else chr(39) * 2})")
        out.append(Artifact(f"{h.name}/etc/xen/xend-config.sxp", "\n".join(lines) + "\n", source=h.path_label))
    return out
