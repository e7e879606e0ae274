"""Recursive-descent parser for the selection syntax: the one parser behind every entry point.

Grammar (EBNF; `and`/`or`/`not` are case-insensitive, precedence not > and > or)::

    selection  = or_expr ;
    or_expr    = and_expr , { "or" , and_expr } ;
    and_expr   = not_expr , { "and" , not_expr } ;
    not_expr   = "not" , not_expr | traversal ;
    traversal  = [ up ] , primary , [ down ] ;
    up         = "*" | digits , "+" | "+" , { "+" } ;      (* "*": all ancestors *)
    down       = "*" | "+" , digits | "+" , { "+" } ;      (* "*": all descendants *)
    primary    = "*" | "(" , or_expr , ")" | function , "(" , or_expr , ")"
               | attribute | key ;
    function   = "roots" | "sinks" | "required_multi_asset_neighbors" ;
    attribute  = ( "key:" | "key_prefix:" | "group:" | "kind:" | "owner:" | "status:" ) , value
               | "tag:" , value , [ "=" , value ] ;
    key        = word | quoted ;
    word       = ( letter | digit | "_" | "-" | "/" ) , { letter | digit | "_" | "-" | "/" } ;
    value      = quoted | unquoted ;     (* unquoted: no spaces, parentheses, quotes, + or * *)
    quoted     = '"' , { character } , '"' | "'" , { character } , "'" ;   (* \\ escapes *)

`+` alone is depth 1, `N+` / `+N` (digits touching the `+`) depth N, `++` depth 2 (depths
up to `MAX_DEPTH`); `*` alone
is every materializable asset; `not` is relative to every asset, sources included. A value
touches its `name:`. In `key:` values `*` is a wildcard for any characters, `/` included
(`key:raw/*`); quote the key to follow it by a traversal (`key:"a"*`). Keys that read as
keywords or digits are written quoted (`"or"`, `"2"`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NoReturn

from freshet.core.keys import AssetKey
from freshet.errors import InvalidDefinitionError, SelectionSyntaxError
from freshet.lineage.selection.ast import (
    MAX_DEPTH,
    AllNode,
    AttributeName,
    FunctionName,
    FunctionNode,
    GroupNode,
    KeyGlobNode,
    KeyNode,
    KeyPrefixNode,
    KindNode,
    Node,
    NotNode,
    OwnerNode,
    SelectionStatus,
    StatusNode,
    TagNode,
    TraversalNode,
    intersection,
    union,
)
from freshet.lineage.selection.lexer import Keyword, Token, TokenKind, tokenize

MAX_NESTING = 100

_ATTRIBUTES = ", ".join(f"{name}:" for name in AttributeName)
_FUNCTIONS = ", ".join(f"{name}(" for name in FunctionName)
EXPECTED_OPERAND = f"an asset key, {_ATTRIBUTES}, {_FUNCTIONS}, '*', 'not' or '('"
_EXPECTED_END = "'and', 'or' or end of input"
_EXPECTED_CLOSE = "'and', 'or' or ')'"
_EXPECTED_DEPTH = f"a depth of at most {MAX_DEPTH} (or '*' for every level)"
_EXPECTED_KEY = "an asset key (names of letters, digits, '_' and '-', separated by '/')"
_OPERAND_STARTS = frozenset(
    {TokenKind.WORD, TokenKind.QUOTED, TokenKind.ATTR, TokenKind.LPAREN, TokenKind.STAR}
)
_KEYWORDS = frozenset(Keyword)
_FUNCTION_NAMES = frozenset(FunctionName)
_ATTRIBUTE_NAMES = frozenset(AttributeName)
_STATUSES = frozenset(SelectionStatus)
_GLOB = re.compile(r"[A-Za-z0-9_\-/*]+")


@lru_cache(maxsize=1024)
def parse(text: str) -> Node:
    """Parse selection text into a syntax tree; raise `SelectionSyntaxError` if it is invalid."""
    return _Parser(text).parse()


class _Parser:
    __slots__ = ("_index", "_nesting", "_text", "_tokens")

    def __init__(self, text: str) -> None:
        self._text = text
        self._tokens = tokenize(text)
        self._index = 0
        self._nesting = 0

    def parse(self) -> Node:
        node = self._or()
        token = self._peek()
        if token.kind is not TokenKind.END:
            self._fail(token, _EXPECTED_END)
        return node

    # -- token helpers -------------------------------------------------------------------
    def _peek(self, ahead: int = 0) -> Token:
        return self._tokens[min(self._index + ahead, len(self._tokens) - 1)]

    def _advance(self) -> Token:
        token = self._tokens[self._index]
        self._index += 1
        return token

    def _at(self, keyword: Keyword) -> bool:
        return self._peek().is_keyword(keyword)

    def _fail(self, token: Token, expected: str) -> NoReturn:
        if token.kind is TokenKind.END:
            found = "end of input"
        else:
            found = repr(self._text[token.start : token.end])
        raise SelectionSyntaxError(self._text, token.start, expected, found)

    def _nested(self, token: Token) -> None:
        self._nesting += 1
        if self._nesting > MAX_NESTING:
            self._fail(token, f"at most {MAX_NESTING} levels of parentheses, functions or 'not'")

    def _starts_operand(self, token: Token) -> bool:
        if token.kind is TokenKind.WORD:
            return token.text.lower() not in _KEYWORDS
        return token.kind in _OPERAND_STARTS

    # -- expressions ---------------------------------------------------------------------
    def _or(self) -> Node:
        operands = [self._and()]
        while self._at(Keyword.OR):
            self._advance()
            operands.append(self._and())
        return union(operands)

    def _and(self) -> Node:
        operands = [self._not()]
        while self._at(Keyword.AND):
            self._advance()
            operands.append(self._not())
        return intersection(operands)

    def _not(self) -> Node:
        if not self._at(Keyword.NOT):
            return self._traversal()
        self._nested(self._advance())
        operand = self._not()
        self._nesting -= 1
        return NotNode(operand=operand)

    def _traversal(self) -> Node:
        up = self._up()
        operand = self._primary()
        down = self._down()
        if up == 0 and down == 0:
            return operand
        return TraversalNode(operand=operand, up=up, down=down)

    def _up(self) -> int | None:
        """Depth of a traversal prefix: 0 if there is none, None for `*` (unlimited)."""
        token = self._peek()
        if token.kind is TokenKind.STAR and self._starts_operand(self._peek(1)):
            self._advance()
            return None
        if token.kind is TokenKind.WORD and token.text.isdigit():
            plus = self._peek(1)
            touching = plus.kind is TokenKind.PLUS and plus.start == token.end
            if touching and self._starts_operand(self._peek(2)):
                self._index += 2
                return self._depth(token, token.text)
        if token.kind is TokenKind.PLUS:
            return self._plus_run()
        return 0

    def _down(self) -> int | None:
        """Depth of a traversal suffix: 0 if there is none, None for `*` (unlimited)."""
        token = self._peek()
        if token.kind is TokenKind.STAR:
            self._advance()
            return None
        if token.kind is not TokenKind.PLUS:
            return 0
        digits = self._peek(1)
        if digits.kind is TokenKind.WORD and digits.start == token.end and digits.text.isdigit():
            self._index += 2
            return self._depth(digits, digits.text)
        return self._plus_run()

    def _plus_run(self) -> int:
        """Count touching `+` signs (`++` is depth 2)."""
        first = self._advance()
        end, count = first.end, 1
        while self._peek().kind is TokenKind.PLUS and self._peek().start == end:
            end = self._advance().end
            count += 1
        if count > MAX_DEPTH:
            self._fail(first, _EXPECTED_DEPTH)
        return count

    def _depth(self, token: Token, digits: str) -> int:
        # checked before int(): thousands of digits would hit Python's int-parsing limit
        stripped = digits.lstrip("0") or "0"
        if len(stripped) > len(str(MAX_DEPTH)) or int(stripped) > MAX_DEPTH:
            self._fail(token, _EXPECTED_DEPTH)
        return int(stripped)

    def _primary(self) -> Node:
        token = self._peek()
        if token.kind is TokenKind.STAR:
            self._advance()
            return AllNode()
        if token.kind is TokenKind.LPAREN:
            return self._parenthesized()
        if token.kind is TokenKind.ATTR:
            return self._attribute()
        if token.kind is TokenKind.QUOTED:
            self._advance()
            return KeyNode(key=self._key(token))
        if token.kind is TokenKind.WORD and token.text.lower() not in _KEYWORDS:
            return self._word()
        self._fail(token, EXPECTED_OPERAND)

    def _parenthesized(self) -> Node:
        opening = self._advance()
        self._nested(opening)
        node = self._or()
        if self._peek().kind is not TokenKind.RPAREN:
            self._fail(self._peek(), _EXPECTED_CLOSE)
        self._advance()
        self._nesting -= 1
        return node

    def _word(self) -> Node:
        token = self._peek()
        following = self._peek(1)
        if following.kind is TokenKind.LPAREN:
            if token.text in _FUNCTION_NAMES:
                self._advance()
                return FunctionNode(
                    function=FunctionName(token.text), operand=self._parenthesized()
                )
            if following.start == token.end:
                self._fail(token, f"a function name ({', '.join(FunctionName)})")
        self._advance()
        return KeyNode(key=self._key(token))

    def _key(self, token: Token) -> AssetKey:
        try:
            return AssetKey.from_user_string(token.text)
        except InvalidDefinitionError:
            pass
        self._fail(token, _EXPECTED_KEY)

    # -- attributes ----------------------------------------------------------------------
    def _attribute(self) -> Node:
        name_token = self._advance()
        if name_token.text not in _ATTRIBUTE_NAMES:
            self._fail(name_token, f"an attribute ({_ATTRIBUTES})")
        attribute = AttributeName(name_token.text)
        value = self._value(name_token, f"a value right after '{attribute}:'")
        if attribute is AttributeName.KEY:
            return self._key_value(value)
        if attribute is AttributeName.KEY_PREFIX:
            return KeyPrefixNode(prefix=self._key(value).path)
        if attribute is AttributeName.TAG:
            return self._tag(value)
        if attribute is AttributeName.STATUS:
            return self._status(value)
        if not value.text:
            self._fail(value, f"a non-empty value after '{attribute}:'")
        if attribute is AttributeName.GROUP:
            return GroupNode(name=value.text)
        if attribute is AttributeName.KIND:
            return KindNode(kind=value.text)
        return OwnerNode(owner=value.text)

    def _value(self, previous: Token, expected: str) -> Token:
        token = self._peek()
        if token.kind not in (TokenKind.VALUE, TokenKind.QUOTED) or token.start != previous.end:
            self._fail(token, expected)
        return self._advance()

    def _key_value(self, value: Token) -> Node:
        if value.kind is TokenKind.VALUE and "*" in value.text:
            if _GLOB.fullmatch(value.text) is None:
                self._fail(value, f"{_EXPECTED_KEY}, with '*' as a wildcard")
            return KeyGlobNode(pattern=value.text)
        return KeyNode(key=self._key(value))

    def _tag(self, key: Token) -> Node:
        if not key.text:
            self._fail(key, "a tag key after 'tag:'")
        if self._peek().kind is not TokenKind.EQUALS or self._peek().start != key.end:
            return TagNode(key=key.text)
        equals = self._advance()
        value = self._value(equals, f"a tag value right after '{key.text}='")
        return TagNode(key=key.text, value=value.text)

    def _status(self, value: Token) -> Node:
        normalized = value.text.lower().replace("-", "_")
        if normalized not in _STATUSES:
            self._fail(value, f"a status ({', '.join(SelectionStatus)})")
        return StatusNode(status=SelectionStatus(normalized))
