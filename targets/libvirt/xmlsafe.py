"""XML from existing files, parsed safely and located precisely.

Every XML file virtc reads (libvirt domain, network and pool definitions, `virsh
capabilities` output) goes through parse() here and nowhere else. The parser resolves no
entities, loads no DTD, opens no network connection and keeps libxml2's size limits
(huge_tree off); on top of that a document whose DOCTYPE declares entities is refused
before libxml2 sees it, so neither an external entity (XXE) nor a billion-laughs
expansion can happen. libvirt's own files never carry a DOCTYPE.

libxml2 only records the line where a start tag *ends*, so the Locator finds each
element's start tag in the text itself: in a well-formed document every '<' outside
comments, CDATA sections, processing instructions and the DOCTYPE opens a tag, so the
n-th start tag in the text is the n-th element lxml returns.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from sys import intern

from virtc.bounds import BOUNDS
from virtc.diagnostics import Diagnostic, error
from virtc.documents import Document, Entry
from virtc.source import SourceFile, Span

# One parser for every file: building it is the costly part, and it holds no document state.
_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                       dtd_validation=False, attribute_defaults=False, remove_blank_text=False,
                       encoding="utf-8")

_MARKUP = re.compile(
    r"<!--.*?-->"                                   # comment
    r"|<!\[CDATA\[.*?\]\]>"                         # CDATA section
    r"|<\?.*?\?>"                                   # processing instruction / XML declaration
    r"|<!DOCTYPE(?:[^\[>]*\[.*?\]\s*)?[^>]*>"       # DOCTYPE, with an internal subset or not
    r"|</[^>]*>"                                    # end tag
    r"|<([^\s/>!?]+)",                              # start tag: group 1 is the name
    re.S)
_TAG_REST = re.compile(r"""(?:[^>"']|"[^"]*"|'[^']*')*>""")
_ATTR = re.compile(r"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_PROLOG_SKIP = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_ENTITY_DECL = re.compile(r"<!ENTITY", re.I)

FIX_DTD = ("remove the DOCTYPE: libvirt's XML has none, and virtc does not expand entities "
           "(they can read local files or blow up to gigabytes)")


def _parser() -> "etree.XMLParser":
    from lxml import etree  # here: lxml is loaded by the commands that read XML, not by check

    return etree.XMLParser(**_PARSER_OPTIONS)


@lru_cache(maxsize=1)
def _shared_parser() -> "etree.XMLParser":
    return _parser()


# The last text parsed and its tree: lint's reader and its schema check (VF711) each ask
# for the same file's tree, one after the other, and the file is parsed once. Keyed by the
# text object itself (both are handed the same str); nothing changes a parsed tree.
_last: tuple = (None, None)


def parse(src: SourceFile) -> tuple["etree._Element | None", list[Diagnostic]]:
    """The root element, or None and a VF701 error saying why the file cannot be read."""
    global _last
    text, parsed = _last
    if text is src.text:
        return parsed
    parsed = _parse(src)
    if parsed[0] is not None:
        _last = (src.text, parsed)
    return parsed


def _parse(src: SourceFile) -> tuple["etree._Element | None", list[Diagnostic]]:
    text = src.text
    if len(text) > BOUNDS["config_bytes"].value:
        return None, [_too_large(src, f"larger than {BOUNDS['config_bytes'].shown}, the most virtc reads")]
    doctype = _doctype_offset(text)
    if doctype is not None and _ENTITY_DECL.search(text, doctype):
        at = _ENTITY_DECL.search(text, doctype).start()
        return None, [error("VF701", "the DOCTYPE declares entities; virtc does not expand them "
                                     "(external entities read local files, nested ones expand "
                                     "exponentially) and did not read this file",
                            src.span(at, at + len("<!ENTITY")), hint=FIX_DTD)]
    if not text.strip():
        return None, [error("VF701", "the file is empty: an XML document needs a root element",
                            src.span(0, 1), hint="write the definition, e.g. with `virsh dumpxml NAME`")]
    from lxml import etree

    data = text.encode("utf-8", "replace")
    try:
        root = etree.fromstring(data, _shared_parser())
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (1, 1)
        if "Excessive depth" in (exc.msg or ""):
            limit = BOUNDS["xml_depth"]
            return None, [error(limit.code, f"XML elements nest deeper than {limit.shown}, the most virtc "
                                            "reads (libxml2's limit without huge_tree); the file was not read",
                                _point(src, line, col), hint="a libvirt definition nests about 5 deep; "
                                                             "this is not one")]
        if "XML_PARSE_HUGE" in (exc.msg or "") or "Resource limit exceeded" in (exc.msg or ""):
            return None, [_too_large(src, f"past one of libxml2's size limits ({_clean(exc.msg)})")]
        return None, [error("VF701", f"not well-formed XML: {_clean(exc.msg)}", _point(src, line, col),
                            hint="fix the markup at this point (an unclosed tag or quote, a stray '<' "
                                 "or '&', or a second root element)")]
    except (ValueError, TypeError, MemoryError, RecursionError) as exc:  # never a traceback
        return None, [error("VF701", f"cannot parse this file as XML: {exc}", src.span(0, 1))]
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        return None, [error("VF701", "the DOCTYPE declares entities; virtc does not expand them",
                            src.span(doctype or 0, (doctype or 0) + 1), hint=FIX_DTD)]
    return root, []


def _too_large(src: SourceFile, why: str) -> Diagnostic:
    return error(BOUNDS["config_bytes"].code, f"the XML file is {why}; it was not read", src.span(0, 0),
                 hint="a libvirt definition is a few KB; this is not one")


def _clean(msg: str) -> str:
    """libxml2's message without its own ', line N, column M' tail (the span says it)."""
    return re.sub(r",\s*line \d+, column \d+\s*$", "", (msg or "syntax error").strip())


def _point(src: SourceFile, line: int, col: int) -> Span:
    starts = src.line_starts
    line = min(max(1, line), len(starts))
    text = src.line(line)
    col = min(max(1, col), len(text) + 1)
    start = starts[line - 1] + col - 1
    return src.span(start, min(start + 1, len(src.text)) if start < len(src.text) else start)


def _doctype_offset(text: str) -> int | None:
    """Where the DOCTYPE starts, when the prolog has one (comments and PIs may precede it)."""
    pos = 1 if text.startswith("\ufeff") else 0
    while True:
        m = _PROLOG_SKIP.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
    return pos if text.startswith("<!DOCTYPE", pos) else None


# ---------------------------------------------------------------- where things are

def qname(el) -> str:
    """The element's name as written: prefix:local for a namespaced element."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    if tag[0] != "{":
        return tag
    local = tag.split("}", 1)[1]
    return f"{el.prefix}:{local}" if el.prefix else local


def elements(root):
    """The elements of a tree in document order (no comments, PIs or entity nodes)."""
    return [el for el in root.iter() if isinstance(el.tag, str)]


class Locator:
    """Spans of elements, attributes and text in the file a tree was parsed from."""

    def __init__(self, src: SourceFile, root):
        self.src = src
        self.elements = elements(root)
        self.names = {el: intern(qname(el)) for el in self.elements}
        # each element's child elements, in order (the reader and to_document ask often)
        self.children: dict = {el: [] for el in self.elements}
        for el in self.elements[1:]:
            self.children[el.getparent()].append(el)
        starts = [m.start() for m in _MARKUP.finditer(src.text) if m.group(1)]
        self._start: dict = {}
        if len(starts) == len(self.elements):
            for el, at in zip(self.elements, starts):
                self._start[el] = at
        if not self._start or any(not src.text.startswith("<" + self.names[el], at)
                                  for el, at in self._start.items()):
            self._start = {el: self._by_line(el) for el in self.elements}
        self._ends: dict = {}
        self._spans: dict = {}
        self._attrs: dict = {}
        self._named: dict = {}  # element -> {name: its child elements of that name}

    def _by_line(self, el) -> int:
        """Fallback: the last `<tag` at or before the end of the line libxml2 reports."""
        starts = self.src.line_starts
        line = min(max(1, el.sourceline or 1), len(starts))
        end = starts[line] if line < len(starts) else len(self.src.text)
        at = self.src.text.rfind("<" + qname(el), 0, end)
        return max(at, 0)

    def named(self, el, tag: str) -> list:
        """The element's children named `tag`, in order. They are sorted by name once per
        element: the reader asks <domain> for a dozen names, and a scan of its children
        per name grew with the file."""
        by_name = self._named.get(el)
        if by_name is None:
            by_name = self._named[el] = {}
            for c in self.children.get(el, ()):
                by_name.setdefault(self.names[c], []).append(c)
        return by_name.get(tag, [])

    def start(self, el) -> int:
        return self._start.get(el, 0)

    def name(self, el) -> str:
        return self.names.get(el) or qname(el)

    def tag_end(self, el) -> int:
        """Offset just after the start tag's '>'."""
        if el not in self._ends:
            at = self.start(el) + 1 + len(self.name(el))
            m = _TAG_REST.match(self.src.text, at)
            self._ends[el] = m.end() if m else at
        return self._ends[el]

    def all_spans(self) -> dict:
        """span() of every element, found in one pass down the file's lines (the tags are in
        document order, so each line search starts where the last one ended): to_document
        wants them all, and span() one by one cost a bisection and three calls each."""
        src, spans, names = self.src, self._spans, self.names
        text, starts, path = src.text, src.line_starts, src.path
        line, prev = 1, 0
        for el in self.elements:
            at = self._start.get(el, 0)
            end = at + 1 + len(names[el])
            line = bisect_right(starts, at, line - 1 if at >= prev else 0)
            prev = at
            if el in spans:
                continue
            if text.find("\n", at, end - 1) >= 0:  # not on one line (a fallback start): as span() does
                spans[el] = src.span(at, end)
                continue
            col = at - starts[line - 1] + 1
            spans[el] = Span(path, line, col, line, col + end - at, at, end)
        return spans

    def span(self, el) -> Span:
        """`<tag`: where an element starts."""
        span = self._spans.get(el)
        if span is None:
            at = self.start(el)
            span = self._spans[el] = self.src.span(at, at + 1 + len(self.name(el)))
        return span

    def attrs(self, el) -> dict[str, Span]:
        """Each attribute's value (inside the quotes; the name when the value is empty)."""
        if el in self._attrs:
            return self._attrs[el]
        if not len(el.attrib) and not el.nsmap:
            out = {}
        else:
            out = _attribute_spans(self.src, self.start(el) + 1 + len(self.name(el)))
        self._attrs[el] = out
        return out

    def attr_span(self, el, name: str) -> Span:
        return self.attrs(el).get(name) or self.span(el)

    def text_span(self, el) -> Span:
        """The element's own text, without surrounding blanks; the tag when it has none."""
        text = self.src.text
        begin = self.tag_end(el)
        if text[begin - 2:begin] == "/>":
            return self.span(el)
        end = text.find("<", begin)
        end = len(text) if end < 0 else end
        raw = text[begin:end]
        lead = len(raw) - len(raw.lstrip())
        body = raw.strip()
        if not body:
            return self.span(el)
        return self.src.span(begin + lead, begin + lead + len(body))


def element_span(src: SourceFile, el, locator: Locator | None = None) -> Span:
    """The span of one element (`<tag`); build a Locator once when locating many."""
    return (locator or Locator(src, el.getroottree().getroot())).span(el)


# ---------------------------------------------------------------- as a document

@dataclass(frozen=True, slots=True)
class XmlNode:
    """One element as an Entry value: its name, own text and attributes. Entry.group is
    the index of the parent element's entry (-1 for the root). Attribute spans are found
    on demand (most elements are never asked), through `where`."""

    tag: str
    text: str | None
    attrs: tuple[tuple[str, str], ...]
    children: int  # how many child elements it has
    where: object = field(default=None, compare=False, repr=False)  # (Locator, element)

    def attr(self, name: str, default: str | None = None) -> str | None:
        for k, v in self.attrs:
            if k == name:
                return v
        return default

    def attr_span(self, name: str) -> Span | None:
        if self.where is None:
            return None
        loc, el = self.where
        return loc.attrs(el).get(name)

    def __reduce__(self):
        # `virtc lint --jobs` sends documents from worker processes; lxml elements do not
        # pickle, so a node travels with where its start tag is in its file's text, and its
        # attribute spans are found there when asked (as the Locator finds them).
        where = self.where
        if where is not None and isinstance(where[0], Locator):
            loc, el = where
            where = (_TagAt(loc.src, loc.start(el), loc.name(el)), None)
        return XmlNode, (self.tag, self.text, self.attrs, self.children, where)


class _TagAt:
    """A start tag in a file's text, for the attribute spans of a node sent without its tree:
    what Locator.attrs answers for its element (an element with no attributes and no
    namespace declarations has no `name="value"` in its tag, so the text alone tells)."""

    __slots__ = ("name", "spans", "src", "start")

    def __init__(self, src: SourceFile, start: int, name: str):
        self.src, self.start, self.name, self.spans = src, start, name, None

    def attrs(self, _el) -> dict:
        if self.spans is None:
            self.spans = _attribute_spans(self.src, self.start + 1 + len(self.name))
        return self.spans

    def __reduce__(self):
        return _TagAt, (self.src, self.start, self.name)


def _attribute_spans(src: SourceFile, head: int) -> dict[str, Span]:
    """Each attribute's value (inside the quotes; the name when the value is empty) of the
    start tag whose name ends at `head`."""
    text = src.text
    rest = _TAG_REST.match(text, head)
    stop = rest.end() if rest else head
    out = {}
    # a tag on one line (the usual one): its spans from that line's start, as src.span()
    # would give them, without a bisection each
    starts = src.line_starts
    line = bisect_right(starts, head) if text.find("\n", head, stop) < 0 else 0
    base = starts[line - 1] if line else 0
    for m in _ATTR.finditer(text, head, stop):
        g = 2 if m.group(2) is not None else 3
        b, e = m.span(g)
        if e <= b:
            b, e = m.span(1)
        out[m.group(1)] = Span(src.path, line, b - base + 1, line, e - base + 1, b, e) if line else src.span(b, e)
    return out


def to_document(src: SourceFile, root, fmt: str = "libvirt-xml",
                locator: Locator | None = None) -> Document:
    """The tree as a Document: one Entry per element, keyed by its path from the root
    ("domain/devices/disk/target"), in document order."""
    loc = locator or Locator(src, root)
    names, spans = loc.names, loc.all_spans()
    entries = []
    # (path, entry index) of each element whose children are still to come; the root's
    # parent is None (the elements are in document order, so a parent precedes its children)
    at: dict = {None: (None, -1)}
    for el, kids in loc.children.items():
        ppath, group = at.get(el.getparent(), (None, -1))
        tag = names[el]
        # interned: the same few paths and names over and over, one string each (also
        # what a worker sends back is smaller: pickle writes a shared string once)
        path = intern(tag if ppath is None else f"{ppath}/{tag}")
        if kids:
            at[el] = (path, len(entries))
        attrib = el.attrib
        attrs = tuple([(intern(k if k[0] != "{" else _attr_name(k)), v) for k, v in attrib.items()]) if attrib else ()
        raw = el.text
        text = raw.strip() if raw and not raw.isspace() else None
        node = XmlNode(tag, text, attrs, len(kids), (loc, el))
        span = spans[el]
        entries.append(Entry(path, node, span, span, loc.text_span(el) if text else span, (), group))
    return Document(fmt, src.path, tuple(entries), src)


def _attr_name(key: str) -> str:
    if key.startswith("{"):
        ns, local = key[1:].split("}", 1)
        return "xml:" + local if ns == "http://www.w3.org/XML/1998/namespace" else local
    return key
