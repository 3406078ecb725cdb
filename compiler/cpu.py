"""What a host's CPU description says, for the rules and for the readers that judge a
host file by its CPU (cpuspeed pinning the frequency matters only without constant_tsc)."""
from __future__ import annotations

from .model import Host

CONSTANT_TSC = "constant_tsc"
# The guide's fix for a KVM host without constant_tsc (§16, line 2893): an admin who put
# it on the host's kernel line has said that the host's TSC is not constant.
MAX_CSTATE_FIX = "processor.max_cstate=1"

# libvirt's CPU models (as `virsh capabilities` prints them) whose TSC rate is known.
# Linux sets constant_tsc for Intel from the Core (Yonah, family 6 model 14) on and for
# AMD from family 10h (K10) on; K8 Opterons (G1, G2: revisions E and F) and older lack it.
# Generic models (qemu64, kvm64) say nothing.
TSC_BY_MODEL = {
    **dict.fromkeys(("486", "pentium", "pentium2", "pentium3", "pentiumpro", "athlon", "opteron_g1",
                     "opteron_g2"), False),
    **dict.fromkeys(("coreduo", "core2duo", "n270", "conroe", "penryn", "nehalem", "westmere", "sandybridge",
                     "ivybridge", "haswell", "phenom", "opteron_g3", "opteron_g4", "opteron_g5"), True),
}


def tsc_of_model(model: str, features: set[str]) -> bool | None:
    """constant_tsc as a capabilities <cpu> states it: an invariant TSC feature, else the
    model's (None when neither says)."""
    if features & {"invtsc", CONSTANT_TSC}:  # (libvirt never lists constant_tsc; taken if written)
        return True
    return TSC_BY_MODEL.get(model.strip().lower())


def lacks_constant_tsc(h: Host) -> bool:
    """The host's CPU is known to lack constant_tsc: its description says so, or (where
    none says) its kernel line carries the guide's fix for exactly that CPU."""
    if h.cpu.constant_tsc is not None:
        return not h.cpu.constant_tsc
    return h.hypervisor == "kvm" and MAX_CSTATE_FIX in (h.grub.args or "").split()
