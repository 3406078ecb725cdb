"""`virtc plan`: the unified diff of what `build -o DIR` would change, exit codes as
terraform plan (with --detailed-exitcode: 0 no change, 1 error, 2 changes), and nothing
written, ever."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, need
from virtc.plan import FILE_MODE, LINK_MODE, Entry, file_diff

FARM = EXAMPLES / "xen-webfarm.virt"


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "virtc", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "NO_COLOR": "1", **(env or {})})


def snapshot(root: Path) -> dict[str, tuple]:
    """Everything under root, with modification times: a plan must change none of it."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(folder, name)
            st = p.lstat()
            out[p.relative_to(root).as_posix()] = (st.st_mode, st.st_mtime_ns,
                                                   os.readlink(p) if p.is_symlink() else
                                                   p.read_bytes() if p.is_file() else None)
    return out


def headers(diff: str) -> list[str]:
    return re.findall(r"^diff --git a/(\S+) b/\S+$", diff, re.M)


def changed_lines(diff: str) -> list[str]:
    return [ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++ ", "--- "))]


@pytest.fixture
def built(tmp_path):
    """(fleet.virt, DIR): the web farm example, built into DIR."""
    src = tmp_path / "fleet.virt"
    shutil.copy(FARM, src)
    out = tmp_path / "out"
    r = run("build", str(src), "-o", str(out))
    assert r.returncode == 0, r.stderr
    return src, out


def edit(src: Path, old: str, new: str) -> None:
    text = src.read_text()
    assert old in text
    src.write_text(text.replace(old, new, 1))


def test_no_changes(built):
    src, out = built
    before = snapshot(out)
    r = run("plan", str(src), "-o", str(out), "--detailed-exitcode")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert "no changes" in r.stderr and "up to date" in r.stderr
    assert snapshot(out) == before


def test_memory_change_shows_exactly_the_changed_lines(built):
    src, out = built
    edit(src, "  memory 12G", "  memory 8G")  # db01
    before = snapshot(out)
    r = run("plan", str(src), "-o", str(out), "--detailed-exitcode")
    assert r.returncode == 2, r.stderr
    assert headers(r.stdout) == ["xenweb1/etc/libvirt/xen/db01.xml", "xenweb1/etc/xen/db01"]
    assert "--- a/xenweb1/etc/xen/db01\n+++ b/xenweb1/etc/xen/db01\n" in r.stdout
    assert changed_lines(r.stdout) == ["-  <currentMemory>12582912</currentMemory>",
                                       "+  <currentMemory>8388608</currentMemory>",
                                       "-memory = 12288", "+memory = 8192"]
    assert "0 to add, 2 to change, 0 to remove" in r.stderr
    assert snapshot(out) == before
    # without --detailed-exitcode a successful plan exits 0, changes or not
    assert run("plan", str(src), "-o", str(out)).returncode == 0


def test_removed_guest_is_a_deletion(built):
    src, out = built
    text = src.read_text()
    src.write_text(re.sub(r"\nguest mon01 .*?\n}\n", "\n", text, flags=re.S))
    r = run("plan", str(src), "-o", str(out), "--detailed-exitcode")
    assert r.returncode == 2, r.stderr
    assert headers(r.stdout) == ["xenweb1/etc/libvirt/xen/mon01.xml", "xenweb1/etc/xen/auto/mon01",
                                 "xenweb1/etc/xen/mon01"]
    xm = (out / "xenweb1/etc/xen/mon01").read_text()
    assert ("diff --git a/xenweb1/etc/xen/mon01 b/xenweb1/etc/xen/mon01\n"
            "deleted file mode 100644\n"
            "--- a/xenweb1/etc/xen/mon01\n"
            "+++ /dev/null\n"
            f"@@ -1,{len(xm.splitlines())} +0,0 @@\n") in r.stdout
    assert all(f"-{ln}" in r.stdout.splitlines() for ln in xm.splitlines())
    # the autostart symlink: its target is its content, as git shows links
    assert ("diff --git a/xenweb1/etc/xen/auto/mon01 b/xenweb1/etc/xen/auto/mon01\n"
            "deleted file mode 120000\n"
            "--- a/xenweb1/etc/xen/auto/mon01\n"
            "+++ /dev/null\n"
            "@@ -1 +0,0 @@\n"
            "-../mon01\n"
            "\\ No newline at end of file\n") in r.stdout
    assert not any(ln.startswith("+") and not ln.startswith("+++") for ln in r.stdout.splitlines())
    assert "0 to add, 0 to change, 3 to remove" in r.stderr


def test_added_guest_is_new_files(built):
    src, out = built
    src.write_text(src.read_text() + "\nguest extra01 from rhel5pv on xenweb1 {\n  nic bridge xenbr1\n"
                                      "  autostart\n}\n")
    r = run("plan", str(src), "-o", str(out), "--detailed-exitcode")
    assert r.returncode == 2, r.stderr
    assert set(headers(r.stdout)) == {"xenweb1/etc/libvirt/xen/extra01.xml", "xenweb1/etc/xen/auto/extra01",
                                      "xenweb1/etc/xen/extra01"}
    assert ("new file mode 100644\n--- /dev/null\n+++ b/xenweb1/etc/xen/extra01\n@@ -0,0 +1,") in r.stdout
    assert ("new file mode 120000\n--- /dev/null\n+++ b/xenweb1/etc/xen/auto/extra01\n@@ -0,0 +1 @@\n"
            "+../extra01\n\\ No newline at end of file\n") in r.stdout
    assert "3 to add, 0 to change, 0 to remove" in r.stderr


def test_plan_applies_with_git(built, tmp_path):
    """The diff is a real patch: `git apply` inside DIR gives what a build writes."""
    git = shutil.which("git")
    need(git is not None, "git")
    src, out = built
    edit(src, "  memory 12G", "  memory 8G")
    src.write_text(re.sub(r"\nguest mon01 .*?\n}\n", "\n", src.read_text(), flags=re.S)
                   + "\nguest extra01 from rhel5pv on xenweb1 {\n  nic bridge xenbr1\n  autostart\n}\n")
    r = run("plan", str(src), "-o", str(out))
    assert r.returncode == 0, r.stderr
    patch = tmp_path / "plan.diff"
    patch.write_text(r.stdout)
    applied = tmp_path / "applied"
    shutil.copytree(out, applied, symlinks=True)
    done = subprocess.run([git, "apply", "--unsafe-paths", str(patch)], cwd=applied,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    fresh = tmp_path / "fresh"
    assert run("build", str(src), "-o", str(fresh)).returncode == 0

    def content(root):
        return {k: v[2] for k, v in snapshot(root).items() if k != ".virtc-manifest" and v[2] is not None}

    assert content(applied) == content(fresh)


def test_errors_exit_1_and_write_nothing(built):
    src, out = built
    edit(src, "nic bridge xenbr1 mac 00:16:3e:10:00:01", "nic bridge nosuch")
    before = snapshot(out)
    for extra in ([], ["--detailed-exitcode"]):
        r = run("plan", str(src), "-o", str(out), *extra)
        assert r.returncode == 1, r.stderr
        assert r.stdout == ""  # the diagnostics go to stderr: stdout is only ever the diff
        assert "VR003" in r.stderr and "a build would write nothing" in r.stderr
    assert snapshot(out) == before
    # nor is a missing output folder created
    r = run("plan", str(src), "-o", str(out.parent / "new"), "--detailed-exitcode")
    assert r.returncode == 1 and not (out.parent / "new").exists()


def test_not_a_virtc_output_folder(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me\n")
    r = run("plan", str(FARM), "-o", str(mine))
    assert r.returncode == 2
    assert "not a virtc output folder" in r.stderr and ".virtc-manifest" in r.stderr
    assert r.stdout == ""
    assert run("plan", str(FARM), "-o", str(mine), "--detailed-exitcode").returncode == 1
    assert (mine / "notes.txt").read_text() == "keep me\n" and len(list(mine.iterdir())) == 1
    afile = tmp_path / "afile"
    afile.write_text("x")
    r = run("plan", str(FARM), "-o", str(afile), "--detailed-exitcode")
    assert r.returncode == 1 and "is not a folder" in r.stderr


def test_missing_folder_is_all_new(tmp_path):
    out = tmp_path / "nothing-yet"
    r = run("plan", str(FARM), "-o", str(out), "--detailed-exitcode")
    assert r.returncode == 2, r.stderr
    assert "does not exist: a build would create it" in r.stderr
    assert r.stdout.count("--- /dev/null\n") == len(headers(r.stdout)) > 20
    assert not out.exists()


def test_hand_edits_and_strangers_are_reported(built):
    src, out = built
    xm = out / "xenweb1/etc/xen/web01"
    xm.write_text(xm.read_text().replace("vcpus = 2", "vcpus = 4"))
    (out / "xenweb1/etc/xen/local-notes").write_text("mine\n")
    r = run("plan", str(src), "-o", str(out), "--detailed-exitcode")
    assert r.returncode == 2
    assert headers(r.stdout) == ["xenweb1/etc/xen/local-notes", "xenweb1/etc/xen/web01"]
    assert changed_lines(r.stdout) == ["-mine", "-vcpus = 4", "+vcpus = 2"]
    assert "xenweb1/etc/xen/web01 was changed or removed since virtc wrote it" in r.stderr
    assert "xenweb1/etc/xen/local-notes was not written by virtc; a build removes it" in r.stderr


def test_emit_plans_only_those_targets(tmp_path):
    out = tmp_path / "xm-only"
    assert run("build", str(FARM), "-o", str(out), "--emit", "xm").returncode == 0
    r = run("plan", str(FARM), "-o", str(out), "--emit", "xm", "--detailed-exitcode")
    assert (r.returncode, r.stdout) == (0, "")
    r = run("plan", str(FARM), "-o", str(out), "--detailed-exitcode")  # all targets: the others are new
    assert r.returncode == 2 and "xenweb1/etc/libvirt/xen/db01.xml" in headers(r.stdout)
    assert " to add, 0 to change, 0 to remove" in r.stderr
    r = run("plan", str(FARM), "-o", str(out), "--emit", "model")
    assert r.returncode == 2 and "unknown --emit value 'model'" in r.stderr


def test_usage_and_configuration_errors(built, tmp_path):
    src, out = built
    # usage errors exit 2, but 1 with --detailed-exitcode, where 2 means "changes"
    assert run("plan", str(src)).returncode == 2  # no -o
    assert run("plan", str(src), "-o", str(out), "--no-such-option").returncode == 2
    assert run("plan", str(src), "-o", str(out), "--detailed-exitcode", "--no-such-option").returncode == 1
    assert run("plan", str(src), "--detailed-exitcode").returncode == 1
    bad = tmp_path / "virtc.toml"
    bad.write_text("no-such-key = 1\n")
    r = run("plan", str(src), "-o", str(out), "--config", str(bad))
    assert r.returncode == 2 and "VR040" in r.stderr
    assert run("plan", str(src), "-o", str(out), "--config", str(bad), "--detailed-exitcode").returncode == 1


def test_help_documents_the_exit_codes():
    r = run("plan", "--help")
    assert r.returncode == 0
    assert "--detailed-exitcode" in r.stdout and "unified diff" in r.stdout


# ---------------------------------------------------------------- one path's diff

def test_symlink_retargeted():
    d = file_diff("h/etc/xen/auto/g", Entry(LINK_MODE, b"../g"), Entry(LINK_MODE, b"../h"))
    assert d == ("diff --git a/h/etc/xen/auto/g b/h/etc/xen/auto/g\n"
                 "--- a/h/etc/xen/auto/g\n+++ b/h/etc/xen/auto/g\n@@ -1 +1 @@\n"
                 "-../g\n\\ No newline at end of file\n+../h\n\\ No newline at end of file\n")


def test_binary_and_mode_changes():
    d = file_diff("f", Entry(FILE_MODE, b"\xff\xfe"), Entry(FILE_MODE, b"text\n"))
    assert d.endswith("Binary files a/f and b/f differ\n")
    d = file_diff("f", Entry("100755", b"x\n"), Entry(FILE_MODE, b"x\n"))
    assert d == "diff --git a/f b/f\nold mode 100755\nnew mode 100644\n"
    d = file_diff("f", None, Entry(FILE_MODE, b""))
    assert d == "diff --git a/f b/f\nnew file mode 100644\n"
