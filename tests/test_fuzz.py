"""The fuzzing harness (tests/fuzz/) in the normal test run: every crash the fuzzer has
found replays as a regression case, and each target runs a short deterministic budget of
generated inputs. Timing is not asserted here; the long runs (`python -m tests.fuzz`,
README "Fuzzing") flag slow inputs."""
from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from fuzz import engine
from fuzz.targets import TARGETS

REGRESSIONS = Path(__file__).parent / "fuzz" / "regressions"
SLOW = Path(__file__).parent / "fuzz" / "slow"  # inputs the fuzzer found over its time limit
CI_INPUTS = 6  # per target: about ten seconds over all of them
CI_SEED = 1


def _known(folder: Path = REGRESSIONS) -> dict[str, str]:
    """Cases of bugs fixed on another branch: `TARGET/NAME: reason` lines."""
    path = folder / "xfail.txt"
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else ():
        if line.strip() and not line.startswith("#"):
            case, reason = line.split(":", 1)
            out[case.strip()] = reason.strip()
    return out


def _cases(folder: Path = REGRESSIONS, marked: bool = True):
    known = _known(folder) if marked else {}
    for path in sorted(folder.glob("*/*")):
        case = f"{path.parent.name}/{path.name}"
        marks = [pytest.mark.xfail(reason=known[case], strict=False)] if case in known else []
        yield pytest.param(path.parent.name, path, id=case, marks=marks)


@pytest.mark.parametrize("folder", [REGRESSIONS, SLOW], ids=["regressions", "slow"])
def test_every_xfail_entry_names_a_case(folder):
    cases = {f"{p.parent.name}/{p.name}" for p in folder.glob("*/*")}
    assert set(_known(folder)) <= cases


@pytest.mark.parametrize("folder", [REGRESSIONS, SLOW], ids=["regressions", "slow"])
def test_cases_are_for_real_targets(folder):
    assert {p.parent.name for p in folder.glob("*/*")} <= set(TARGETS)


@pytest.mark.parametrize("target,path", list(_cases()))
def test_regression(target, path):
    _, exc = engine.run_one(target, path.read_bytes())
    if exc is not None:
        pytest.fail(f"{engine.signature(exc)}\n" + "".join(traceback.format_exception(exc)), pytrace=False)


def _known_signatures() -> dict[str, str]:
    """Where the xfail cases crash today: a short run hitting the same place is that bug."""
    out = {}
    for case, reason in _known().items():
        target, name = case.split("/", 1)
        _, exc = engine.run_one(target, (REGRESSIONS / target / name).read_bytes())
        if exc is not None:
            out[engine.signature(exc)] = reason
    return out


@pytest.fixture(scope="module")
def known_signatures():
    return _known_signatures()


@pytest.mark.parametrize("target", list(TARGETS))
def test_short_fuzz_budget(target, known_signatures):
    st = engine.fuzz(target, CI_SEED, 0, CI_INPUTS, float("inf"), None)
    assert st.inputs == CI_INPUTS
    new = {sig: n for sig, (n, _) in st.crashes.items() if sig not in known_signatures}
    assert not new, f"{target}: inputs of `python -m tests.fuzz --target {target} --seed {CI_SEED}` crash: {new}"
    if st.crashes:
        pytest.xfail("; ".join(known_signatures[sig] for sig in st.crashes))


@pytest.mark.parametrize("target,path", list(_cases(SLOW, marked=False)))
def test_slow_case_runs_without_error(target, path):
    if f"{target}/{path.name}" in _known(SLOW):  # still slow: seconds, run with -m perf
        pytest.skip(_known(SLOW)[f"{target}/{path.name}"])
    _, exc = engine.run_one(target, path.read_bytes())
    assert exc is None, engine.signature(exc)


@pytest.mark.perf
@pytest.mark.parametrize("target,path", list(_cases(SLOW)))
def test_slow_case_costs_at_most_10x_the_seeds(target, path):
    data = path.read_bytes()
    limit = engine.limit(engine.baseline(target), len(data))
    took = min(engine.run_one(target, data)[0] for _ in range(3))
    assert took <= limit, f"{took:.2f} s for {len(data):,} bytes; 10x the seeds of {target} is {limit:.2f} s"


def test_runner_records_its_progress_and_resumes(tmp_path, capsys):
    from fuzz.__main__ import main

    args = ["--target", "read-hosts", "--inputs", "4", "--out", str(tmp_path)]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "fuzzed 4 inputs over 1 targets" in first
    assert main(args) == 0  # nothing left to run: the same totals
    assert "fuzzed 4 inputs over 1 targets" in capsys.readouterr().out
    assert main([*args[:3], "8", *args[4:]]) == 0  # more inputs: only the new ones run
    assert "fuzzed 8 inputs over 1 targets" in capsys.readouterr().out


def test_runner_leaves_no_working_folder_behind(tmp_path, monkeypatch, capsys):
    """The import and lint-tree targets work in folders of their own. The runner's pool
    workers end with os._exit (or are terminated) and run no atexit handler: the folders
    must go all the same."""
    import tempfile

    from fuzz.__main__ import main

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    args = ["--target", "import,lint-tree", "--inputs", "6", "--jobs", "2", "--out", str(tmp_path / "out")]
    assert main(args) == 0
    assert "fuzzed 6 inputs over 2 targets" in capsys.readouterr().out
    assert list(tmp.iterdir()) == []


def _tree_bytes(root: Path) -> dict[str, bytes | str]:
    return {str(p.relative_to(root)): (str(p.readlink()) if p.is_symlink() else p.read_bytes() if p.is_file() else "dir")
            for p in sorted(root.rglob("*"))}


def test_the_tree_target_lints_the_host_with_the_input_in_place_and_puts_the_tree_back(monkeypatch):
    """lint-tree: the input is written at its place in a working copy of a tests/hosts
    tree, the whole host is linted (the input's file among the others), and afterwards the
    copy is the tree again, also where the input made folders or named a place through a
    symlink of the tree (/etc/grub.conf links to /boot/grub/grub.conf; an autostart link
    points out of the tree) or outside it."""
    from fuzz import targets as fuzz_targets

    seen = []
    real_lint = fuzz_targets.api.lint

    def lint(paths, roots=(), **kw):
        root = Path(roots[0])
        seen.append({str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
                     if p.is_file() and not p.is_symlink()})
        return real_lint(paths, roots=roots, **kw)

    monkeypatch.setattr(fuzz_targets.api, "lint", lint)
    tree = "clean/xen-pv"
    source = fuzz_targets.HOSTS / tree
    grub = b"default=0\ntimeout=5\ntitle broken\n\tkernel /xen.gz dom0_mem=lots\n"
    cases = [("etc/grub.conf", grub), ("boot/grub/grub.conf", grub), ("etc/new/deeper/ifcfg-x", b"DEVICE=x\n"),
             ("../outside", b"x"), ("/etc/passwd", b"x"), ("etc/xen", b"name = 'g'\n")]
    for path, body in cases:
        fuzz_targets.TARGETS["lint-tree"](fuzz_targets.tree_input(tree, path, body))
        copy = Path(fuzz_targets._TREES[tree])
        assert _tree_bytes(copy) == _tree_bytes(source), path
    assert seen[1]["boot/grub/grub.conf"] == grub  # in place, read by lint with the host's other files
    assert seen[2]["etc/new/deeper/ifcfg-x"] == b"DEVICE=x\n"
    assert len(seen[1]) == len(seen[0]) - 1 > 10  # replaced in place; the first input was added at etc/xen/fuzzed
    # out of the tree, through a link, onto a folder: the input goes to the default place
    for i in (0, 3, 4, 5):
        assert seen[i]["etc/xen/fuzzed"].endswith(cases[i][1]), cases[i][0]
    # a garbled header still names a tree (the same for the same bytes) and a place
    assert fuzz_targets._tree_parts(b"trex:clean/xen-pv\n")[1:] == ("etc/xen/fuzzed", b"trex:clean/xen-pv\n")
    assert fuzz_targets._tree_parts(b"tree:no/such\netc/x\nbody")[0] in fuzz_targets.host_trees()
