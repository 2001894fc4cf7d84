#!/usr/bin/env python3
"""Generate src/virtrpc/protocols/virterror.py from libvirt's <virterror.h>.

The error codes, domains and levels a libvirt daemon puts in
``virNetMessageError`` are C enums defined in ``virterror.h`` (Debian package
``libvirt-dev``), not in the ``.x`` protocol files.  This tool extracts the
three enums (``virErrorNumber``, ``virErrorDomain``, ``virErrorLevel``) and
writes them as Python ``IntEnum`` classes.  The output is deterministic: the
same header always yields byte-identical output.

Usage::

    python tools/gen_virterror.py [--header /usr/include/libvirt/virterror.h]
                                  [--output src/virtrpc/protocols/virterror.py]
    python tools/gen_virterror.py --check     # exit 1 if the output is stale

``--output -`` writes to stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HEADER = Path("/usr/include/libvirt/virterror.h")
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "src" / "virtrpc" / "protocols" / "virterror.py"

#: C enum name -> (Python class name, docstring)
ENUMS = {
    "virErrorNumber": ("ErrorNumber", "Error codes (``virErrorNumber``): the ``code`` field."),
    "virErrorDomain": ("ErrorDomain", "Where an error comes from (``virErrorDomain``): the ``domain`` field."),
    "virErrorLevel": ("ErrorLevel", "Severity (``virErrorLevel``): the ``level`` field."),
}

_ENUM_RE = re.compile(r"typedef\s+enum\s*\{(?P<body>.*?)\}\s*(?P<name>\w+)\s*;", re.S)
_COMMENT_RE = re.compile(r"/\*(.*?)\*/", re.S)
_ENTRY_RE = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)\s*(?:=\s*(?P<value>[^,]+?))?\s*,?\s*$")
_SINCE_RE = re.compile(r"\s*\(Since:\s*[^)]*\)\s*")


@dataclass(frozen=True)
class Member:
    name: str
    value: int
    comment: str


def _strip_sentinels(body: str) -> str:
    """Drop ``# ifdef VIR_ENUM_SENTINELS`` blocks (the *_LAST markers)."""
    return re.sub(r"#\s*ifdef\s+VIR_ENUM_SENTINELS.*?#\s*endif", "", body, flags=re.S)


def parse_enum(body: str) -> list[Member]:
    """Parse the members of one C enum body, with their trailing comments."""
    body = _strip_sentinels(body)
    members: list[Member] = []
    comments: dict[int, list[str]] = {}
    # Replace comments by a marker so that entries can be split on commas,
    # remembering which entry each comment follows.
    pieces: list[str] = []
    last_end = 0
    for comment_match in _COMMENT_RE.finditer(body):
        pieces.append(body[last_end : comment_match.start()])
        pieces.append(f"\0{len(comments)}\0")
        comments[len(comments)] = [" ".join(comment_match.group(1).split())]
        last_end = comment_match.end()
    pieces.append(body[last_end:])
    text = "".join(pieces)
    next_value = 0
    current: Member | None = None
    for raw_line in text.splitlines():
        marker_ids = [int(m) for m in re.findall(r"\0(\d+)\0", raw_line)]
        line = re.sub(r"\0\d+\0", "", raw_line).strip()
        if line.startswith("#"):
            continue
        if line:
            match = _ENTRY_RE.match(line)
            if match is None:
                raise ValueError(f"cannot parse enum line: {raw_line!r}")
            value = int(match.group("value"), 0) if match.group("value") else next_value
            current = Member(match.group("name"), value, "")
            members.append(current)
            next_value = value + 1
        if marker_ids and current is not None:
            text_parts = [comments[i][0] for i in marker_ids]
            comment = " ".join(p for p in [current.comment, *text_parts] if p)
            members[-1] = current = Member(current.name, current.value, comment)
    return [Member(m.name, m.value, _SINCE_RE.sub(" ", m.comment).strip()) for m in members]


def parse_header(text: str) -> dict[str, list[Member]]:
    """Return the members of each wanted enum found in ``text``."""
    found: dict[str, list[Member]] = {}
    for match in _ENUM_RE.finditer(text):
        name = match.group("name")
        if name in ENUMS:
            found[name] = parse_enum(match.group("body"))
    missing = sorted(set(ENUMS) - set(found))
    if missing:
        raise ValueError(f"enums not found in header: {', '.join(missing)}")
    return found


def render(header_path: Path, text: str) -> str:
    enums = parse_header(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    out: list[str] = [
        "# GENERATED FILE - DO NOT EDIT.",
        f"# Source: {header_path} (sha256 {digest})",
        "# Regenerate: python tools/gen_virterror.py "
        f"--header {header_path} --output src/virtrpc/protocols/virterror.py",
        '"""libvirt error codes, domains and levels (from ``virterror.h``).',
        "",
        "Values a daemon newer than this header sends are not members; use",
        ":func:`code_name`, :func:`domain_name` and :func:`level_name`, which never fail.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from enum import IntEnum",
        "",
        '__all__ = ["ErrorDomain", "ErrorLevel", "ErrorNumber", "code_name", "domain_name", "level_name"]',
        "",
    ]
    for c_name in ("virErrorNumber", "virErrorDomain", "virErrorLevel"):
        py_name, doc = ENUMS[c_name]
        out += ["", f"class {py_name}(IntEnum):", f'    """{doc}"""', ""]
        for member in enums[c_name]:
            if member.comment:
                out.append(f"    #: {member.comment}")
            out.append(f"    {member.name} = {member.value}")
        out.append("")
    out += [
        "",
        "def code_name(code: int) -> str:",
        '    """``VIR_ERR_*`` name of an error code; ``VIR_ERR_UNKNOWN_<n>`` if unknown."""',
        "    try:",
        "        return ErrorNumber(code).name",
        "    except ValueError:",
        '        return f"VIR_ERR_UNKNOWN_{code}"',
        "",
        "",
        "def domain_name(domain: int) -> str:",
        '    """``VIR_FROM_*`` name of an error domain; ``VIR_FROM_UNKNOWN_<n>`` if unknown."""',
        "    try:",
        "        return ErrorDomain(domain).name",
        "    except ValueError:",
        '        return f"VIR_FROM_UNKNOWN_{domain}"',
        "",
        "",
        "def level_name(level: int) -> str:",
        '    """``VIR_ERR_NONE`` / ``VIR_ERR_WARNING`` / ``VIR_ERR_ERROR``; ``VIR_ERR_LEVEL_<n>`` if unknown."""',
        "    try:",
        "        return ErrorLevel(level).name",
        "    except ValueError:",
        '        return f"VIR_ERR_LEVEL_{level}"',
    ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--header", type=Path, default=DEFAULT_HEADER)
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT))
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the output would change"
    )
    args = parser.parse_args(argv)
    try:
        text = args.header.read_text()
    except OSError as exc:
        print(f"gen_virterror: cannot read {args.header}: {exc.strerror}", file=sys.stderr)
        return 2
    result = render(args.header, text)
    if args.output == "-":
        sys.stdout.write(result)
        return 0
    output = Path(args.output)
    if args.check:
        current = output.read_text() if output.exists() else ""
        if current != result:
            print(f"gen_virterror: {output} is stale; rerun tools/gen_virterror.py", file=sys.stderr)
            return 1
        return 0
    output.write_text(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
