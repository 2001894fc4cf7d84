"""Python source text helpers of the emitter: indentation, literals,
concatenation of bytes pieces, and the wrapping of long generated lines."""

from __future__ import annotations


def indent_lines(lines: list[str], depth: int = 1) -> list[str]:
    prefix = "    " * depth
    return [prefix + line if line else line for line in lines]


def concat(pieces: list[str]) -> str:
    """An expression concatenating bytes pieces (each produced by generated code)."""
    if not pieces:
        return 'b""'
    if len(pieces) == 1:
        return pieces[0]
    if len(pieces) == 2:
        return f"{pieces[0]} + {pieces[1]}"
    return f'b"".join(({", ".join(pieces)}))'


def literal(value: str | tuple[str, ...]) -> str:
    """A Python literal with double quotes, like hand-formatted code."""
    if isinstance(value, tuple):
        inner = ", ".join(literal(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal_ints(values: tuple[int, ...]) -> str:
    inner = ", ".join(str(value) for value in values)
    return f"({inner},)" if len(values) == 1 else f"({inner})"


# -- line wrapping ---------------------------------------------------------------------

LINE_LIMIT = 100


def wrap_source(text: str, limit: int = LINE_LIMIT) -> str:
    """Wrap long generated lines at their widest call or tuple, one item per line.

    Lines that are too long and have a top-level ``(...)`` spanning most of
    them are split the way a formatter would.  ``if`` conditions and
    f-strings are left alone (splitting them is not always safe).
    """
    out: list[str] = []
    for line in text.split("\n"):
        out.extend(_wrap_line(line, limit))
    return "\n".join(out)


def _wrap_line(line: str, limit: int) -> list[str]:
    stripped = line.lstrip()
    if (
        len(line) <= limit
        or stripped.startswith(("if ", "elif ", "#", '"'))
        or 'f"' in line
        or "'" in line
    ):
        return [line]
    pair = _widest_parentheses(line)
    if pair is None:
        return [line]
    start, end = pair
    if end - start < 30:  # splitting a short argument list gains nothing
        return [line]
    items = _split_top_level(line[start + 1 : end])
    is_call = start > 0 and (line[start - 1].isalnum() or line[start - 1] in "_])")
    if len(items) < 2 and not is_call:
        return [line]
    indent = line[: len(line) - len(stripped)] + "    "
    head = line[: start + 1]
    tail = line[end:]
    body = [indent + item + "," for item in items]
    if items and items[-1].startswith("*") and not items[-1].startswith("**"):
        body[-1] = body[-1][:-1]  # no trailing comma after a bare "*args" in a call
    result = [head]
    for item_line in body:
        result.extend(_wrap_line(item_line, limit))
    result.append(line[: len(line) - len(stripped)] + tail)
    return result


def _widest_parentheses(line: str) -> tuple[int, int] | None:
    """The top-level ``(`` ``)`` pair with the most text inside, if any."""
    depth = 0
    opened = -1
    best: tuple[int, int] | None = None
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
            continue
        if char == '"':
            quote = char
        elif char in "([{":
            if depth == 0 and char == "(":
                opened = index
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0 and char == ")" and opened >= 0:
                if best is None or index - opened > best[1] - best[0]:
                    best = (opened, index)
                opened = -1
    return best


def _split_top_level(inner: str) -> list[str]:
    items: list[str] = []
    depth = 0
    current = ""
    quote = ""
    for char in inner:
        if quote:
            current += char
            if char == quote:
                quote = ""
            continue
        if char == '"':
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        items.append(current.strip())
    return items
