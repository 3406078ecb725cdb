"""A rebuild (build cache, spare tree, previous tree to link from) gives exactly what a
build from scratch gives, after any edit: a chain of random edits to a fleet (a guest
changed, added or removed, a range grown, a host's memory, a template many guests use,
lines moved), each built over the last with everything kept beside the output, and each
built again in an empty folder; the diagnostics and the trees must be equal byte for byte."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from virtc import api

from conftest import tree_bytes


def render(state: dict) -> str:
    out = ["# moved\n" * state["moved"]]
    for name, memory in state["hosts"].items():
        out.append(f"host {name} {{\n  hypervisor xen; arch x86_64; release 5.8; memory {memory}\n"
                   "  dom0 memory 1G vcpus 1\n  bridge xenbr0 on eth0\n}\n")
    t = state["template"]
    out.append(f"template web {{\n  type xen-pv; os rhel5.8 x86_64; memory {t['memory']}; vcpus {t['vcpus']}\n"
               '  disk xvda tap:aio "/var/lib/xen/images/{name}.img" size 8G\n  nic bridge xenbr0\n}\n')
    for name, (host, count) in state["ranges"].items():
        out.append(f"guest {name}[1..{count}] from web on {host} {{}}\n")
    for name, (host, memory) in state["guests"].items():
        body = f" memory {memory} " if memory else ""
        out.append(f"guest {name} from web on {host} {{{body}}}\n")
    return "".join(out)


def edit(state: dict, rnd: random.Random) -> str:
    hosts = sorted(state["hosts"])
    kind = rnd.choice(["guest", "add", "remove", "range", "host", "template", "move"])
    if kind == "guest" and state["guests"]:
        name = rnd.choice(sorted(state["guests"]))
        state["guests"][name] = (state["guests"][name][0], rnd.choice([None, "256M", "1G", "3G"]))
    elif kind == "add":
        name = f"db{rnd.randrange(1000)}"
        state["guests"][name] = (rnd.choice(hosts), rnd.choice([None, "768M", "2G"]))
    elif kind == "remove" and state["guests"]:
        del state["guests"][rnd.choice(sorted(state["guests"]))]
    elif kind == "range":
        name = rnd.choice(sorted(state["ranges"]))
        host, count = state["ranges"][name]
        state["ranges"][name] = (host, max(1, count + rnd.choice([-2, -1, 1, 3])))
    elif kind == "host":
        # small totals over-commit the host: the build fails and writes nothing, as from scratch
        state["hosts"][rnd.choice(hosts)] = rnd.choice(["4G", "8G", "16G", "32G"])
    elif kind == "template":
        state["template"] = {"memory": rnd.choice(["256M", "512M", "1G"]), "vcpus": rnd.choice([1, 2, 4])}
    else:
        state["moved"] = rnd.randrange(4)
    return kind


def build(folder: Path, text: str):
    src = folder.parent / "fleet.virt"  # one source file for both builds: the same spans
    src.write_text(text)
    return api.build([str(src)], str(folder / "out"))


@pytest.mark.parametrize("seed", range(3))
def test_a_chain_of_rebuilds_equals_builds_from_scratch(tmp_path, seed):
    rnd = random.Random(seed)
    state = {"moved": 0, "hosts": {"h0": "16G", "h1": "16G", "h2": "32G"},
             "template": {"memory": "512M", "vcpus": 1},
             "ranges": {"web": ("h0", 3), "app": ("h1", 2), "job": ("h2", 4)},
             "guests": {"db1": ("h0", "1G"), "db2": ("h2", None)}}
    kept = tmp_path / "kept"
    kept.mkdir()
    assert not build(kept, render(state)).has_errors
    last_good = tree_bytes(kept / "out")
    kinds, reused = [], 0
    for step in range(8):
        kinds.append(edit(state, rnd))
        text = render(state)
        again = build(kept, text)
        scratch = tmp_path / f"scratch{step}"
        scratch.mkdir()
        fresh = build(scratch, text)
        where = f"seed {seed}, edits {kinds}"
        assert [str(d) for d in again.diagnostics] == [str(d) for d in fresh.diagnostics], where
        assert again.artifacts == fresh.artifacts, where
        if fresh.has_errors:  # nothing written: the tree of the last good build stays
            assert not (scratch / "out").exists() and tree_bytes(kept / "out") == last_good, where
        else:
            reused += again.build_cache.stats["reused"]
            last_good = tree_bytes(kept / "out")
            assert last_good == tree_bytes(scratch / "out"), where
    assert reused  # the cache was used, not only filled
