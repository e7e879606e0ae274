"""Syntax tree -> selection text, minimally parenthesized; `parse(render(node))` selects the same.

Trees built by the parser or the `AssetSelection` API come back identical, with three
exceptions that come back as an equivalent expression: `all(include_sources=True)`,
the empty selection and `upstream/downstream(include_self=False)`.
"""

from __future__ import annotations

from freshet.core.keys import AssetKey
from freshet.lineage.selection.ast import (
    AllNode,
    AndNode,
    AttributeName,
    FunctionNode,
    GroupNode,
    KeyGlobNode,
    KeyNode,
    KeyPrefixNode,
    KindNode,
    Node,
    NotNode,
    OrNode,
    OwnerNode,
    StatusNode,
    TagNode,
    TraversalNode,
)
from freshet.lineage.selection.lexer import Keyword, is_plain_value, quote

# Binding strength, loosest first; a sub-expression looser than its slot gets parentheses.
_OR, _AND, _NOT, _TRAVERSAL, _ATOM = range(5)
_KEYWORDS = frozenset(Keyword)


def render(node: Node) -> str:
    return _render(node)[0]


def _wrap(node: Node, tightest_needed: int) -> str:
    text, strength = _render(node)
    return text if strength >= tightest_needed else f"({text})"


def _render(node: Node) -> tuple[str, int]:
    match node:
        case OrNode(operands=()):
            return "* and not *", _AND
        case OrNode(operands=operands):
            return " or ".join(_wrap(op, _AND) for op in operands), _OR
        case AndNode(operands=operands):
            return " and ".join(_wrap(op, _NOT) for op in operands), _AND
        case NotNode(operand=operand):
            return f"not {_wrap(operand, _NOT)}", _NOT
        case TraversalNode():
            return _traversal(node)
        case FunctionNode(function=function, operand=operand):
            return f"{function}({render(operand)})", _ATOM
        case AllNode(include_sources=False):
            return "*", _ATOM
        case AllNode():
            return "* or not *", _OR
        case _:
            return _leaf(node), _ATOM


def _traversal(node: TraversalNode) -> tuple[str, int]:
    up = _depth(node.up, "{}+")
    down = _depth(node.down, "+{}")
    text = f"{up}{_wrap(node.operand, _ATOM)}{down}"
    if node.include_self:
        return text, _TRAVERSAL
    # The traversal without its starting assets; `not` is relative to the whole graph.
    return f"{text} and not {_wrap(node.operand, _NOT)}", _AND


def _depth(depth: int | None, template: str) -> str:
    if depth is None:
        return "*"
    if depth <= 1:
        return "+" * depth
    return template.format(depth)


def _leaf(node: Node) -> str:
    match node:
        case KeyNode(key=key):
            return render_key(key)
        case KeyGlobNode(pattern=pattern):
            return f"{AttributeName.KEY}:{pattern}"
        case KeyPrefixNode(prefix=prefix):
            return f"{AttributeName.KEY_PREFIX}:{'/'.join(prefix)}"
        case GroupNode(name=name):
            return f"{AttributeName.GROUP}:{_value(name)}"
        case TagNode(key=key, value=None):
            return f"{AttributeName.TAG}:{_value(key, tag_key=True)}"
        case TagNode(key=key, value=str(value)):
            return f"{AttributeName.TAG}:{_value(key, tag_key=True)}={_value(value)}"
        case KindNode(kind=kind):
            return f"{AttributeName.KIND}:{_value(kind)}"
        case OwnerNode(owner=owner):
            return f"{AttributeName.OWNER}:{_value(owner)}"
        case StatusNode(status=status):
            return f"{AttributeName.STATUS}:{status}"
    raise TypeError(f"cannot render selection node {node!r}: not a selection syntax node")


def render_key(key: AssetKey) -> str:
    """A key as a bare word, quoted when it would read as a keyword or a traversal depth."""
    text = key.to_user_string()
    if text.isdigit() or text.lower() in _KEYWORDS:
        return quote(text)
    return text


def _value(value: str, *, tag_key: bool = False) -> str:
    return value if is_plain_value(value, tag_key=tag_key) else quote(value)
