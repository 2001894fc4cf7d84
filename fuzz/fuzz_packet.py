"""atheris harness: packet header / length / stream hole decoders.

Run: ``.venv/bin/python fuzz/fuzz_packet.py -max_total_time=300``
"""

from __future__ import annotations

import contextlib
import sys

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports():
    from virtrpc.errors import ProtocolError
    from virtrpc.rpc.connection import decode_stream_hole
    from virtrpc.rpc.packet import check_length, decode_header, encode_packet


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    offset = provider.ConsumeIntInRange(0, 8)
    raw = provider.ConsumeBytes(provider.remaining_bytes())
    try:
        header = decode_header(raw, offset)
    except ProtocolError:
        pass
    else:
        try:
            packet = encode_packet(*header, raw[offset + 24 :])
        except ProtocolError:
            pass
        else:
            assert decode_header(packet, 4) == header
    if len(raw) >= 4:
        with contextlib.suppress(ProtocolError):
            check_length(int.from_bytes(raw[:4], "big"))
    with contextlib.suppress(ProtocolError):
        decode_stream_hole(raw[:12])


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
