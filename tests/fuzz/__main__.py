"""The fuzzer's long runs: `python -m tests.fuzz --target all --inputs 1000000 --jobs 2`.

The inputs are split evenly over the targets and cut into chunks; chunks run in
parallel jobs, interleaved over the targets, so a run stopped early has covered every
target alike. Each finished chunk (its first index and count) is recorded in OUT/state.json: running the same
command again resumes where it stopped (--fresh starts over). Crashes go to
OUT/crashes/TARGET/ (minimised, with their traceback beside them), inputs over the time
limit to OUT/slow/TARGET/. A new regression case is such a file copied to
tests/fuzz/regressions/TARGET/.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import engine
from . import targets as fuzz_targets
from .seeds import ROOT
from .targets import names

CHUNK = 250
STATE_FORMAT = 2  # done: [first index, count] per finished chunk


def _job(args):
    target, rng_seed, start, count, out, per_byte, known = args
    if per_byte is None:  # measured once per target, then kept in the state
        per_byte = engine.baseline(target, rng_seed)
    st = engine.fuzz(target, rng_seed, start, count, per_byte, Path(out), set(known))
    return target, (start, count), per_byte, st.as_json()


def _load(path: Path, rng_seed: int) -> dict:
    if path.exists():
        state = json.loads(path.read_text())
        if state.get("seed") == rng_seed and state.get("format") == STATE_FORMAT:
            return state
    return {"seed": rng_seed, "format": STATE_FORMAT, "done": {}, "stats": {}}


def _save(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    tmp.replace(path)


def _gaps(lo: int, hi: int, done: list) -> list[tuple[int, int]]:
    """(start, count) of the indices in [lo, hi) no recorded [start, count] covers."""
    out, at = [], lo
    for start, count in sorted(done):
        if start + count <= at or start >= hi:
            continue
        if start > at:
            out.append((at, start - at))
        at = max(at, start + count)
    if at < hi:
        out.append((at, hi - at))
    return out


def _units(targets: list[str], per_target: int, done: dict) -> list[tuple[str, int, int]]:
    """(target, start, count) chunks not yet run, round-robin over the targets."""
    per = []
    for t in targets:
        per.append([(t, s, n) for lo in range(0, per_target, CHUNK)
                    for s, n in _gaps(lo, min(lo + CHUNK, per_target), done.get(t, []))])
    out = []
    for i in range(max((len(p) for p in per), default=0)):
        out += [p[i] for p in per if i < len(p)]
    return out


def _seen(st: engine.Stats) -> list[str]:
    """Crashes already saved: later chunks count them without minimising them again."""
    return [sig for sig, (_, path) in st.crashes.items() if path]


def _results(pool, units, jobs, baselines, rng_seed, out, stats):
    """Results of the chunks as they finish. At most two per job are handed out at a time,
    each with the crashes seen so far (counted, not minimised again); a target's first
    chunk measures its baseline, and its other chunks wait for it."""
    pending, inflight, measuring = list(units), [], set()
    while pending or inflight:
        for unit in list(pending):
            if len(inflight) >= 2 * jobs:
                break
            t, s, n = unit
            if t not in baselines and t in measuring:
                continue
            if t not in baselines:
                measuring.add(t)
            pending.remove(unit)
            job = (t, rng_seed, s, n, str(out), baselines.get(t), _seen(stats[t]))
            inflight.append(pool.apply_async(_job, (job,)))
        done = next((r for r in inflight if r.ready()), None)
        if done is None:
            time.sleep(0.05)
            continue
        inflight.remove(done)
        res = done.get()
        baselines[res[0]] = res[2]
        yield res


def summary(stats: dict[str, engine.Stats], seconds: float) -> str:
    total = engine.Stats()
    for st in stats.values():
        total.merge(st)
    crashes = sum(c for c, _ in total.crashes.values())
    rate = total.inputs / seconds if seconds else 0.0
    ratio, size, where = total.slowest
    return (f"fuzzed {total.inputs:,} inputs over {len(stats)} targets in {seconds:,.0f} s ({rate:,.1f} inputs/s): "
            f"{crashes} crashes ({len(total.crashes)} distinct), {len(total.slow)} slow; "
            f"slowest {ratio:.2f} of its limit ({where}, {size:,} bytes)")


@contextlib.contextmanager
def _scratch():
    """One folder for the workers' working folders (fuzz.targets.scratch), removed at the
    end whatever happened to the workers."""
    fuzz_targets.SCRATCH = tempfile.mkdtemp(prefix="virtc-fuzz-run-")
    try:
        yield
    finally:
        shutil.rmtree(fuzz_targets.SCRATCH, ignore_errors=True)
        fuzz_targets.SCRATCH = None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default="all", help="all, a target, a comma list, or read-* (default all)")
    ap.add_argument("--inputs", type=int, default=10_000, help="inputs over all the targets (default 10,000)")
    ap.add_argument("--jobs", type=int, default=1, help="parallel processes (default 1)")
    ap.add_argument("--seed", type=int, default=0, help="the random seed: the same seed makes the same inputs")
    ap.add_argument("--time", type=float, default=None, help="stop after this many seconds (resume later)")
    ap.add_argument("--out", default=str(ROOT / ".fuzz"), help="where state, crashes and slow inputs go")
    ap.add_argument("--fresh", action="store_true", help="forget the recorded progress of this seed")
    ap.add_argument("--list", action="store_true", help="list the targets and their seed counts")
    ap.add_argument("--recheck", action="store_true",
                    help="time the slow inputs saved under --out again; list those still slow")
    args = ap.parse_args(argv)
    targets = names(args.target)
    if args.recheck:
        still = engine.recheck(Path(args.out), args.seed)
        for target, path, took, lim in still:
            print(f"SLOW {target}: {took:.2f} s of CPU, limit {lim:.2f} s: {path}")
        saved = sum(1 for p in (Path(args.out) / "slow").glob("*/*") if not p.suffix)
        print(f"{len(still)} of {saved} saved slow inputs are still over their limit")
        return 1 if still else 0
    if args.list:
        from .seeds import seeds
        for t in targets:
            print(f"{t:24} {len(seeds()[t]):5} seeds")
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    state_file = out / "state.json"
    state = _load(state_file, None) if args.fresh else _load(state_file, args.seed)
    state["seed"] = args.seed
    per_target = max(1, args.inputs // len(targets))
    units = _units(targets, per_target, state["done"])
    stats = {t: engine.Stats.from_json(state["stats"][t]) if t in state["stats"] else engine.Stats() for t in targets}
    print(f"{len(targets)} targets, {per_target:,} inputs each; {len(units)} chunks of {CHUNK} to run", file=sys.stderr)
    started, ran = time.monotonic(), 0.0
    baselines = state.setdefault("baselines", {})
    ctx = multiprocessing.get_context("fork")
    with _scratch(), ctx.Pool(args.jobs, maxtasksperchild=40) as pool:
        try:
            for target, chunk, per_byte, result in _results(pool, units, args.jobs, baselines, args.seed, out, stats):
                st = engine.Stats.from_json(result)
                stats[target].merge(st)
                state["done"].setdefault(target, []).append(list(chunk))
                state["stats"][target] = stats[target].as_json()
                state["elapsed"] = state.get("elapsed", 0.0) + (time.monotonic() - started - ran)
                ran = time.monotonic() - started
                _save(state_file, state)
                for sig, (count, path) in st.crashes.items():
                    if path:
                        print(f"CRASH {target}: {sig} -> {path}", file=sys.stderr)
                for ratio, size, path in st.slow:
                    print(f"SLOW {target}: {ratio:.1f}x its limit, {size:,} bytes -> {path}", file=sys.stderr)
                if args.time is not None and ran > args.time:
                    pool.terminate()
                    break
        except KeyboardInterrupt:
            pool.terminate()
    for t in targets:
        st = stats[t]
        crashes = sum(c for c, _ in st.crashes.values())
        print(f"{t:24} {st.inputs:9,} inputs {st.seconds:9,.0f} s CPU  {crashes:5} crashes  {len(st.slow):3} slow  "
              f"slowest {st.slowest[0]:.2f} of its limit")
    print(summary(stats, state.get("elapsed", 0.0)))
    return 1 if any(st.crashes or st.slow for st in stats.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
