"""Safe XML parsing and libvirt-style XML output for the test hypervisor.

Clients send arbitrary XML; the parser refuses document type declarations
outright (so no entity expansion, no external entities, no "billion laughs")
and reports malformed input as a libvirt ``VIR_ERR_XML_DETAIL`` error, worded
like libvirt's own ``(domain_definition):LINE: reason``.
"""

from __future__ import annotations

import re
import uuid as uuid_module
import xml.etree.ElementTree as ET
from xml.parsers import expat

from virtrpc.server.errors import ErrorCode, ErrorDomain, RpcFault

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_UNITS = {
    "b": 1,
    "bytes": 1,
    "k": 1024,
    "kib": 1024,
    "kb": 1000,
    "m": 1024**2,
    "mib": 1024**2,
    "mb": 1000**2,
    "g": 1024**3,
    "gib": 1024**3,
    "gb": 1000**3,
    "t": 1024**4,
    "tib": 1024**4,
    "tb": 1000**4,
}


class _Refused(Exception):
    """Raised inside the parser callbacks to stop at a forbidden construct."""


def xml_fault(context: str, reason: str, domain: int = ErrorDomain.DOMAIN) -> RpcFault:
    """A ``VIR_ERR_XML_DETAIL`` error as libvirt words it."""
    return RpcFault(ErrorCode.XML_DETAIL, domain, f"({context}):{reason}")


def xml_invalid(reason: str, domain: int = ErrorDomain.DOMAIN) -> RpcFault:
    """A semantic XML problem (``XML error: ...``)."""
    return RpcFault(ErrorCode.XML_ERROR, domain, f"XML error: {reason}")


def parse_xml(text: str, context: str, *, domain: int = ErrorDomain.DOMAIN) -> ET.Element:
    """Parse untrusted XML text into an element tree, refusing DTDs and entities."""
    data = text.encode("utf-8", "surrogatepass")
    if _DECLARATION.search(data):
        raise xml_fault(context, "1: document type declarations and entities are not allowed", domain)
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate("utf-8", namespace_separator="}")

    def qualified(name: str) -> str:
        # expat gives "uri}local" for namespaced names; ElementTree wants "{uri}local".
        return "{" + name if "}" in name else name

    def refuse(*_args: object) -> None:
        raise _Refused("document type declarations and entities are not allowed")

    def start(name: str, attributes: dict[str, str]) -> None:
        builder.start(qualified(name), {qualified(k): v for k, v in attributes.items()})

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(qualified(name))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
        root = builder.close()
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code) if exc.code else str(exc)
        raise xml_fault(context, f"{exc.lineno}: {reason}", domain) from None
    except _Refused as exc:
        raise xml_fault(context, f"{parser.CurrentLineNumber}: {exc}", domain) from None
    except AssertionError:
        # TreeBuilder.close() on an empty document
        raise xml_fault(context, "1: no element found", domain) from None
    return root


def to_xml(element: ET.Element) -> str:
    """Serialise an element indented by two spaces, with a trailing newline."""
    copy = ET.fromstring(ET.tostring(element))
    ET.indent(copy, space="  ")
    return ET.tostring(copy, encoding="unicode") + "\n"


def scaled_int(element: ET.Element | None, default_unit: str = "KiB") -> int | None:
    """Read a ``<memory unit='...'>N</memory>``-style value, in ``default_unit``."""
    if element is None or element.text is None:
        return None
    try:
        number = int(element.text.strip())
    except ValueError:
        raise xml_invalid(f"invalid value '{element.text.strip()}' for <{element.tag}>") from None
    unit = element.get("unit", default_unit).lower()
    if unit not in _UNITS:
        raise xml_invalid(f"unknown unit '{element.get('unit')}'")
    if number < 0:
        raise xml_invalid(f"negative value for <{element.tag}>")
    return number * _UNITS[unit] // _UNITS[default_unit.lower()]


def parse_uuid(text: str | None, domain: int = ErrorDomain.DOMAIN) -> bytes:
    """The 16 raw bytes of a UUID string, or a fresh random UUID when absent."""
    if text is None or not text.strip():
        return uuid_module.uuid4().bytes
    try:
        return uuid_module.UUID(text.strip()).bytes
    except ValueError:
        raise xml_invalid(f"malformed uuid element '{text.strip()}'", domain) from None


def uuid_str(raw: bytes) -> str:
    """Format 16 raw UUID bytes as libvirt does."""
    return str(uuid_module.UUID(bytes=bytes(raw)))
