"""The pre-commit hooks of .pre-commit-hooks.yaml: each is a real virtc command, the lint
hook's `files:` pattern picks exactly the files `virtc lint` reads, and pre-commit itself
installs this repository and runs the hooks."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import EXAMPLES, ROOT, need
from virtc import targets

HOOKS = ROOT / ".pre-commit-hooks.yaml"


def detect_path(path: str) -> str | None:
    """The format whose host place `path` ends with (what lint reads it as)."""
    return next((f.name for f in targets.FORMATS if f.paths and f.ends_at(path)), None)


def hooks() -> dict[str, dict]:
    return {h["id"]: h for h in yaml.safe_load(HOOKS.read_text())}


def virtc(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "virtc", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "NO_COLOR": "1"})


def test_hooks_are_real_virtc_commands():
    found = hooks()
    assert set(found) == {"virtc-check", "virtc-fmt", "virtc-lint"}
    for hook_id, hook in found.items():
        assert hook["language"] == "python" and hook["name"] and hook["description"]
        program, command, *flags = shlex.split(hook["entry"])
        assert program == "virtc" and hook_id == f"virtc-{command}"
        r = virtc(command, "--help")
        assert r.returncode == 0, r.stderr
        for flag in flags:
            assert flag in r.stdout, f"{hook_id}: `virtc {command} --help` does not know {flag}"
        re.compile(hook["files"])
    assert shlex.split(found["virtc-fmt"]["entry"]) == ["virtc", "fmt", "--check"]


def test_virt_hooks_take_virt_files():
    for hook_id in ("virtc-check", "virtc-fmt"):
        pattern = re.compile(hooks()[hook_id]["files"])
        assert all(pattern.search(p.relative_to(ROOT).as_posix()) for p in EXAMPLES.rglob("*.virt"))
        assert not pattern.search("virtc.toml") and not pattern.search("notes.virt.bak")


def test_lint_hook_files_are_what_lint_reads(tmp_path):
    """Every file a build writes (as it would sit in a repository of host trees) matches;
    every matching path is one `virtc lint` recognises by where it lives; other files of a
    repository do not match."""
    pattern = re.compile(hooks()["virtc-lint"]["files"])
    out = tmp_path / "hosts"
    for example in sorted(EXAMPLES.glob("*.virt")):
        r = virtc("build", str(example), "-o", str(out / example.stem))
        assert r.returncode == 0, r.stderr
    written = [p.relative_to(tmp_path).as_posix() for p in out.rglob("*")
               if p.is_file() and not p.is_symlink() and p.name != ".virtc-manifest"
               and not p.name.endswith(".virtc-cache")]  # the build cache, beside each tree
    assert len(written) > 100
    for path in written:
        assert pattern.search(path), f"the virtc-lint hook would not see {path}"
    others = ["etc/hosts", "etc/exports", "etc/selinux/config", "etc/sysconfig/iptables",
              "backup/etc/grub.conf", "etc/libvirt/storage/pool1.xml", "capabilities.xml",
              "etc/selinux/targeted/modules/active/booleans.local", "etc/rc.d/rc.local"]
    for path in [*written, *others]:
        if pattern.search(path):
            assert detect_path(path) is not None, f"the virtc-lint hook passes {path}, which lint cannot read"
    for path in ["setup.cfg", "README.md", "fleet.virt", "etc/xen/scripts/vif-bridge", "etc/xen/auto/web01",
                 "etc/xen/xend-pci-quirks.sxp", "etc/xen/web01.rpmnew", "etc/libvirt/qemu.conf",
                 "docs/etc-xen.md", "package.json"]:
        assert not pattern.search(path), f"the virtc-lint hook would lint {path}"


def _git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=virtc tests", "-c", "user.email=tests@virtc.invalid",
                    "-c", "init.defaultBranch=main", *args], cwd=cwd, check=True, capture_output=True)


def _copy_repository(dest: Path) -> str:
    """This working tree as it is (committed or not) -> a git repository; its commit."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    for rel in listed:
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel, follow_symlinks=False)
    _git("init", "-q", cwd=dest)
    _git("add", "-A", cwd=dest)
    _git("commit", "-qm", "hooks under test", cwd=dest)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=dest, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_pre_commit_runs_the_hooks(tmp_path):
    """pre-commit installs virtc from this repository (pip, as a user's pre-commit would)
    and runs all three hooks on a repository holding a .virt file and its build output."""
    pre_commit = shutil.which("pre-commit")
    need(pre_commit is not None, "pre-commit (pip install pre-commit; in the test extra)")
    need(shutil.which("git") is not None and (ROOT / ".git").exists(), "git and this repository's .git")
    hookrepo = tmp_path / "virtc"
    hookrepo.mkdir()
    rev = _copy_repository(hookrepo)
    user = tmp_path / "fleet"
    user.mkdir()
    shutil.copy(EXAMPLES / "xen-webfarm.virt", user / "farm.virt")
    assert virtc("fmt", "farm.virt", cwd=user).returncode == 0  # the fmt hook checks the canonical layout
    assert virtc("build", "farm.virt", "-o", "hosts", cwd=user).returncode == 0
    (user / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hookrepo}\n  rev: {rev}\n  hooks:\n"
        "  - id: virtc-check\n  - id: virtc-fmt\n  - id: virtc-lint\n")
    _git("init", "-q", cwd=user)
    _git("add", "-A", cwd=user)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}

    def run(*args):
        return subprocess.run([pre_commit, "run", "--color", "never", *args], cwd=user, env=env,
                              capture_output=True, text=True, timeout=900)

    r = run("--all-files")
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("virtc check", "virtc fmt", "virtc lint"):
        assert re.search(rf"^{name}\.+Passed$", r.stdout, re.M), r.stdout
    # a finding fails the commit, and the hook's output names it
    (user / "farm.virt").write_text((user / "farm.virt").read_text().replace("nic bridge xenbr1 mac",
                                                                             "nic bridge nosuch mac"))
    xm = user / "hosts/xenweb1/etc/xen/web01"
    xm.write_text(xm.read_text() + 'vif = [ "bridge=xenbr9" ]\n')
    _git("add", "-A", cwd=user)
    r = run("--all-files")
    assert r.returncode == 1
    assert re.search(r"^virtc check\.+Failed$", r.stdout, re.M) and "VR003" in r.stdout, r.stdout
    assert re.search(r"^virtc lint\.+Failed$", r.stdout, re.M) and "VN130" in r.stdout, r.stdout


# ---------------------------------------------------------------- the README's recipes

def _recipes() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## CI recipes\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)


def test_readme_pre_commit_recipes_use_these_hooks():
    blocks = [yaml.safe_load(b) for b in _recipes()]
    used = [h["id"] for b in blocks if isinstance(b, dict) and "repos" in b
            for repo in b["repos"] for h in repo["hooks"]]
    used += [h["id"] for b in blocks if isinstance(b, list) for h in b]
    assert set(used) == set(hooks())


def test_readme_workflow_commands_run(tmp_path):
    """Every `virtc` command of the GitHub Actions example runs as written, on a fleet laid
    out as the example assumes, and writes the SARIF files the upload steps name."""
    [workflow] = [yaml.safe_load(b) for b in _recipes() if "jobs:" in b]
    steps = workflow["jobs"]["virtc"]["steps"]
    (tmp_path / "fleet").mkdir()
    shutil.copy(EXAMPLES / "xen-webfarm.virt", tmp_path / "fleet" / "site.virt")
    assert virtc("build", "fleet/site.virt", "-o", "generated", cwd=tmp_path).returncode == 0
    assert virtc("build", "fleet/site.virt", "-o", "hosts", cwd=tmp_path).returncode == 0
    commands = [line.strip() for s in steps for line in s.get("run", "").splitlines()
                if line.strip().startswith("virtc ")]
    assert len(commands) == 3
    for command in commands:
        args = shlex.split(command.split(">")[0])[1:]
        r = virtc(*args, cwd=tmp_path)
        assert r.returncode == 0, f"{command}: {r.stdout}{r.stderr}"
    for step in steps:
        if step.get("uses", "").startswith("github/codeql-action/upload-sarif"):
            sarif = json.loads((tmp_path / step["with"]["sarif_file"]).read_text())
            assert sarif["version"] == "2.1.0" and sarif["runs"][0]["tool"]["driver"]["name"] == "virtc"
    categories = [s["with"]["category"] for s in steps if "upload-sarif" in s.get("uses", "")]
    assert len(categories) == len(set(categories)) == 2
