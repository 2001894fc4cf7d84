"""``virtrpc decode``: print the packets of a recorded libvirt RPC byte stream."""

from __future__ import annotations

import argparse
import json
import string
import sys
from typing import Any

from virtrpc.cli import describe_error
from virtrpc.errors import ProtocolError
from virtrpc.wire import decode_packet, split_packets

_HEX_SEPARATORS = set(string.whitespace) | {":"}


def add_parser(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="decode libvirt RPC packets",
        description=(
            "Decode a recorded one-direction libvirt RPC byte stream (for example a "
            "`virtrpc proxy --record` file or the bytes of a TCP stream) and print one "
            "line per packet with the procedure name and the decoded arguments or reply."
        ),
    )
    parser.add_argument(
        "files",
        nargs="*",
        default=["-"],
        metavar="FILE",
        help="input ('-' = stdin; default: stdin)",
    )
    parser.add_argument(
        "--hex",
        action="store_true",
        help="input is hex text, whitespace and ':' ignored (default: raw bytes)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per packet (default: one line of text per packet)",
    )
    parser.add_argument(
        "--no-dummy-bytes",
        action="store_true",
        help="the capture lacks the one byte per passed fd that Unix sockets carry",
    )
    parser.set_defaults(handler=run_decode)


def _read(path: str, as_hex: bool) -> bytes:
    if path == "-":
        raw = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as file:
            raw = file.read()
    if not as_hex:
        return raw
    text = "".join(ch for ch in raw.decode("ascii", "replace") if ch not in _HEX_SEPARATORS)
    text = text.removeprefix("0x")
    return bytes.fromhex(text)


def run_decode(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        try:
            data = _read(path, args.hex)
        except OSError as exc:
            print(f"virtrpc decode: {describe_error(exc)}", file=sys.stderr)
            status = 1
            continue
        except ValueError as exc:  # not hex
            print(f"virtrpc decode: {path}: {exc}", file=sys.stderr)
            status = 1
            continue
        try:
            for offset, header, nfds, payload in split_packets(
                data, dummy_bytes=not args.no_dummy_bytes
            ):
                packet = decode_packet(offset, header, nfds, payload)
                if args.json:
                    print(json.dumps(packet.to_json()))
                else:
                    print(f"{offset:>8} {packet.summary()}")
                if packet.problem is not None:
                    status = 1
        except ProtocolError as exc:
            print(f"virtrpc decode: {path}: {exc}", file=sys.stderr)
            status = 1
    return status
