"""``virtrpc proxy``: a logging proxy between libvirt clients and a daemon."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from typing import Any

from virtrpc.cli import describe_error
from virtrpc.errors import VirtrpcError


def add_parser(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="a logging proxy between a client and a daemon",
        description=(
            "Listen on a Unix socket, relay every client to the daemon's socket (file "
            "descriptors included) and print each message, decoded, as it passes. Point a "
            "client at it with ?socket=LISTEN in its URI."
        ),
    )
    parser.add_argument("--listen", required=True, metavar="PATH", help="socket to listen on")
    parser.add_argument(
        "--upstream",
        required=True,
        metavar="PATH",
        help="the daemon's socket, e.g. /run/libvirt/libvirt-sock",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="log one JSON object per message (default: one line of text per message)",
    )
    parser.add_argument(
        "--record",
        metavar="DIR",
        help="write conn-N.c2s.bin / conn-N.s2c.bin for `virtrpc decode` into DIR, "
        "created (mode 0700) if missing (default: no recording)",
    )
    parser.set_defaults(handler=run_proxy)


def prepare_record_dir(path: str) -> str | None:
    """Create ``--record``'s folder like ``mkdir -p``; the error text if it
    cannot be.  Created rather than refused: the folder is output the user
    named, as ``gen -o`` creates its folder; 0700 because a recording holds
    everything the client sent (domain XML, SASL exchanges)."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except FileExistsError:
        return f"--record {path}: exists and is not a folder"
    except OSError as exc:
        return f"--record {path}: {exc.strerror}"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"--record {path}: folder not writable"
    return None


def run_proxy(args: argparse.Namespace) -> int:
    from virtrpc.proxy import ProxyOptions, start_proxy

    # Before listening: a client must never be accepted only to be reset
    # because its recording cannot be written.
    if args.record is not None:
        problem = prepare_record_dir(args.record)
        if problem is not None:
            print(f"virtrpc proxy: {problem}", file=sys.stderr)
            return 2
    start = time.monotonic()

    def log(number: int, direction: str, text: str) -> None:
        print(f"{time.monotonic() - start:9.3f} #{number} {direction} {text}", flush=True)

    async def serve() -> None:
        listener = await start_proxy(
            args.listen,
            args.upstream,
            ProxyOptions(log=log, record_dir=args.record, as_json=args.json),
        )
        print(f"proxying {args.listen} -> {args.upstream}", file=sys.stderr, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            listener.close()

    try:
        asyncio.run(serve())
    except (OSError, VirtrpcError) as exc:
        print(f"virtrpc proxy: {describe_error(exc)}", file=sys.stderr)
        return 1
    with contextlib.suppress(BrokenPipeError):
        sys.stdout.flush()
    return 0
