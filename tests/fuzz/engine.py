"""Running a target over generated inputs: timing against the seeds' cost per byte,
crashes told apart by where they happen, minimised and saved, slow inputs confirmed and
saved. The runner (__main__) and the CI test (tests/test_fuzz.py) both use this.
"""
from __future__ import annotations

import hashlib
import random
import signal
import statistics
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from . import mutate
from .seeds import LANGUAGE, seeds
from .targets import TARGETS

SLOW_RATIO = 10.0  # an input costing 10x the seeds' per byte is a stall
SIZE_FLOOR = 1024  # bytes: below this every input costs about the same (a fixed cost per run)
MIN_SLOW_SECONDS = 0.25  # under this, timing noise on a shared machine decides, not the input
HANG_SECONDS = 60.0  # an input that has used this much CPU is stopped and saved as slow
STUCK_SECONDS = 1800.0  # wall clock: an input blocked (not computing) that long is stopped too
BASELINE_SEEDS = 40  # seeds timed per target for its baseline
BIG_SEEDS, BIG_SEED_BYTES = 4, 32_768  # and texts of seeds end to end, for the cost per byte of big inputs


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"still running after {HANG_SECONDS:.0f} s of CPU" if signum == signal.SIGPROF
               else f"blocked for {STUCK_SECONDS:.0f} s")


def signature(exc: BaseException) -> str:
    """Where a crash happens: its type and the innermost frame of virtc's own code (or the
    harness's, for a failed property); the language server target says its own."""
    if getattr(exc, "signature", None):
        return exc.signature
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/compiler/" in f.filename or "/targets/" in f.filename] or frames[-1:]
    where = f"{Path(ours[-1].filename).parent.name}/{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    return f"{type(exc).__name__} at {where}"


def run_one(target: str, data: bytes) -> tuple[float, BaseException | None]:
    """CPU seconds spent and the exception raised (None: a pass). Stopped after
    HANG_SECONDS of CPU (or STUCK_SECONDS of wall clock).

    CPU time of this process, not wall-clock time: on a shared machine a busy moment
    stretches the wall clock of any input, which made small inputs look slow; the CPU an
    input costs is its own."""
    old = signal.signal(signal.SIGPROF, _alarm), signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_PROF, HANG_SECONDS)
    signal.setitimer(signal.ITIMER_REAL, STUCK_SECONDS)
    start = time.process_time()
    try:
        TARGETS[target](data)
        exc = None
    except (Exception, RecursionError) as e:
        exc = e
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, old[0])
        signal.signal(signal.SIGALRM, old[1])
    return time.process_time() - start, exc


def baseline(target: str, rng_seed: int = 0) -> float:
    """CPU seconds per byte of the target's seed inputs (median over a sample; best of two
    runs each, so that a busy moment of the machine does not set it).

    Seeds are small (a few hundred bytes, counted as SIZE_FLOOR), and a big input is
    compared with seed inputs of its size: so the cost per byte of BIG_SEEDS texts made
    of seeds laid end to end, BIG_SEED_BYTES each, counts too, whichever is higher. A
    file's per-byte cost grows with what a big file holds (more names to index, more
    findings), which the small seeds alone put at a fraction of a big valid file's."""
    pool = list(seeds()[target])
    rng = random.Random(f"{rng_seed}/baseline/{target}")
    sample = rng.sample(pool, min(BASELINE_SEEDS, len(pool)))
    run_one(target, sample[0])  # the first run pays for imports and caches
    small = []
    for data in sample:
        t = min(run_one(target, data)[0] for _ in range(2))
        small.append(t / max(len(data), SIZE_FLOOR))
    big = []
    for _ in range(BIG_SEEDS):
        parts, size = [], 0
        while size < BIG_SEED_BYTES:
            parts.append(rng.choice(pool))
            size += len(parts[-1]) + 1
        data = b"\n".join(parts)
        t = min(run_one(target, data)[0] for _ in range(2))
        big.append(t / len(data))
    return max(statistics.median(small), statistics.median(big))


def limit(per_byte: float, size: int) -> float:
    return max(SLOW_RATIO * per_byte * max(size, SIZE_FLOOR), MIN_SLOW_SECONDS)


def minimise(target: str, data: bytes, sig: str, budget: float = 20.0) -> bytes:
    """A smaller input with the same crash: runs of bytes removed while it still crashes
    the same way (delta debugging, bounded in time)."""
    end = time.monotonic() + budget
    chunk = max(1, len(data) // 2)
    while chunk >= 1 and time.monotonic() < end:
        i, changed = 0, False
        while i < len(data) and time.monotonic() < end:
            smaller = data[:i] + data[i + chunk:]
            _, exc = run_one(target, smaller)
            if exc is not None and signature(exc) == sig:
                data, changed = smaller, True
            else:
                i += chunk
        if not changed:
            chunk //= 2
    return data


def recheck(out: Path, rng_seed: int = 0) -> list[tuple[str, str, float, float]]:
    """The slow inputs a run saved under out/slow/, timed again (best of three, CPU)
    against the baseline of this code: (target, file, seconds, limit) of those still
    over their limit. A run on a busy machine, or with an older baseline, saves inputs
    that are not slow; this tells them apart."""
    still = []
    for folder in sorted((out / "slow").glob("*")):
        target = folder.name
        if target not in TARGETS:
            continue
        per_byte = baseline(target, rng_seed)
        for path in sorted(p for p in folder.iterdir() if not p.suffix):
            data = path.read_bytes()
            t = min(run_one(target, data)[0] for _ in range(3))
            lim = limit(per_byte, len(data))
            if t > lim:
                still.append((target, str(path), t, lim))
    return still


@dataclass
class Stats:
    inputs: int = 0
    seconds: float = 0.0
    crashes: dict[str, list] = field(default_factory=dict)  # signature -> [count, saved file]
    slow: list[tuple[float, int, str]] = field(default_factory=list)  # (ratio to limit, size, saved file)
    slowest: tuple[float, int, str] = (0.0, 0, "")  # (seconds / (10x baseline), size, target/index)

    def merge(self, other: "Stats") -> None:
        self.inputs += other.inputs
        self.seconds += other.seconds
        for sig, (count, path) in other.crashes.items():
            mine = self.crashes.setdefault(sig, [0, path])
            mine[0] += count
        self.slow += other.slow
        self.slowest = max(self.slowest, other.slowest)

    def as_json(self) -> dict:
        return {"inputs": self.inputs, "seconds": self.seconds, "crashes": self.crashes,
                "slow": self.slow, "slowest": list(self.slowest)}

    @classmethod
    def from_json(cls, d: dict) -> "Stats":
        return cls(d["inputs"], d["seconds"], {k: list(v) for k, v in d["crashes"].items()},
                   [tuple(x) for x in d["slow"]], tuple(d["slowest"]))


_WORDS: dict[str, tuple[bytes, ...]] = {}


def inputs(target: str, rng_seed: int, start: int, count: int):
    """The inputs number start .. start+count-1 of a target: each a function of
    (rng_seed, target, index) alone."""
    pool = seeds()[target]
    if target not in _WORDS:
        _WORDS[target] = mutate.dictionary(pool, target in LANGUAGE)
    for i in range(start, start + count):
        rng = random.Random(f"{rng_seed}/{target}/{i}")
        yield i, mutate.mutate(rng, pool, _WORDS[target])


def _save(folder: Path, data: bytes, note: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / hashlib.sha1(data).hexdigest()[:16]
    path.write_bytes(data)
    path.with_suffix(".txt").write_text(note, encoding="utf-8")
    return str(path)


def fuzz(target: str, rng_seed: int, start: int, count: int, per_byte: float, out: Path | None,
         known: set[str] = frozenset()) -> Stats:
    """Run `count` inputs of a target; crashes and slow inputs are saved under `out`
    (crashes/TARGET/, slow/TARGET/), the first input of each crash minimised. A crash
    whose signature is in `known` is counted, not saved again."""
    st = Stats()
    for i, data in inputs(target, rng_seed, start, count):
        t, exc = run_one(target, data)
        st.inputs += 1
        st.seconds += t
        if exc is not None and not isinstance(exc, Hang):
            sig = signature(exc)
            if sig in st.crashes or sig in known:
                st.crashes.setdefault(sig, [0, ""])[0] += 1
                continue
            note = f"{target} input {i} (seed {rng_seed})\n{sig}\n\n" + "".join(traceback.format_exception(exc))
            small = minimise(target, data, sig) if out is not None else data
            path = _save(out / "crashes" / target, small, note) if out is not None else ""
            st.crashes[sig] = [1, path]
            continue
        lim = limit(per_byte, len(data))
        if t > lim and not isinstance(exc, Hang):
            t = min(t, *(run_one(target, data)[0] for _ in range(2)))  # confirm: not a busy moment
        ratio = t / lim
        st.slowest = max(st.slowest, (round(ratio, 3), len(data), f"{target}/{i}"))
        if ratio > 1.0:
            note = f"{target} input {i} (seed {rng_seed}): {t:.2f} s of CPU for {len(data)} bytes, limit {lim:.2f} s"
            st.slow.append((round(ratio, 2), len(data), _save(out / "slow" / target, data, note) if out else ""))
    return st
