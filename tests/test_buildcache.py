"""The build cache (virtc.buildcache): a rebuild emits again only the hosts whose slice of
the model changed, and gives exactly what a clean build gives; whatever could change an
emitted byte changes the key; a corrupt, truncated or hostile cache is ignored."""
from __future__ import annotations

import os
import pickle
import zlib
from pathlib import Path

import pytest
import virtc
from virtc import api, buildcache
from virtc.build import artifacts
from virtc.buildcache import BuildCache, cache_path

from conftest import tree_bytes

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.virt"))

HOSTS = "".join(f"host h{i} {{\n  hypervisor xen; arch x86_64; release 5.8; memory 16G\n  bridge xenbr0 on eth0\n}}\n"
                for i in range(3))


def fleet(memory: str = "512M", template_vcpus: int = 1, h1_memory: str = "16G") -> str:
    return (HOSTS.replace("host h1 {\n  hypervisor xen; arch x86_64; release 5.8; memory 16G",
                          f"host h1 {{\n  hypervisor xen; arch x86_64; release 5.8; memory {h1_memory}")
            + f"template web {{\n  type xen-pv; os rhel5.8 x86_64; memory 512M; vcpus {template_vcpus}\n"
            '  disk xvda tap:aio "/var/lib/xen/images/{name}.img" size 8G\n  nic bridge xenbr0\n}\n'
            + "".join(f"guest web{i}[1..3] from web on h{i} {{}}\n" for i in range(3))
            + f"guest db from web on h0 {{ memory {memory} }}\n")


def build(tmp_path: Path, text: str, out: str = "out"):
    src = tmp_path / "fleet.virt"
    src.write_text(text)
    result = api.build([str(src)], str(tmp_path / out))
    assert not result.has_errors, result.diagnostics[:3]
    return result


def clean(tmp_path: Path, text: str):
    """A build with no cache and no previous tree, for comparison."""
    folder = tmp_path / "clean"
    folder.mkdir(exist_ok=True)
    result = build(folder, text)
    return result, tree_bytes(folder / "out")


def same_result(a, b) -> None:
    assert [str(d) for d in a.diagnostics] == [str(d) for d in b.diagnostics]
    assert a.artifacts == b.artifacts


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_host_by_host_emission_is_the_whole_models(example):
    """What the cache relies on: each host's files come from that host and its guests."""
    result = api.check([str(example)])
    assert result.model is not None
    whole, whole_diags = artifacts(result.model)
    sliced, sliced_diags = artifacts(result.model, cache=BuildCache("stamp"))
    assert sliced == whole and sliced_diags == whole_diags


def test_rebuild_after_one_guest_changed_is_a_clean_build(tmp_path):
    build(tmp_path, fleet("512M"))
    again = build(tmp_path, fleet("1G"))
    # db lives on h0: h0's slice is emitted again for every target, the others come from the cache
    stats = again.build_cache.stats
    assert stats["emitted"] == len(api.target_names()) and stats["reused"] == 2 * stats["emitted"]
    expect, files = clean(tmp_path, fleet("1G"))
    same_result(again, expect)
    assert tree_bytes(tmp_path / "out") == files


def test_unchanged_rebuild_emits_nothing_and_moving_lines_changes_nothing(tmp_path):
    build(tmp_path, fleet())
    assert build(tmp_path, fleet()).build_cache.stats["emitted"] == 0
    moved = "# a comment that moves every line down\n\n" + fleet()
    again = build(tmp_path, moved)
    assert again.build_cache.stats["emitted"] == 0  # spans are not part of a key
    expect, files = clean(tmp_path, moved)
    same_result(again, expect)  # the diagnostics point at the new lines
    assert tree_bytes(tmp_path / "out") == files


def test_a_cache_that_holds_this_builds_entries_is_not_written_again(tmp_path):
    build(tmp_path, fleet())
    path = cache_path(str(tmp_path / "out"))
    before = os.stat(path)
    assert build(tmp_path, fleet()).build_cache.stats["emitted"] == 0
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    # another key (a changed guest, or an entry dropped) writes it, and it serves the next build
    build(tmp_path, fleet("1G"))
    assert os.stat(path).st_ino != before.st_ino
    assert build(tmp_path, fleet("1G")).build_cache.stats["emitted"] == 0
    src = tmp_path / "fleet.virt"  # fewer targets: the others' entries are dropped
    api.build([str(src)], str(tmp_path / "out"), targets=["libvirt"])
    assert len(BuildCache.open(str(tmp_path / "out"))._old) == 3  # one per host


def test_a_changed_host_or_template_emits_what_depends_on_it(tmp_path):
    build(tmp_path, fleet())
    host = build(tmp_path, fleet(h1_memory="32G"))
    assert host.build_cache.stats["emitted"] == len(api.target_names())  # h1 only
    template = build(tmp_path, fleet(h1_memory="32G", template_vcpus=2))
    assert template.build_cache.stats["reused"] == 0  # every host has guests of the template
    expect, files = clean(tmp_path, fleet(h1_memory="32G", template_vcpus=2))
    same_result(template, expect)
    assert tree_bytes(tmp_path / "out") == files


def test_other_code_limits_or_version_is_another_stamp(tmp_path, monkeypatch):
    first = buildcache.stamp()
    monkeypatch.setattr(virtc, "__version__", virtc.__version__ + "+other")
    assert buildcache.stamp() != first
    monkeypatch.undo()
    build(tmp_path, fleet())
    monkeypatch.setattr(buildcache, "stamp", lambda: "limits.json or any file of virtc changed")
    again = build(tmp_path, fleet())
    assert again.build_cache.stats["reused"] == 0


def test_the_stamp_covers_limits_and_the_emitters():
    import virtc.schemas
    import virtc.targets

    files = set()
    for pkg in (virtc.schemas, virtc.targets):
        files |= {p.name for root in pkg.__path__ for p in Path(root).rglob("*")}
    assert {"limits.json", "emit.py", "xend.py"} <= files  # what buildcache.stamp() reads


def corruptions(data: bytes) -> list[bytes]:
    head, body = data.split(b"\n", 1)
    flipped = bytearray(body)
    flipped[len(body) // 2] ^= 0x20
    hostile = pickle.dumps({"stamp": buildcache.stamp(), "entries": {"k": os.system}})
    return [b"", data[: len(data) // 2], b"garbage\n" + body, head + b"\n" + bytes(flipped),
            buildcache._MAGIC + f"{zlib.crc32(hostile):08x} {len(hostile)}\n".encode() + hostile,
            data + b"more"]


@pytest.mark.parametrize("case", range(6))
def test_a_corrupt_or_hostile_cache_is_ignored(tmp_path, case):
    build(tmp_path, fleet())
    path = cache_path(str(tmp_path / "out"))
    bad = corruptions(Path(path).read_bytes())[case]
    Path(path).write_bytes(bad)
    assert BuildCache.open(str(tmp_path / "out"))._old == {}
    again = build(tmp_path, fleet("1G"))
    assert again.build_cache.stats["reused"] == 0
    expect, files = clean(tmp_path, fleet("1G"))
    same_result(again, expect)
    assert tree_bytes(tmp_path / "out") == files
    assert BuildCache.open(str(tmp_path / "out"))._old  # rewritten whole


def test_a_cache_of_the_wrong_shape_is_ignored(tmp_path):
    build(tmp_path, fleet())
    path = cache_path(str(tmp_path / "out"))
    for value in [[], {"stamp": buildcache.stamp()}, {"stamp": buildcache.stamp(), "entries": {"k": (("p", 1, None, None),)}}]:
        body = pickle.dumps(value)
        Path(path).write_bytes(buildcache._MAGIC + f"{zlib.crc32(body):08x} {len(body)}\n".encode() + body)
        assert BuildCache.open(str(tmp_path / "out"))._old == {}


def test_the_cache_sits_beside_the_tree_not_in_it(tmp_path):
    build(tmp_path, fleet())
    assert (tmp_path / ".out.virtc-cache").is_file()
    assert not any(p.name.endswith(".virtc-cache") for p in (tmp_path / "out").rglob("*"))


def test_the_key_leaves_out_every_span_and_nothing_else():
    """A slice's key: every field but the spans (moving a block changes no key), and no
    two different values alike (a tuple is not an object of the same fields, 1 is not
    True, a string is not a span)."""
    from dataclasses import replace

    from virtc.buildcache import _flat
    from virtc.model import FieldSpans
    from virtc.owner import Owner
    from virtc.source import Span

    a, b = Span("a.virt", 1, 2, 3, 4, 5, 6), Span("it's (odd) \"name\".virt", 9, 9, 9, 9, 90, 99)
    assert _flat(FieldSpans((("memory", a),))) == _flat(FieldSpans((("memory", b),)))
    assert _flat(FieldSpans((("memory", a),))) != _flat(FieldSpans((("vcpus", a),)))
    owner = Owner("h", "g", None)
    different = [owner, ("Owner", "h", "g", None), ["Owner", "h", "g", None], replace(owner, part="nic 0"),
                 1, True, 1.0, "1", None, "...", a, (a,), [1], {"repr": "1"}]
    flats = [buildcache.marshal.dumps(_flat(x), 2) for x in different]
    assert len(set(flats)) == len(flats)


def test_equal_slices_have_equal_keys_however_their_strings_were_made():
    """marshal from version 3 on writes an interned string, or an object met twice, other
    than the same value made anew: equal slices would get different keys."""
    import sys
    from dataclasses import replace

    text = fleet()
    model = api.check(["f.virt"], {"f.virt": text}).model
    name = model.guests[0].name
    again = api.check(["f.virt"], {"f.virt": text}).model
    renamed = replace(again, guests=(replace(again.guests[0], name=sys.intern("".join(name))), *again.guests[1:]))
    assert [buildcache.digest(c) for c in buildcache.cuts(model)] == [buildcache.digest(c) for c in buildcache.cuts(renamed)]


def test_moving_a_guest_changes_no_key_and_changing_it_changes_its_hosts_only():
    text = fleet()
    first = api.check(["f.virt"], {"f.virt": text}).model
    moved = api.check(["f.virt"], {"f.virt": "\n\n# moved\n" + text}).model
    changed = api.check(["f.virt"], {"f.virt": text.replace("guest web1[1..3]", "guest web1[1..4]")}).model
    keys = [[buildcache.digest(c) for c in buildcache.cuts(m)] for m in (first, moved, changed)]
    assert keys[0] == keys[1]
    assert [a == b for a, b in zip(keys[0], keys[2])] == [True, False, True]
