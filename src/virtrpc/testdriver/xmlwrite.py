"""XML written as libvirt writes it: single-quoted attributes, two-space
indentation, empty elements as ``<tag/>``, a trailing newline.

The kinds modelled beside their handlers (interfaces, node devices,
snapshots...) keep their definitions as element trees and format them here,
so their XML is byte for byte what libvirtd sends, not only equal after
canonicalisation.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

#: Whether an element is written with an end tag even when it is empty.
AlwaysOpen = Callable[[ET.Element], bool]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _quote(text: str) -> str:
    return _escape(text).replace("'", "&apos;")


def _lines(element: ET.Element, level: int, always_open: AlwaysOpen, out: list[str]) -> None:
    pad = "  " * level
    attributes = "".join(f" {key}='{_quote(value)}'" for key, value in element.attrib.items())
    children = list(element)
    text = (element.text or "").strip()
    if not children:
        if text:
            out.append(f"{pad}<{element.tag}{attributes}>{_escape(text)}</{element.tag}>")
        elif always_open(element):
            out.append(f"{pad}<{element.tag}{attributes}>")
            out.append(f"{pad}</{element.tag}>")
        else:
            out.append(f"{pad}<{element.tag}{attributes}/>")
        return
    out.append(f"{pad}<{element.tag}{attributes}>")
    for child in children:
        _lines(child, level + 1, always_open, out)
    out.append(f"{pad}</{element.tag}>")


def libvirt_xml(element: ET.Element, always_open: AlwaysOpen = lambda _element: False) -> str:
    """``element`` as libvirt formats it (mixed content is not kept)."""
    out: list[str] = []
    _lines(element, 0, always_open, out)
    return "\n".join(out) + "\n"
