"""Printing: the model, its guests grouped, as .virt text. This module decides what each
block states and in what order, and where a blank line separates; the layout is fmt's
(virtc.fmt.format_text), as for every .virt file, so `virtc fmt` leaves the text as it is."""
from __future__ import annotations

from .. import fmt
from ..fmt import Block
from ..model import Guest, Model
from .derived import auto_macs, stated_cmdline, stated_host
from .forms import best
from .grouping import Template, Unit, choose_templates, natural, ranges, split_number, template_name
from .guests import GuestWriter
from .hosts import host_lines
from .plans import LIST_SLOTS, SLOTS, Plan
from .tokens import Unwritable, name_or_string


def write(model: Model) -> str:
    """The model as .virt text that compiles to a model emitting the same files."""
    hosts = {h.name: h for h in model.hosts}
    if len(hosts) != len(model.hosts):
        raise ValueError("two hosts have the same name; names are unique in a virtc fleet")
    seen: dict[str, str] = {}
    for g in model.guests:
        if g.host not in hosts:
            raise ValueError(f"guest {g.name}: its host {g.host!r} is not in the model")
        if g.name in seen:
            raise ValueError(f"guest {g.name} is on host {seen[g.name]} and on host {g.host}; "
                             "guest names are unique across a virtc fleet")
        seen[g.name] = g.host
    macs = auto_macs(model)
    plans: dict[str, Plan] = {}
    units: list[Unit] = []
    for h in sorted(model.hosts, key=lambda h: natural(h.name)):
        guests = sorted(_host_guests(model, h.name), key=lambda g: natural(g.name))
        for g in guests:
            try:
                writer = GuestWriter(g, h, macs, stated_cmdline(g, h))
                parts = split_number(g.name)
                plans[g.name] = writer.plan(int(parts[1]) if parts else None)
            except Unwritable:
                raise
            except ValueError as exc:
                raise Unwritable(g.owner, str(exc)) from exc
        units += ranges(h.name, guests, plans)
    templates = choose_templates(units)
    taken: set[str] = set()
    for tpl in templates:
        tpl.name = template_name(tpl, [u for u in units if u.template is tpl], taken)

    items: list[str | Block] = _header(model)
    for tpl in sorted(templates, key=lambda t: natural(t.name)):
        items += ["", _template_block(tpl)]
    for h in sorted(model.hosts, key=lambda h: natural(h.name)):
        stated = stated_host(h, _host_guests(model, h.name))
        try:
            body: list[str | Block] = list(host_lines(h, stated))
        except Unwritable:
            raise
        except ValueError as exc:
            raise Unwritable(h.owner, str(exc)) from exc
        for u in sorted((u for u in units if u.host == h.name), key=lambda u: u.key):
            body += ["", _unit_block(u)]  # a blank line after the host's statements and between guests
        items += ["", Block(f"host {name_or_string(h.name, f'host {h.name}: name')}", body)]
    text = fmt.plain_text(items)
    try:
        return fmt.format_text(text)
    except fmt.FormatError:
        # A value that reads back as other tokens: the caller compiles the text and reports
        # where (virtc.api.import_, VF006 at the guest or host).
        return text


def _host_guests(model: Model, host: str) -> tuple[Guest, ...]:
    return tuple(g for g in model.guests if g.host == host)


def _header(model: Model) -> list[str | Block]:
    def shown(path: str) -> str:
        return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in path)

    if not model.files:
        return ["# Written by `virtc import`."]
    return ["# Written by `virtc import` from:"] + [f"#   {shown(p)}" for p in model.files]


def _template_block(tpl: Template) -> Block:
    return Block(f"template {tpl.name}", _statements(tpl.scalars, tpl.lists))


def _unit_block(u: Unit) -> Block:
    """A guest or range: what its plan states that its template does not, and the
    template's statements it has to restate at their default."""
    g0 = u.guests[0]
    if u.base is not None:
        first, last = split_number(g0.name)[1], split_number(u.guests[-1].name)[1]
        head = f"guest {name_or_string(u.base, f'guest {g0.name}: name')}[{first}..{last}]"
    else:
        head = f"guest {name_or_string(g0.name, f'guest {g0.name}: name')}"
    tpl = u.template
    scalars: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for slot, forms in u.plan.scalars.items():
        if tpl and tpl.scalars.get(slot) in forms:
            continue
        scalars[slot] = best(forms)
    if tpl:
        head += f" from {tpl.name}"
        for slot, text in tpl.scalars.items():
            if slot not in u.plan.scalars and u.plan.defaults.get(slot) != text:
                scalars[slot] = u.plan.defaults[slot]  # the template's value is not this guest's
    for kind, items in u.plan.lists.items():
        skip = len(tpl.lists.get(kind, [])) if tpl else 0
        lists[kind] = [best(f) for f in items[skip:]]
    return Block(head, _statements(scalars, lists))


def _statements(scalars: dict[str, str], lists: dict[str, list[str]]) -> list[str | Block]:
    """One block's statements in slot order; `os` and `arch` in one block become
    `os NAME ARCH` (the os statement's own arch sets the same two fields)."""
    out: list[str | Block] = []
    for slot in SLOTS:
        if slot in LIST_SLOTS:
            out.extend(lists.get(slot, []))
        elif slot == "os" and slot in scalars and "arch" in scalars:
            out.append(scalars["os"] + " " + scalars["arch"][len("arch "):])
        elif slot in scalars and not (slot == "arch" and "os" in scalars):
            out.append(scalars[slot])
    return out
