"""`virtc lint --jobs N`: hosts read by N worker processes give the report of reading them
in turn, byte for byte, in every format, with the same exit code."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from virtc import api, forking, lint
from virtc.cli import app

from conftest import ROOT

HOSTS = ROOT / "tests" / "hosts"

# one worker runs the module: its reports fixture lints every tree three times, once
pytestmark = pytest.mark.xdist_group("lint-jobs")

FLEET = """\
template web {
  type xen-pv; os rhel5.8 x86_64; memory 512M; vcpus 1
  disk xvda tap:aio "/var/lib/libvirt/images/{name}.img" size 8G
  nic bridge xenbr0
}
"""


def _counted_forks(monkeypatch):
    """Workers even for small trees (POOL_MIN_FILES keeps them for big ones), and in this
    test runner's worker, whose threads of its own keep virtc from forking (the workers
    here only read files and pickle), counted."""
    forks = []
    real = forking._fork_taker

    def counted(*args, **kwargs):
        forks.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(lint, "POOL_MIN_FILES", 0)
    monkeypatch.setattr(forking, "can_fork", lambda: True)
    monkeypatch.setattr(forking, "_fork_taker", counted)
    return forks


def _generated(tmp_path):
    """Six Xen hosts of four guests, built by virtc, one with a defect in a guest's file."""
    text = FLEET + "".join(
        f"host h{i} {{\n  hypervisor xen; arch x86_64; release 5.8; memory 16G; dom0 memory 2G vcpus 2\n"
        f"  cpu intel cores 4 threads 8 flags vmx pae nx constant_tsc\n  bridge xenbr0 on eth0\n}}\n"
        f"guest h{i}-web[1..4] from web on h{i} {{}}\n" for i in range(6))
    src = tmp_path / "fleet.virt"
    src.write_text(text)
    out = tmp_path / "fleet"
    assert not api.build([str(src)], str(out)).has_errors
    xm = out / "h3" / "etc" / "xen" / "h3-web2"
    xm.write_text(xm.read_text().replace("on_reboot", "on_boot"))
    return out


def _lint(*args: str):
    r = CliRunner().invoke(app, ["lint", *args], catch_exceptions=False)
    return r.exit_code, r.stdout


FORMATS = ("json", "concise", "full", "sarif")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """For --jobs 1, 2 and 3: the exit code, and the report in each format (one run per
    count writes them all, as `--format X:FILE` does for a user)."""
    tmp = tmp_path_factory.mktemp("jobs")
    trees = [str(HOSTS / "clean"), str(HOSTS / "seeded"), str(_generated(tmp))]
    runs = {}
    forked = {}
    with pytest.MonkeyPatch.context() as mp:
        forks = _counted_forks(mp)
        for n in (1, 2, 3):
            files = {fmt: tmp / f"{n}.{fmt}" for fmt in FORMATS}
            outs = [x for fmt, f in files.items() for x in ("--format", f"{fmt}:{f}")]
            before = len(forks)
            code, _ = _lint(*trees, *outs, "--jobs", str(n), "-q")
            forked[n] = len(forks) - before
            runs[n] = code, {fmt: f.read_text() for fmt, f in files.items()}
    assert forked == {1: 0, 2: 1, 3: 2}, "--jobs 2 and 3 read with 1 and 2 worker processes beside the parent, --jobs 1 in process"
    return runs


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_jobs_count_gives_the_same_report(reports, fmt):
    code, report = reports[1][0], reports[1][1][fmt]
    assert code == 1 and "h3-web2" in report  # the seeded defects and the generated one are found
    for n in (2, 3):
        assert reports[n][0] == code, f"--jobs {n} exits {reports[n][0]}, --jobs 1 {code}"
        assert reports[n][1][fmt] == report, f"--jobs {n} differs from --jobs 1"


def test_small_trees_are_read_in_process(tmp_path, monkeypatch):
    """Below POOL_MIN_FILES files no worker is started, whatever --jobs says."""
    monkeypatch.setattr(forking, "can_fork", lambda: True)
    monkeypatch.setattr(forking, "_fork_taker", None)  # would fail if used
    code, report = _lint(str(HOSTS / "clean" / "migration"), "--format", "concise", "--jobs", "4", "-q")
    assert code == 0, report


def test_jobs_must_be_positive():
    code, _ = _lint(str(HOSTS / "clean" / "xen-pv"), "--jobs", "0")
    assert code == 2
