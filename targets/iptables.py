"""/etc/sysconfig/iptables, the rules `service iptables save` writes (iptables-save
format) and the iptables init script restores at boot. Read only: virtc does not write
firewalls.

The filter table becomes the host's Firewall as the language's `firewall` statement
describes it: the ports INPUT accepts ("22/tcp", "49152-49216/tcp", "icmp"), the policy,
and whether bridged traffic is let through (the guide's `-I FORWARD -m physdev
--physdev-is-bridged -j ACCEPT`, §7.3, or a FORWARD chain that accepts it anyway).

The policy is what INPUT does with a packet no earlier rule took: INPUT is followed rule
by rule, the chains it jumps to unconditionally inlined (RH-Firewall-1-INPUT), up to the
first rule that matches every packet (no match condition, or only -p all / 0.0.0.0/0)
and ACCEPTs, DROPs or REJECTs it; without one, the chain's policy (`:INPUT DROP`). RHEL
5's stock file is default-deny that way: INPUT jumps to RH-Firewall-1-INPUT, which ends
in `-j REJECT --reject-with icmp-host-prohibited`. A default-deny firewall accepts only
the ports of the ACCEPT rules met before that last rule; rules after it are never
reached and open nothing. So the rules that ask whether a port is open (migration,
management, iSCSI, SSH) see the stock file as rejecting all but what it accepts first.

Whether the service runs is not in the file, so `enabled` stays unknown. Rules limited
to a source, destination or interface still count as opening their ports: the rules ask
whether migration and management traffic can arrive at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from virtc import fixes
from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.model import Firewall
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.schemas import load
from virtc.source import SourceFile

from .format import Format
from .lines import Unmodelled, line_span, logical_lines, report

TABLES = {"filter": ("INPUT", "FORWARD", "OUTPUT"), "nat": ("PREROUTING", "POSTROUTING", "OUTPUT"),
          "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
          "raw": ("PREROUTING", "OUTPUT"), "security": ("INPUT", "FORWARD", "OUTPUT")}
# Chains later kernels build into a table and RHEL 5's 2.6.18 does not: the nat table's
# INPUT (Linux 2.6.36), which every later iptables-save writes (VF825).
LATER_BUILTIN = {"nat": ("INPUT",)}
# Targets of iptables 1.3.5 (RHEL 5) and its extensions; anything else must be a chain.
TARGETS = frozenset("""ACCEPT DROP REJECT RETURN QUEUE NFQUEUE LOG ULOG NFLOG MARK CONNMARK SECMARK
CONNSECMARK MASQUERADE SNAT DNAT REDIRECT NETMAP SAME TCPMSS TOS DSCP ECN TTL CLASSIFY NOTRACK TRACE
CHECKSUM MIRROR CLUSTERIP AUDIT CT""".split())
# Option spellings -> one name.
_NAMES = {"-p": "p", "--protocol": "p", "-s": "s", "--source": "s", "--src": "s", "-d": "d",
          "--destination": "d", "--dst": "d", "-i": "i", "--in-interface": "i", "-o": "o",
          "--out-interface": "o", "-j": "j", "--jump": "j", "-g": "g", "--goto": "g", "-m": "m",
          "--match": "m", "--dport": "dport", "--destination-port": "dport", "--sport": "sport",
          "--source-port": "sport", "--dports": "dports", "--destination-ports": "dports",
          "--sports": "sports", "--source-ports": "sports", "--ports": "ports", "-f": "f",
          "--fragment": "f", "--state": "state", "--ctstate": "ctstate", "--comment": "comment",
          "--physdev-is-bridged": "physdev-is-bridged"}
_ONE_VALUE = ("p", "s", "d", "i", "o", "j", "g", "m", "dport", "sport", "dports", "sports", "ports", "state",
              "ctstate")
_NO_VALUE = ("f", "physdev-is-bridged", "physdev-is-in", "physdev-is-out", "syn")
# Options that say nothing about which packets match: a rule with only these is unconditional.
_NEUTRAL = ("j", "g", "m", "comment")
# Matches that every packet passes, as a hand-written file may spell them (iptables-save
# leaves them out): -p all (or 0), -s / -d 0.0.0.0/0.
_EVERY = {"p": ("all", "0"), "s": ("0.0.0.0/0", "0/0", "0.0.0.0/0.0.0.0"), "d": ("0.0.0.0/0", "0/0", "0.0.0.0/0.0.0.0")}
_PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "132": "sctp", "136": "udplite"}
_PORTED = ("tcp", "udp", "sctp", "udplite")
# A service name in place of a port (--dport ssh): iptables looks it up in /etc/services
# (iptables-save itself writes numbers). The names schemas/services.json knows are read as
# their ports; another word is a name of the host's own /etc/services, not known here.
_SERVICE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._+-]*\Z")
_MAX_PORT = 65535
_MULTIPORT_MAX = 15  # iptables' multiport match takes at most 15 ports (a range counts twice)
_COUNTERS = re.compile(r"^\[[0-9]+:[0-9]+\]$")
_CHAIN_LINE = re.compile(r"^:(?P<chain>\S+)\s+(?P<policy>\S+)(\s+\[[0-9]+:[0-9]+\])?\s*$")


@dataclass
class _Tok:
    text: str
    start: int
    end: int
    quoted: bool = False


@dataclass
class _Opt:
    name: str
    values: list[_Tok]
    negated: bool
    tok: _Tok
    of_target: bool = False  # written after -j: an option of the target (--reject-with ...)


@dataclass
class _Rule:
    chain: str
    opts: list[_Opt]
    span: object
    index: int

    def get(self, name: str) -> _Opt | None:
        return next((o for o in self.opts if o.name == name), None)

    def value(self, name: str) -> str | None:
        o = self.get(name)
        return o.values[0].text if o is not None and o.values else None

    @property
    def target(self) -> str | None:
        return self.value("j") or self.value("g")

    @property
    def unconditional(self) -> bool:
        """The rule matches every packet: no match condition, or only ones all packets pass."""
        return all(o.name in _NEUTRAL or o.of_target or (not o.negated and o.values
                                                           and o.values[0].text.lower() in _EVERY.get(o.name, ()))
                   for o in self.opts)


@dataclass
class _Table:
    name: str
    span: object
    policies: dict[str, str] = field(default_factory=dict)
    chains: dict[str, list[_Rule]] = field(default_factory=dict)
    committed: bool = False


def _tokens(found: Found, line: str, offset: int) -> list[_Tok] | None:
    """Words of a rule line; double quotes group words as iptables-restore reads them."""
    out, i, n = [], 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        start = i
        if line[i] == '"':
            j, buf = i + 1, []
            while j < n and line[j] != '"':
                if line[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(line[j])
                j += 1
            if j >= n:
                report(found, IptablesSyntax, "this quote is never closed; iptables-restore rejects the line",
                       found.source.span(offset + start, offset + start + 1), hint='close it with "')
                return None
            out.append(_Tok("".join(buf), offset + start, offset + j + 1, True))
            i = j + 1
            continue
        while i < n and not line[i].isspace():
            i += 1
        out.append(_Tok(line[start:i], offset + start, offset + i))
    return out


def _is_option(tok: _Tok) -> bool:
    return not tok.quoted and tok.text.startswith("-") and len(tok.text) > 1 and not tok.text[1:2].isdigit()


def _parse_rule(found: Found, toks: list[_Tok]) -> list[_Opt] | None:
    src = found.source
    opts: list[_Opt] = []
    negate = jumped = False
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.text == "!" and not t.quoted:
            negate = True
            i += 1
            continue
        if not _is_option(t):
            report(found, IptablesSyntax, f"'{t.text}' is not an option here; iptables-restore rejects the line",
                   src.span(t.start, t.end), hint="options start with - or --; quote a value that has spaces")
            return None
        name = _NAMES.get(t.text, t.text.lstrip("-"))
        i += 1
        values = []
        while i < len(toks) and not _is_option(toks[i]) and not (toks[i].text == "!" and values):
            values.append(toks[i])
            i += 1
        if values and values[0].text == "!" and not values[0].quoted:  # old style: -s ! 10.0.0.1
            negate, values = True, values[1:]
        if name in _ONE_VALUE and not values:
            report(found, IptablesSyntax, f"{t.text} needs a value; iptables-restore rejects the line",
                   src.span(t.start, t.end))
            return None
        if name in _ONE_VALUE and len(values) > 1 or name in _NO_VALUE and values:
            extra = values[1] if name in _ONE_VALUE else values[0]
            report(found, IptablesSyntax, f"'{extra.text}' after {t.text} {' '.join(v.text for v in values[:1])} is "
                                   "not an option; iptables-restore rejects the line",
                   src.span(extra.start, extra.end), hint="quote a value that has spaces")
            return None
        opts.append(_Opt(name, values, negate, t, jumped))
        jumped = jumped or name in ("j", "g")  # the options after -j belong to the target
        negate = False
    return opts


# The header iptables-save writes: its version says which system saved the file (RHEL 5
# has iptables 1.3.5; RHEL 6 has 1.4.7, RHEL 7 1.4.21, RHEL 8 1.8).
_SAVED_BY = re.compile(r"#\s*Generated by iptables-save v([0-9]{1,4})\.([0-9]{1,4})((?:\.[0-9]{1,4})*)")
# Interface names RHEL 5's kernel and udev (095) never give, in a rule's -i / -o: systemd's
# predictable names (udev 197, 2013, on: en/wl/ww, then p<bus>s<slot>, o<index>, s<slot> or
# x<MAC>, with an optional f<function> / d<port> and a VLAN's .<id>) and Docker's bridges
# (docker0, br-<12 hex> of a Docker network). RHEL 5's own names (eth0, peth0, xenbr0,
# virbr0, vif1.0, tap0) and patterns with + are no such mark.
_LATER_INTERFACE = (
    (re.compile(r"(?:en|wl|ww)(?:(?:p[0-9]+s[0-9]+|s[0-9]+)(?:f[0-9]+)?|o[0-9]+)(?:d[0-9]+)?(?:\.[0-9]+)?\Z"
                r"|(?:en|wl|ww)x[0-9a-f]{12}\Z"),
     "systemd's predictable naming (udev 197 and later)"),
    (re.compile(r"docker0\Z|br-[0-9a-f]{12}\Z"), "Docker"),
)


def _later_interface(found: Found, opts: list[_Opt]) -> None:
    """Found.later from the first -i / -o interface name only a later system gives."""
    for o in opts:
        if o.name not in ("i", "o") or not o.values:
            continue
        name = o.values[0].text
        who = next((who for pattern, who in _LATER_INTERFACE if pattern.match(name)), None)
        if who is not None:
            found.later = (f"the interface name {name}, which only {who} gives, never RHEL 5's kernel and udev",
                           found.source.span(o.values[0].start, o.values[0].end))
            return


def read(text: str, path: str) -> Found:
    found = Found(SourceFile(path, text), "iptables")
    src = found.source
    tables: list[_Table] = []
    table: _Table | None = None
    entries: list[Entry] = []
    skipped = Unmodelled()
    for offset, line in logical_lines(text, continuation=False):
        body = line.strip()
        span = line_span(found, offset, line)
        lead = offset + len(line) - len(line.lstrip())
        if body.startswith("#"):
            m = _SAVED_BY.match(body) if found.later is None else None
            if m and (int(m.group(1)), int(m.group(2))) > (1, 3):
                found.later = (f"the header of iptables-save v{m.group(1)}.{m.group(2)}{m.group(3)}, "
                               "which RHEL 5 (1.3.5) is not", span)
            continue
        if body.startswith("*"):
            if table is not None and not table.committed:
                _uncommitted(found, table)
            name = body[1:].strip()
            if name not in TABLES:
                report(found, IptablesSyntax, f"unknown table '{name}'", span, hint=f"tables are {', '.join(TABLES)}")
                table = None
                continue
            table = _Table(name, span, {c: "ACCEPT" for c in TABLES[name]}, {c: [] for c in TABLES[name]})
            tables.append(table)
            continue
        if body.split()[0] in ("iptables", "/sbin/iptables", "ip6tables", "service"):
            report(found, IptablesSyntax, f"'{body.split()[0]}' starts a shell command, not a line of iptables-save "
                                   "output", span, hint="run the command, then `service iptables save`")
            continue
        if table is None or table.committed:
            report(found, IptablesSyntax, "a line outside a table: iptables-save output starts each table with "
                                   "*filter (or *nat ...) and ends it with COMMIT", span)
            continue
        if body == "COMMIT":
            table.committed = True
            continue
        if body.startswith(":"):
            _chain_line(found, table, body, span)
            continue
        toks = _tokens(found, line, offset)
        if not toks:
            continue
        if _COUNTERS.match(toks[0].text):  # iptables-save -c: [packets:bytes] before the rule
            toks = toks[1:]
        if not toks:
            continue
        cmd = toks[0].text
        if cmd in ("-N", "--new-chain") and len(toks) == len("-N CHAIN".split()):
            table.chains.setdefault(toks[1].text, [])
            continue
        if cmd in ("-P", "--policy") and len(toks) == len("-P CHAIN POLICY".split()):
            _chain_line(found, table, f":{toks[1].text} {toks[2].text}", span)
            continue
        if cmd not in ("-A", "--append", "-I", "--insert") or len(toks) < len("-A CHAIN".split()):
            report(found, IptablesSyntax, f"'{body}' is not a rule: iptables-save writes -A CHAIN followed by the "
                                   "rule's options", span)
            continue
        chain, rest = toks[1].text, toks[2:]
        if cmd in ("-I", "--insert") and rest and rest[0].text.isdigit():
            rest = rest[1:]
        if chain not in table.chains:
            report(found, IptablesSyntax, f"chain {chain} does not exist in the {table.name} table", src.span(
                toks[1].start, toks[1].end), hint=f"declare it with :{chain} - [0:0] first" + _near(chain, table))
            continue
        opts = _parse_rule(found, rest)
        if opts is None:
            continue
        if found.later is None:
            _later_interface(found, opts)
        rule = _Rule(chain, opts, span, len(table.chains[chain]))
        if not _check_rule(found, table, rule):
            continue
        if cmd in ("-I", "--insert"):
            table.chains[chain].insert(0, rule)
            for k, r in enumerate(table.chains[chain]):
                r.index = k
        else:
            table.chains[chain].append(rule)
        entries.append(Entry(chain, text[lead:lead + len(body)], span, src.span(toks[1].start, toks[1].end),
                             span, group=len(tables) - 1))
    if table is not None and not table.committed:
        _uncommitted(found, table)
    for t in tables:
        if t.name == "filter":
            found.set("firewall", _firewall(found, t, skipped), t.span)
        elif any(t.chains.values()):
            skipped.add(f"the iptables {t.name} table", t.span)
    skipped.flush(found, hint="the host's firewall statement holds open ports, the policy and the bridged rule")
    found.document = Document("iptables", path, tuple(entries))
    return found


def _near(chain: str, table: _Table) -> str:
    from virtc.suggest import did_you_mean

    hint = did_you_mean(chain, list(table.chains))
    return f" ({hint})" if hint else ""


def _uncommitted(found: Found, table: _Table) -> None:
    report(found, IptablesSyntax, f"the {table.name} table has no COMMIT line; iptables-restore applies nothing "
                           "from it", table.span, hint="end the table with COMMIT")


def _chain_line(found: Found, table: _Table, body: str, span) -> None:
    m = _CHAIN_LINE.match(body)
    if not m:
        report(found, IptablesSyntax, "a chain line is :CHAIN POLICY [packets:bytes]", span, hint=":INPUT ACCEPT [0:0]")
        words = body[1:].split()
        if words:  # the chain is still declared: its rules are read, not reported again
            table.chains.setdefault(words[0], [])
        return
    chain, policy = m.group("chain"), m.group("policy")
    builtin = chain in TABLES[table.name]
    if not builtin and chain in LATER_BUILTIN.get(table.name, ()) and policy != "-":
        report(found, IptablesLaterChain, f"the {table.name} table of RHEL 5's kernel (2.6.18) has no {chain} "
                                          "chain, which later kernels build in; RHEL 5's iptables-restore refuses "
                                          "the file and the host starts without its firewall", span,
               hint=f"remove the :{chain} line of the {table.name} table (a file saved on a later system)")
        builtin = True  # read on as the later kernel's built-in chain: one finding
    if builtin and policy not in ("ACCEPT", "DROP"):
        report(found, IptablesSyntax, f"the policy of {chain} is ACCEPT or DROP, not {policy}", span,
               hint="REJECT is written as the last rule of the chain: -A INPUT -j REJECT")
    elif not builtin and policy != "-":
        # `:NF_PERSIST_INPUT [0:0]` (no policy field, as iptables-nft writes) or a policy:
        # one finding here; the chain is still declared, so the rules that use it are read
        # as usual (not one "does not exist" per rule) and INPUT's jumps to it still count
        # for the firewall's policy
        report(found, IptablesSyntax, f"{chain} is a chain of its own (not built in), which has no policy", span,
               hint=f":{chain} - [0:0]")
        table.chains.setdefault(chain, [])
    elif not builtin and chain in table.chains:
        report(found, IptablesSyntax, f"chain {chain} is declared twice", span)
    else:
        table.policies[chain] = policy
        table.chains.setdefault(chain, [])


def _check_rule(found: Found, table: _Table, rule: _Rule) -> bool:
    """VF821/VF822 problems that make iptables-restore refuse the rule."""
    from virtc.suggest import closest, did_you_mean

    src = found.source
    target = rule.get("j") or rule.get("g")
    if target is not None:
        name = target.values[0].text
        if name not in TARGETS and name not in table.chains:
            where = src.span(target.values[0].start, target.values[0].end)
            guess = closest(name, sorted(TARGETS) + list(table.chains))
            fix = fixes.replace(f"write {guess}", where, guess, safe=guess == name.upper()) if guess else None
            report(found, IptablesSyntax, f"unknown target '{name}'; iptables-restore stops (\"Couldn't load target\")",
                   where, hint=did_you_mean(name, sorted(TARGETS) + list(table.chains)) or "declare the chain first",
                   fix=fix)
            return False
    proto = _protocol(rule)
    matches = {o.values[0].text for o in rule.opts if o.name == "m" and o.values}
    ok = True
    for o in rule.opts:
        if o.name in ("dport", "sport"):
            if proto not in _PORTED and not matches & set(_PORTED):
                report(found, IptablesPort, f"{o.tok.text} without -p tcp or -p udp: iptables does not know the option "
                                       "then", src.span(o.tok.start, o.tok.end), hint=f"-p tcp -m tcp {o.tok.text} ...")
                ok = False
            elif _ports(found, o.values[0], single=True) is None:
                ok = False
        elif o.name in ("dports", "sports", "ports"):
            if "multiport" not in matches:
                report(found, IptablesPort, f"{o.tok.text} belongs to the multiport match", src.span(o.tok.start, o.tok.end),
                       hint=f"-m multiport {o.tok.text} ...")
                ok = False
            elif _ports(found, o.values[0], single=False) is None:
                ok = False
    return ok


def _protocol(rule: _Rule) -> str | None:
    p = rule.value("p")
    if p is None:
        return None
    p = p.lower()
    return _PROTOCOLS.get(p, p)


def _ports(found: Found, tok: _Tok, single: bool) -> list[str] | None:
    """["22", "49152-49216"] from an iptables port spec (22, 49152:49216, 80,443 ...)."""
    src = found.source
    span = src.span(tok.start, tok.end)
    items = [tok.text] if single else tok.text.split(",")
    if single and "," in tok.text:
        report(found, IptablesPort, f"'{tok.text}': a list of ports needs -m multiport --dports", span,
               hint=f"-m multiport --dports {tok.text}")
        return None
    out, count = [], 0
    for item in items:
        if "-" in item and ":" not in item and all(x.isdigit() for x in item.split("-")):  # not ftp-data
            report(found, IptablesPort, f"'{item}': iptables writes a port range with ':', not '-'", span,
                   hint=f"{item.replace('-', ':')}",
                   fix=fixes.replace("write the range with ':'", span, tok.text.replace("-", ":")) if single else None)
            return None
        first, sep, last = item.partition(":")
        lo, hi = _port(first, 0), _port(last, _MAX_PORT) if sep else None
        if lo is None or (sep and hi is None):
            bad = first if lo is None else last
            report(found, IptablesPort, f"'{bad}' is not a port (0-{_MAX_PORT})", span,
                   hint="write the port number, e.g. 8002")
            return None
        if isinstance(lo, str) or isinstance(hi, str):  # a name /etc/services holds: its port is not known here
            count += 2 if sep else 1
            out.append(item)
            continue
        if sep and hi < lo:
            report(found, IptablesPort, f"the range {item} ends before it starts", span, hint=f"{hi}:{lo}")
            return None
        count += 2 if sep else 1
        out.append(f"{lo}-{hi}" if sep and hi != lo else str(lo))
    if count > _MULTIPORT_MAX:
        report(found, IptablesPort, f"the multiport match takes at most {_MULTIPORT_MAX} ports (a range counts as "
                               f"two); this list has {count}", span, hint="split it into two rules")
        return None
    return out


def _port(text: str, empty: int) -> int | str | None:
    """The port a --dport/--sport item names: a number, a service name schemas/services.json
    knows (its port), another service name (itself: the host's /etc/services decides), or
    None (not a port)."""
    if text == "":
        return empty
    if text.isdigit() and len(text) <= len(str(_MAX_PORT)):
        n = int(text)
        return n if n <= _MAX_PORT else None
    if _SERVICE_NAME.match(text):
        return _services().get(text, text)
    return None


@lru_cache(maxsize=1)
def _services() -> dict[str, int]:
    return load("services.json")["services"]


# ---------------------------------------------------------------- the Firewall fact


def _walk(t: _Table, chain: str, seen: frozenset, passed: set | None = None) -> tuple[list[_Rule], str | None, int | None]:
    """The rules a packet entering `chain` can meet, in order, with jumps to other chains
    inlined, up to the first rule that decides for every packet: (rules, verdict, index in
    `chain` of the rule that decided).

    A chain already inlined without a verdict (`passed`) is not inlined again: a packet
    that comes back to it has been through those rules, so they accept or drop nothing
    more; inlining each jump again made a chain that jumps to another from every rule
    cost rules x rules."""
    passed = set() if passed is None else passed
    out: list[_Rule] = []
    for r in t.chains.get(chain, []):
        target = r.target
        if target in passed:
            continue
        if target in t.chains and target not in TABLES[t.name] and target not in seen:
            sub, verdict, _ = _walk(t, target, seen | {target}, passed)
            if verdict is None:
                passed.add(target)
            out += sub
            if r.unconditional and verdict:
                return out, verdict, r.index
            continue
        if r.unconditional and target in ("ACCEPT", "DROP", "REJECT"):
            return out, target.lower(), r.index
        if r.unconditional and target == "RETURN":
            return out, None, None
        out.append(r)
    return out, None, None


def _firewall(found: Found, t: _Table, skipped: Unmodelled) -> Firewall:
    rules, verdict, _ = _walk(t, "INPUT", frozenset(("INPUT",)))
    policy = verdict or t.policies.get("INPUT", "ACCEPT").lower()
    opened: list[str] = []
    for r in rules:
        if r.target != "ACCEPT":
            continue
        for item in _opens(r, skipped):
            if item not in opened:
                opened.append(item)
    fwd, fverdict, stop = _walk(t, "FORWARD", frozenset(("FORWARD",)))
    physdev = [r for r in t.chains.get("FORWARD", []) if r.get("physdev-is-bridged") and r.target == "ACCEPT"
               and not r.get("physdev-is-bridged").negated]
    reached = any(r in fwd for r in physdev)
    for r in physdev:
        if stop is not None and r.index > stop:
            report(found, IptablesBridgedRuleOrder, "this FORWARD rule comes after a rule that already rejects or drops all "
                                   "forwarded packets, so bridged traffic never reaches it", r.span,
                   hint="insert it first: iptables -I FORWARD -m physdev --physdev-is-bridged -j ACCEPT, "
                        "then service iptables save")
    bridged = reached or (fverdict or t.policies.get("FORWARD", "ACCEPT").lower()) == "accept"
    if t.chains.get("OUTPUT"):
        skipped.add("filtering of outgoing traffic (the OUTPUT chain)", t.chains["OUTPUT"][0].span)
    return Firewall(tuple(opened), policy, bridged, None, t.span)


def _opens(r: _Rule, skipped: Unmodelled) -> list[str]:
    """What an ACCEPT rule met by INPUT opens, in the model's words."""
    if r.value("i") == "lo":
        return []  # loopback traffic
    state = r.value("state") or r.value("ctstate")
    if state is not None and "NEW" not in state.upper().split(","):
        return []  # replies to connections the host opened
    if any(o.negated for o in r.opts):
        skipped.add("an accepting iptables rule with a negated match (!)", r.span)
        return []
    proto = _protocol(r)
    if proto == "icmp":
        return ["icmp"]
    if proto in ("tcp", "udp"):
        specs = []
        for name in ("dport", "dports", "ports"):
            o = r.get(name)
            if o is not None and o.values:
                specs += o.values[0].text.split(",")
        if not specs:
            return [f"0-{_MAX_PORT}/{proto}"]
        out = []
        for s in specs:
            first, sep, last = s.partition(":")
            lo = _port(first, 0)
            hi = _port(last, _MAX_PORT) if sep else lo
            if lo is None or hi is None:
                continue
            if isinstance(lo, str) or isinstance(hi, str):
                skipped.add("a port given as a service name of the host's own /etc/services", r.span)
                continue
            out.append(f"{lo}-{hi}/{proto}" if hi != lo else f"{lo}/{proto}")
        return out
    if proto in (None, "all"):
        # all traffic of some sources or interfaces (`-s 10.0.0.5 -j ACCEPT`, an admin's
        # address): every port arrives from there, as a port rule limited to a source does
        return [f"0-{_MAX_PORT}/tcp", f"0-{_MAX_PORT}/udp", "icmp"]
    skipped.add("an iptables rule accepting a protocol other than tcp, udp and icmp", r.span)
    return []


# ---------------------------------------------------------------- format-level rules

class IptablesSyntax(Rule):
    """/etc/sysconfig/iptables is iptables-save output that iptables-restore accepts.

    What it checks: tables (*filter ... COMMIT), chain lines (:CHAIN POLICY), and rule
    lines (-A CHAIN options): an unknown table, a table without COMMIT, a rule outside a
    table, a chain used before it is declared, an option without its value, a stray word,
    an unknown target, a shell command pasted into the file.

    Why: the guide changes the firewall with iptables commands and saves them with
    `service iptables save` (§7.3, lines 841-844; §10.2, lines 1580-1582), which writes
    this file; at boot the iptables service restores it, all or nothing: one line
    iptables-restore refuses and the host starts with no rules at all, so the ports of
    §18.4 (lines 3005-3017) are neither opened nor closed as meant.

    Example:
        -A RH-Firewall-1-INPUT -p tcp --dport 8002 -j accept

    Fix: `-j ACCEPT` (targets are upper case); edit with iptables commands and `service
    iptables save` rather than by hand.
    """

    code, name, severity = "VF821", "iptables-syntax", Severity.ERROR
    checklist, section, lines = ("NET-19", "MIG-10"), "§18.4", "841-844, 1580-1582, 3005-3017"
    scope = Scope.READER
    fix, fix_title = "unsafe", 'a target in the wrong case is written in upper case (safe); a misspelt one the closest (unsafe)'


class IptablesLaterChain(Rule):
    """A saved table declares no built-in chain RHEL 5's kernel does not have.

    What it checks: a policy line for the nat table's INPUT chain (`:INPUT ACCEPT [0:0]`
    after `*nat`), which the iptables-save of every system with Linux 2.6.36 or later
    writes: from then on the nat table has an INPUT chain built in.

    Why: RHEL 5's kernel (2.6.18) builds PREROUTING, POSTROUTING and OUTPUT into the nat
    table, nothing else. Its iptables-restore takes a policy for any other chain as an
    error and, restoring all or nothing, leaves the host without its firewall at boot:
    the ports of §18.4 (lines 3005-3017) are then neither opened nor closed as meant. A
    file copied from a later system is the usual cause. On a host whose tree says it is a
    later system (lint: /etc/redhat-release of release 6 or 7, /etc/os-release ...) the
    chain is built in and this is no finding.

    Example:
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]

    Fix: remove the `:INPUT` line of the nat table.
    """

    code, name, severity = "VF825", "iptables-later-chain", Severity.ERROR
    checklist, section, lines = ("NET-19", "MIG-10"), "§18.4", "3005-3017"
    scope = Scope.READER


class IptablesPort(Rule):
    """iptables ports are numbers (ranges written FIRST:LAST) of a tcp or udp rule.

    What it checks: --dport and --sport values that are not a port from 0 to 65535 or a
    range with ':'; a range written with '-' (as the guide writes 49152-49216); a
    descending range; --dport without -p tcp or -p udp; --dports without -m multiport,
    or more than 15 ports in it.

    Why: the ports to open are "8002 ... for live migration" and "49152 to 49216 ... for
    migrations with KVM" (§18.4, lines 3016-3017; §21.1, line 3430). iptables writes the
    range 49152:49216; `--dport 49152-49216` makes iptables-restore refuse the whole table
    (VF821), leaving the host without its firewall.

    Example:
        -A INPUT -p tcp -m tcp --dport 49152-49216 -j ACCEPT

    Fix: `--dport 49152:49216`.
    """

    code, name, severity = "VF822", "iptables-port", Severity.ERROR
    checklist, section, lines = ("MIG-10",), "§18.4", "3016-3017, 3430"
    scope = Scope.READER
    fix, fix_title = "safe", "a port range written with '-' is written with ':'"


class IptablesBridgedRuleOrder(Rule):
    """The bridged-traffic FORWARD rule comes before the rule that rejects forwarded traffic.

    What it checks: a FORWARD rule `-m physdev --physdev-is-bridged -j ACCEPT` placed
    after a rule that already decides for every forwarded packet (RHEL 5's stock `-A
    FORWARD -j RH-Firewall-1-INPUT`, which ends in REJECT).

    Why: the guide inserts the rule at the top, `iptables -I FORWARD -m physdev
    --physdev-is-bridged -j ACCEPT`, then saves it (§7.3, lines 842-844; §10.2, lines
    1580-1582). Appended (-A) after the reject, it is never reached and guests on the
    bridges stay cut off.

    Example:
        -A FORWARD -j RH-Firewall-1-INPUT
        -A FORWARD -m physdev --physdev-is-bridged -j ACCEPT

    Fix: put the physdev rule first in FORWARD (iptables -I FORWARD ...; service iptables
    save).
    """

    code, name, severity = "VF823", "iptables-bridged-rule-order", Severity.WARNING
    checklist, section, lines = ("NET-19",), "§7.3", "842-844, 1580-1582"
    scope = Scope.READER


def recognise(text: str, name: str = "") -> bool:
    """iptables-save output: a `*table` line and COMMIT."""
    return bool(re.search(r"^\*(filter|nat|mangle|raw)\s*$", text, re.M)) and bool(re.search(r"^COMMIT\s*$", text, re.M))


FORMAT = Format(
    "iptables", "the firewall as iptables-save writes it (/etc/sysconfig/iptables)",
    paths=("etc/sysconfig/iptables",), names=("*iptables",), recognise=recognise, read=read,
    rules=rules_in(globals()), facts=("firewall",), single=True)
