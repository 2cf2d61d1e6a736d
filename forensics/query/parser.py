"""Tokenizer and recursive-descent parser of the query language (see SYNTAX.md).

Grammar (implicit AND binds tighter than OR; ``-`` and NOT bind tightest)::

    query   := or_expr?
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= unary ("AND"? unary)*
    unary   := ("-" | "NOT") unary | primary
    primary := "(" or_expr ")" | term
    term    := WORD | "PHRASE" | KEY ":" OP? (WORD | "PHRASE")

Every error carries the character position it refers to, for the query bar to point at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forensics.errors import QueryError
from forensics.query.fields import SHORTHANDS
from forensics.query.nodes import (
    All,
    And,
    Clock,
    Free,
    Node,
    Not,
    Or,
    Presence,
    Shorthand,
    Term,
    TimeBound,
)

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*:")
_OPS = (">=", "<=", "=", ">", "<")
_STOP = set(' \t\r\n()"')


@dataclass(frozen=True)
class Token:
    kind: str  # LPAREN RPAREN OR AND NOT NEG WORD PHRASE TERM
    pos: int
    text: str = ""
    key: str = ""
    op: str = ""
    value_pos: int = 0
    quoted: bool = False


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Read a double-quoted string starting at ``text[start] == '"'``; returns (value, end)."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise QueryError("unterminated quote", start)


def _read_bare(text: str, start: int) -> tuple[str, int]:
    i = start
    while i < len(text) and text[i] not in _STOP:
        i += 1
    return text[start:i], i


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; raises QueryError on an unterminated quote or empty value."""
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "(":
            tokens.append(Token("LPAREN", i))
            i += 1
            continue
        if ch == ")":
            tokens.append(Token("RPAREN", i))
            i += 1
            continue
        if ch == "-":
            if i + 1 >= n or text[i + 1].isspace() or text[i + 1] == ")":
                raise QueryError("nothing to negate after '-' (quote it to search for \"-\")", i)
            tokens.append(Token("NEG", i))
            i += 1
            continue
        if ch == '"':
            value, end = _read_quoted(text, i)
            tokens.append(Token("PHRASE", i, text=value, value_pos=i, quoted=True))
            i = end
            continue
        key = _KEY.match(text, i)
        if key:
            name = key.group()[:-1]
            j = key.end()
            op = ":"
            for candidate in _OPS:
                if text.startswith(candidate, j):
                    op = candidate
                    j += len(candidate)
                    break
            if j < n and text[j] == '"':
                value, end = _read_quoted(text, j)
                quoted = True
            else:
                value, end = _read_bare(text, j)
                quoted = False
                if not value:
                    raise QueryError(f"missing value after '{text[i:j]}'", j)
            tokens.append(Token("TERM", i, text=value, key=name, op=op, value_pos=j, quoted=quoted))
            i = end
            continue
        word, end = _read_bare(text, i)
        kind = {"OR": "OR", "AND": "AND", "NOT": "NOT"}.get(word, "WORD")
        if word == "|":
            kind = "OR"
        tokens.append(Token(kind, i, text=word, value_pos=i))
        i = end
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            return All(0)
        node = self.or_expr()
        extra = self.peek()
        if extra is not None:  # only an unmatched ")" can stop or_expr early
            raise QueryError("unmatched ')'", extra.pos)
        return node

    def or_expr(self) -> Node:
        first = self.and_expr()
        children = [first]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("OR", "RPAREN", "AND"):
                raise QueryError("OR needs a term on both sides", token.pos)
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(first.pos, tuple(children))

    def and_expr(self) -> Node:
        children: list[Node] = []
        while (token := self.peek()) is not None and token.kind not in ("OR", "RPAREN"):
            if token.kind == "AND":
                self.take()
                nxt = self.peek()
                if not children or nxt is None or nxt.kind in ("OR", "RPAREN", "AND"):
                    raise QueryError("AND needs a term on both sides", token.pos)
                continue
            children.append(self.unary())
        if not children:
            token = self.peek()
            pos = token.pos if token is not None else len(self.text)
            if token is not None and token.kind == "OR":
                raise QueryError("OR needs a term on both sides", pos)
            raise QueryError("expected a term", pos)
        return children[0] if len(children) == 1 else And(children[0].pos, tuple(children))

    def unary(self) -> Node:
        token = self.peek()
        assert token is not None
        if token.kind in ("NEG", "NOT"):
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("OR", "AND", "RPAREN"):
                raise QueryError(f"nothing to negate after '{'-' if token.kind == 'NEG' else 'NOT'}'", token.pos)
            return Not(token.pos, self.unary())
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "LPAREN":
            nxt = self.peek()
            if nxt is not None and nxt.kind == "RPAREN":
                raise QueryError("empty parentheses", token.pos)
            if nxt is None:
                raise QueryError("unmatched '('", token.pos)
            node = self.or_expr()
            close = self.peek()
            if close is None or close.kind != "RPAREN":
                raise QueryError("unmatched '('", token.pos)
            self.take()
            return node
        if token.kind in ("WORD", "PHRASE"):
            if not token.text:
                raise QueryError("empty phrase", token.pos)
            return Free(token.pos, token.text)
        if token.kind == "TERM":
            return self.term(token)
        raise QueryError(f"unexpected '{token.text or token.kind}'", token.pos)  # pragma: no cover

    def term(self, token: Token) -> Node:
        key = token.key.lower()
        if key == "is":
            name = token.text.lower()
            if token.op != ":" or name not in SHORTHANDS:
                raise QueryError(f"unknown is:{token.text} (use one of: {', '.join('is:' + k for k in SHORTHANDS)})", token.value_pos)
            return Shorthand(token.pos, name)
        if key in ("after", "before", "on"):
            if token.op != ":":
                raise QueryError(f"{key}: takes a time, not an operator", token.value_pos)
            return TimeBound(token.pos, key, token.text, token.value_pos)
        if key in ("hour", "weekday"):
            return Clock(token.pos, key, token.op, token.text, token.value_pos)
        if key in ("has", "missing"):
            if token.op != ":":
                raise QueryError(f"{key}: takes a field name", token.value_pos)
            return Presence(token.pos, token.text, key == "has")
        if token.op in (">", ">=", "<", "<=") and not token.text:
            raise QueryError(f"missing value after '{token.key}:{token.op}'", token.value_pos)
        return Term(token.pos, token.key, token.op, token.text, token.value_pos)


def parse(text: str) -> Node:
    """Parse ``text`` into a node tree; raises QueryError(message, position)."""
    return _Parser(text).parse()
