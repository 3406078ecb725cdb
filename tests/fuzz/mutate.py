"""Mutations of seed inputs: byte flips, inserted, deleted and repeated runs, splices
between seeds, and words from a dictionary of the target's tokens (the grammar's
keywords, xm keys, XML tags and attributes, words of the seeds) and of hostile numbers.

Everything is drawn from one `random.Random`, so an input is a function of (seed, target,
index): the runner can be resumed and a found input made again.
"""
from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path

MAX_BYTES = 64 * 1024

# Numbers that break arithmetic: overflow, the int-string digit limit, NaN, signs, bases.
NUMBERS = (b"0", b"-0", b"-1", b"1e999", b"-1e999", b"1e-999", b"9" * 30, b"9" * 5000, b"nan", b"NaN", b"inf",
           b"-inf", b"Infinity", b"0x7fffffff", b"0xffffffffffffffff", b"4294967296", b"18446744073709551616",
           b"2147483648", b"1.5", b".5", b"5.", b"1_000", b"0o17", b"1e3", b"00000000001", b"+3", b"\xd9\xa3",
           b"1G", b"999999999T", b"0M", b"1.0e308G", b"65536", b"255", b"-2147483649", b"1/0")
HUGE = (b"9" * 5000, b"9" * 400, b"1e999", b"9" * 400 + b".5", b"nan", b"inf", b"18446744073709551616")
# Structure: brackets, quotes, separators, escapes, deep nesting, long lists.
STRUCTURE = (b"{", b"}", b"[", b"]", b"(", b")", b"<", b">", b"/>", b"</", b"\"", b"'", b"\\", b"\\\n", b";",
             b",", b"=", b":", b"..", b"#", b"\n", b"\r\n", b"\r", b"\t", b" ", b"\x00", b"\xff", b"\xef\xbb\xbf",
             b"\xe2\x80\xa8", b"&amp;", b"&#0;", b"&#x110000;", b"<![CDATA[", b"]]>", b"<!--", b"-->", b"$",
             b"{name}", b"%", b"*", b"@", b"[" * 50, b"]" * 50, b"{" * 50, b"}" * 50, b"(" * 40, b"," * 60,
             b"'a'," * 200, b"<a>" * 60)

_GRAMMAR = Path(__file__).resolve().parents[2] / "grammar" / "virtc.lark"


@lru_cache(maxsize=None)
def keywords() -> tuple[bytes, ...]:
    """The language's keywords: the quoted literals of the grammar."""
    text = _GRAMMAR.read_text(encoding="utf-8")
    return tuple(sorted({m.encode() for m in re.findall(r'"([a-z][a-z0-9_-]*)"i?', text)}))


def dictionary(seeds: tuple[bytes, ...], language: bool) -> tuple[bytes, ...]:
    """Tokens for one target: its seeds' words (xm keys, XML tags and attributes, ifcfg
    names ...), the grammar's keywords for the language's targets, and the hostile
    numbers and structure above."""
    words: dict[bytes, None] = {}
    for data in seeds:
        for m in re.finditer(rb"</?[A-Za-z_][\w:.-]*|[A-Za-z_][\w.-]{1,30}=?|\S+=", data[:MAX_BYTES]):
            words[m.group()] = None
            if len(words) > 4000:
                break
    out = list(words) + list(NUMBERS) + list(STRUCTURE)
    if language:
        out += list(keywords())
    return tuple(out)


_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?")
_WORD = re.compile(rb"[A-Za-z_][\w-]*")


def _span(rng: random.Random, n: int, most: int = 64) -> tuple[int, int]:
    start = rng.randrange(n + 1)
    return start, min(n, start + rng.randrange(1, most + 1))


def mutate_once(rng: random.Random, data: bytes, seeds: tuple[bytes, ...], words: tuple[bytes, ...]) -> bytes:
    n = len(data)
    kind = rng.randrange(11)
    if kind == 0 and n:  # flip a bit
        i = rng.randrange(n)
        return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]
    if kind == 1 and n:  # a random byte
        i = rng.randrange(n)
        return data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
    if kind == 2 and n:  # delete a run
        a, b = _span(rng, n)
        return data[:a] + data[b:]
    if kind == 3 and n:  # repeat a run (long lists, deep nesting, many blocks)
        a, b = _span(rng, n, 256)
        return data[:b] + data[a:b] * rng.choice((2, 2, 3, 3, 10, 10, 100, 1000)) + data[b:]
    if kind == 4 and n:  # copy a run elsewhere
        a, b = _span(rng, n)
        i = rng.randrange(n + 1)
        return data[:i] + data[a:b] + data[i:]
    if kind == 5:  # splice with another seed
        other = rng.choice(seeds)
        i, j = rng.randrange(n + 1), rng.randrange(len(other) + 1)
        return data[:i] + other[j:] if rng.random() < 0.5 else other[:j] + data[i:]
    if kind == 6:  # insert a dictionary word
        i = rng.randrange(n + 1)
        sep = rng.choice((b"", b" ", b"\n"))
        return data[:i] + sep + rng.choice(words) + sep + data[i:]
    if kind in (7, 8):  # replace a number (kind 7) or a word (kind 8) with a dictionary token
        found = list((_NUMBER if kind == 7 else _WORD).finditer(data[:MAX_BYTES]))
        if found:
            m = rng.choice(found)
            if kind == 7:
                new = rng.choice(HUGE if rng.random() < 0.5 else NUMBERS)
            else:
                new = rng.choice(words)
            return data[:m.start()] + new + data[m.end():]
    if kind == 9 and n:  # cut the input short
        return data[:rng.randrange(n)]
    if kind == 10 and n:  # swap two lines
        lines = data.split(b"\n")
        if len(lines) > 1:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            return b"\n".join(lines)
    return data + rng.choice(words)


def mutate(rng: random.Random, seeds: tuple[bytes, ...], words: tuple[bytes, ...]) -> bytes:
    """One input: a seed under 1 to 8 stacked mutations, at most MAX_BYTES long."""
    data = rng.choice(seeds)
    for _ in range(1 + int(rng.expovariate(0.6)) % 8):
        data = mutate_once(rng, data, seeds, words)
        if len(data) > MAX_BYTES:
            data = data[:MAX_BYTES]
    return data
