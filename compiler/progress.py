"""Progress of long runs (lint, build) for a person watching a terminal.

The code doing the work reports phases and steps through `phase()` and `advance()`; a
context variable holds the display, so no function needs an extra parameter, and when no
display is set (the library, the editor server, pipes, CI) a call costs a lookup. The bar
is drawn by a thread on stderr, so the work itself never waits for the terminal, and only
when the run lasts long enough to need it.
"""
from __future__ import annotations

import os
import shutil
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Iterator

_display: ContextVar["Bar | None"] = ContextVar("virtc_progress", default=None)


def phase(name: str, total: int | None = None) -> None:
    """Start a phase ("reading", "writing") of `total` steps (None: not known ahead)."""
    bar = _display.get()
    if bar is not None:
        bar.phase(name, total)


def advance(n: int = 1) -> None:
    bar = _display.get()
    if bar is not None:
        bar.done += n


def wanted(stream: IO[str], environ=os.environ) -> bool:
    """A bar only for a terminal a person is watching: never when stderr is piped or
    redirected, in CI (CI is set, as every CI service does), or on a dumb terminal."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    ci = environ.get("CI", "").strip().lower()
    return tty and ci in ("", "0", "false", "no") and environ.get("TERM") != "dumb"


def silence() -> None:
    """No display in this thread from now on: a worker process (lint --jobs) inherits the
    parent's bar, which only the parent draws."""
    _display.set(None)


@contextmanager
def shown(bar: "Bar | None") -> Iterator["Bar | None"]:
    """Show `bar` (None: nothing) while the block runs; the line is cleared afterwards,
    also on an error or ^C, so diagnostics start on a clean line."""
    token = _display.set(bar)
    if bar is not None:
        bar.start()
    try:
        yield bar
    finally:
        _display.reset(token)
        if bar is not None:
            bar.stop()


THREAD = "virtc-progress"  # the name of the bar's thread (virtc.forking looks for it)


class Bar:
    DELAY = 0.3  # seconds before the first drawing: a quick run shows nothing
    INTERVAL = 0.1  # between redraws
    SPINNER = "|/-\\"

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.name = ""
        self.total: int | None = None
        self.done = 0
        self._t0 = time.monotonic()
        self._drawn = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=THREAD, daemon=True)
        self._frame = 0

    def phase(self, name: str, total: int | None = None) -> None:
        self.name, self.total, self.done = name, total, 0

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _run(self) -> None:
        if self._stop.wait(self.DELAY):
            return
        while not self._stop.is_set():
            self.stream.write("\r" + self.line() + "\033[K")
            self.stream.flush()
            self._drawn = True
            self._stop.wait(self.INTERVAL)

    def line(self, columns: int | None = None) -> str:
        """The bar as it is now: `writing [#########           ] 12,345/46,000  3.1 s`."""
        columns = columns or shutil.get_terminal_size((80, 24)).columns
        elapsed = f"{time.monotonic() - self._t0:.1f} s"
        done, total = self.done, self.total
        if total:
            count = f"{min(done, total):,}/{total:,}"
            width = max(10, min(40, columns - len(self.name) - len(count) - len(elapsed) - 8))
            filled = width * min(done, total) // total
            text = f"{self.name} [{'#' * filled}{' ' * (width - filled)}] {count}  {elapsed}"
        else:
            self._frame = (self._frame + 1) % len(self.SPINNER)
            count = f" {done:,}" if done else ""
            text = f"{self.name}{count} {self.SPINNER[self._frame]}  {elapsed}"
        return text[:max(1, columns - 1)]
