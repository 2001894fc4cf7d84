"""``virtrpc serve`` (the built-in test hypervisor) and ``virtrpc demo`` (a tour of it)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from typing import Any

from virtrpc.server import ServerLimits


def default_socket_path() -> str:
    """A per-user socket path: ``$XDG_RUNTIME_DIR/virtrpc/virtrpc-sock`` or
    ``<tmp>/virtrpc-<uid>/virtrpc-sock``."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        base = os.path.join(runtime, "virtrpc")
    else:
        base = os.path.join(tempfile.gettempdir(), f"virtrpc-{os.getuid()}")
    return os.path.join(base, "virtrpc-sock")


def uri_for(socket_path: str) -> str:
    """The libvirt URI that reaches the test hypervisor on ``socket_path``."""
    return f"test+unix:///default?socket={socket_path}"


def _tcp_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def add_parser(subparsers: Any, name: str) -> None:
    """Register ``serve`` or ``demo`` on the ``virtrpc`` command line."""
    if name == "demo":
        demo = subparsers.add_parser(
            name, help="a short tour against the built-in server",
            description="Start the built-in test hypervisor on a temporary socket and "
                        "drive it with the virtrpc client.  Needs no libvirtd.")
        demo.set_defaults(handler=run_demo)
        return
    parser = subparsers.add_parser(
        name, help="run the built-in test hypervisor server",
        description="Serve an in-memory test hypervisor (like libvirt's test:///default) "
                    "that virsh and libvirt-python can use.  Runs until SIGINT/SIGTERM.")
    parser.add_argument("--socket", metavar="PATH",
                        help=f"read-write Unix socket (default: {default_socket_path()})")
    parser.add_argument("--ro-socket", metavar="PATH", help="also serve a read-only Unix socket")
    parser.add_argument("--tcp", metavar="HOST:PORT", type=_tcp_address,
                        help="also listen on plain TCP (no authentication: use localhost)")
    parser.add_argument("--max-clients", type=int, default=ServerLimits.max_clients)
    parser.add_argument("--max-client-requests", type=int,
                        default=ServerLimits.max_client_requests)
    parser.add_argument("--keepalive-interval", type=float,
                        default=ServerLimits.keepalive_interval)
    parser.add_argument("--keepalive-count", type=int, default=ServerLimits.keepalive_count)
    parser.add_argument("-v", "--verbose", action="store_true", help="log every client and error")
    parser.set_defaults(handler=run_serve)


async def _serve(args: argparse.Namespace) -> int:
    from virtrpc.testdriver import build_test_server

    limits = ServerLimits(
        max_clients=args.max_clients,
        max_client_requests=args.max_client_requests,
        keepalive_interval=args.keepalive_interval,
        keepalive_count=args.keepalive_count,
    )
    server, _driver = build_test_server(limits)
    path = args.socket or default_socket_path()
    os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
    await server.listen_unix(path)
    print(f"virtrpc test hypervisor listening on {path}", flush=True)
    if args.ro_socket:
        await server.listen_unix(args.ro_socket, readonly=True)
        print(f"read-only socket: {args.ro_socket}", flush=True)
    if args.tcp:
        host, port = await server.listen_tcp(*args.tcp)
        print(f"tcp: {host}:{port}  (URI test+tcp://{host}:{port}/default)", flush=True)
    print(f"URI: {uri_for(path)}", flush=True)
    print(f"try: virsh -c '{uri_for(path)}' list --all", flush=True)
    await server.serve_forever(handle_signals=True)
    print("virtrpc serve: stopped", flush=True)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Entry point of ``virtrpc serve``."""
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s: %(message)s")
    try:
        return asyncio.run(_serve(args))
    except OSError as exc:
        print(f"virtrpc serve: {exc}", file=sys.stderr)
        return 1


def run_demo(args: argparse.Namespace) -> int:
    """Entry point of ``virtrpc demo``."""
    from virtrpc.cli.demo_tour import run_tour

    return asyncio.run(run_tour(sys.stdout))
