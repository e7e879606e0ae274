"""Tokenizer for the selection syntax: text -> tokens with exact character positions.

Attribute values are scanned right after their `name:` with their own rules: they may hold
`:`, `@`, `.` and `=` (`owner:team:x`, `tag:k=v`), stop at `+`, `*`, spaces and parentheses,
and may be quoted. Only in `key:` values is `*` part of the value (a wildcard).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, StrEnum

from freshet.errors import SelectionSyntaxError
from freshet.lineage.selection.ast import AttributeName


class TokenKind(Enum):
    WORD = "word"  # a bare asset key, a keyword, a function name or a depth
    QUOTED = "quoted"  # a quoted string, as a key or as an attribute value
    ATTR = "attr"  # `name:`; text is the name
    VALUE = "value"  # an unquoted attribute value
    EQUALS = "equals"  # the `=` of `tag:k=v`
    LPAREN = "lparen"
    RPAREN = "rparen"
    STAR = "star"
    PLUS = "plus"
    UNKNOWN = "unknown"  # a character no rule accepts; the parser reports it in context
    END = "end"


class Keyword(StrEnum):
    AND = "and"
    OR = "or"
    NOT = "not"


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    kind: TokenKind
    text: str  # unescaped for QUOTED, the name for ATTR
    start: int
    end: int

    def is_keyword(self, keyword: Keyword) -> bool:
        return self.kind is TokenKind.WORD and self.text.lower() == keyword


_WORD_CHARS = r"A-Za-z0-9_\-/"
QUOTES = "\"'"

_WORD = re.compile(rf"[{_WORD_CHARS}]+")
_VALUE = re.compile(r"[^\s()\"'+*]+")
_KEY_VALUE = re.compile(r"[^\s()\"'+]+")
_TAG_KEY = re.compile(r"[^\s()\"'+*=]+")
_PUNCTUATION = {
    "(": TokenKind.LPAREN,
    ")": TokenKind.RPAREN,
    "*": TokenKind.STAR,
    "+": TokenKind.PLUS,
}


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, ending with an END token at `len(text)`."""
    tokens: list[Token] = []
    pos, length = 0, len(text)
    while pos < length:
        char = text[pos]
        if char.isspace():
            pos += 1
        elif char in _PUNCTUATION:
            tokens.append(Token(kind=_PUNCTUATION[char], text=char, start=pos, end=pos + 1))
            pos += 1
        elif char in QUOTES:
            token = _quoted(text, pos)
            tokens.append(token)
            pos = token.end
        else:
            pos = _word(text, pos, tokens)
    tokens.append(Token(kind=TokenKind.END, text="", start=length, end=length))
    return tokens


def _word(text: str, pos: int, tokens: list[Token]) -> int:
    """Scan a word, an attribute with its value, or one unknown character."""
    match = _WORD.match(text, pos)
    if match is None:
        tokens.append(Token(kind=TokenKind.UNKNOWN, text=text[pos], start=pos, end=pos + 1))
        return pos + 1
    end = match.end()
    if not text.startswith(":", end):
        tokens.append(Token(kind=TokenKind.WORD, text=match.group(), start=pos, end=end))
        return end
    name = match.group()
    tokens.append(Token(kind=TokenKind.ATTR, text=name, start=pos, end=end + 1))
    if name == AttributeName.TAG:
        return _tag_value(text, end + 1, tokens)
    pattern = _KEY_VALUE if name == AttributeName.KEY else _VALUE
    return _value(text, end + 1, pattern, tokens)


def _value(text: str, pos: int, pattern: re.Pattern[str], tokens: list[Token]) -> int:
    """Scan one attribute value (quoted or not) if one starts right at `pos`."""
    if text.startswith(tuple(QUOTES), pos):
        token = _quoted(text, pos)
    else:
        match = pattern.match(text, pos)
        if match is None:
            return pos
        token = Token(kind=TokenKind.VALUE, text=match.group(), start=pos, end=match.end())
    tokens.append(token)
    return token.end


def _tag_value(text: str, pos: int, tokens: list[Token]) -> int:
    pos = _value(text, pos, _TAG_KEY, tokens)
    if not text.startswith("=", pos):
        return pos
    tokens.append(Token(kind=TokenKind.EQUALS, text="=", start=pos, end=pos + 1))
    return _value(text, pos + 1, _VALUE, tokens)


def _quoted(text: str, start: int) -> Token:
    """A string in matching quotes; a backslash escapes the next character."""
    quote = text[start]
    chars: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            chars.append(text[pos + 1])
            pos += 2
        elif char == quote:
            return Token(kind=TokenKind.QUOTED, text="".join(chars), start=start, end=pos + 1)
        else:
            chars.append(char)
            pos += 1
    raise SelectionSyntaxError(text, start, f"a closing {quote!r} for this quote", "end of input")


def is_plain_value(value: str, *, tag_key: bool = False) -> bool:
    """Whether `value` reads back as one unquoted attribute value (else it needs quotes)."""
    pattern = _TAG_KEY if tag_key else _VALUE
    return pattern.fullmatch(value) is not None


def quote(value: str) -> str:
    """Render `value` as a double-quoted string the tokenizer reads back unchanged."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
