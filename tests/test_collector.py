"""A check in process (the language server's, a library caller's) leaves what it made out
of the cyclic collector's youngest generation: compiling runs with the collector off
(api._no_cyclic_gc), and everything made then would otherwise be scanned by the first
collection after it, started by the next allocation. Nothing is left frozen: a full
collection still sees it all."""
from __future__ import annotations

import gc

from virtc.api import check


def test_a_check_leaves_what_it_made_to_the_oldest_generation_and_nothing_frozen():
    text = "".join(f"host h{i} {{\n  hypervisor xen\n}}\nguest g{i} on h{i} {{\n  type xen-pv; memory 1G\n}}\n"
                   for i in range(500))
    gc.unfreeze()  # (a lint earlier in this process froze what it made: api.lint)
    gc.collect()
    assert gc.isenabled()
    out = check(["fleet.virt"], texts={"fleet.virt": text})
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    guest = out.model.guests[0]
    assert any(o is guest for o in gc.get_objects(generation=2))  # not rescanned on the way there
    assert len(gc.get_objects(generation=0)) < 2_000
