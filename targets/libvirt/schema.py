"""RHEL 5's libvirt XML grammar, applied by `virtc lint` to the XML files it reads (VF711).

The grammars are virtc's own (schemas/libvirt-0.8/: domain.rng, network.rng,
storagepool.rng), written from the format libvirt 0.8.2 documented and read: the libvirt
of RHEL 5.6 to 5.11. They ship with virtc and are the only ones used, so a file gets the
same findings on every machine, whichever libvirt (if any) the machine has installed:
RHEL 5's documents are judged by what RHEL 5's libvirt accepted, not by today's schemas
(which refuse the guide's own `<bridge forwardDelay=...>`).

Compiling domain.rng takes about as long as checking a hundred documents, so each grammar
is compiled once per process and kept: a lint of 1,000 domain XMLs compiles it once.

libxml2 says little about where a document fails inside an <interleave> (most of these
grammars): "Extra element devices in interleave", at no line. So a rejected document is
searched for the part at fault, first in the grammar's own text (an element or attribute
it has nowhere there, a value outside its list), then by changing a copy of the document
one part at a time until it is valid; the message names that element or attribute and
says what the grammar takes there.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files

from lxml import etree

from virtc.diagnostics import Diagnostic, warning
from virtc.source import SourceFile, Span
from .xmlsafe import Locator, _point, elements, parse, qname

FOLDER = "libvirt-0.8"
# How VF711 names the grammar a file is judged by.
SCHEMA_NAME = "RHEL 5's libvirt 0.8 (virtc's schema of it)"
HINT = ("RHEL 5's libvirt refuses the file, or drops what it does not know; write it as RHEL 5's "
        "`virsh dumpxml` does (virtc's schema of it: schemas/libvirt-0.8/{name})")
_RNG = "{http://relaxng.org/ns/structure/1.0}"
# Validations tried while searching a rejected document for the part at fault (a domain
# validates in well under a millisecond).
_MAX_TRIES = 150


def schema_path(name: str) -> str:
    """The shipped grammar `name` (domain.rng, network.rng, storagepool.rng)."""
    return str(files("virtc.schemas").joinpath(FOLDER, name))


@lru_cache(maxsize=None)
def _compiled(name: str) -> "etree.RelaxNG":
    # virtc's own files, from the installed package; <include>s are resolved from the
    # same folder, nothing from the network.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.RelaxNG(etree.parse(schema_path(name), parser))


def compiled(name: str) -> etree.RelaxNG:
    """The shipped grammar `name`, compiled at the first call in this process (lint calls
    it before forking its workers, which then inherit it compiled)."""
    return _compiled(name)


# ---------------------------------------------------------------- what the grammar takes

@dataclass
class _Shape:
    """What one element takes, over every place the grammar defines it."""
    children: set = field(default_factory=set)
    required: set = field(default_factory=set)  # children it always needs
    attrs: dict = field(default_factory=dict)   # name -> set of values, or None (any form)
    values: set | None = None                    # the text's values, when only a list
    free_text: bool = False


_OPTIONAL = {_RNG + "optional", _RNG + "zeroOrMore", _RNG + "choice"}


@lru_cache(maxsize=None)
def _shapes(name: str) -> dict:
    """(parent element name, element name) -> _Shape, read from the grammar's own text."""
    defines: dict = {}
    _collect_defines(schema_path(name), defines, set())
    start = defines.pop("__start__")
    shapes: dict = {}
    seen: set = set()
    # the elements whose id() is in `seen`, kept alive: lxml makes a Python object for an
    # element when it is reached and drops it after, and a later element's object could
    # take the same id() and be skipped as seen (the shapes then changed from run to run)
    alive: list = []

    def walk(node, ctx, parent, needed):
        tag = node.tag
        if tag == _RNG + "element":
            el = node.get("name")
            if ctx is not None:
                shape = shapes.setdefault((parent, ctx), _Shape())
                shape.children.add(el)
                if needed:
                    shape.required.add(el)
            shapes.setdefault((ctx, el), _Shape())
            if (ctx, el, id(node)) not in seen:
                seen.add((ctx, el, id(node)))
                alive.append(node)
                for child in node:
                    walk(child, el, ctx, True)
        elif tag == _RNG + "attribute":
            shape = shapes.setdefault((parent, ctx), _Shape())
            values = _values(node, defines)
            old = shape.attrs.get(node.get("name"), set())
            shape.attrs[node.get("name")] = None if values is None or old is None else old | values
        elif tag == _RNG + "ref":
            key = (node.get("name"), ctx, parent, needed)
            if key not in seen:
                seen.add(key)
                for child in defines.get(node.get("name"), ()):
                    walk(child, ctx, parent, needed)
        elif tag in (_RNG + "value", _RNG + "data", _RNG + "text"):
            if ctx is not None:
                shape = shapes.setdefault((parent, ctx), _Shape())
                if tag == _RNG + "value":
                    shape.values = (shape.values or set()) | {node.text or ""}
                else:
                    shape.free_text = True
        elif isinstance(tag, str):
            for child in node:
                walk(child, ctx, parent, needed and tag not in _OPTIONAL)

    for child in start:
        walk(child, None, None, True)
    return shapes


def _collect_defines(path: str, defines: dict, done: set) -> None:
    if path in done:
        return
    done.add(path)
    tree = etree.parse(path, etree.XMLParser(no_network=True, resolve_entities=False, remove_comments=True))
    for node in tree.getroot():
        if node.tag == _RNG + "include":
            _collect_defines(path.rsplit("/", 1)[0] + "/" + node.get("href"), defines, done)
        elif node.tag == _RNG + "define":
            defines.setdefault(node.get("name"), []).extend(node)
        elif node.tag == _RNG + "start":
            defines["__start__"] = list(node)


def _values(node, defines, depth: int = 0) -> set | None:
    """The values an attribute's pattern allows, or None when it is not a list of them."""
    out: set = set()
    for child in node:
        if child.tag == _RNG + "value":
            out.add(child.text or "")
        elif child.tag == _RNG + "choice" or (child.tag == _RNG + "ref" and depth < 8):
            inner = _values(child if child.tag == _RNG + "choice" else defines.get(child.get("name"), []),
                            defines, depth + 1)
            if inner is None:
                return None
            out |= inner
        elif isinstance(child.tag, str):
            return None
    return out or None


def _shape_of(shapes: dict, el) -> _Shape | None:
    parent = el.getparent()
    return shapes.get((qname(parent) if parent is not None else None, qname(el)))


# ---------------------------------------------------------------- where it fails

@dataclass
class _Fault:
    index: int              # the element's position in document order
    attribute: str | None   # the attribute at fault, if one is
    detail: str             # what is wrong, in words


def _describe(shapes: dict, el, attribute: str | None = None, value_wrong: bool = False) -> str:
    parent = el.getparent()
    pname = qname(parent) if parent is not None else None
    tag = qname(el)
    shape = _shape_of(shapes, el)
    if attribute is not None:
        value = el.get(attribute)
        if shape is None or attribute not in shape.attrs:
            return f"no attribute {attribute} on <{tag}> ({attribute}='{value}')"
        allowed = shape.attrs[attribute]
        if allowed and len(allowed) == 1:
            return f"<{tag} {attribute}='{value}'>: {attribute} can only be '{next(iter(allowed))}'"
        if allowed:
            return f"<{tag} {attribute}='{value}'>: {attribute} is one of {', '.join(sorted(allowed))}"
        if value_wrong:
            return f"<{tag} {attribute}='{value}'>: not a value {attribute} takes"
        return f"<{tag} {attribute}='{value}'>: {attribute} does not go with the rest of <{tag}> here"
    here = _shape_of(shapes, parent) if parent is not None else None
    if parent is not None and (here is None or tag not in here.children):
        return f"no element <{tag}> inside <{pname}>"
    if parent is not None and el is not next(s for s in parent if s.tag == el.tag):
        return f"a second <{tag}> inside <{pname}>: it takes one"
    text = (el.text or "").strip()
    if len(el) == 0 and text:
        if shape is not None and shape.values and not shape.free_text:
            return f"<{tag}>{text}</{tag}>: the value is one of {', '.join(sorted(shape.values))}"
        return f"<{tag}>{text}</{tag}>: not a value it takes"
    attrs = "".join(f" {k}='{v}'" for k, v in el.attrib.items())
    missing = sorted(shape.required - {qname(c) for c in el if isinstance(c.tag, str)}) if shape else []
    if missing:
        return f"<{tag}{attrs}> needs {'a ' if len(missing) == 1 else ''}<{'>, <'.join(missing)}>"
    return f"<{tag}{attrs}> as written: a part it needs is missing, or one does not go with the others"


def _scan(shapes: dict, root) -> _Fault | None:
    """The first element or attribute the grammar has nowhere in that place, or the first
    value outside the list the grammar gives: certain faults, found without validating."""
    for i, el in enumerate(elements(root)):
        shape = _shape_of(shapes, el)
        if shape is None:
            return _Fault(i, None, _describe(shapes, el))
        for name, value in el.attrib.items():
            allowed = shape.attrs.get(name, ())
            if allowed is not None and value not in allowed:
                return _Fault(i, name, _describe(shapes, el, name))
        text = (el.text or "").strip()
        if shape.values and not shape.free_text and len(el) == 0 and text not in shape.values:
            return _Fault(i, None, _describe(shapes, el))
    return None


# Values tried in place of one that may be at fault: if one of them makes the document
# valid, the value was the fault (a word, a path, a number, a MAC, a PCI number, an IPv4
# address, a UUID, a disk name).
_PROBES = ("x", "/x", "1", "0", "00:16:3e:00:00:00", "0x0", "127.0.0.1",
           "00000000-0000-0000-0000-000000000000", "hda")


class _Search:
    """Changes to a copy of a rejected document, one part at a time, until it is valid."""

    def __init__(self, rng: "etree.RelaxNG", root, shapes: dict):
        self.rng, self.shapes, self.tries = rng, shapes, 0
        self.tree = etree.ElementTree(copy.deepcopy(root))
        self.order = {el: i for i, el in enumerate(elements(self.tree.getroot()))}

    def valid(self) -> bool:
        self.tries += 1
        return self.rng.validate(self.tree)

    def spent(self) -> bool:
        return self.tries >= _MAX_TRIES

    @staticmethod
    def drop(el):
        """Take `el` out, leaving a comment in its place (the grammar ignores comments)."""
        hole = etree.Comment("")
        el.getparent().replace(el, hole)
        return hole

    def without(self, el) -> bool:
        hole = self.drop(el)
        try:
            return self.valid()
        finally:
            hole.getparent().replace(hole, el)

    def changed(self, el, name: str, value: str | None) -> bool:
        old = el.attrib.pop(name)
        if value is not None:
            el.set(name, value)
        try:
            return self.valid()
        finally:
            el.set(name, old)

    def retexted(self, el, text: str) -> bool:
        old = el.text
        el.text = text
        try:
            return self.valid()
        finally:
            el.text = old

    def narrowed(self, node) -> "etree._Element | None":
        """With several faults: take out every child `node` can do without; if that makes
        the document valid, put them back in order and return the first that breaks it
        (the others stay out, so the search goes on inside it alone)."""
        shape = _shape_of(self.shapes, node)
        kids = [c for c in node if isinstance(c.tag, str)
                and (shape is None or qname(c) not in shape.required)]
        if not kids:
            return None
        holes = [self.drop(c) for c in kids]
        if not self.valid():
            for c, hole in zip(kids, holes):
                hole.getparent().replace(hole, c)
            return None
        for c, hole in zip(kids, holes):
            hole.getparent().replace(hole, c)
            if self.spent():
                return None
            if not self.valid():
                return c
        return None

    def fault(self) -> _Fault | None:
        """The deepest element whose removal makes the document valid, then the attribute
        or text inside it whose removal (or another value) does; None when no element can
        be removed to that end (a fault in one the document needs)."""
        node = self.tree.getroot()
        while not self.spent():
            kids = [c for c in node if isinstance(c.tag, str)]
            # last first: of two same-named elements, the later one is the extra
            found = next((c for c in reversed(kids) if not self.spent() and self.without(c)), None)
            if found is None:
                found = self.narrowed(node)
            if found is None:
                break
            node = found
        if node is self.tree.getroot():
            return None
        inside = elements(node)
        for el in inside:
            for name in list(el.attrib):
                if not self.spent() and self.changed(el, name, None):
                    return _Fault(self.order[el], name, _describe(self.shapes, el, name))
        for el in inside:
            shape = _shape_of(self.shapes, el)
            for name in list(el.attrib):
                known = shape.attrs.get(name) if shape is not None else None
                if known and el.get(name) in known:
                    continue  # a value it takes: another part is at fault
                if any(not self.spent() and self.changed(el, name, v) for v in [*sorted(known or ()), *_PROBES]):
                    return _Fault(self.order[el], name, _describe(self.shapes, el, name, value_wrong=True))
            text = (el.text or "").strip()
            if len(el) == 0 and text:
                known = shape.values if shape is not None else None
                if known and text in known:
                    continue
                if any(not self.spent() and self.retexted(el, v) for v in [*sorted(known or ()), *_PROBES]):
                    return _Fault(self.order[el], None, _describe(self.shapes, el))
        return _Fault(self.order[node], None, _describe(self.shapes, node))


_MISSING = re.compile(r"Expecting an element (\S+), got nothing")
_EXTRA = re.compile(r"Element (\S+) has extra content: (\S+)")


def _from_log(errors, root, shapes: dict) -> _Fault | None:
    """libxml2's own account, placed at the deepest element its messages name."""
    order = {el: i for i, el in enumerate(elements(root))}
    best = None
    for err in errors:
        el = _at(root, err.path)
        if el is not None and el in order:
            depth = err.path.count("/")
            if best is None or depth > best[0]:
                best = (depth, el, (err.message or "").strip())
    if best is None:
        return None
    _, el, message = best
    missing, extra = _MISSING.search(message), _EXTRA.search(message)
    if missing:
        message = f"<{qname(el)}> needs a <{missing.group(1)}>"
    elif extra:
        message = f"<{extra.group(1)}> takes no <{extra.group(2)}> here"
    elif len(el) == 0 and (el.text or "").strip() and "value" in message:
        message = _describe(shapes, el)
    return _Fault(order[el], None, message)


def _at(root, path: str | None):
    if not path:
        return None
    try:
        found = root.getroottree().xpath(path)
    except etree.XPathError:
        return None
    return found[0] if found and isinstance(found[0], etree._Element) else None


def _attribute_span(where: Locator, el, name: str) -> Span:
    """The attribute as written (name='value'), else the element."""
    text = where.src.text
    head = where.start(el) + 1 + len(where.name(el))
    m = re.compile(r"\s(" + re.escape(name) + r")\s*=\s*(\"[^\"]*\"|'[^']*')").search(text, head - 1, where.tag_end(el))
    return where.src.span(m.start(1), m.end(2)) if m else where.span(el)


def _boots_without_os(root) -> bool:
    names = [qname(el) for el in root if isinstance(el.tag, str)]
    return "bootloader" in names and "os" not in names


def check(src: SourceFile, name: str) -> list[Diagnostic]:
    """VF711 where the shipped grammar `name` (domain.rng ...) rejects the file; nothing
    when the file is not well-formed (the reader reports that)."""
    root, problems = parse(src)
    if root is None or problems:
        return []
    if name == "domain.rng" and _boots_without_os(root):
        # libvirt takes a domain with a boot loader and no <os> (its parser makes the OS
        # type xen), as its Xen driver writes PV guests that boot through pygrub; the grammar
        # asks for <os>, so it sees the one libvirt makes. A copy (the parse is shared), with
        # it added last: no element of the file changes its place, which faults are found by.
        root = copy.deepcopy(root)
        etree.SubElement(etree.SubElement(root, "os"), "type").text = "linux"
    rng = _compiled(name)
    if rng.validate(root.getroottree()):
        return []
    errors = list(rng.error_log)
    shapes = _shapes(name)
    fault = _scan(shapes, root) or _Search(rng, root, shapes).fault() or _from_log(errors, root, shapes)
    where = Locator(src, root)
    if fault is None:
        detail = (errors[0].message or "").strip()
        span = _point(src, errors[0].line or 1, 1)
    else:
        el = where.elements[fault.index]
        detail = fault.detail
        span = _attribute_span(where, el, fault.attribute) if fault.attribute else where.span(el)
    return [warning("VF711", f"{SCHEMA_NAME} rejects this: {detail}", span, hint=HINT.format(name=name))]
