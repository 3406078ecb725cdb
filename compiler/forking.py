"""Parts of one job run side by side in forked processes (`--jobs`): the hosts lint reads
and the rules of a big fleet, shared among the CPUs.

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


def _exited_well(pid: int) -> bool:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def shared(count: int, work: Callable[[int], T], jobs: int, taken: Callable[[int], None] = lambda i: None) -> list[T]:
    """[work(0), ..., work(count - 1)], shared among this process and jobs-1 forked
    children: each takes the next i when it is free, so a process slowed by taking the
    others' results back (this one) simply takes fewer. `taken(i)` is called for each i a
    child worked, as its result is taken back here.

    The i are tokens in a pipe, which each process reads one at a time: a child that dies
    holds nothing the others wait for (a lock would stay taken). A child leaves each
    result pickled in a file of a spool folder, in memory where the machine has /dev/shm,
    and goes on: sent through a pipe instead, a result waited on this process to read it
    (a host of lint, ~1 MB, cost its child a third of its time). An i whose child failed
    (an exception, a signal) is worked here, where it raises what it raises in one
    process. The results are those of one process, in order."""
    if jobs < 2 or count < 2 or not can_fork():
        return [work(i) for i in range(count)]
    import shutil
    import tempfile

    tokens = _Tokens(count)
    spool = tempfile.mkdtemp(prefix="virtc-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    children: list[int] = []
    mine: dict[int, T] = {}
    try:
        for _ in range(min(jobs, count) - 1):
            children.append(_fork_taker(tokens, work, spool))
        while (i := tokens.take(feed=True)) is not None:
            mine[i] = work(i)
        for k, pid in enumerate(children):
            children[k] = -1
            _exited_well(pid)  # a failed child's missing results are worked below
        out = []
        for i in range(count):
            if i not in mine:
                try:
                    with open(os.path.join(spool, str(i)), "rb") as fh:
                        mine[i] = pickle.load(fh)
                    taken(i)
                except Exception:  # not there, or cut short: as if its child had failed
                    mine[i] = work(i)
            out.append(mine.pop(i))
        return out
    finally:
        for pid in children:  # after an exception here (Ctrl-C): no child left behind
            if pid > 0:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        tokens.close()
        shutil.rmtree(spool, ignore_errors=True)


class _Tokens:
    """0 .. count-1 as 4-byte tokens in a pipe, written by this process as room allows (a
    pipe holds 16,384 of them) in writes of PIPE_BUF or less, each whole or not at all, so
    that every read of 4 bytes is one token; the pipe is closed for writing after the
    last, and a read at its end says there is none left."""

    _CHUNK = 1024  # tokens per write: 4,096 bytes, PIPE_BUF on Linux

    def __init__(self, count: int):
        self.count, self.next = count, 0
        self.r, self.w = os.pipe()
        os.set_blocking(self.w, False)
        self._feed()

    def _feed(self) -> None:
        while self.w >= 0 and self.next < self.count:
            n = min(self._CHUNK, self.count - self.next)
            try:
                os.write(self.w, b"".join(i.to_bytes(4, "little") for i in range(self.next, self.next + n)))
            except BlockingIOError:  # full: the rest after this process's next item
                return
            self.next += n
        if self.w >= 0 and self.next >= self.count:
            os.close(self.w)
            self.w = -1

    def take(self, feed: bool = False) -> int | None:
        """The next i, or None when none is left. `feed`: this process, which writes them:
        while some are still to be written (the pipe is full), it takes the next of those
        itself, as a read of a pipe only it writes could wait for ever; a child may wait
        here while the pipe is empty but not closed."""
        if feed:
            self._feed()
            if self.next < self.count:
                self.next += 1
                return self.next - 1
        data = os.read(self.r, 4)
        return int.from_bytes(data, "little") if len(data) == 4 else None

    def child(self) -> None:
        """In a forked child: its copy of the writing end closed (else the end never comes)."""
        if self.w >= 0:
            os.close(self.w)
            self.w = -1

    def close(self) -> None:
        for fd in (self.r, self.w):
            if fd >= 0:
                os.close(fd)
        self.r = self.w = -1


def _fork_taker(tokens: _Tokens, work: Callable[[int], object], spool: str) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: take, work and leave each result until none is left
        status = 1
        try:
            tokens.child()
            progress.silence()  # the parent draws the progress bar
            while (i := tokens.take()) is not None:
                if os.getppid() != parent:
                    # the parent was killed (SIGKILL: no finally of its ran): nobody takes the
                    # results, so stop, and leave no spool behind in /dev/shm
                    import shutil

                    shutil.rmtree(spool, ignore_errors=True)
                    break
                path = os.path.join(spool, str(i))
                with open(path + ".part", "wb") as fh:
                    pickle.dump(work(i), fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.rename(path + ".part", path)  # whole, or not there
            status = 0
        except BaseException:  # noqa: BLE001 - the parent works what is missing and sees what it raises
            pass
        finally:
            os._exit(status)
    return pid
