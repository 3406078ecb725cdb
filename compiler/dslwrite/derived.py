"""What virtc adds by itself, so that the written text does not state it: the settings
derive.py and the resolver add to a host, the kernel arguments derive.py adds to a
guest, and the MACs `mac auto` gives."""
from __future__ import annotations

from dataclasses import replace

from .. import identity
from ..derive import derive
from ..model import Guest, Host, Model


def _pairs(settings) -> list[tuple[str, str]]:
    return [(s.key, s.value) for s in settings]


def _args_candidates(args: str | None) -> list[str | None]:
    """args, then args without its last 1, 2, ... words (shortest last)."""
    if args is None:
        return [None]
    words = args.split()
    return [args] + [" ".join(words[:k]) or None for k in range(len(words) - 1, -1, -1)]


def stated_host(h: Host, guests: tuple[Guest, ...]) -> Host:
    """The host as it has to be written: without what the resolver and derive.py add by
    themselves (checked by running them), so the written file does not state it twice."""
    def derived(candidate: Host) -> Host:
        return derive(Model((candidate,), guests, ())).hosts[0]

    def same(a: Host, b: Host) -> bool:
        return (a.grub == b.grub and _pairs(a.modprobe) == _pairs(b.modprobe)
                and _pairs(a.sysctl) == _pairs(b.sysctl))

    best = h
    # each derived field on its own: the shortest stated value that derives to the model's
    for attr in ("args", "xen_args"):
        for cand in reversed(_args_candidates(getattr(h.grub, attr))):
            trial = replace(best, grub=replace(best.grub, **{attr: cand}))
            if derived(trial).grub == h.grub:
                best = trial
                break
    for attr in ("modprobe", "sysctl"):
        items = getattr(h, attr)
        for k in range(len(items) + 1):
            trial = replace(best, **{attr: items[:k]})
            if _pairs(getattr(derived(trial), attr)) == _pairs(items):
                best = trial
                break
    if not same(derived(best), h):  # the fields interact: state everything (derive adds nothing then)
        best = h
    # The resolver adds (network-script /bin/true) to a Xen host with bridges that states none.
    xend = list(best.xend)
    if (h.hypervisor == "xen" and h.bridges and xend and _pairs(xend[-1:]) == [("network-script", "/bin/true")]
            and not any(s.key == "network-script" for s in xend[:-1])):
        best = replace(best, xend=tuple(xend[:-1]))
    return best


def stated_cmdline(g: Guest, host: Host) -> str | None:
    """The guest's kernel arguments without those derive.py adds (clock, divider=10)."""
    for cand in reversed(_args_candidates(g.boot.cmdline)):
        trial = replace(g, boot=replace(g.boot, cmdline=cand))
        if derive(Model((host,), (trial,), ())).guests[0].boot.cmdline == g.boot.cmdline:
            return cand
    return g.boot.cmdline


MAC_PROBES = 16  # a NIC's automatic MAC is one of its first candidates (clashes are rare)


def auto_macs(model: Model) -> set[tuple[str, int]]:
    """The NICs whose MAC is exactly what `mac auto` gives in this fleet. resolve.defaults.finish
    takes the pinned MACs and serves the automatic ones in (guest, NIC) order, each taking
    its first candidate not yet used. A MAC that is none of its NIC's first candidates is
    pinned at once; then, run identity.assign_macs as the compiler will and pin the first
    NIC (in that order) that gets another MAC. Pinning it cannot change what the NICs
    before it get (their MACs differ from it), so repeat until all agree."""
    nics = {(g.name, n.index): (g.type != "kvm", n.mac.lower()) for g in model.guests for n in g.nics}
    auto = {key for key, (xen, mac) in nics.items()
            if not mac or mac in {identity._candidate(key[0], key[1], p, xen) for p in range(MAC_PROBES)}}
    while True:
        requests = [(key[0], key[1], nics[key][0]) for key in auto]
        taken = {mac for key, (_, mac) in nics.items() if key not in auto and mac}
        got = identity.assign_macs(requests, taken)
        wrong = next((key for key in sorted(auto) if nics[key][1] and got[key] != nics[key][1]), None)
        if wrong is None:
            return auto
        auto.discard(wrong)
