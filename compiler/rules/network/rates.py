"""Bandwidth limits of vifs (rate=): their form, KVM guests, and what the units mean."""
from __future__ import annotations

import re

from ...diagnostics import Severity
from ...model import Guest
from ...numbers import rate_problem
from ..base import Rule


def _rate(rule: Rule, text: str):
    """(amount, prefix, unit, window, window_unit) of a vif rate, or None when malformed."""
    m = re.fullmatch(rule.limit("xen.rate_pattern").value, text)
    if not m or rate_problem(text):  # bounded before int()
        return None
    amount, prefix, unit, _, window, wunit = m.groups()
    return int(amount), prefix, unit, int(window) if window else None, wunit


_SIZE_PREFIXES = ("", "K", "M", "G")
_TIME_UNITS = ("us", "ms", "s")


def _credit(amount: int, prefix: str, unit: str, window: int, wunit: str) -> str | None:
    """What one time window allows, e.g. 10MB/s@50ms -> '500 KB' (decimal prefixes, as xm)."""
    shift = _TIME_UNITS.index(wunit) - (len(_TIME_UNITS) - 1)
    pos = _SIZE_PREFIXES.index(prefix) + shift
    if pos < 0:
        return None
    return f"{amount * window} {_SIZE_PREFIXES[pos]}{'B' if unit == 'B' else 'bit'}"


class VifRate(Rule):
    """A vif rate limit is well-formed and lets traffic through.

    What it checks: the rate of each Xen NIC: an amount per second with K, M or G and b
    (bits) or B (bytes), and an optional time window in us, ms or s; neither may be zero.

    Why: "The rate= option can be added to the VIF= entry ... to limit a virtual machine's
    network bandwidth", written like rate=10Mb/s, rate=250KB/s or rate=10MB/s@50ms (§32.10,
    lines 5423, 5430-5438). xm ignores a rate it cannot parse and the guest runs unlimited
    (the DSL refuses such values; models read from xm files may hold them); a zero rate
    stops all outgoing traffic.

    Example:
        nic bridge xenbr0 rate 0MB/s

    Fix: a positive amount, e.g. `rate 10MB/s`, or no rate.
    """

    code, name, severity = "VN127", "vif-rate", Severity.ERROR
    guest_types = ("xen-pv", "xen-hvm")
    checklist, section, lines = ("NET-36",), "§32.10", "5423, 5430-5438"
    uses = ("xen.rate_pattern",)

    def guest(self, g: Guest):
        if not g.is_xen:
            return
        for n in g.nics:
            if not n.rate:
                continue
            parsed = _rate(self, n.rate)
            if parsed is None and rate_problem(n.rate):
                yield self.report(f"guest {g.name} (NIC {n.index}): {rate_problem(n.rate)}", n.at("rate"),
                                  n.owner, hint="write a smaller rate, e.g. 10MB/s")
            elif parsed is None:
                yield self.report(f"rate {n.rate} of guest {g.name} (NIC {n.index}) is not an amount per second; "
                                  "xm ignores it and the guest runs unlimited", n.at("rate"), n.owner,
                                  limit=self.limit("xen.rate_pattern"),
                                  hint="e.g. 10MB/s (bytes), 10Mb/s (bits), optionally @50ms")
            else:
                amount, _, _, window, _ = parsed
                if amount == 0:
                    yield self.report(f"rate {n.rate} of guest {g.name} (NIC {n.index}) lets no traffic out",
                                      n.at("rate"), n.owner, hint="give a positive amount, or drop the rate")
                elif window == 0:
                    yield self.report(f"rate {n.rate} of guest {g.name} (NIC {n.index}) has a zero time window",
                                      n.at("rate"), n.owner, hint="leave the window out (xm's default applies)")


class RateOnKvm(Rule):
    """A NIC rate limit only works on Xen.

    What it checks: `rate` on a KVM guest's NIC.

    Why: rate is a parameter "of the VIF entries" with which "Xen can throttle virtualized
    guests" (§32.10, lines 5420-5423); the guide documents no bandwidth limit for KVM, and
    RHEL 5's libvirt (0.8.2) has no element for one, so virtc cannot write it anywhere and
    the guest runs at the full speed of the physical NIC ("by default, the guest can use
    any bandwidth", line 5420).

    Example:
        guest g on kvm1 { memory 1G; nic bridge br0 model virtio rate 10MB/s }

    Fix: drop the rate, or shape the guest's tap device on the host with tc.
    """

    code, name, severity = "VN128", "rate-on-kvm", Severity.WARNING
    guest_types = ("kvm",)
    checklist, section, lines = ("NET-36",), "§32.10", "5420-5423"

    def guest(self, g: Guest):
        if g.type != "kvm":
            return
        for n in g.nics:
            if n.rate:
                yield self.report(f"rate {n.rate} on NIC {n.index} of KVM guest {g.name} has no effect: only Xen "
                                  "vifs take a rate", n.at("rate"), n.owner,
                                  hint="drop it, or shape the tap device with tc on the host")


class RateUnits(Rule):
    """What a vif rate means: bits or bytes, and how much one time window lets through.

    What it checks: Xen NIC rates written in bits (b) and rates with a time window shorter
    than the default 50 ms; the message states the amount per window.

    Why: contradiction C-27: the guide describes "rate=10Mb/s" as limiting outgoing traffic
    "to 10MB/s" (lines 5430-5431) and "rate=10MB/s@50ms" as giving the guest "50KB every
    50ms" (lines 5434-5435), which would be 1 MB/s. xm reads b as bits and B as bytes: 10Mb/s
    is an eighth of 10MB/s, and 10MB/s@50ms is 500KB per window. virtc follows xm and states
    the amounts. "The default time window is 50ms. A smaller time window gives less burst
    transmission, but the replenishment rate and latency increase. The default 50ms window
    is a good balance and rarely needs changing" (lines 5425-5428).

    Example:
        nic bridge xenbr0 rate 10Mb/s

    Fix: write bytes (MB/s) if that is what you mean; keep the default window.
    """

    code, name, severity = "VN129", "rate-units", Severity.INFO
    guest_types = ("xen-pv", "xen-hvm")
    checklist, section, lines = ("NET-37",), "§32.10", "5425-5435"
    uses = ("xen.rate_window_default", "xen.rate_pattern")

    def guest(self, g: Guest):
        if not g.is_xen:
            return
        default = self.limit("xen.rate_window_default")
        for n in g.nics:
            parsed = _rate(self, n.rate) if n.rate else None
            if parsed is None or parsed[0] == 0:
                continue
            amount, prefix, unit, window, wunit = parsed
            win, wu = (window, wunit) if window else (default.value, "ms")
            credit = _credit(amount, prefix, unit, win, wu)
            per = f" ({credit} per {win}{wu} window)" if credit else ""
            if unit == "b":
                yield self.report(f"rate {n.rate} of guest {g.name} (NIC {n.index}) is in bits: {amount} "
                                  f"{prefix or ''}bit/s, an eighth of {amount}{prefix}B/s{per}", n.at("rate"),
                                  n.owner, limit=default,
                                  hint=f"write {amount}{prefix}B/s if you mean bytes (C-27)")
            if window and wunit == "ms" and window < default.value:
                yield self.report(f"rate {n.rate} of guest {g.name} (NIC {n.index}) uses a {window}ms window, "
                                  f"shorter than the default {default.value}ms{per}: less burst, more overhead",
                                  n.at("rate"), n.owner, limit=default,
                                  hint=f"leave the window out ({default.value}ms) unless latency matters more")
