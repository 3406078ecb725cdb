"""Writing files so that a killed virtc leaves the old content or the new, never a mix.

Every file virtc writes (`fmt` in place, `import -o`, `convert -o`, report files, the
reference pages) goes through write_file: the text goes to a temporary file with a unique
name in the same folder, is flushed to disk (except the build cache's, which may be lost),
and is renamed over the destination in one step (rename(2) is atomic within a filesystem).
The temporary names carry the writer's process id, so a temporary left by a killed run is
provably virtc's and provably stale once that process is gone: the next write in that
folder removes it.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile

# .NAME.virtc-PID-RANDOM.tmp beside the file; .virtc-build-PID-RANDOM beside a build's folder
_TMP_FILE = re.compile(r"\..*\.virtc-(\d+)-[A-Za-z0-9_]+\.tmp\Z", re.DOTALL)
_TMP_TREE = re.compile(r"\.virtc-build-(\d+)-[A-Za-z0-9_]+\Z")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (another user's counts as alive). A reused
    id reads as alive: the stale temporary is then kept, never wrongly removed."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale(folder: str, trees: bool = False) -> list[str]:
    """Remove the temporaries of dead virtc processes in `folder`: files named as
    write_file names them, and with `trees` the build folders write_tree names. Returns
    the names removed; anything that cannot be removed is left (it blocks nothing: new
    temporaries have unique names)."""
    pattern = _TMP_TREE if trees else _TMP_FILE
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = pattern.match(name)
        if not m or int(m.group(1)) == os.getpid() or pid_alive(int(m.group(1))):
            continue
        full = os.path.join(folder, name)
        try:
            if os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full)
            else:
                os.unlink(full)
            removed.append(name)
        except OSError:
            pass
    return removed


def fsync_dir(folder: str) -> None:
    """Make a rename in `folder` durable (best effort: some filesystems refuse)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_file(path: str, text: str | bytes, *, keep_mode: bool = True, newline: str | None = None,
               durable: bool = True) -> None:
    """Replace (or create) `path` with `text` (or bytes) in one step. A replaced file keeps
    its permissions; a new one gets the usual mode (0666 less the umask). The temporary is
    removed on any failure, KeyboardInterrupt included.

    `durable=False` leaves out the two fsyncs (of the file, then of its folder): a killed
    process still leaves the old content or the new, since that is the rename's doing, but
    after a power failure the file may be cut short. For a file whose reader checks it
    whole and may lose it (the build cache: a size and a CRC); each fsync waits for the
    disk, 5-15 ms here, more than the rest of writing a 2 MB file."""
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale(folder)
    mode = None
    if keep_mode:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            pass
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.virtc-{os.getpid()}-", suffix=".tmp",
                               dir=folder)
    try:
        with (os.fdopen(fd, "wb") if isinstance(text, bytes)
              else os.fdopen(fd, "w", encoding="utf-8", newline=newline)) as fh:
            fh.write(text)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        fsync_dir(folder)
