"""check, build and plan take what fmt takes: folders (their *.virt files) and '-'."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "kvm-lab.virt"


def run(*args, stdin=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "virtc", *args], capture_output=True, text=True, input=stdin,
                          cwd=cwd, env={**os.environ, "NO_COLOR": "1"})


def test_check_reads_stdin_like_the_file(tmp_path):
    text = EXAMPLE.read_text()
    bad = text.replace("memory", "memroy", 1)
    (tmp_path / "x.virt").write_text(bad)
    from_file = run("check", "--format", "concise", "x.virt", cwd=tmp_path)
    from_stdin = run("check", "--format", "concise", "--stdin-filename", "x.virt", "-", stdin=bad, cwd=tmp_path)
    assert from_stdin.returncode == from_file.returncode == 1
    assert from_stdin.stdout == from_file.stdout and "memroy" in from_stdin.stdout
    assert run("check", "-", stdin=text).returncode == 0


def test_a_folder_means_its_virt_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "lab.virt").write_text(EXAMPLE.read_text())
    (tmp_path / "a" / "notes.txt").write_text("not a .virt file {")
    whole = run("check", "--format", "concise", str(tmp_path / "a"))
    one = run("check", "--format", "concise", str(tmp_path / "a" / "lab.virt"))
    assert whole.returncode == one.returncode == 0 and whole.stdout == one.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("check", str(empty))
    assert r.returncode == 2 and "no .virt file" in r.stderr


def test_build_and_plan_read_stdin(tmp_path):
    text = EXAMPLE.read_text()
    out = tmp_path / "out"
    assert run("build", "-", "-o", str(out), stdin=text).returncode == 0
    ref = tmp_path / "ref"
    assert run("build", str(EXAMPLE), "-o", str(ref)).returncode == 0
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files and files == sorted(p.relative_to(ref) for p in ref.rglob("*") if p.is_file())
    assert all((out / f).read_bytes() == (ref / f).read_bytes() for f in files)
    plan = run("plan", "-", "-o", str(out), "--detailed-exitcode", stdin=text)
    assert plan.returncode == 0, plan.stdout + plan.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_that_never_ends_is_refused_at_the_size_limit(tmp_path):
    # /dev/zero says its size is 0 and never stops: read no further than the limit
    from virtc import api
    from virtc.lint import lint_files
    from virtc.loading import MAX_FILE_BYTES, read_source

    src, problem = read_source("/dev/zero")
    assert src is None and f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB" in problem
    (tmp_path / "x.virt").write_text('include "/dev/zero"\n')
    out = api.check([str(tmp_path / "x.virt")])
    assert out.has_errors and any("larger than" in d.message for d in out.diagnostics)
    read = lint_files(["/dev/zero"])
    assert [d.code for d in read.diagnostics] == ["VF011"]  # virtc's own limit (bounds.py)
    assert "up to 4 MiB" in read.diagnostics[0].message


def test_a_folder_of_virt_files_nested_deeper_than_the_recursion_limit(tmp_path):
    """`virtc check FOLDER` finds the .virt files under it with a stack of its own
    (Path.rglob of Python 3.11 calls itself per level): under a recursion limit 100 frames
    above this test, a folder 300 deep is searched, its files in sorted order, a link to
    a folder not followed."""
    import os

    from conftest import recursion_headroom
    from virtc.loading import expand

    (tmp_path / "b.virt").write_text("")
    (tmp_path / "a.virt").write_text("")
    (tmp_path / "notes.txt").write_text("")
    bottom = tmp_path
    for _ in range(300):
        bottom = bottom / "d"
        os.mkdir(bottom)
    (bottom / "deep.virt").write_text("")
    (tmp_path / "loop").symlink_to(tmp_path)
    with recursion_headroom(100):
        found = expand([str(tmp_path)])
    assert found == sorted([str(tmp_path / "a.virt"), str(tmp_path / "b.virt"), str(bottom / "deep.virt")])
