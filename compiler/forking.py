"""Parts of one job run side by side in forked processes (`--jobs`): the rules of a big
fleet, split among the CPUs.

Why fork, and not a pool: a child of fork has the model, the rules and the compiled
grammars already, so nothing is sent to it; only its results come back, pickled through a
pipe. The model's classes pickle as their constructor's arguments (virtc.frozen), so a
finding costs about 7 us to send and take back.

Nothing changes for the caller but the time: the results come back in the parts' order,
and a part whose child fails (an exception, a signal, a result cut short) runs again here,
where it raises what it raises in a single process. Fork is used only on Linux, and only
in a process with no other thread than the main one and the progress bar's (not in an
editor's language server or a test runner's worker): a child inherits the memory of every
thread but runs only the one that forked, so a lock another thread held would stay held
in the child."""
from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from . import progress

T = TypeVar("T")


def can_fork() -> bool:
    # The progress bar's thread does not count: it only writes the bar to stderr, and a
    # child neither writes there nor flushes what it inherits (it leaves through os._exit).
    return sys.platform.startswith("linux") and all(
        t is threading.main_thread() or t.name == progress.THREAD for t in threading.enumerate())


def in_processes(parts: list[Callable[[], T]]) -> list[T]:
    """Each part's result, in order: parts[0] runs here, each other in a child forked for
    it, all at the same time."""
    if len(parts) < 2 or not can_fork():
        return [part() for part in parts]
    children: list[tuple[int, int]] = []
    try:
        for part in parts[1:]:
            children.append(_fork(part))
        results = [parts[0]()]
        for i, (pid, fd) in enumerate(children):
            children[i] = (pid, -1)
            data = _read(fd)  # (closes fd)
            well = _exited_well(pid)
            children[i] = (-1, -1)
            if well:
                try:
                    results.append(pickle.loads(data))
                    continue
                except Exception:  # cut short or unreadable: as if the child had failed
                    pass
            results.append(parts[i + 1]())
        return results
    finally:
        for pid, fd in children:  # after an exception here (Ctrl-C): no child left behind
            if fd >= 0:
                os.close(fd)
            if pid > 0:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)


def _fork(part: Callable[[], object]) -> tuple[int, int]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run the part, write its result, leave without cleaning up
        status = 1
        try:
            os.close(r)
            progress.silence()  # the parent draws the progress bar
            data = pickle.dumps(part(), protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(w, view):]
            status = 0
        except BaseException:  # noqa: BLE001 - the parent runs the part again and sees what it raises
            pass
        finally:
            os._exit(status)  # no atexit, no flush of the parent's buffers copied into this process
    os.close(w)
    return pid, r


def _read(fd: int) -> bytes:
    chunks = []
    try:
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _exited_well(pid: int) -> bool:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0
