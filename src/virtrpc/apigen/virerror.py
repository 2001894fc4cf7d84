"""The labels libvirt's default error handler prints for each error domain
(``libvirt: <label> error : <message>``), read from libvirt's source:
``VIR_ENUM_IMPL(virErrorDomain, ...)`` in ``src/util/virerror.c``, one string
per ``VIR_FROM_*`` value in order.  Neither libvirt-api.xml nor libvirt-dev's
headers carry them."""

from __future__ import annotations

import re
from pathlib import Path

#: Where the table is in an unpacked libvirt release.
VIRERROR_C = Path("src") / "util" / "virerror.c"

_ENUM_IMPL = re.compile(r"VIR_ENUM_IMPL\(\s*virErrorDomain\s*,\s*VIR_ERR_DOMAIN_LAST\s*,(?P<body>.*?)\);",
                        re.S)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def parse_domain_labels(source: str) -> list[str]:
    """The labels, indexed by ``VIR_FROM_*`` value; ValueError when the table
    is missing or is not a plain list of string literals."""
    match = _ENUM_IMPL.search(source)
    if match is None:
        raise ValueError("no VIR_ENUM_IMPL(virErrorDomain, VIR_ERR_DOMAIN_LAST, ...) in the source")
    body = _COMMENT.sub("", match.group("body"))
    labels = []
    for item in body.split(","):
        item = item.strip()
        if not item:
            continue  # the trailing comma
        literal = _STRING.fullmatch(item)
        if literal is None:
            raise ValueError(f"virErrorDomain labels: not a string literal: {item!r}")
        labels.append(literal.group(1).encode().decode("unicode_escape"))
    return labels


def emit_domain_labels(labels: list[str], domains: dict[int, str], source: str) -> str:
    """``DOMAIN_LABELS``, a tuple indexed by error domain; ``domains`` (value ->
    ``VIR_FROM_*`` name, from virterror.h) must have one name per label."""
    from virtrpc.apigen.emit import HEADER

    if sorted(domains) != list(range(len(labels))):
        raise ValueError(f"virerror.c has {len(labels)} domain labels, virterror.h "
                         f"{len(domains)} domains")
    out = [HEADER.format(source=source).replace(
               "python -m virtrpc.apigen",
               "python -m virtrpc.apigen --libvirt-source $(python tools/inputs.py path libvirt-9.0.0)"),
           '"""What libvirt\'s default error handler prints for each error domain',
           '(``libvirt: <label> <level> : <message>``), from libvirt\'s virerror.c."""',
           "", "DOMAIN_LABELS: tuple[str, ...] = ("]
    for value, label in enumerate(labels):
        out.append(f"    {label!r},  # {value} {domains[value]}")
    out.append(")")
    return "\n".join(out) + "\n"
