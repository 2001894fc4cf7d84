"""A tiny PNG encoder for the test hypervisor's screenshots (stdlib only)."""

from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode_png(width: int, height: int, rgb_rows: list[bytes]) -> bytes:
    """Encode 8-bit RGB rows (``3 * width`` bytes each) as a PNG file."""
    if width <= 0 or height <= 0 or len(rgb_rows) != height:
        raise ValueError("image size does not match the rows given")
    if any(len(row) != 3 * width for row in rgb_rows):
        raise ValueError("every row must hold 3 * width bytes")
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rgb_rows)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 6))
        + _chunk(b"IEND", b"")
    )


def screenshot(domain_name: str, width: int = 320, height: int = 200) -> bytes:
    """A deterministic test card for a domain: a gradient tinted by its name."""
    tint = zlib.crc32(domain_name.encode()) & 0xFFFFFF
    red, green, blue = tint >> 16, (tint >> 8) & 0xFF, tint & 0xFF
    rows = []
    for y in range(height):
        row = bytearray()
        band = (y * 8 // height) % 2
        for x in range(width):
            shade = x * 255 // max(1, width - 1)
            if band:
                row += bytes(((shade + red) & 0xFF, (shade + green) & 0xFF, blue))
            else:
                row += bytes((red, (255 - shade + green) & 0xFF, (shade + blue) & 0xFF))
        rows.append(bytes(row))
    return encode_png(width, height, rows)
