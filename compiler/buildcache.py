"""The build cache: the files a build emitted for each host, kept for the next build, so a
rebuild emits again only the hosts whose part of the model changed.

What an entry is. Each target's emitters write a host's files (and its guests') from that
host and its guests alone (targets/format.py asks this of every emitter), so a build runs
them host by host, on the model cut down to one host and its guests (a "slice"), and keeps
what they made under a key: sha256 of the stamp, the target's name and the slice. The slice
is every field of every object in it, spans left out (see _flat): where a thing is written
in a .virt file changes no emitted byte (an artifact names its host or guest, not a span),
so a guest added at the top of a file does not make every later host look changed. The
stamp is virtc's version, the bytes of every file of its code and data (compiler, formats,
grammar, schemas: limits.json too) and the version of Python (no emitter uses lxml); any
change to one of them is a change of every key. An entry is a pure function of its key,
which is why a cache copied from another tree is still right, and why no entry is ever
updated: a build keeps the entries it used or made and drops the others.

Where it lives. `.DIR.virtc-cache` beside the output folder DIR (in its parent, as the
build's temporary folder is), written after the new tree is swapped in, to a temporary
renamed over it (a killed build leaves the old cache or the new, and the next write
removes its temporary); not written at all when it holds this build's entries already.
Not in the tree: the tree is what goes to the hosts, and a cache needs no pairing with
it, since no entry depends on a tree. It holds the text of every file (about the size of
the tree) and is not flushed to disk: after a power failure it may be cut short, and is
then ignored. It is read as untrusted data: a header with the format, the size and a CRC
of the body, the body unpickled with no class allowed (only str, tuple, dict, None), its
shape checked; anything else and the cache is ignored, as if there were none.

Only the emitting is cached. Diagnostics come from the check, which runs in full; the
paths the cached build yields are checked as the build's own (build.artifacts), and where
they have a problem the build emits everything again the ordinary way, so its diagnostics
are exactly an uncached build's.
"""
from __future__ import annotations

import hashlib
import io
import marshal
import os
import pickle
import sys
import zlib

from .forking import shared
from .model import Model
from .owner import Owner
from .source import Span

SUFFIX = ".virtc-cache"
_MAGIC = b"virtc-build-cache 1 "
_CODE_SUFFIXES = (".py", ".json", ".lark", ".lalr", ".rng")


def cache_path(dest: str) -> str:
    """Where the cache of the output folder dest is (beside the folder a symlinked dest
    points to, as write_tree resolves it)."""
    real = os.path.realpath(os.path.abspath(dest))
    return os.path.join(os.path.dirname(real), f".{os.path.basename(real)}{SUFFIX}")


def stamp() -> str:
    """What every key depends on besides the model: virtc's code and data, and the
    version of Python. Not lxml's: the emitters write their XML as text, and a build
    that loaded lxml for its version alone spent 25 ms doing so."""
    import virtc
    import virtc.grammar
    import virtc.schemas
    import virtc.targets

    h = hashlib.sha256()
    h.update(f"{virtc.__version__}\0{sys.version}\0".encode())
    files = set()
    for pkg in (virtc, virtc.targets, virtc.grammar, virtc.schemas):
        for root in pkg.__path__:
            for folder, dirs, names in os.walk(root):
                dirs[:] = [d for d in dirs if d != "__pycache__"]
                files.update(os.path.join(folder, n) for n in names if n.endswith(_CODE_SUFFIXES))
    for path in sorted(files):
        with open(path, "rb") as fh:
            data = fh.read()
        h.update(f"{len(path)}:{path}{len(data)}:".encode())
        h.update(data)
    return h.hexdigest()


def cuts(model: Model) -> list[Model]:
    """The model cut into one host and its guests each, in the model's order (guests whose
    host is not declared: a slice with no host)."""
    guests: dict[str, list] = {h.name: [] for h in model.hosts}
    for g in model.guests:
        guests.setdefault(g.host, []).append(g)
    hosts = {h.name: h for h in model.hosts}
    return [Model((hosts[name],) if name in hosts else (), tuple(mine), model.files) for name, mine in guests.items()]


def digest(cut: Model) -> str:
    """What a slice's entries are keyed by: every field of its host and guests, spans left out."""
    name = cut.hosts[0].name if cut.hosts else cut.guests[0].host
    # version 2: the same value is the same bytes (3 and later mark interned strings and
    # objects seen twice, which vary from run to run and would miss the cache)
    data = marshal.dumps((name, _flat(cut.hosts), _flat(cut.guests)), 2)
    return hashlib.sha256(data).hexdigest()


# the types _flat returns as they are
_PLAIN = frozenset((str, int, bool, float, type(None)))


def _flat(obj):
    """obj as values marshal writes, spans left out, no two different objects alike: a
    model object is a list of its class's name and its fields (a list, so that it is never
    a tuple's equal), a Span is Ellipsis, a type it does not know is a dict of its repr.
    (The key was repr() of the slice with the spans cut out: as exact, 2.5 times slower.)
    Two thirds of the values are strings, numbers, booleans and None: they are kept inline
    rather than passed through a call each (172,500 calls for 1,000 guests, now 59,250)."""
    t = type(obj)
    if t in _PLAIN:
        return obj
    if t is tuple:
        return tuple([v if type(v) in _PLAIN else _flat(v) for v in obj]) if obj else obj
    if t is Span:
        return ...
    values = getattr(t, "_frozen_values", None)  # a @frozen class (virtc.frozen)
    if values is not None:
        return [t.__qualname__, *[v if type(v) in _PLAIN else _flat(v) for v in values(obj)]]
    return {"repr": repr(obj)}


class _NoClasses(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"the build cache names a class ({module}.{name})")


def _entry_ok(value) -> bool:
    if not isinstance(value, tuple):
        return False
    for a in value:
        if not (isinstance(a, tuple) and len(a) == 4 and isinstance(a[0], str) and isinstance(a[1], str)
                and (a[2] is None or isinstance(a[2], str))
                and (a[3] is None or (isinstance(a[3], tuple) and len(a[3]) == 3
                                      and all(x is None or isinstance(x, str) for x in a[3])))):
            return False
    return True


def _pack(arts) -> tuple:
    return tuple((a.path, a.text, a.link, None if a.source is None else (a.source.host, a.source.guest, a.source.part))
                 for a in arts)


def _unpack(entry: tuple) -> list:
    from virtc.targets import Artifact

    return [Artifact(path, text, link, None if owner is None else Owner(*owner)) for path, text, link, owner in entry]


# Batches of hosts per process, and the fewest hosts worth forking for (below it, forking
# and taking the entries back cost more than emitting them here)
BATCHES_PER_JOB = 8
FORK_MIN_HOSTS = 64


class BuildCache:
    """The entries of the last build (read from its tree) and those of this one."""

    def __init__(self, stamp_: str, entries: dict | None = None):
        self.stamp = stamp_
        self._old: dict[str, tuple] = entries or {}
        self.entries: dict[str, tuple] = {}  # this build's: what write() keeps
        self.stats = {"reused": 0, "emitted": 0}

    @classmethod
    def open(cls, dest: str | None) -> BuildCache:
        """The cache of the tree at dest; an empty one if there is none or it is unusable."""
        current = stamp()
        if dest is None:
            return cls(current)
        try:
            with open(cache_path(dest), "rb") as fh:
                data = fh.read()
            entries = _decode(data, current)
        except (OSError, ValueError, EOFError, pickle.UnpicklingError, MemoryError, RecursionError,
                TypeError, AttributeError, IndexError, KeyError):
            entries = None
        return cls(current, entries)

    def emit(self, model: Model, targets: list, jobs: int = 1) -> list:
        """Every artifact of `targets` ((name, virtc.targets.Target) pairs), host by host,
        taken from the cache where the slice is unchanged. Unsorted; build.artifacts sorts.
        `jobs` processes share the hosts (forking.shared): the slices' digests and the
        emitting are each host's alone, and what comes back is only the entries' strings."""
        parts = cuts(model)
        n = min(len(parts), BATCHES_PER_JOB * jobs) if jobs > 1 and len(parts) >= FORK_MIN_HOSTS else 1
        bounds = [(len(parts) * k // n, len(parts) * (k + 1) // n) for k in range(n)]
        old = self._old

        def work(k: int) -> list:
            out = []  # per slice: per target, (key, its entry; None: the cache's)
            for cut in parts[bounds[k][0]:bounds[k][1]]:
                sliced = digest(cut)
                mine = []
                for name, target in targets:
                    key = hashlib.sha256(f"{self.stamp}\0{name}\0{sliced}".encode()).hexdigest()
                    # a reused entry is the parent's already: only its key comes back
                    mine.append((key, None) if key in old else (key, _pack(target.emit(cut))))
                out.append(mine)
            return out

        done = [mine for batch in shared(n, work, jobs) for mine in batch]
        out = []
        for t in range(len(targets)):  # target by target, host by host: the order of an uncached build
            for mine in done:
                key, entry = mine[t]
                self.stats["reused" if entry is None else "emitted"] += 1
                entry = self.entries[key] = old[key] if entry is None else entry
                out.extend(_unpack(entry))
        return out

    def write(self, dest: str) -> None:
        """Replace the cache of the output folder dest with this build's entries
        (build.write_tree calls it once the tree is in place)."""
        from . import atomic  # write_file also removes stale temporaries of killed builds

        if self._old and self.entries.keys() == self._old.keys():
            # The cache read at open() is this one already: the same stamp (checked when it
            # was read) and the same keys, and an entry is a function of its key. Writing
            # it again cost a build of 1,000 guests 6 ms, and the old file's blocks freed.
            return
        path = cache_path(dest)
        body = pickle.dumps({"stamp": self.stamp, "entries": self.entries}, protocol=pickle.HIGHEST_PROTOCOL)
        head = _MAGIC + f"{zlib.crc32(body):08x} {len(body)}\n".encode()
        atomic.write_file(path, head + body, keep_mode=False, durable=False)  # not flushed: see above


def _decode(data: bytes, current: str) -> dict | None:
    """The entries of a cache file, or None if it is not a whole, well-formed cache of
    this virtc (the stamp is checked here too, so a cache of other code is never read)."""
    if not data.startswith(_MAGIC):
        return None
    head, sep, body = data.partition(b"\n")
    if not sep:
        return None
    crc, size = head[len(_MAGIC):].split(b" ")
    if int(size) != len(body) or int(crc, 16) != zlib.crc32(body):
        return None
    value = _NoClasses(io.BytesIO(body)).load()
    if not (isinstance(value, dict) and value.get("stamp") == current and isinstance(value.get("entries"), dict)):
        return None
    entries = value["entries"]
    if not all(isinstance(k, str) and _entry_ok(v) for k, v in entries.items()):
        return None
    return entries

