"""Kill-safety: `virtc build`, `fmt` in place, `import -o` and report files
(`--format sarif:FILE`) killed with SIGKILL at random moments leave the destination
holding the old complete content or the new complete content, never a mix and never
nothing; the temporaries a killed run leaves do not block the next run, which removes
them; and a normal run leaves no temporary.

The delays are drawn from a seeded generator and spread over one timed run of each
command, so the kills land all over the run; which moment a kill hits is left to the
machine, and the assertion holds whatever it hits.

Importing virtc takes about 85% of a small run, and a kill during the imports tests
nothing; so most runs are forked from a process that has imported virtc already (ZYGOTE:
each child runs virtc's own `main()` with the command line, exactly as `python -m virtc`
does after its imports), and a few per command are whole `python -m virtc` processes.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from virtc import api

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

KILLS = {"build": 100, "fmt": 34, "import": 33, "report": 33}  # 200 runs forked after the imports
WHOLE = 5  # and, in each build worker, this many whole `python -m virtc` processes

# Reads JSON lines: ["run", argv] forks a child running virtc's main() with that command
# line (output to /dev/null) and answers its pid; ["wait", pid] reaps it and answers the
# exit status. The child is only reaped when asked, so its pid is never reused under a kill.
ZYGOTE = r"""
import json, os, sys
import virtc.api, virtc.build, virtc.cli, virtc.fmt, virtc.report
from virtc.cli import main
for line in sys.stdin:
    cmd, arg = json.loads(line)
    if cmd == "run":
        pid = os.fork()
        if pid == 0:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            sys.argv = ["virtc", *arg]
            code = 0
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                code = 3
            os._exit(code)
        print(pid, flush=True)
    else:
        print(os.waitpid(arg, 0)[1], flush=True)
"""


class Zygote:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def ask(self, *msg) -> int:
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def start(self, argv: list[str]) -> int:
        return self.ask("run", argv[3:])  # without python -m virtc

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)  # a child that has exited is a zombie still: no error
        self.ask("wait", pid)

    def run(self, argv: list[str]) -> None:
        status = self.ask("wait", self.start(argv))
        assert status == 0, f"{argv[3:]} exited with status {status}"

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


class Whole:
    """Whole `python -m virtc` processes."""

    def start(self, argv: list[str]):
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self, proc) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def run(self, argv: list[str]) -> None:
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def fleet(memory: str) -> str:
    """A small fleet; the two versions differ in the guests' memory, so a rebuild both
    takes files over and writes new ones."""
    return ("host h1 {\n  hypervisor xen; arch x86_64; release 5.8; memory 32G\n"
            "  bridge xenbr0 on eth0\n}\n"
            "template web {\n  type xen-pv; os rhel5.8 x86_64; memory " + memory + "; vcpus 1\n"
            '  disk xvda tap:aio "/var/lib/xen/images/{name}.img" size 8G\n  nic bridge xenbr0\n}\n'
            "guest web[01..12] from web on h1 {}\n"
            "guest db from web on h1 { memory 2G }\n")


def snapshot(path: Path):
    """The whole content at path: a file's bytes, or a folder's files and links."""
    if not os.path.lexists(path):
        return None
    if path.is_file():
        return path.read_bytes()
    out = {}
    for dirpath, dirs, files in os.walk(path):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, path)
            out[rel] = ("->", os.readlink(full)) if os.path.islink(full) else Path(full).read_bytes()
    return out


def virtc(*args) -> list[str]:
    return [sys.executable, "-m", "virtc", *map(str, args)]


class Job:
    """One command writing one destination, and how to put the old content back."""

    def __init__(self, name: str, folder: Path, inputs: Path):
        self.name = name
        self.folder = folder  # holds the destination only
        folder.mkdir()
        if name == "build":
            self.dest = self.folder / "out"
            self.sources = [inputs / "a.virt", inputs / "b.virt"]
        elif name == "fmt":
            self.dest = self.folder / "messy.virt"
            self.old = (inputs / "a.virt").read_text().replace("\n  ", "\n      ").replace("{}", "{ }").encode()
        elif name == "import":
            self.dest = self.folder / "imported.virt"
            self.old = b"# the previous import\n"
        else:
            self.dest = self.folder / "report.sarif"
            self.old = b'{"previous": "report"}\n'
        self.inputs = inputs

    def argv(self, target: int = 1) -> list[str]:
        if self.name == "build":
            return virtc("build", self.sources[target], "-o", self.dest, "-q")
        if self.name == "fmt":
            return virtc("fmt", self.dest)
        if self.name == "import":
            return virtc("import", "--root", self.inputs / "tree", "-o", self.dest, "--force")
        return virtc("check", self.inputs / "a.virt", "-q", "--format", f"sarif:{self.dest}")

    def reset(self) -> None:
        if self.name != "build":
            self.dest.write_bytes(self.old)


def kill_runs(job: Job, runner, kills: int, rng: random.Random, states: dict) -> list[str]:
    """`kills` runs of the job's command, each killed after a random delay; the problems."""
    problems = []
    # One timed, complete run first: it gives the spread of the delays.
    job.reset()
    if job.name == "build":
        runner.run(job.argv(0))
    start = time.monotonic()
    runner.run(job.argv(1))
    spread = (time.monotonic() - start) * 1.1
    for i in range(kills):
        if job.name == "build":
            # build alternates: whatever the folder holds, build the other version over it
            target = 1 if snapshot(job.dest) == states["build"][0] else 0
            old, new = states["build"][1 - target], states["build"][target]
        else:
            job.reset()
            target, old, new = 1, job.old, states[job.name]
        handle = runner.start(job.argv(target))
        time.sleep(rng.uniform(0, spread))
        runner.kill(handle)
        got = snapshot(job.dest)
        if got != old and got != new:
            kind = "nothing" if got is None else "a mix"
            problems.append(f"{job.name} ({type(runner).__name__}) kill {i}: the destination holds {kind}")
    return problems


def run_job(job: Job, kills: int, whole: int, seed: int, states: dict) -> tuple[int, list[str]]:
    """The kills of one job, then a normal run; the number of kills and the problems."""
    rng = random.Random(seed)
    zygote = Zygote()
    try:
        problems = kill_runs(job, zygote, kills, rng, states)
        if whole:
            problems += kill_runs(job, Whole(), whole, rng, states)
        # After the kills, a normal run succeeds and removes what the killed runs left.
        job.reset()
        if job.name == "build" and snapshot(job.dest) == states["build"][1]:
            zygote.run(job.argv(0))
        zygote.run(job.argv(1))
    finally:
        zygote.close()
    if snapshot(job.dest) != (states["build"][1] if job.name == "build" else states[job.name]):
        problems.append(f"{job.name}: the run after the kills did not write the new content")
    # a build keeps its cache (virtc.buildcache) and the tree it replaced (the spare) beside the output folder
    left = sorted(set(os.listdir(job.folder)) - {job.dest.name, f".{job.dest.name}.virtc-cache",
                                                 f".{job.dest.name}.virtc-spare"})
    if left:
        problems.append(f"{job.name}: temporaries left after a normal run: {left}")
    return kills + whole, problems


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    (folder / "a.virt").write_text(fleet("512M"))
    (folder / "b.virt").write_text(fleet("1G"))
    assert not api.build([str(folder / "a.virt")], str(folder / "tree")).has_errors
    return folder


def expected_states(work: Path, inputs: Path) -> dict:
    """The complete old and new content of each destination, from normal runs."""
    states = {}
    trees = []
    for src in ("a.virt", "b.virt"):
        out = work / f"expect-{src}"
        assert not api.build([str(inputs / src)], str(out)).has_errors
        trees.append(snapshot(out))
    states["build"] = trees
    for name in ("fmt", "import", "report"):
        job = Job(name, work / f"expect-{name}", inputs)
        job.reset()
        subprocess.run(job.argv(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        states[name] = job.dest.read_bytes()
        assert states[name] != job.old
    return states


def test_killed_writers_leave_old_or_new_content_and_no_temporaries(tmp_path, inputs):
    states = expected_states(tmp_path, inputs)
    assert states["build"][0] != states["build"][1]
    work = tmp_path / "work"
    work.mkdir()
    half = KILLS["build"] // 2  # build, the slowest, runs in two workers
    jobs = [(Job("build", work / "build1", inputs), half, WHOLE, 1),
            (Job("build", work / "build2", inputs), KILLS["build"] - half, WHOLE, 2),
            (Job("fmt", work / "fmt", inputs), KILLS["fmt"], 0, 3),
            (Job("import", work / "import", inputs), KILLS["import"], 0, 4),
            (Job("report", work / "report", inputs), KILLS["report"], 0, 5)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(lambda j: run_job(*j, states), jobs))
    assert sum(k for k, _ in results) >= 200 + 2 * WHOLE
    problems = [p for _, ps in results for p in ps]
    assert not problems, problems[:10]
    shutil.rmtree(work)
