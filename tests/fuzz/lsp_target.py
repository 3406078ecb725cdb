"""The language server's message handling, in process: JSON-RPC messages go through
pygls's own deserialisation and dispatch (`structure_message`, `handle_message`) to
virtc's handlers, as they would from an editor, without sockets or a subprocess.

One input is a document's text and the requests made on it: open, hover, completion,
go-to-definition, formatting and code actions at positions taken from the input (out of
range ones too), an incremental edit, the diagnostics after each, and close. Any error a
handler raises (pygls answers it as an internal error and reports it to the server), or
a failed check logged by the server, is a bug.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re

from virtc import lsp

URI = "file:///virtc-fuzz/doc{}.virt"
WAIT_SECONDS = 60.0


class _Client:
    """What the server writes back, as decoded JSON messages."""

    def __init__(self):
        self.messages: list[dict] = []

    def write(self, data: bytes) -> None:
        self.messages.append(json.loads(data))

    def close(self) -> None:
        pass


class _Session:
    def __init__(self):
        self.server = lsp.server
        self.client = _Client()
        self.errors: list[str] = []
        self.ids = itertools.count(1)
        self.docs = itertools.count(1)
        self.loop = asyncio.new_event_loop()
        self.server.protocol.set_writer(self.client, include_headers=False)
        self.server.report_server_error = lambda error, source: self.errors.append(f"{type(error).__name__}: {error}")
        logging.getLogger("pygls").setLevel(logging.CRITICAL)
        logging.getLogger("virtc.lsp").setLevel(logging.CRITICAL)
        self.loop.run_until_complete(self._start())

    def send(self, method: str, params: dict, request: bool = True) -> int | None:
        msg = {"jsonrpc": "2.0", "method": method, "params": params}
        msg_id = next(self.ids) if request else None
        if request:
            msg["id"] = msg_id
        proto = self.server.protocol
        proto.handle_message(proto.structure_message(json.loads(json.dumps(msg))))
        return msg_id

    async def _start(self):
        self.send("initialize", {"processId": None, "rootUri": None, "capabilities": {
            "general": {"positionEncodings": ["utf-16"]}}})
        self.send("initialized", {}, request=False)
        await asyncio.sleep(0)

    async def published(self, uri: str, version: int) -> None:
        """Until the diagnostics of `uri` at `version` are published (or a check failed)."""
        deadline = self.loop.time() + WAIT_SECONDS
        while self.loop.time() < deadline:
            for m in self.client.messages:
                if (m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
                        and m["params"].get("version") == version):
                    return
                if m.get("method") == "window/logMessage" and m["params"].get("type") == 1:
                    return
            await asyncio.sleep(0.001)
        raise TimeoutError(f"no diagnostics for {uri} version {version} in {WAIT_SECONDS:.0f} s")

    def failures(self) -> list[str]:
        out = list(self.errors)
        for m in self.client.messages:
            if "error" in m and "id" in m:
                out.append(f"request {m['id']} answered with error {m['error']}")
            if m.get("method") == "window/logMessage" and m["params"].get("type") == 1:
                out.append(m["params"]["message"])
        return out


_SESSION: _Session | None = None


class ServerFailure(AssertionError):
    """A handler failed or a check raised, by what the server said of it."""

    def __init__(self, failures: list[str]):
        super().__init__("language server: " + "; ".join(failures[:3]))
        # told apart by the first failure, without its document and numbers
        self.signature = "ServerFailure: " + re.sub(r"\d+", "N", re.sub(r"\S*virtc-fuzz\S*", "DOC", failures[0]))[:160]


def _position(b: bytes, i: int, lines: int) -> dict:
    """A position from two input bytes: mostly inside the text, sometimes past its end."""
    hi, lo = b[i % len(b)] if b else 0, b[(i + 1) % len(b)] if b else 0
    line = hi % (lines + 2) if hi < 250 else 10 ** (hi - 246)
    return {"line": line, "character": lo % 90 if lo < 250 else 10 ** (lo - 246)}


async def _drive(s: _Session, data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    lines = text.count("\n") + 1
    uri = URI.format(next(s.docs))
    doc = {"uri": uri}
    s.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "virtc", "version": 1,
                                                     "text": text}}, request=False)
    tail = data[-16:] or b"\0"
    for k, method in enumerate(("textDocument/hover", "textDocument/completion", "textDocument/definition")):
        s.send(method, {"textDocument": doc, "position": _position(tail, 2 * k, lines)})
    await s.published(uri, 1)
    s.send("textDocument/formatting", {"textDocument": doc, "options": {"tabSize": 2, "insertSpaces": True}})
    for m in list(s.client.messages):
        if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri:
            s.send("textDocument/codeAction", {"textDocument": doc, "range": {
                "start": {"line": 0, "character": 0}, "end": {"line": lines, "character": 0}},
                "context": {"diagnostics": m["params"]["diagnostics"]}})
    start, end = sorted((_position(tail, 6, lines), _position(tail, 8, lines)),
                        key=lambda p: (p["line"], p["character"]))
    s.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": start, "end": end}, "text": text[len(text) // 3: len(text) // 3 + 40]}]},
           request=False)
    s.send("textDocument/hover", {"textDocument": doc, "position": _position(tail, 10, lines)})
    await s.published(uri, 2)
    s.send("textDocument/didClose", {"textDocument": doc}, request=False)
    await asyncio.sleep(0)


def run_lsp(data: bytes) -> None:
    global _SESSION
    if _SESSION is None:
        _SESSION = _Session()
    s = _SESSION
    s.client.messages.clear()
    s.errors.clear()
    s.loop.run_until_complete(_drive(s, data))
    failed = s.failures()
    if failed:
        raise ServerFailure(failed)
