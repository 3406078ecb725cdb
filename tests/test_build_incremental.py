"""write_tree: a rebuild takes unchanged files over from the previous tree by hard link,
writes the changed ones, gives the same tree as a fresh build, swaps in one step, and
cleans what a killed build left behind."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from virtc import api, build
from virtc.atomic import remove_stale, write_file
from virtc.build import MANIFEST_NAME, BuildError, write_tree


def fleet(memory: str, guests: int = 6) -> str:
    return ("host h1 {\n  hypervisor xen; arch x86_64; release 5.8; memory 16G\n"
            "  bridge xenbr0 on eth0\n}\n"
            f"template web {{\n  type xen-pv; os rhel5.8 x86_64; memory 512M; vcpus 1\n"
            '  disk xvda tap:aio "/var/lib/xen/images/{name}.img" size 8G\n  nic bridge xenbr0\n}\n'
            f"guest web[1..{guests}] from web on h1 {{}}\n"
            f"guest db from web on h1 {{ memory {memory} }}\n")


def arts_of(tmp_path, text: str):
    src = tmp_path / "fleet.virt"
    src.write_text(text)
    result = api.build([str(src)], None, write=False)
    assert not result.has_errors, result.diagnostics[:3]
    return result.artifacts


def tree(folder) -> dict[str, tuple[str, bytes]]:
    out = {}
    for dirpath, dirs, files in os.walk(folder):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, folder)
            if os.path.islink(full):
                out[rel] = ("link", os.fsencode(os.readlink(full)))
            else:
                with open(full, "rb") as fh:
                    out[rel] = (oct(os.stat(full).st_mode & 0o777), fh.read())
    return out


def inodes(folder) -> dict[str, int]:
    return {os.path.relpath(os.path.join(d, f), folder): os.lstat(os.path.join(d, f)).st_ino
            for d, _, files in os.walk(folder) for f in files}


def backdate(folder) -> None:
    """Set every file's mtime one second before the manifest's, as a build that ran a
    while ago leaves them (this test runs faster than the clock's tick)."""
    written = os.stat(os.path.join(folder, MANIFEST_NAME)).st_mtime_ns
    for d, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(d, f)
            if f != MANIFEST_NAME and not os.path.islink(p):
                os.utime(p, ns=(written - 10**9, written - 10**9))


@pytest.mark.parametrize("same_tick", [False, True], ids=["backdated", "as-written"])
def test_rebuild_links_unchanged_files_and_equals_a_fresh_build(tmp_path, same_tick):
    old_arts, new_arts = arts_of(tmp_path, fleet("1G")), arts_of(tmp_path, fleet("2G"))
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    write_tree(old_arts, str(out))
    if not same_tick:
        backdate(out)
    before = inodes(out)
    old_text = {a.path: a.text for a in old_arts if a.link is None}
    write_tree(new_arts, str(out))
    write_tree(new_arts, str(fresh))
    assert tree(out) == tree(fresh), "a rebuild gives the same tree as a fresh build"
    after = inodes(out)
    changed = {a.path for a in new_arts if a.link is None and old_text.get(a.path) != a.text}
    unchanged = {a.path for a in new_arts if a.link is None} - changed
    assert changed and unchanged
    for p in unchanged:
        assert after[p] == before[p], f"{p}: unchanged, so the previous tree's file (same inode)"
    for p in changed:
        assert after[p] != before.get(p), f"{p}: changed, so written anew"
    assert after[MANIFEST_NAME] != before[MANIFEST_NAME]
    assert sorted(os.listdir(tmp_path)) == [".out.virtc-spare", "fleet.virt", "fresh", "out"], "no temporary left"


def test_a_file_edited_after_the_build_is_written_anew(tmp_path):
    arts = arts_of(tmp_path, fleet("1G"))
    out = tmp_path / "out"
    write_tree(arts, str(out))
    expected = tree(out)
    backdate(out)
    victim = next(a.path for a in arts if a.link is None)
    full = out / victim
    mode = os.stat(full).st_mode
    full.write_text(full.read_text().replace("h", "X"))  # hand edit: mtime now after the manifest
    other = next(a.path for a in arts if a.link is None and a.path != victim)
    os.chmod(out / other, 0o600)  # a changed mode is not what a fresh build writes either
    write_tree(arts, str(out))
    assert tree(out) == expected
    assert os.stat(full).st_mode == mode


def test_same_tick_edit_is_caught_by_comparing_bytes(tmp_path):
    arts = arts_of(tmp_path, fleet("1G"))
    out = tmp_path / "out"
    write_tree(arts, str(out))
    expected = tree(out)
    victim = next(a.path for a in arts if a.link is None)
    data = (out / victim).read_bytes()
    (out / victim).write_bytes(data.replace(b"h", b"X"))  # same size
    written = os.stat(out / MANIFEST_NAME).st_mtime_ns
    os.utime(out / victim, ns=(written, written))  # in the manifest's clock tick
    write_tree(arts, str(out))
    assert tree(out) == expected


def test_the_swap_keeps_the_rule_about_foreign_folders(tmp_path):
    arts = arts_of(tmp_path, fleet("1G"))
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(BuildError, match="not written by virtc"):
        write_tree(arts, str(foreign))
    assert sorted(os.listdir(foreign)) == ["notes.txt"]
    assert sorted(os.listdir(tmp_path)) == ["fleet.virt", "home"]
    empty = tmp_path / "empty"
    empty.mkdir()
    write_tree(arts, str(empty))
    assert (empty / MANIFEST_NAME).is_file()


def test_a_symlinked_output_folder_stays_a_symlink(tmp_path):
    arts = arts_of(tmp_path, fleet("1G"))
    real = tmp_path / "real"
    write_tree(arts, str(real))
    (tmp_path / "link").symlink_to("real")
    write_tree(arts_of(tmp_path, fleet("2G")), str(tmp_path / "link"))
    assert os.path.islink(tmp_path / "link") and b"2097152" in b"".join(
        v for _, v in tree(real).values())


def test_without_rename_exchange_the_fallback_still_replaces_the_tree(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "_exchange", lambda a, b: False)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    write_tree(arts_of(tmp_path, fleet("1G")), str(out))
    new = arts_of(tmp_path, fleet("2G"))
    write_tree(new, str(out))
    write_tree(new, str(fresh))
    assert tree(out) == tree(fresh)
    assert sorted(os.listdir(tmp_path)) == [".out.virtc-spare", "fleet.virt", "fresh", "out"]


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_build_folders_of_dead_processes_are_removed_not_others(tmp_path):
    arts = arts_of(tmp_path, fleet("1G"))
    pid = dead_pid()
    stale = tmp_path / f".virtc-build-{pid}-abc123"
    (stale / "guests").mkdir(parents=True)
    (stale / "guests" / "half").write_text("half a build")
    live = tmp_path / f".virtc-build-{os.getppid()}-abc123"  # a running process's
    live.mkdir()
    other = tmp_path / ".virtc-build-notapid"
    other.mkdir()
    write_tree(arts, str(tmp_path / "out"))
    assert not stale.exists()
    assert live.exists() and other.exists()


def test_stale_temporary_files_do_not_block_and_are_removed(tmp_path):
    pid = dead_pid()
    target = tmp_path / "report.sarif"
    stale = tmp_path / f".report.sarif.virtc-{pid}-x1y2.tmp"
    stale.write_text("half")
    stale_dir = tmp_path / f".report.sarif.virtc-{pid}-zz.tmp"  # even a folder in the way
    stale_dir.mkdir()
    write_file(str(target), "new\n")
    assert target.read_text() == "new\n"
    assert sorted(os.listdir(tmp_path)) == ["report.sarif"]
    assert remove_stale(str(tmp_path)) == []


def test_write_file_keeps_the_mode_and_cleans_up_on_interrupt(tmp_path, monkeypatch):
    target = tmp_path / "a.virt"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    write_file(str(target), "new\n")
    assert target.read_text() == "new\n" and os.stat(target).st_mode & 0o777 == 0o640

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_file(str(target), "newer\n")
    assert target.read_text() == "new\n"
    assert sorted(os.listdir(tmp_path)) == ["a.virt"]


def test_write_file_flushes_unless_told_the_file_may_be_lost(tmp_path, monkeypatch):
    """Every file is flushed with its folder before write_file returns, except with
    durable=False (the build cache), which is still replaced in one rename."""
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real(fd))
    target = tmp_path / "a.virt"
    write_file(str(target), "one\n")
    assert len(synced) == 2
    synced.clear()
    write_file(str(target), b"two\n", durable=False)
    assert synced == [] and target.read_text() == "two\n"
    assert sorted(os.listdir(tmp_path)) == ["a.virt"]


def test_a_build_flushes_the_tree_once_and_not_its_cache(tmp_path, monkeypatch):
    """One fsync, of the folder the tree was swapped into; the cache beside it is not
    flushed (after a power failure it may be cut short, and is then ignored)."""
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(os.readlink(f"/proc/self/fd/{fd}")) or real(fd))
    src = tmp_path / "fleet.virt"
    src.write_text(fleet("1G"))
    out = api.build([str(src)], str(tmp_path / "out"))
    assert not out.has_errors and (tmp_path / ".out.virtc-cache").is_file()
    assert synced == [str(tmp_path)]


def test_the_spare_tree_becomes_the_next_tree(tmp_path):
    """The tree a rebuild replaces is kept beside dest and reused by the next build: the
    result is a fresh build's tree, unchanged files keep their inode, and nothing else
    is left."""
    versions = [arts_of(tmp_path, fleet(m)) for m in ("1G", "2G", "3G", "2G")]
    out = tmp_path / "out"
    for i, arts in enumerate(versions):
        before = inodes(out) if i else {}
        write_tree(arts, str(out))
        fresh = tmp_path / f"fresh{i}"
        write_tree(arts, str(fresh))
        assert tree(out) == tree(fresh)
        if i:
            after = inodes(out)
            same = [p for p in after if p != MANIFEST_NAME and after[p] == before.get(p)]
            assert len(same) >= len(after) // 2, "unchanged files are the previous tree's"
        shutil.rmtree(fresh)
    assert sorted(os.listdir(tmp_path)) == [".out.virtc-spare", "fleet.virt", "out"]


def test_a_tampered_spare_still_gives_a_fresh_build(tmp_path):
    """Whatever the spare holds, the build makes of it exactly the tree a fresh build writes."""
    old, new = arts_of(tmp_path, fleet("1G")), arts_of(tmp_path, fleet("2G"))
    out, spare = tmp_path / "out", tmp_path / ".out.virtc-spare"
    write_tree(old, str(out))
    write_tree(new, str(out))
    assert spare.is_dir()
    files = sorted(p for p in spare.rglob("*") if p.is_file() and not p.is_symlink() and p.name != MANIFEST_NAME)
    links = sorted(p for p in spare.rglob("*") if p.is_symlink())
    # a file replaced by a copy (another inode, same bytes), one by other bytes, an extra file,
    # a link pointing elsewhere, a folder of another mode, a folder swapped for a symlink
    data = files[0].read_bytes()
    files[0].unlink()
    files[0].write_bytes(data)
    os.chmod(files[0], os.stat(out / files[0].relative_to(spare)).st_mode & 0o777)
    files[1].write_bytes(b"tampered\n")  # same inode as out's copy? then out's is changed too
    (files[2].parent / "extra").write_text("x")
    if links:
        links[0].unlink()
        links[0].symlink_to("../elsewhere")
    os.chmod(files[3].parent, 0o700)
    (tmp_path / "target").mkdir()
    folder = next(p for p in spare.iterdir() if p.is_dir())
    shutil.rmtree(folder)
    folder.symlink_to(tmp_path / "target")
    write_tree(old, str(out))
    fresh = tmp_path / "fresh"
    write_tree(old, str(fresh))
    assert tree(out) == tree(fresh)
    assert os.listdir(tmp_path / "target") == []
