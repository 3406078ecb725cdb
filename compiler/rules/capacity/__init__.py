"""CPU and memory rules (checklist areas CPU, MEM): vCPUs, overcommit, memory limits.

Host rules add up every guest declared on a host. virtc does not know which guests run at
the same time, so every declared guest counts: a paused guest still holds its memory
(MEM-16, §25 lines 4135, 4216), and a stopped one can be started at any time. A host
that does not state a fact a rule needs (cores, logical CPUs, RAM, swap) is not checked
by that rule: nothing is guessed.

The modules: cpus (vCPUs, CPU overcommit, CPU lists, dom0's CPUs), numa (NUMA cells),
memory (guest sizes and what a host holds), and common (what they share). virtc.ruleset
lists each of them.
"""
from __future__ import annotations

from . import common, cpus, memory, numa  # noqa: F401  (virtc.ruleset)

# Checklist items of this area that no rule implements, and why (see compiler/coverage.py).
NOT_CHECKABLE: dict[str, str] = {
    "CPU-14": "emitter: virt-install --cpuset=auto is a provisioning option; virtc writes the cpuset the "
              "description states (VC107 checks it against the NUMA cells)",
    "CPU-16": "no field: the credit scheduler's per-domain weight and cap (xm sched-credit -w/-c) are not in "
              "the model; a guest statement such as `sched weight 256 cap 25` would be needed",
}
