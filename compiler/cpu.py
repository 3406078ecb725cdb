"""What a host's CPU description says, for the rules and for the readers that judge a
host file by its CPU (cpuspeed pinning the frequency matters only without constant_tsc)."""
from __future__ import annotations

from .model import Host

CONSTANT_TSC = "constant_tsc"


def lacks_constant_tsc(h: Host) -> bool:
    """The host states its CPU flags and constant_tsc is not among them."""
    return bool(h.cpu.flags) and CONSTANT_TSC not in h.cpu.flags
