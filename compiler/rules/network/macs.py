"""NICs and MACs: how many NICs a Xen guest has, the MAC prefixes of Xen and KVM guests,
and MACs used twice."""
from __future__ import annotations

from ...diagnostics import Related, Severity
from ...model import Guest
from ..base import Rule, Scope
from .common import mac_octets, prefix_octets

# Bit 1 of the first octet: a locally administered address (AA:AA:AA:AA:AA:AA).
_LOCAL_BIT = 1 << 1


class XenNicsPerGuest(Rule):
    """A Xen guest has at most 15 network interfaces.

    What it checks: the NICs of each Xen guest, para-virtualized or fully virtualized.

    Why: the guide lists under both the para-virtualized and the fully virtualized Xen
    limits: "each virtualized guest can use at most 15 network cards" (§5.3, lines 522
    and 542). xend refuses the sixteenth vif.

    Example:
        guest router on xen1 { type xen-pv; ... 16 x `nic bridge xenbr0` }

    Fix: combine networks with VLANs on fewer NICs (tagged traffic over one bridge), or
    split the guest's roles over two guests.
    """

    code, name, severity = "VN101", "xen-nics-per-guest", Severity.ERROR
    guest_types = ("xen-pv", "xen-hvm")
    checklist, section, lines = ("NET-01",), "§5.3", "522, 542"
    uses = ("xen.nics_per_guest",)

    def guest(self, g: Guest):
        if not g.is_xen:
            return
        limit = self.limit("xen.nics_per_guest")
        if len(g.nics) > limit.value:
            n = g.nics[limit.value]
            yield self.report(f"Xen guest {g.name} has {len(g.nics)} network interfaces; at most "
                              f"{limit.value}", n.span, n.owner, limit=limit,
                              related=(Related(g.nics[0].span, "first NIC"),),
                              hint="carry several networks as VLANs over one NIC, or split the guest")


class XenMacRange(Rule):
    """A Xen guest's MAC address uses the Xen prefix 00:16:3e.

    What it checks: MAC addresses written out (not `mac auto`) on Xen guests: the first
    three bytes must be 00:16:3e.

    Why: the guide's generator for Xen guests, macgen.py, builds "mac = [ 0x00, 0x16,
    0x3e, random.randint(0x00, 0x7f), random.randint(0x00, 0xff), random.randint(0x00,
    0xff) ]" (§32.9, lines 5386-5400), the range xend draws from too. An address outside
    the Xen prefix can clash with real hardware on the LAN. The fourth-byte bound is only
    the generator's (the guide gives no reason for it, and 00:16:3e:fd:.. is a valid
    Xen address), so it is not checked; `mac auto` stays inside it.
    Contradiction C-69: the guide's libvirt example uses the placeholder
    AA:AA:AA:AA:AA:AA (line 1676), a locally administered address that belongs to
    neither range; it is an example to replace, so it is flagged here.

    Example:
        nic bridge xenbr0 mac AA:AA:AA:AA:AA:AA

    Fix: `mac auto` (virtc derives a stable address in the range), or run macgen.py.
    """

    code, name, severity = "VN102", "xen-mac-range", Severity.WARNING
    guest_types = ("xen-pv", "xen-hvm")
    checklist, section, lines = ("NET-02",), "§32.9", "1676, 5386-5400"
    uses = ("xen.mac_range", "kvm.mac_prefix")

    def guest(self, g: Guest):
        if not g.is_xen:
            return
        limit = self.limit("xen.mac_range")
        prefix = prefix_octets(limit.value["prefix"])
        for n in g.nics:
            raw = mac_octets(n.mac)
            if n.mac_auto or raw is None:
                continue
            if not raw.startswith(prefix):
                kvm = self.limit("kvm.mac_prefix").value
                local = (f" (libvirt's KVM range {kvm})" if raw.startswith(prefix_octets(kvm)) else
                         " (a locally administered address, like the guide's placeholder AA:AA:AA:AA:AA:AA)"
                         if raw[0] & _LOCAL_BIT else "")
                yield self.report(f"MAC {n.mac} of Xen guest {g.name} is outside the Xen prefix "
                                  f"{limit.value['prefix']}{local}", n.at("mac"), n.owner, limit=limit,
                                  hint="write `mac auto`, or generate one with macgen.py (00:16:3e:00-7f:xx:xx)")


class KvmMacPrefix(Rule):
    """KVM guests' MAC addresses normally use libvirt's prefix 52:54:00.

    What it checks: MAC addresses written out (not `mac auto`) on KVM guests that do not
    start with 52:54:00.

    Why: the only KVM domain the guide dumps has "<mac address='52:54:00:0a:ca:84'/>"
    (§23.1.2, line 3916), the prefix libvirt and qemu generate. The guide does not state
    it as a rule, so this is information only. Contradiction C-69: the guide's libvirt
    example uses the placeholder AA:AA:AA:AA:AA:AA (line 1676); copying it gives several
    guests the same address (VN104).

    Example:
        nic network default mac AA:AA:AA:AA:AA:AA

    Fix: `mac auto` (virtc derives a stable 52:54:00 address) or a 52:54:00 address.
    """

    code, name, severity = "VN103", "kvm-mac-prefix", Severity.INFO
    guest_types = ("kvm",)
    checklist, section, lines = ("NET-03",), "§23.1.2", "1676, 3916"
    uses = ("kvm.mac_prefix",)

    def guest(self, g: Guest):
        if g.type != "kvm":
            return
        limit = self.limit("kvm.mac_prefix")
        prefix = prefix_octets(limit.value)
        for n in g.nics:
            raw = mac_octets(n.mac)
            if n.mac_auto or raw is None or raw.startswith(prefix):
                continue
            yield self.report(f"MAC {n.mac} of KVM guest {g.name} is not in libvirt's {limit.value} range",
                              n.at("mac"), n.owner, limit=limit, hint="write `mac auto` or a 52:54:00 address")


class DuplicateMac(Rule):
    """Every MAC address is unique across the fleet.

    What it checks: the MAC of every guest NIC on every host, and the hardware addresses
    of the hosts' bridged NICs (`bridge ... hwaddr`), indexed by address. One guest's
    configuration on each host of its migration pool, or twice on one host (VF010), is
    one guest, whose NICs are not compared with themselves.

    Why: "a virtual network interface card must have a MAC address, and each MAC on your
    local network must be unique" (Glossary, line 6363; §12.5.1, line 2285). When a guest
    is copied, "you must define a unique MAC address for each guest" (§32.18-19, lines
    5572, 5586). Two NICs with one address on one LAN steal each other's traffic; hosts
    of one fleet share LANs (and migrate guests between them), so the whole fleet counts.

    Example:
        guest a on xen1 { ...; nic bridge xenbr0 mac 00:16:3e:00:00:01 }
        guest b on xen2 { ...; nic bridge xenbr0 mac 00:16:3e:00:00:01 }

    Fix: `mac auto` (virtc derives a distinct address per guest and NIC) or a fresh address
    from macgen.py.
    """

    code, name, severity = "VN104", "duplicate-mac", Severity.ERROR
    checklist, section, lines = ("NET-04",), "Glossary", "2285, 5572, 5586, 6363"
    scope = Scope.FLEET

    def fleet(self):
        first: dict[str, tuple[str, object, Guest | None]] = {}  # address -> (whose, where, the guest)
        for h in self.ctx.model.hosts:
            for b in h.bridges:
                if not b.hwaddr:
                    continue
                me = f"NIC {b.nic or b.name} of host {h.name}"
                if b.hwaddr.lower() in first:
                    owner, span, _ = first[b.hwaddr.lower()]
                    yield self.report(f"hardware address {b.hwaddr} of {me} is already used by {owner}", b.at("hwaddr"),
                                      b.owner, related=(Related(span, f"{owner} has {b.hwaddr}"),),
                                      hint="copy each NIC's own address from `ip link`")
                else:
                    first[b.hwaddr.lower()] = (me, b.at("hwaddr"), None)
        for g in self.ctx.model.guests:
            for n in g.nics:
                if not n.mac:
                    continue
                key = n.mac.lower()
                if key in first:
                    owner, span, other = first[key]
                    if other is not None and self.ctx.one_guest(other, g):
                        continue  # one guest's two files (VF010), or one guest kept on each host of a pool
                    yield self.report(f"MAC {n.mac} of guest {g.name} (NIC {n.index}) is already used by "
                                      f"{owner}", n.at("mac"), n.owner,
                                      related=(Related(span, f"{owner} has {n.mac}"),),
                                      hint="write `mac auto`, or generate a new address")
                else:
                    first[key] = (f"guest {g.name} (NIC {n.index})", n.at("mac"), g)
