"""Coverage-guided fuzzing of one target with atheris (libFuzzer), where it is installed:

    python -m tests.fuzz.guided --target read-xm -runs=100000 -max_total_time=600

virtc's modules are instrumented for coverage as they are imported; libFuzzer keeps the
inputs that reach new code in OUT/guided/TARGET/ (it starts from the target's seeds,
written there first) and stops at the first crash, writing it to
OUT/guided/TARGET-crash-*. Arguments after --target go to libFuzzer as they are
(-runs, -max_total_time, -seed, -jobs ...). The mutation runner (`python -m tests.fuzz`)
is the one that runs in CI and keeps going past crashes.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path


def main() -> None:
    import atheris

    ap = argparse.ArgumentParser(prog="python -m tests.fuzz.guided")
    ap.add_argument("--target", required=True)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / ".fuzz"))
    args, libfuzzer = ap.parse_known_args()
    with atheris.instrument_imports(include=["virtc"]):
        import virtc.api  # noqa: F401  (everything the targets reach, instrumented)
        import virtc.fmt  # noqa: F401
        import virtc.lint  # noqa: F401
        import virtc.lsp  # noqa: F401
        import virtc.targets  # noqa: F401
    from .seeds import seeds
    from .targets import TARGETS

    run = TARGETS[args.target]
    corpus = Path(args.out) / "guided" / args.target
    corpus.mkdir(parents=True, exist_ok=True)
    for data in seeds()[args.target]:
        (corpus / hashlib.sha1(data).hexdigest()).write_bytes(data)
    atheris.Setup([sys.argv[0], *libfuzzer, f"-artifact_prefix={corpus}-", str(corpus)], run)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
