"""The fuzzer's long runs: `python -m tests.fuzz --target all --inputs 1000000 --jobs 2`.

The inputs are split evenly over the targets and cut into chunks; chunks run in
parallel jobs, interleaved over the targets, so a run stopped early has covered every
target alike. Each finished chunk is recorded in OUT/state.json: running the same
command again resumes where it stopped (--fresh starts over). Crashes go to
OUT/crashes/TARGET/ (minimised, with their traceback beside them), inputs over the time
limit to OUT/slow/TARGET/. A new regression case is such a file copied to
tests/fuzz/regressions/TARGET/.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

from . import engine
from .seeds import ROOT
from .targets import names

CHUNK = 250


def _job(args):
    target, rng_seed, start, count, out, per_byte = args
    if per_byte is None:  # measured once per target, then kept in the state
        per_byte = engine.baseline(target, rng_seed)
    return target, start, per_byte, engine.fuzz(target, rng_seed, start, count, per_byte, Path(out)).as_json()


def _load(path: Path, rng_seed: int) -> dict:
    if path.exists():
        state = json.loads(path.read_text())
        if state.get("seed") == rng_seed:
            return state
    return {"seed": rng_seed, "done": {}, "stats": {}}


def _save(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    tmp.replace(path)


def _units(targets: list[str], per_target: int, done: dict) -> list[tuple[str, int, int]]:
    """(target, start, count) chunks not yet run, round-robin over the targets."""
    per = []
    for t in targets:
        finished = set(done.get(t, ()))
        per.append([(t, s, min(CHUNK, per_target - s)) for s in range(0, per_target, CHUNK) if s not in finished])
    out = []
    for i in range(max((len(p) for p in per), default=0)):
        out += [p[i] for p in per if i < len(p)]
    return out


def _results(pool, work, later, baselines, rng_seed, out):
    """Results of the chunks: first those measuring baselines, then the rest with them."""
    for res in pool.imap_unordered(_job, work):
        baselines[res[0]] = res[2]
        yield res
    rest = [(t, rng_seed, s, n, str(out), baselines.get(t)) for t, s, n in later]
    yield from pool.imap_unordered(_job, rest)


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
    args = ap.parse_args(argv)
    targets = names(args.target)
    if args.list:
        from .seeds import seeds
        for t in targets:
            print(f"{t:24} {len(seeds()[t]):5} seeds")
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    state_file = out / "state.json"
    state = {"seed": args.seed, "done": {}, "stats": {}} if args.fresh else _load(state_file, args.seed)
    per_target = max(1, args.inputs // len(targets))
    units = _units(targets, per_target, state["done"])
    stats = {t: engine.Stats.from_json(state["stats"][t]) if t in state["stats"] else engine.Stats() for t in targets}
    print(f"{len(targets)} targets, {per_target:,} inputs each; {len(units)} chunks of {CHUNK} to run", file=sys.stderr)
    started, ran = time.monotonic(), 0.0
    baselines = state.setdefault("baselines", {})
    # each target's first chunk measures its baseline; the others start once it is known
    first = {}
    for t, s, n in units:
        first.setdefault(t, (t, s, n))
    work = [(t, args.seed, s, n, str(out), None) for t, s, n in first.values() if t not in baselines]
    later = [(t, s, n) for t, s, n in units if t in baselines or first[t] != (t, s, n)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(args.jobs, maxtasksperchild=40) as pool:
        try:
            for target, start, per_byte, result in _results(pool, work, later, baselines, args.seed, out):
                st = engine.Stats.from_json(result)
                stats[target].merge(st)
                state["done"].setdefault(target, []).append(start)
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
        print(f"{t:24} {st.inputs:9,} inputs {st.seconds:9,.0f} s  {crashes:5} crashes  {len(st.slow):3} slow  "
              f"slowest {st.slowest[0]:.2f} of its limit")
    print(summary(stats, state.get("elapsed", 0.0)))
    return 1 if any(st.crashes or st.slow for st in stats.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
