"""Incremental build benchmark (not part of the test run): a full build of a generated
fleet (20,000 guests over 1,000 hosts by default) against a rebuild with one guest
changed, which hard-links every other file from the previous tree.

Writing phase (in process, the model compiled once): write_tree into a new folder, over
the previous tree with one guest changed, and over it with nothing changed; `cp -r` of
the same tree as the floor. With --whole, also whole `virtc build` processes: a full
build into a new folder and a rebuild with one guest changed (these include compiling,
the same in both).

    python tests/bench/bench_rebuild.py [--guests 20000 --hosts 1000] [--whole] [--dir DIR]
"""
from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_fleet import fleet
from virtc import api
from virtc.build import write_tree

GUEST = "h0000-web001"  # the guest the rebuild changes


def one_changed(text: str, per_host: int) -> str:
    """The fleet with GUEST taken out of its range and given more memory."""
    old = f"guest h0000-web[001..{per_host:03d}] from web on h0000 {{}}"
    assert old in text
    return text.replace(old, f"guest h0000-web[002..{per_host:03d}] from web on h0000 {{}}\n"
                             f"guest {GUEST} from web on h0000 {{ memory 1G }}")


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--guests", type=int, default=20000)
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--whole", action="store_true", help="also time whole `virtc build` processes")
    ap.add_argument("--dir", help="where to write (default: the system's temporary folder)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        a, b = Path(tmp) / "a.virt", Path(tmp) / "b.virt"
        text = fleet(args.guests, args.hosts)
        a.write_text(text)
        b.write_text(one_changed(text, args.guests // args.hosts))
        result = api.build([str(a)], None, write=False)
        assert not result.has_errors, result.diagnostics[:3]
        arts = result.artifacts
        # the same change at the writing level: GUEST's files differ, nothing else
        changed = [dataclasses.replace(x, text=x.text + "\n") if GUEST in x.path and x.link is None else x
                   for x in arts]
        n_changed = sum(1 for x, y in zip(arts, changed) if x is not y)
        gc.collect()
        gc.disable()
        fresh = timed(lambda: write_tree(arts, f"{tmp}/fresh"))
        copy = timed(lambda: subprocess.run(["cp", "-r", f"{tmp}/fresh", f"{tmp}/copy"], check=True))
        shutil.rmtree(f"{tmp}/copy")
        write_tree(arts, f"{tmp}/out")
        one = timed(lambda: write_tree(changed, f"{tmp}/out"))
        none = timed(lambda: write_tree(changed, f"{tmp}/out"))
        gc.enable()
        files = sum(len(f) for _, _, f in os.walk(f"{tmp}/fresh"))
        print(f"{args.guests} guests, {files} files; one guest changed = {n_changed} files")
        print(f"{'writing phase':<40} {'s':>7} {'vs full':>8}")
        for name, t in [("full (new folder)", fresh), ("cp -r of the tree", copy),
                        ("rebuild, one guest changed", one), ("rebuild, nothing changed", none)]:
            print(f"{name:<40} {t:>7.2f} {t / fresh:>7.0%}")
        if args.whole:
            virtc = [sys.executable, "-m", "virtc", "build", "-q"]
            full = timed(lambda: subprocess.run([*virtc, str(a), "-o", f"{tmp}/w"], check=True,
                                                stderr=subprocess.DEVNULL))
            re1 = timed(lambda: subprocess.run([*virtc, str(b), "-o", f"{tmp}/w"], check=True,
                                               stderr=subprocess.DEVNULL))
            check = timed(lambda: subprocess.run([sys.executable, "-m", "virtc", "check", "-q", str(b)], check=False,
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            print(f"{'whole process':<40} {'s':>7} {'vs full':>8}")
            for name, t in [("virtc build, full (new folder)", full), ("virtc build, one guest changed", re1),
                            ("virtc check (no writing)", check)]:
                print(f"{name:<40} {t:>7.2f} {t / full:>7.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
