"""``virtrpc serve`` (the built-in test hypervisor) and ``virtrpc demo`` (a tour of it)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from typing import Any, TextIO

from virtrpc.cli import describe_error
from virtrpc.errors import VirtrpcError
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


def tls_uri_for(host: str, port: int, client_pki: str = "CLIENT_PKI_DIR") -> str:
    """The ``+tls`` URI that reaches the test hypervisor on ``host:port``
    (``client_pki``: the client's ``pkipath=`` directory)."""
    if host in ("", "0.0.0.0", "::"):
        host = "localhost"  # a wildcard is no address to connect to
    if ":" in host:
        host = f"[{host}]"
    return f"test+tls://{host}:{port}/default?pkipath={client_pki}"


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
    parser.add_argument("--ro-socket", metavar="PATH",
                        help="also serve a read-only Unix socket (default: none)")
    parser.add_argument("--tcp", metavar="HOST:PORT", type=_tcp_address,
                        help="also listen on plain TCP (no authentication: use localhost; "
                             "default: no TCP)")
    parser.add_argument("--tls", metavar="HOST:PORT", type=_tcp_address,
                        help="also listen for TLS clients (libvirt's +tls transport; "
                             "client certificates are required; default: no TLS)")
    parser.add_argument("--pki", metavar="DIR",
                        help="with --tls: directory with cacert.pem, servercert.pem and "
                             "serverkey.pem (default: libvirt's locations, "
                             "/etc/pki/CA/cacert.pem, /etc/pki/libvirt/servercert.pem, "
                             "/etc/pki/libvirt/private/serverkey.pem)")
    parser.add_argument("--tls-allowed-dn", metavar="PATTERN", action="append",
                        help="with --tls: only accept client certificates whose DN matches "
                             "this glob, e.g. 'C=GB,O=Example,CN=*' (repeatable; libvirtd's "
                             "tls_allowed_dn_list; default: any certificate the CA signed)")
    # Named as in libvirtd.conf, with libvirtd's defaults (ServerLimits).
    parser.add_argument("--max-clients", type=int, default=ServerLimits.max_clients, metavar="N",
                        help="clients connected at once; beyond it new ones wait to be accepted "
                             "(default: %(default)s)")
    parser.add_argument("--max-client-requests", type=int, metavar="N",
                        default=ServerLimits.max_client_requests,
                        help="calls of one client processed at once; beyond it the server stops "
                             "reading from that client (default: %(default)s)")
    parser.add_argument("--keepalive-interval", type=float, metavar="S",
                        default=ServerLimits.keepalive_interval,
                        help="seconds of silence before the server pings a client that "
                             "asked for keepalive; 0 disables (default: %(default)s)")
    parser.add_argument("--keepalive-count", type=int, default=ServerLimits.keepalive_count,
                        metavar="N",
                        help="unanswered pings before the server drops the client "
                             "(default: %(default)s)")
    parser.add_argument("--extras", action="store_true",
                        help="also offer what libvirtd's test driver lacks (secrets, job "
                             "info, a sample volume); by default answer as it does")
    parser.add_argument("--node", metavar="FILE",
                        help="serve this node file (libvirt's test driver <node> format) as "
                             "test:///default; any client may still open another node file "
                             "as test:///ABSOLUTE/PATH.xml (default: the built-in default node)")
    parser.add_argument("--keep-state", action="store_true",
                        help="keep the hypervisor's state while no client is connected "
                             "(default: as libvirtd's test driver, the state of a URI goes "
                             "back to its node when its last connection closes)")
    parser.add_argument("--migration-seconds", type=float, metavar="S", default=0.05,
                        help="how long a simulated migration takes when it has no "
                             "bandwidth limit (docs/migration.md; default: %(default)s)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log every client and error (default: warnings only)")
    parser.set_defaults(handler=run_serve)


async def _serve(args: argparse.Namespace) -> int:
    if args.tls is None and (args.pki is not None or args.tls_allowed_dn):
        print("virtrpc serve: --pki and --tls-allowed-dn need --tls", file=sys.stderr)
        return 2
    from virtrpc.testdriver import build_test_server

    limits = ServerLimits(
        max_clients=args.max_clients,
        max_client_requests=args.max_client_requests,
        keepalive_interval=args.keepalive_interval,
        keepalive_count=args.keepalive_count,
    )
    # A folder named on the command line must exist: creating it would hide
    # a typo.  Only the per-user default folder is ours to create.
    for option, given in (("--socket", args.socket), ("--ro-socket", args.ro_socket)):
        folder = os.path.dirname(os.path.abspath(given)) if given else None
        if folder is not None and not os.path.isdir(folder):
            print(f"virtrpc serve: {option} {given}: no such folder {folder}", file=sys.stderr)
            return 2
    from virtrpc.server.errors import RpcFault

    node = os.path.abspath(args.node) if args.node else None
    try:
        server, driver = build_test_server(limits, reset_when_unused=not args.keep_state,
                                           extras=args.extras, default_node=node)
    except RpcFault as error:
        print(f"virtrpc serve: --node {args.node}: {error}", file=sys.stderr)
        return 2
    driver.migration_seconds = max(0.0, args.migration_seconds)
    path = args.socket or default_socket_path()
    # Signal handlers before the first socket exists: whoever sees the
    # socket may signal at once, and the shutdown must still be graceful.
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, server.request_shutdown)
    try:
        if args.socket is None:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        await server.listen_unix(path)
        print(f"virtrpc test hypervisor listening on {path}", flush=True)
        if args.ro_socket:
            await server.listen_unix(args.ro_socket, readonly=True)
            print(f"read-only socket: {args.ro_socket}", flush=True)
        if args.tcp:
            host, port = await server.listen_tcp(*args.tcp)
            print(f"tcp: {host}:{port}  (URI test+tcp://{host}:{port}/default)", flush=True)
        if args.tls:
            host, port = await server.listen_tls(*args.tls, pkipath=args.pki,
                                                 allowed_dns=args.tls_allowed_dn)
            print(f"tls: {host}:{port}  (URI {tls_uri_for(host, port)})", flush=True)
    except BaseException:
        # Leave no socket file behind (e.g. a missing TLS certificate).
        await server.shutdown()
        raise
    print(f"URI: {uri_for(path)}", flush=True)
    print(f"try: virsh -c '{uri_for(path)}' list --all", flush=True)
    await server.serve_forever()
    print("virtrpc serve: stopped", flush=True)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Entry point of ``virtrpc serve``."""
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s: %(message)s")
    try:
        return asyncio.run(_serve(args))
    except (OSError, VirtrpcError) as exc:
        print(f"virtrpc serve: {describe_error(exc)}", file=sys.stderr)
        return 1


def run_demo(args: argparse.Namespace) -> int:
    """Entry point of ``virtrpc demo``."""
    return asyncio.run(demo(sys.stdout))


DEMO_DOMAIN = ("<domain type='test'><name>demo</name><memory unit='MiB'>512</memory>"
               "<vcpu>2</vcpu><os><type>hvm</type></os></domain>")
DEMO_VOLUME_BYTES = 16 * 1024 * 1024
# (event, detail) -> how virsh prints a lifecycle event
_EVENT_LABELS = {(0, 0): "Defined Added", (0, 1): "Defined Updated", (1, 0): "Undefined Removed",
                 (2, 0): "Started Booted", (3, 0): "Suspended Paused", (4, 0): "Resumed Unpaused",
                 (5, 0): "Stopped Shutdown", (5, 1): "Stopped Destroyed",
                 (6, 0): "Shutdown Finished"}


def _progress_bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // total if total else width
    percent = 100 * done // total if total else 100
    return f"[{'#' * filled}{'.' * (width - filled)}] {percent:3d}% {done / 2**20:5.1f} MiB"


async def demo(out: TextIO) -> int:
    """The tour: a built-in server on a temporary socket, driven by the
    virtrpc client.  Returns the exit code."""
    from virtrpc.client import connect
    from virtrpc.testdriver import build_test_server
    from virtrpc.testdriver.model import Volume

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    server, driver = build_test_server()
    # A bigger volume than the default one, so that the download has some length.
    pool = driver.hv.pools["default-pool"]
    pattern = bytes(range(256)) * 4096
    volume = Volume("demo.img", pool.name, f"{pool.path}/demo.img", DEMO_VOLUME_BYTES,
                    [(len(pattern), pattern)] * (DEMO_VOLUME_BYTES // len(pattern)))
    pool.volumes[volume.name] = volume
    with tempfile.TemporaryDirectory(prefix="virtrpc-demo-") as directory:
        path = os.path.join(directory, "sock")
        await server.listen_unix(path)
        uri = uri_for(path)
        say(f"virtrpc demo: built-in test hypervisor on {path}")
        say(f"  (the same server as `virtrpc serve`; virsh -c '{uri}' would work too)")
        try:
            async with connect(uri) as client:
                await _tour(client, say, volume.name)
        finally:
            await server.shutdown()
    say("")
    say("done: every call above went over libvirt's RPC protocol, no libvirtd involved.")
    return 0


async def _tour(client: Any, say: Callable[[str], None], volume_name: str) -> None:
    version = await client.connect_get_lib_version()
    hv_type = await client.connect_get_type()
    hv_version = await client.connect_get_version()
    info = await client.node_get_info()
    model = bytes(info.model).split(b"\0", 1)[0].decode()
    say("")
    say("== host")
    say(f"  library {version // 1_000_000}.{version // 1000 % 1000}.{version % 1000}, "
        f"hypervisor {hv_type} {hv_version // 1_000_000}.{hv_version // 1000 % 1000}."
        f"{hv_version % 1000}, host '{await client.connect_get_hostname()}'")
    say(f"  {info.cpus} x {model} CPUs at {info.mhz} MHz, {info.memory // 1024} MiB")

    say("")
    say("== domains")
    listed = await client.connect_list_all_domains(need_results=1, flags=0)
    for dom in listed.domains:
        state = await client.domain_get_state(dom=dom, flags=0)
        say(f"  {dom.id:>3}  {dom.name:<10} state {state.state} (1 = running)")

    say("")
    say("== define / start / destroy, with the events they cause")
    subscription = await client.subscribe("domain", "lifecycle")
    dom = await client.domain_define_xml(xml=DEMO_DOMAIN)
    await client.domain_create(dom=dom)
    await client.domain_destroy(dom=dom)
    await client.domain_undefine(dom=dom)
    for action in ("define", "start", "destroy", "undefine"):
        event = await asyncio.wait_for(subscription.get(), 10)
        fields = event.fields
        label = _EVENT_LABELS.get((fields["event"], fields["detail"]),
                                  f"event {fields['event']} detail {fields['detail']}")
        say(f"  {action:<9} -> event '{event.name}' for domain '{fields['dom'].name}': {label}")
    await subscription.close()

    say("")
    say("== file descriptors, both ways")
    read_end, write_end = os.pipe()
    try:
        created = await client.domain_create_xml_with_files(
            xml_desc=DEMO_DOMAIN.replace("demo", "with-fds"), fds=[read_end])
    finally:
        os.close(read_end)
    os.write(write_end, b"hello")
    say(f"  sent a pipe with domain_create_xml_with_files: '{created.name}' holds its read end")
    await client.domain_destroy(dom=created)
    try:
        os.write(write_end, b"x")
        say("  after destroy the pipe is still open (unexpected)")
    except BrokenPipeError:
        say("  destroyed it: the server closed the pipe (writing now gives EPIPE)")
    finally:
        os.close(write_end)
    test = await client.domain_lookup_by_name(name="test")
    _none, fds = await client.domain_open_graphics_fd(dom=test, idx=0, flags=0)
    with socket.socket(fileno=fds[0]) as graphics:
        graphics.settimeout(10)
        greeting = graphics.recv(64)
    say(f"  domain_open_graphics_fd returned fd {fds[0]}; it says {greeting!r}")

    say("")
    say("== stream download")
    pool = await client.storage_pool_lookup_by_name(name="default-pool")
    vol = await client.storage_vol_lookup_by_name(pool=pool, name=volume_name)
    vol_info = await client.storage_vol_get_info(vol=vol)
    total = vol_info.capacity
    loop = asyncio.get_running_loop()
    started = loop.time()
    received = 0
    stream = await client.storage_vol_download(vol=vol, offset=0, length=0, flags=0)
    interactive = hasattr(sys.stdout, "isatty") and sys.stdout.isatty()
    async for chunk in stream:
        received += len(chunk)
        if interactive:
            print("\r  " + _progress_bar(received, total), end="", flush=True)
    await stream.finish()
    elapsed = max(loop.time() - started, 1e-6)
    if interactive:
        print(flush=True)
    else:
        say("  " + _progress_bar(received, total))
    say(f"  {received} bytes of {vol.name} in {elapsed:.2f} s "
        f"({received / elapsed / 2**20:.0f} MiB/s)")
