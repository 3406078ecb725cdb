"""virtc.forking shares the items of a job among forked processes with the results of
working them in turn: the same values in the same order, a failed child's item worked
again here, and no child left behind. And the rules shared among processes (`--jobs`) find what one process
finds."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from virtc import checker, forking
from virtc.checker import run_rules

from test_host_preconditions import _models

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="virtc forks on Linux only")


_CAN_FORK = forking.can_fork


@pytest.fixture(autouse=True)
def alone(monkeypatch):
    """A test runner's worker has threads of its own (its channel to the runner); the parts
    here take no lock, so they may fork all the same."""
    monkeypatch.setattr(forking, "can_fork", lambda: True)


# ---------------------------------------------------------------- forking.shared


def _recorded(monkeypatch, owner, name: str) -> list:
    """What owner.name returns, each call, in a list (the function still does its work)."""
    got = []
    real = getattr(owner, name)

    def recording(*args, **kwargs):
        got.append(real(*args, **kwargs))
        return got[-1]

    monkeypatch.setattr(owner, name, recording)
    return got


@pytest.fixture
def spools(monkeypatch):
    """The spool folders forking.shared makes, to see that none is left."""
    import tempfile

    return _recorded(monkeypatch, tempfile, "mkdtemp")


@pytest.fixture
def forks(monkeypatch):
    """The children forking.shared forks, to see that each was waited for (only these: a
    test run before in this runner's worker may have left a process of its own)."""
    return _recorded(monkeypatch, forking, "_fork_taker")


def _reaped(pids):
    assert pids
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_shared_work_comes_back_in_order_from_several_processes(spools, forks):
    """Every i worked once, in order, some by a child: an item this process takes waits
    until a child has worked one (a pipe), so that one child at least takes part however
    the processes are scheduled."""
    me = os.getpid()
    r, w = os.pipe()

    def work(i):
        if os.getpid() == me:
            import select
            assert select.select([r], [], [], 60)[0], "no child worked an item"
        else:
            os.write(w, b".")
        return i, os.getpid()

    taken = []
    got = forking.shared(8, work, jobs=2, taken=taken.append)
    os.close(r)
    os.close(w)
    assert [i for i, _ in got] == list(range(8))
    children = [i for i, pid in got if pid != me]
    assert children and sorted(taken) == children  # taken() for each item a child worked
    assert {pid for _, pid in got} <= {me, *forks}  # (a fast child may take every item)
    assert spools and not any(os.path.exists(p) for p in spools)
    _reaped(forks)


def test_shared_work_a_child_dies_on_is_worked_here(spools, forks):
    me = os.getpid()

    def work(i):
        if os.getpid() != me and i % 2:
            os._exit(3)  # killed mid-way: its item (and the rest it would have taken) come back here
        return i * i

    assert forking.shared(12, work, jobs=3) == [i * i for i in range(12)]
    assert not any(os.path.exists(p) for p in spools)
    _reaped(forks)


def test_shared_work_that_raises_raises_here(forks):
    def work(i):
        if i == 3:
            raise ValueError("item 3")
        return i

    with pytest.raises(ValueError, match="item 3"):
        forking.shared(6, work, jobs=2)
    _reaped(forks)


def test_shared_work_past_what_the_pipe_holds(forks):
    """More items than tokens a pipe holds (16,384): this process writes the rest as room
    comes, and takes items itself meanwhile; none is lost, none worked twice."""
    count = 17_500
    got = forking.shared(count, lambda i: i, jobs=2)
    assert got == list(range(count))
    _reaped(forks)


def test_shared_work_whose_result_does_not_pickle_is_worked_here(spools, forks):
    me = os.getpid()
    got = forking.shared(6, lambda i: (x for x in [i, os.getpid() == me]), jobs=2)
    assert [list(g) for g in got] == [[i, True] for i in range(6)]  # all made here
    assert len(forks) == 1
    _reaped(forks)
    assert not any(os.path.exists(p) for p in spools)


def test_one_item_or_a_thread_running_means_no_fork(monkeypatch, forks):
    me = os.getpid()
    assert forking.shared(1, lambda i: os.getpid(), jobs=4) == [me]
    monkeypatch.setattr(forking, "can_fork", _CAN_FORK)  # the real one, not the fixture's
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not forking.can_fork()
        assert forking.shared(3, lambda i: os.getpid(), jobs=3) == [me, me, me]
    finally:
        stop.set()
        t.join()
    assert forks == []


def test_shared_work_interrupted_here_leaves_no_child(spools, forks):
    me = os.getpid()

    def work(i):
        if os.getpid() == me:
            raise KeyboardInterrupt
        import time
        time.sleep(30)

    with pytest.raises(KeyboardInterrupt):
        forking.shared(4, work, jobs=3)
    assert not any(os.path.exists(p) for p in spools)
    _reaped(forks)


MODELS = [(where, m) for where, m in _models() if m is not None]


def test_every_share_of_the_rules_can_be_sent_back():
    """What a forked share returns pickles (a rule's run() that gave a generator made the
    child fail, and the parent ran its share again, silently doubling the time)."""
    for where, model in MODELS[::7]:
        found = checker._Runner(model, (), {}).run(list(checker.area_rules()))
        assert pickle.loads(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)) == found, where


def test_rules_shared_among_processes_find_the_same(monkeypatch):
    monkeypatch.setattr(checker, "FORK_MIN_ELEMENTS", 0)
    failed = []
    real = forking._exited_well
    monkeypatch.setattr(forking, "_exited_well", lambda pid: real(pid) or failed.append(pid))
    # a fork per model and share: a sample of the corpus (each fork of a test worker costs ~20 ms)
    two, three = [m for _, m in MODELS[::8]], [m for _, m in MODELS[5::24]]
    assert [run_rules(m, jobs=2) for m in two] == [run_rules(m) for m in two]
    assert [run_rules(m, jobs=3) for m in three] == [run_rules(m) for m in three]
    assert failed == []
    assert sum(len(run_rules(m)) for m in two) > 100


def test_check_and_build_with_jobs_give_the_same_bytes(tmp_path):
    """Whole processes (no thread but the main one: they fork), on a fleet past the
    threshold, with findings: the same report and the same tree whatever --jobs is."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "bench"))
    from bench_fleet import fleet

    src = tmp_path / "fleet.virt"
    src.write_text(fleet(checker.FORK_MIN_ELEMENTS, 100))
    virtc = [sys.executable, "-m", "virtc"]
    out = {}
    for jobs in ("1", "2"):
        for fmt in ("full", "sarif", "json"):
            r = subprocess.run([*virtc, "check", "--jobs", jobs, "--format", fmt, str(src)],
                               capture_output=True, text=True)
            out[jobs, fmt] = (r.returncode, r.stdout)
        r = subprocess.run([*virtc, "build", "-q", "--jobs", jobs, str(src), "-o", str(tmp_path / f"out{jobs}")],
                           capture_output=True, text=True)
        out[jobs, "build"] = r.returncode
    for fmt in ("full", "sarif", "json"):
        assert out["1", fmt] == out["2", fmt]
    assert "VE104" in out["1", "full"][1]
    assert out["1", "build"] == out["2", "build"] == 0
    one = sorted(p.relative_to(tmp_path / "out1") for p in (tmp_path / "out1").rglob("*"))
    two = sorted(p.relative_to(tmp_path / "out2") for p in (tmp_path / "out2").rglob("*"))
    assert one == two and len(one) > 1000
    for rel in one:
        a, b = tmp_path / "out1" / rel, tmp_path / "out2" / rel
        if a.is_file() and not a.is_symlink():
            assert a.read_bytes() == b.read_bytes(), rel
    # the hosts' files were emitted in two processes (100 hosts), and cached as in one
    from virtc.buildcache import cache_path

    assert Path(cache_path(str(tmp_path / "out1"))).read_bytes() == Path(cache_path(str(tmp_path / "out2"))).read_bytes()


def test_the_progress_bar_thread_does_not_stop_a_fork(monkeypatch):
    monkeypatch.undo()
    from virtc import progress

    bar = threading.Thread(target=lambda: None, name=progress.THREAD)
    other = threading.Thread(target=lambda: None, name="someone-else")
    monkeypatch.setattr(threading, "enumerate", lambda: [threading.main_thread(), bar])
    assert forking.can_fork() is sys.platform.startswith("linux")
    monkeypatch.setattr(threading, "enumerate", lambda: [threading.main_thread(), bar, other])
    assert not forking.can_fork()


def test_a_share_merges_each_rules_findings_as_the_whole_merge_would():
    """A forked share merges the findings a template or range repeats per guest before
    sending them back (checker._merged): merged again with the others, they are what one
    merge of all the findings gives, in the same order, on every model of the corpus and
    on a fleet of ranges whose template statements are found on every guest."""
    from itertools import chain

    from virtc.resolve import compile_sources

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "bench"))
    from bench_fleet import fleet

    rules = list(checker.area_rules())
    stamped = compile_sources(["f.virt"], {"f.virt": fleet(400, 4)}).model
    merged_any = False
    for model in [m for _, m in MODELS[::6]] + [stamped]:
        run = checker._Runner(model, (), {}).run
        found = run(rules)
        whole = checker._merge_stamped(list(chain.from_iterable(found)))
        per_rule = list(chain.from_iterable(checker._merged(run, batch) for batch in checker._batches(rules, 2)))
        assert checker._merge_stamped(list(chain.from_iterable(per_rule))) == whole
        merged_any = merged_any or sum(map(len, per_rule)) < sum(map(len, found))
    assert merged_any  # some share did merge findings before sending them


def test_children_of_a_killed_process_stop_and_leave_no_spool(tmp_path):
    """SIGKILL of the process that shares the work runs none of its cleanup: its children
    see they lost their parent at their next item, remove the spool folder and leave."""
    script = tmp_path / "share.py"
    script.write_text(
        "import os, sys, tempfile, time\n"
        "from virtc import forking\n"
        "def say(*words):  # one write a line: two processes share the pipe\n"
        "    os.write(1, (' '.join(map(str, words)) + '\\n').encode())\n"
        "made = tempfile.mkdtemp\n"
        "def mkdtemp(*a, **k):\n"
        "    d = made(*a, **k)\n"
        "    say('SPOOL', d)\n"
        "    return d\n"
        "tempfile.mkdtemp = mkdtemp\n"
        "parent, seen = os.getpid(), []\n"
        "def work(i):\n"
        "    if os.getpid() == parent:\n"
        "        say('READY')\n"
        "        time.sleep(60)\n"
        "        os._exit(3)  # never killed: end here, not after 2,000 items\n"
        "    if not seen:\n"
        "        seen.append(1)\n"
        "        say('CHILD', os.getpid())\n"
        "    time.sleep(0.02)\n"
        "    return i\n"
        "forking.shared(2000, work, 2)\n")
    err = tmp_path / "stderr"
    with open(err, "w") as fh:
        proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=fh)
    import select
    import time

    # unbuffered: a line read ahead into a buffer would hide from select
    lines, pending, deadline = {}, b"", time.monotonic() + 60
    while not {"SPOOL", "READY", "CHILD"} <= lines.keys():
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            proc.kill()
            pytest.fail(f"the script said {lines} in 60 s: {err.read_text()[-2000:]}")
        chunk = os.read(proc.stdout.fileno(), 4096)
        assert chunk, f"the script ended early: {lines}, {err.read_text()[-2000:]}"
        *whole, pending = (pending + chunk).split(b"\n")
        for line in whole:
            word, _, rest = line.decode().partition(" ")
            lines[word] = rest
    proc.kill()
    proc.wait()
    child, spool = int(lines["CHILD"]), lines["SPOOL"]
    for _ in range(200):  # the child's item takes 20 ms
        try:
            with open(f"/proc/{child}/stat") as fh:
                if fh.read().rpartition(")")[2].split()[0] == "Z":
                    break  # ended, not yet reaped by whoever adopted it
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        os.kill(child, 9)
        pytest.fail("the child went on working for its killed parent")
    assert not os.path.exists(spool)
    proc.stdout.close()
