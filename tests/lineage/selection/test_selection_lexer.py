"""The tokenizer: token kinds, exact positions, attribute-value scanning and quoting."""

from __future__ import annotations

import pytest

from freshet.errors import SelectionSyntaxError
from freshet.lineage.selection.lexer import TokenKind, is_plain_value, quote, tokenize

K = TokenKind


def kinds_and_texts(text: str) -> list[tuple[TokenKind, str]]:
    return [(token.kind, token.text) for token in tokenize(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a/b", [(K.WORD, "a/b"), (K.END, "")]),
        (
            "2+a+3",
            [
                (K.WORD, "2"),
                (K.PLUS, "+"),
                (K.WORD, "a"),
                (K.PLUS, "+"),
                (K.WORD, "3"),
                (K.END, ""),
            ],
        ),
        ("*(a)", [(K.STAR, "*"), (K.LPAREN, "("), (K.WORD, "a"), (K.RPAREN, ")"), (K.END, "")]),
        ("group:g+", [(K.ATTR, "group"), (K.VALUE, "g"), (K.PLUS, "+"), (K.END, "")]),
        ("group:g*", [(K.ATTR, "group"), (K.VALUE, "g"), (K.STAR, "*"), (K.END, "")]),
        ("key:a*", [(K.ATTR, "key"), (K.VALUE, "a*"), (K.END, "")]),
        ("owner:team:x", [(K.ATTR, "owner"), (K.VALUE, "team:x"), (K.END, "")]),
        (
            "tag:k=v",
            [(K.ATTR, "tag"), (K.VALUE, "k"), (K.EQUALS, "="), (K.VALUE, "v"), (K.END, "")],
        ),
        (
            'tag:"a b"="c"',
            [(K.ATTR, "tag"), (K.QUOTED, "a b"), (K.EQUALS, "="), (K.QUOTED, "c"), (K.END, "")],
        ),
        ("group: g", [(K.ATTR, "group"), (K.WORD, "g"), (K.END, "")]),
        ('"a\\"b"', [(K.QUOTED, 'a"b'), (K.END, "")]),
        ("a,b", [(K.WORD, "a"), (K.UNKNOWN, ","), (K.WORD, "b"), (K.END, "")]),
    ],
    ids=[
        "word",
        "depths",
        "punctuation",
        "value-stops-at-plus",
        "value-stops-at-star",
        "key-value-keeps-star",
        "value-keeps-colon",
        "tag-pair",
        "quoted-tag-pair",
        "value-must-touch",
        "escaped-quote",
        "unknown-character",
    ],
)
def test_tokens(text, expected):
    assert kinds_and_texts(text) == expected


def test_tokens_carry_exact_positions():
    tokens = tokenize("not  tag:k=v")
    assert [(t.start, t.end) for t in tokens] == [
        (0, 3),
        (5, 9),
        (9, 10),
        (10, 11),
        (11, 12),
        (12, 12),
    ]


def test_unterminated_quote_points_at_the_opening_quote():
    with pytest.raises(SelectionSyntaxError) as caught:
        tokenize('a or "b c')
    assert caught.value.position == 5
    assert caught.value.found == "end of input"


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ("team:x", True),
        ("me@x.com", True),
        ("a b", False),
        ("c++", False),
        ("x*", False),
        ("", False),
        ('say "hi"', False),
    ],
    ids=["colon", "email", "space", "plus", "star", "empty", "quotes"],
)
def test_values_that_need_quotes_are_detected_and_quoting_reads_back(value, plain):
    assert is_plain_value(value) is plain
    assert tokenize(f"kind:{quote(value)}")[1].text == value
