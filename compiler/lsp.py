"""`virtc lsp`: the language server (pygls, over stdin/stdout).

* diagnostics as you type: every open document is checked as `virtc check FILE` checks it
  (virtc.api.check, the virtc.toml found upward from the file), with the unsaved text of
  every open buffer, included files too (virtc.lsp_diagnostics);
* hover: a statement's meaning and the guide's limits it is checked against, a rule's
  documentation on its code in `# virtc: ignore[...]` (virtc.lsp_hover);
* completion of keywords and of template, host, bridge and network names, and
  go-to-definition of templates, hosts, bridges, networks and includes (virtc.lsp_navigate);
* formatting through `virtc fmt` (virtc.fmt.format_text);
* a quick fix per finding: suppress the rule on that line; and the finding's own fix, if it has one.

Checking runs on one worker thread, so the server keeps reading messages meanwhile. Edits
that arrive during a check are not checked one by one: when the check ends, a result for
an outdated text is dropped and the newest text is checked at once (no fixed debounce
delay). Big files are parsed piece by piece, re-parsing only the changed top-level items
(virtc.lsp_parsecache); hosts and guests made from unchanged items, and the guest and host
rules' findings on them, are kept from the document's last check (virtc.checkmemo), moved
to where the items are now when an edit above them shifted them (virtc.lsp_relocate).
While the text has a syntax error, what the last check without one kept is kept, for when
the error is fixed.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import os
from concurrent.futures import ThreadPoolExecutor

from lsprotocol import types as T
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from . import __version__, api
from .checkmemo import CheckMemo
from .loading import read_source
from .lsp_diagnostics import (
    convert,
    fix_action,
    suppress_edit,
    suppressible,
    text_edit,
    uri_of,
)
from .lsp_hover import hover_markdown
from .lsp_navigate import complete, definition, fleet_declarations
from .lsp_parsecache import ParseCache
from .lsp_positions import Text
from .lsp_relocate import check_buffers
from .lsp_scan import Scan, scan

log = logging.getLogger("virtc.lsp")
IDLE_GC_SECONDS = 1.0

ITEM_KIND = {"keyword": T.CompletionItemKind.Keyword, "template": T.CompletionItemKind.Class,
             "host": T.CompletionItemKind.Module, "bridge": T.CompletionItemKind.Interface,
             "network": T.CompletionItemKind.Interface, "rule": T.CompletionItemKind.Value}


def path_of(uri: str) -> str:
    """The file a document is; an unsaved document (untitled:...) is known by its URI."""
    return to_fs_path(uri) or uri


def check_document(path: str, buffers: dict[str, str], cache: ParseCache,
                   memo: CheckMemo | None = None) -> api.Outcome:
    """What `virtc check PATH` reports, with the open buffers' text instead of the files
    (included files too), parsed through the cache, reusing through `memo` what the
    document's last check made from declarations that did not change."""
    return check_buffers(path, buffers, cache, memo)


class VirtcServer(LanguageServer):
    def __init__(self):
        super().__init__("virtc", __version__, text_document_sync_kind=T.TextDocumentSyncKind.Incremental)
        self.cache = ParseCache()
        self.memos: dict[str, CheckMemo] = {}  # uri -> what its last check keeps for the next
        self.reads: dict[str, set[str]] = {}  # uri -> files (normalised) its last check read
        self.pending: dict[str, None] = {}  # uris to check, oldest first
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="virtc-check")
        self._scans: dict[str, tuple[int | None, Scan]] = {}
        self._idle_gc: asyncio.TimerHandle | None = None

    # -- documents ---------------------------------------------------------

    @property
    def encoding(self) -> str:
        """The position encoding agreed at initialize: utf-16 unless the client offered another."""
        agreed = self.workspace.position_encoding
        return getattr(agreed, "value", agreed) or "utf-16"

    def buffers(self) -> dict[str, str]:
        return {path_of(uri): doc.source for uri, doc in self.workspace.text_documents.items()}

    def read(self, path: str) -> str | None:
        """An open buffer's text, else the file's (for names in included files)."""
        uri = uri_of(path)
        doc = self.workspace.text_documents.get(uri)
        if doc is not None:
            return doc.source
        src, _problem = read_source(path)
        return src.text if src is not None else None

    def scan_of(self, uri: str) -> tuple[Scan, Text]:
        doc = self.workspace.get_text_document(uri)
        cached = self._scans.get(uri)
        if cached is None or cached[0] != doc.version or cached[1].text != doc.source:
            cached = (doc.version, scan(doc.source))
            self._scans[uri] = cached
        return cached[1], Text(doc.source)

    # -- checking ----------------------------------------------------------

    def schedule(self, uri: str) -> None:
        """Check uri again, and every open document whose last check read it."""
        path = os.path.normpath(path_of(uri))
        self.pending[uri] = None
        for other, read in self.reads.items():
            if other != uri and path in read and other in self.workspace.text_documents:
                self.pending[other] = None
        if self._worker is None:
            self._wake = asyncio.Event()
            self._worker = asyncio.get_running_loop().create_task(self._check_loop())
        if self._idle_gc is not None:
            self._idle_gc.cancel()
            self._idle_gc = None
        self._wake.set()

    async def _check_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.pending:
                uri = next(iter(self.pending))
                del self.pending[uri]
                doc = self.workspace.text_documents.get(uri)
                if doc is None:
                    continue
                version, path = doc.version, path_of(uri)
                try:
                    memo = self.memos.setdefault(uri, CheckMemo())
                    out = await loop.run_in_executor(self._pool, check_document, path, self.buffers(), self.cache, memo)
                except Exception as exc:  # a bug in virtc: keep serving, and say so where the editor logs
                    log.exception("checking %s failed", path)
                    self.window_log_message(T.LogMessageParams(
                        T.MessageType.Error, f"virtc: internal error checking {path}: {type(exc).__name__}: {exc}"))
                    continue
                self.reads[uri] = {os.path.normpath(p) for p in out.sources}
                now = self.workspace.text_documents.get(uri)
                if now is None or now.version != version or uri in self.pending:
                    continue  # outdated: the newer text is checked next
                diagnostics = convert(out.diagnostics, path, out.sources, self.encoding, uri, out.docs_url)
                self.text_document_publish_diagnostics(
                    T.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))
            # Python's cycle collector would pause a check now and then for a full pass over
            # the parse cache; it is off while serving and runs once typing pauses instead
            if self._idle_gc is not None:
                self._idle_gc.cancel()
            self._idle_gc = loop.call_later(IDLE_GC_SECONDS, gc.collect)


server = VirtcServer()


@server.feature(T.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: VirtcServer, params: T.DidOpenTextDocumentParams):
    ls.schedule(params.text_document.uri)


@server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: VirtcServer, params: T.DidChangeTextDocumentParams):
    ls.schedule(params.text_document.uri)


@server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: VirtcServer, params: T.DidCloseTextDocumentParams):
    uri = params.text_document.uri
    ls.reads.pop(uri, None)
    ls.memos.pop(uri, None)
    ls.pending.pop(uri, None)
    ls._scans.pop(uri, None)
    ls.cache.forget(path_of(uri))
    ls.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    # documents that include it now read the file on disk again
    for other, read in list(ls.reads.items()):
        if os.path.normpath(path_of(uri)) in read:
            ls.schedule(other)


def _range(text: Text, start: int, end: int, encoding: str) -> T.Range:
    return T.Range(T.Position(*text.position(start, encoding)), T.Position(*text.position(end, encoding)))


@server.feature(T.TEXT_DOCUMENT_HOVER)
def hover(ls: VirtcServer, params: T.HoverParams):
    sc, text = ls.scan_of(params.text_document.uri)
    offset = text.offset(params.position.line, params.position.character, ls.encoding)
    found = hover_markdown(sc, offset)
    if found is None:
        return None
    markdown, (start, end) = found
    return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=markdown),
                   range=_range(text, start, end, ls.encoding))


@server.feature(T.TEXT_DOCUMENT_COMPLETION, T.CompletionOptions(trigger_characters=[" ", "[", ","]))
def completion(ls: VirtcServer, params: T.CompletionParams):
    uri = params.text_document.uri
    sc, text = ls.scan_of(uri)
    offset = text.offset(params.position.line, params.position.character, ls.encoding)
    found = fleet_declarations(path_of(uri), text.text, ls.read, sc)
    items, start = complete(sc, offset, found)
    replace = _range(text, start, offset, ls.encoding)
    return T.CompletionList(is_incomplete=False, items=[
        T.CompletionItem(label=i.label, kind=ITEM_KIND.get(i.kind), detail=i.detail or None,
                         documentation=i.documentation or None, text_edit=T.TextEdit(replace, i.label))
        for i in items])


@server.feature(T.TEXT_DOCUMENT_DEFINITION)
def goto_definition(ls: VirtcServer, params: T.DefinitionParams):
    uri = params.text_document.uri
    sc, text = ls.scan_of(uri)
    offset = text.offset(params.position.line, params.position.character, ls.encoding)
    path = path_of(uri)
    found = fleet_declarations(path, text.text, ls.read, sc)
    out = []
    for target, target_text, start, end in definition(sc, offset, path, found):
        where = Text(target_text)
        here = os.path.normpath(target) == os.path.normpath(path)
        out.append(T.Location(uri=uri if here else uri_of(target), range=_range(where, start, end, ls.encoding)))
    return out or None


@server.feature(T.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: VirtcServer, params: T.DocumentFormattingParams):
    from .fmt import FormatBug, FormatError, format_text

    doc = ls.workspace.get_text_document(params.text_document.uri)
    try:
        formatted = format_text(doc.source, path_of(doc.uri))
    except FormatError:
        return []  # does not parse: the diagnostics say why; nothing to format
    except FormatBug:
        log.exception("formatter refused its own output")
        return []
    if formatted == doc.source:
        return []
    text = Text(doc.source)
    return [T.TextEdit(_range(text, 0, len(doc.source), ls.encoding), formatted)]


@server.feature(T.TEXT_DOCUMENT_CODE_ACTION,
                T.CodeActionOptions(code_action_kinds=[T.CodeActionKind.QuickFix]))
def code_actions(ls: VirtcServer, params: T.CodeActionParams):
    uri = params.text_document.uri
    text = Text(ls.workspace.get_text_document(uri).source)
    actions, seen = [], set()
    for d in params.context.diagnostics:
        fix = fix_action(uri, d) if d.source == "virtc" else None
        if fix is not None:
            actions.append(fix)
        if d.source != "virtc" or not suppressible(d.code) or (isinstance(d.data, dict) and "file" in d.data):
            continue
        key = (d.code, d.range.start.line)
        if key in seen:
            continue
        seen.add(key)
        edit = suppress_edit(text, d.range.start.line, d.code)
        actions.append(T.CodeAction(
            title=f"Suppress {d.code} on this line", kind=T.CodeActionKind.QuickFix, diagnostics=[d],
            edit=T.WorkspaceEdit(changes={uri: [text_edit(text, edit, ls.encoding)]})))
    return actions


def serve() -> None:
    """Serve on stdin/stdout until the client says exit."""
    gc.disable()  # collected when idle (VirtcServer._check_loop)
    server.start_io()
