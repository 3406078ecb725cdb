"""/etc/redhat-release: which RHEL release the host runs ("Red Hat Enterprise Linux Server
release 5.8 (Tikanga)"), the fact the release-dependent rules compare with."""
from __future__ import annotations

import re

from virtc.readback import Found
from virtc.source import SourceFile

from .format import Format

_RELEASE = re.compile(r"release\s+(\d+(?:\.\d+)?)")
# RHEL 5's variants: Server, and Client (the Desktop and Workstation products); rebuilds
# such as CentOS name none.
_EDITION = re.compile(r"Enterprise Linux\s+(Server|Client|Desktop|Workstation)\b", re.I)


def read(text: str, path: str) -> Found:
    src = SourceFile(path, text)
    found = Found(src, "redhat-release")
    m = _RELEASE.search(text)
    if m:
        found.set("release", m.group(1), src.span(m.start(1), m.end(1)))
    e = _EDITION.search(text)
    if e:
        found.set("edition", e.group(1).lower(), src.span(e.start(1), e.end(1)))
    return found


FORMAT = Format(
    "redhat-release", "the RHEL release of the host (/etc/redhat-release)",
    # CentOS 6 and 7 make redhat-release a link to centos-release: a copy of /etc that left
    # links out (or a CentOS with only the one file) still says its release.
    paths=("etc/redhat-release", "etc/centos-release"), names=("*redhat-release", "*centos-release"), read=read,
    single=True, comments="")
