"""Tokenizer of the XDR / RPC language, keeping comments for libvirt metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from virtrpc.errors import XdrCompileError as XdrCompileError
from virtrpc.xdrgen.ast import Location

# XdrCompileError lives in virtrpc.errors (re-exported here).


@dataclass(frozen=True)
class Comment:
    text: str
    line: int  # line where the comment starts
    end_line: int


@dataclass(frozen=True)
class Token:
    kind: str  # "ident" | "number" | "punct" | "eof"
    value: str
    location: Location
    #: comments between the previous token and this one
    comments: tuple[Comment, ...] = field(default=())

    @property
    def line(self) -> int:
        return self.location.line


_TOKEN_RE = re.compile(
    r"""
    (?P<passthrough>^[ \t]*[%\#][^\n]*)
  | (?P<space>[ \t\r\f\v]+)
  | (?P<newline>\n)
  | (?P<comment>/\*.*?\*/)
  | (?P<linecomment>//[^\n]*)
  | (?P<unterminated>/\*)
  | (?P<number>-?(?:0[xX][0-9a-fA-F]+|[0-9]+))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[{}()\[\]<>;,=*:])
    """,
    re.VERBOSE | re.DOTALL | re.MULTILINE,
)

_INCLUDE_RE = re.compile(r'%\s*#\s*include\s*[<"]([^>"]+)[>"]')


def tokenize(text: str, path: str) -> tuple[list[Token], list[str]]:
    """Split ``text`` into tokens; return them and the ``%#include`` targets.

    Lines starting with ``%`` (rpcgen pass-through) and ``#`` (preprocessor)
    are ignored apart from recording includes.
    """
    tokens: list[Token] = []
    includes: list[str] = []
    pending: list[Comment] = []
    line = 1
    line_start = 0
    position = 0
    length = len(text)
    while position < length:
        match = _TOKEN_RE.match(text, position)
        if match is None:
            column = position - line_start + 1
            raise XdrCompileError(
                Location(path, line, column), f"unexpected character {text[position]!r}"
            )
        kind = match.lastgroup
        value = match.group()
        column = position - line_start + 1
        if kind == "unterminated":
            raise XdrCompileError(Location(path, line, column), "unterminated comment")
        if kind == "comment":
            newlines = value.count("\n")
            pending.append(Comment(value, line, line + newlines))
            if newlines:
                line += newlines
                line_start = position + value.rfind("\n") + 1
        elif kind == "newline":
            line += 1
            line_start = match.end()
        elif kind == "passthrough":
            include = _INCLUDE_RE.search(value)
            if include:
                includes.append(include.group(1))
        elif kind in ("number", "ident", "punct"):
            assert kind is not None
            tokens.append(Token(kind, value, Location(path, line, column), tuple(pending)))
            pending = []
        position = match.end()
    tokens.append(Token("eof", "", Location(path, line, position - line_start + 1), tuple(pending)))
    return tokens, includes
