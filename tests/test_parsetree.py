"""The compiler's parse tree (virtc.parsetree: Lark's tables, virtc's own reductions) has
the shape and positions of Lark's own tree with propagate_positions, which it replaces.
The two are built from the same parse, so any difference is the reductions' doing."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from lark import Token, Tree
from lark.exceptions import UnexpectedInput
from virtc import grammar, parsetree

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(p for d in ("examples", "tests") for p in (ROOT / d).rglob("*.virt"))


def lark_shape(t):
    if isinstance(t, Tree):
        empty = getattr(t.meta, "empty", True)
        return (t.data, [lark_shape(c) for c in t.children],
                (None, None) if empty else (t.meta.start_pos, t.meta.end_pos))
    return token_shape(t)


def token_shape(t: Token):
    return (t.type, t.value, t.start_pos, t.line, t.column, t.end_line, t.end_column, t.end_pos)


def node_shape(n):
    if isinstance(n, parsetree.Node):
        return (n.data, [node_shape(c) for c in n.children], (n.start, n.end))
    assert type(n) is Token and str(n) == n.value
    return token_shape(n)


def same_parse(text: str) -> bool:
    """Both parse `text` to the same shape and comments, or both refuse it. Returns
    whether it parsed."""
    try:
        tree, lark_comments = grammar.parse(text)
    except UnexpectedInput:
        for parse in (parsetree.parse, parsetree.lark_parse):
            with pytest.raises(UnexpectedInput):
                parse(text)
        return False
    for parse in (parsetree.parse, parsetree.lark_parse):
        node, comments = parse(text)
        assert node_shape(node) == lark_shape(tree)
        assert [token_shape(c) for c in comments] == [token_shape(c) for c in lark_comments]
    return True


def test_every_virt_file_of_the_project_parses_to_lark_s_shape():
    parsed = sum(same_parse(p.read_text(encoding="utf-8", errors="replace")) for p in FILES)
    assert parsed > 300  # most of them are valid: the comparison is not vacuous


@pytest.mark.parametrize("seed", range(4))
def test_mutated_files_parse_to_lark_s_shape(seed):
    """Lines dropped, duplicated and swapped: blocks emptied, statements at a block's end
    without a terminator, blank and comment lines in odd places."""
    rng = random.Random(seed)
    valid = 0
    for _ in range(150):
        lines = rng.choice(FILES).read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        for _ in range(rng.randint(1, 4)):
            if not lines:
                break
            i = rng.randrange(len(lines))
            op = rng.randrange(3)
            if op == 0:
                del lines[i]
            elif op == 1:
                lines.insert(i, lines[i])
            else:
                j = rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
        valid += same_parse("".join(lines))
    assert valid > 20


def test_an_empty_file_is_a_node_of_no_text():
    node, comments = parsetree.parse("# only a comment\n")
    assert (node.data, node.children, comments[0].value) == ("start", [], "# only a comment")
    node, _ = parsetree.parse("")
    assert (node.start, node.end) == (None, None)


def _lark_word(state: int, text: str, pos: int, end: int):
    """What Lark's contextual lexer does at `pos` in `state`: (terminal, text, None), or
    the whole lexer's word and the allowed terminals where the state's lexer fails; None
    where no token starts at `pos`."""
    from lark.exceptions import UnexpectedCharacters
    from lark.lexer import LexerState, LineCounter
    from lark.utils import TextSlice

    _, lexer, _ = parsetree.lalr()

    def lex_state():
        counter = LineCounter("\n")
        counter.char_pos = pos
        return LexerState(TextSlice(text, pos, end), counter)

    try:
        tok, allowed = lexer.lexers[state].next_token(lex_state()), None
    except UnexpectedCharacters as exc:
        try:
            tok, allowed = lexer.root_lexer.next_token(lex_state()), frozenset(exc.allowed)
        except (UnexpectedCharacters, EOFError):
            return None
    except EOFError:
        return None
    return None if tok.start_pos != pos else (tok.type, str(tok.value), allowed)


def test_the_word_at_a_place_is_the_one_lark_s_lexers_read_there():
    """parsetree.word_at (how recovery reads the word after a block left open) against
    Lark's contextual lexer and its fallback to the whole lexer, in every LALR state, on
    words of every kind: keywords (read as NAMEs and turned into keywords by a callback),
    names, numbers, strings, blanks and comments (no token starts there), characters no
    terminal takes, and a word cut by the end of the slice."""
    words = ["host h", "guest", "template t", "include", "memory", "hypervisor", "xenbr0", "1G", "127", '"s"', '"',
             "'", "{", "}", ";", "\n", "  x", "# c\n", "é", "=", "[1..3]", "hostx", "wwid", "\\\n", "\r\n", "", "@"]
    states = sorted(parsetree.lalr()[2].states)
    checked = cut = 0
    for state in states:
        for word in words:
            text = "xx " + word + " tail"
            for end in (len(text), 3 + len(word) // 2):
                got = parsetree.word_at(state, text, 3, end)
                assert got == _lark_word(state, text, 3, end), (state, word, end)
                checked += 1
                cut += end < len(text) and got is not None
    assert checked == len(states) * len(words) * 2 and cut > 100


def _first_match(patterns, text: str, pos: int):
    for pattern in patterns:
        m = pattern.match(text, pos)
        if m is not None:
            return m.lastgroup, m.group(0)
    return None


def test_the_lexers_patterns_by_first_character_match_what_all_of_them_match():
    """feed tries, at a character, only the terminals of the state's lexer that can start
    with it (parsetree._ByFirst): in every LALR state, at texts starting with every ASCII
    character (and some that are not) followed by words of every kind, and at every
    keyword of the grammar, the first match is the one of the whole alternation Lark's
    lexer tries."""
    from lark.lexer import PatternStr

    lexing = parsetree._tables()[1]
    keywords = sorted({t.pattern.value for t in parsetree.lalr()[1].root_lexer.terminals if isinstance(t.pattern, PatternStr)})
    tails = ["", "x", "1", "1G", "0:1", '"', 's"', ":8002", "0:00:1d.0", "0/tcp", "e5", ".5.el5", "\n", " ", "-1", "^2",
             "..3", "d0,0)", "b:00:00:00:00:01", "abcdef0-1234-5678-9abc-def012345678", "MB/s@50ms", "\\\n", "é"]
    firsts = [chr(c) for c in range(128)] + ["é", "\u00a0", "\u2028"]
    compared = narrowed = 0
    for state in sorted(parsetree.lalr()[2].states):
        patterns, _, _, _, by_first = lexing[state]
        for first in firsts:
            narrowed += by_first[first] is not patterns
            for tail in tails:
                text = "ab " + first + tail
                assert _first_match(by_first[first], text, 3) == _first_match(patterns, text, 3), (state, text)
                compared += 1
        for word in keywords:
            for text in ("ab " + word, "ab " + word + "x", "ab " + word + " 1", "ab " + word[:-1]):
                assert _first_match(by_first[word[0]], text, 3) == _first_match(patterns, text, 3), (state, text)
    assert compared > 100_000 and narrowed > 1_000  # most states' lexers are narrowed somewhere


@pytest.mark.parametrize("regex, first", [
    ("abc", "a"), ("a?b", "ab"), ("(a|bc)d", "ab"), ("[0-9]+x", "0123456789"), ("(x?)*y", "xy"),
    (r"\^?[0-9]", "^0123456789"), ("(?:ab|)c", "ac"), (r"\(hd", "("), ("[A-Ca-b_]z", "ABCab_"),
    (r"(a)\1", "a"), (r"\bx", "x"),
    # any first character, a match of no character, or a pattern it does not follow: None
    ("(?i:ab)", None), ("(?i)ab", None), (".x", None), ("[^a]", None), (r"\w", None), ("x*", None), ("(a|)", None),
    (r"(?=a)a", None),
])
def test_the_first_characters_of_a_pattern_leave_none_out(regex, first):
    got = parsetree._first_chars(regex, 0)
    assert got == (None if first is None else frozenset(first))


def test_an_end_of_line_is_lexed_by_its_own_pattern_as_by_the_state_s():
    """lex_one reads an end of line by _NL's pattern alone where the state takes one: the
    only terminal that can start with a line break (a grammar with another would fail here)."""
    lexing = parsetree._tables()[1]
    actions = parsetree._tables()[0]
    root = parsetree.lalr()[1].root_lexer.scanner
    assert [t.name for t in root.terminals if parsetree._first_chars(t.pattern.to_regexp(), 0) is None
            or {"\n", "\r"} & parsetree._first_chars(t.pattern.to_regexp(), 0)] == ["_NL"]
    checked = 0
    for state in sorted(actions):
        if "_NL" not in actions[state]:
            continue
        for text in ("\n", "\n  \n\tx", "\r\n\r\n y", "\r x", "\n\f\n", "\n# c"):
            full = _first_match(lexing[state][0], text, 0)
            assert parsetree.lex_one(state, text) == full, (state, text)
            checked += 1
    assert checked > 100
