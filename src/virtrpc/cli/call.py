"""``virtrpc call`` and ``virtrpc events``: any procedure / every event, as JSON.

::

    virtrpc call URI PROCEDURE [JSON_ARGS] [--fd PATH]... [--stream-out FILE | --stream-in FILE]
                 [--readonly] [--keepalive I,C]
    virtrpc events URI [--timeout S] [--keepalive I,C]

``PROCEDURE`` is a procedure name of the remote program (``domain_get_info``),
optionally prefixed by its program (``qemu.domain_monitor_command``), or a
constant name (``REMOTE_PROC_DOMAIN_GET_INFO``).  ``JSON_ARGS`` is an object
keyed by the fields of the procedure's args struct; the reply is printed as
the ret struct in the same JSON shape (see :mod:`virtrpc.client.jsonvalues`),
so a reply can be fed back as arguments.  Errors go to stderr as one line with
libvirt's message and code names; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from virtrpc.cli import describe_error, did_you_mean
from virtrpc.errors import InvalidArguments, InvalidValue, VirtrpcError
from virtrpc.programs import all_programs

if TYPE_CHECKING:
    from virtrpc.client.events import Event
    from virtrpc.xdr import Procedure

__all__ = ["add_parser", "find_procedure", "format_error", "parse_keepalive"]


_CALL_DESCRIPTION = """\
Call any procedure of the remote, qemu or lxc programs and print the
reply as JSON.

PROCEDURE: domain_get_info, qemu.domain_monitor_command,
REMOTE_PROC_DOMAIN_GET_INFO or remote.16.
JSON_ARGS: an object keyed by the args struct's fields, e.g. '{"name": "vm1"}';
bytes (uuid...) are hex strings, unions {"<discriminant>": n, "value": ...}.
The printed reply has the same shape, so it can be fed back as arguments:

  virtrpc call URI domain_lookup_by_name '{"name": "vm1"}' > dom.json
  virtrpc call URI domain_get_info "$(cat dom.json)"

Errors: one line on stderr with libvirt's message and code names, exit 1.
"""


def parse_keepalive(text: str) -> tuple[float, int] | None:
    """``"5,5"`` -> ``(5.0, 5)``; ``"0"`` or ``"off"`` disables keepalive."""
    if text.strip().lower() in ("0", "off", "none", "no"):
        return None
    interval_text, sep, count_text = text.partition(",")
    try:
        interval = float(interval_text)
        count = int(count_text) if sep else 5
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected INTERVAL,COUNT such as 5,5, got {text!r}"
        ) from None
    if interval <= 0 or count < 1:
        raise argparse.ArgumentTypeError("keepalive interval must be > 0 and count >= 1")
    return interval, count


def add_parser(subparsers: Any, name: str) -> None:
    """Register the ``call`` or ``events`` subcommand."""
    if name == "events":
        parser = subparsers.add_parser(
            name,
            help="print events from a libvirt daemon as JSON lines",
            description="Subscribe to every event family and print one JSON line per event.",
        )
        parser.add_argument("uri", help="libvirt URI, e.g. qemu:///system")
        parser.add_argument(
            "--timeout",
            type=float,
            default=None,
            metavar="S",
            help="stop after S seconds (default: run until SIGINT/SIGTERM)",
        )
        parser.add_argument("--readonly", action="store_true", help="use the read-only socket")
        parser.add_argument(
            "--keepalive",
            type=parse_keepalive,
            default=(5.0, 5),
            metavar="I,C",
            help="keepalive interval and count (default 5,5; 0 disables)",
        )
        parser.add_argument(
            "--qemu", action="store_true", help="also subscribe to QEMU monitor events"
        )
        parser.set_defaults(handler=run_events)
        return
    parser = subparsers.add_parser(
        name,
        help="call any procedure on a libvirt daemon",
        description=_CALL_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("uri", help="libvirt URI, e.g. test+unix:///default?socket=/path")
    parser.add_argument("procedure", help="procedure name, e.g. domain_lookup_by_name")
    parser.add_argument(
        "args",
        nargs="?",
        default=None,
        metavar="JSON_ARGS",
        help="JSON object of the args struct's fields, all of them (default: none, "
        "for procedures without arguments)",
    )
    parser.add_argument(
        "--fd",
        action="append",
        default=[],
        metavar="PATH",
        help="open PATH and pass its fd with the call (repeatable; PATH:rw opens "
        "read-write; default: no fds)",
    )
    direction = parser.add_mutually_exclusive_group()
    direction.add_argument(
        "--stream-out",
        metavar="FILE",
        help="write stream data to FILE ('-' = stdout; default: stdout for download streams)",
    )
    direction.add_argument(
        "--stream-in",
        metavar="FILE",
        help="send FILE's content as stream data ('-' = stdin; default: stdin for upload streams)",
    )
    parser.add_argument("--readonly", action="store_true", help="use the read-only socket")
    parser.add_argument(
        "--keepalive",
        type=parse_keepalive,
        default=(5.0, 5),
        metavar="I,C",
        help="keepalive interval and count (default 5,5; 0 disables)",
    )
    parser.set_defaults(handler=run_call)


def find_procedure(text: str) -> Procedure:
    """Resolve ``domain_get_info``, ``qemu.domain_monitor_command``,
    ``REMOTE_PROC_DOMAIN_GET_INFO`` or ``remote.16``."""
    programs = {program.name: program for program in all_programs()}
    program_name, dot, name = text.partition(".")
    if not dot:
        program_name, name = "", text
    if program_name and program_name not in programs:
        raise InvalidValue(
            f"unknown program {program_name!r}{did_you_mean(program_name, programs)}"
            f" (known: {', '.join(programs)})"
        )
    candidates = [programs[program_name]] if program_name else list(programs.values())
    for program in candidates:
        found: Procedure | None = None
        if name.isdigit():
            found = program.procedures.get(int(name))
        else:
            found = program.by_name.get(name) or program.by_name.get(name.lower())
            if found is None:
                found = next(
                    (p for p in program.procedures.values() if p.const_name == name.upper()), None
                )
        if found is not None:
            return found
    known: list[str] = []
    for program in candidates:
        if name.isupper():
            known.extend(p.const_name for p in program.procedures.values())
        else:
            known.extend(program.by_name)
    raise InvalidValue(f"unknown procedure {text!r}{did_you_mean(name, known)}")


def format_error(exc: BaseException) -> str:
    """One line for the user: the message, with libvirt's code and domain
    names for libvirt errors (their ``str()`` already ends with them), and
    never a Python class name."""
    return "error: " + " ".join(describe_error(exc).split())


def _open_fds(specs: Sequence[str]) -> list[int]:
    fds: list[int] = []
    try:
        for spec in specs:
            path, _, mode = (
                spec.rpartition(":") if spec.endswith((":rw", ":ro")) else (spec, "", "ro")
            )
            flags = os.O_RDWR if mode == "rw" else os.O_RDONLY
            fds.append(os.open(path, flags | os.O_CLOEXEC))
    except OSError:
        for fd in fds:
            os.close(fd)
        raise
    return fds


def _print_json(value: Any, out: IO[str]) -> None:
    out.write(json.dumps(value, ensure_ascii=False) + "\n")
    out.flush()


def run_call(args: argparse.Namespace) -> int:
    """Handler of ``virtrpc call``."""
    try:
        return asyncio.run(_call(args))
    except (VirtrpcError, OSError, ValueError) as exc:
        print(format_error(exc), file=sys.stderr)
        return 1


async def _call(args: argparse.Namespace) -> int:
    from virtrpc.client.client import connect
    from virtrpc.client.stream import Stream
    from virtrpc.jsonvalues import from_json, to_json

    proc = find_procedure(args.procedure)
    try:
        raw_args = json.loads(args.args) if args.args is not None else None
    except json.JSONDecodeError as exc:
        raise InvalidValue(f"JSON_ARGS is not valid JSON: {exc}") from None
    if proc.args is None:
        if raw_args not in (None, {}):
            raise InvalidArguments(f"{proc.name} takes no arguments")
        call_args = None
    else:
        call_args = from_json(proc.args, raw_args if raw_args is not None else {})
    if proc.stream is None and (args.stream_out or args.stream_in):
        raise InvalidArguments(f"{proc.name} does not open a stream")
    # Files first, like a shell's redirections: a missing folder or an
    # unreadable input is reported before anything is sent to the daemon.
    with _StreamFile(proc, args) as stream_file:
        fds = _open_fds(args.fd)
        try:
            async with connect(
                args.uri, readonly=args.readonly, keepalive=args.keepalive
            ) as client:
                result = await client.invoke(proc, call_args, fds, unwrap=False)
                received: list[int] = []
                if isinstance(result, Stream):
                    await _run_stream(result, stream_file.handle)
                    value = result.reply
                elif proc.fds in ("recv", "both"):
                    value, received = result
                else:
                    value = result
        finally:
            for fd in fds:
                os.close(fd)
        stream_file.succeeded = True
    for fd in received:
        os.close(fd)
    if received:
        print(f"note: the reply carried {len(received)} fd(s), closed", file=sys.stderr)
    # When stream data went to stdout, keep stdout clean: the reply goes to stderr.
    data_on_stdout = proc.stream == "read" and (args.stream_out or "-") == "-"
    _print_json(to_json(proc.ret, value), sys.stderr if data_on_stdout else sys.stdout)
    return 0


class _StreamFile:
    """The local end of a stream: ``--stream-out`` / ``--stream-in``, or
    stdout / stdin.  An output file this call created is removed again if
    the call fails, so a failed call leaves no empty file behind."""

    def __init__(self, proc: Procedure, args: argparse.Namespace) -> None:
        self.handle: IO[bytes] | None = None
        self.succeeded = False
        self._owned = False  # a file we opened, not stdin / stdout
        self._created: str | None = None
        if proc.stream is None:
            return
        if proc.stream == "read" or args.stream_out:
            target = args.stream_out or "-"
            if target == "-":
                self.handle = sys.stdout.buffer
            else:
                existed = os.path.lexists(target)
                self.handle = open(target, "wb")  # noqa: SIM115 - closed in __exit__
                self._owned = True
                self._created = None if existed else target
        else:
            source = args.stream_in or "-"
            if source == "-":
                self.handle = sys.stdin.buffer
            else:
                self.handle = open(source, "rb")  # noqa: SIM115 - closed in __exit__
                self._owned = True

    def __enter__(self) -> _StreamFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._owned and self.handle is not None:
            self.handle.close()
        if not self.succeeded and self._created is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._created)


async def _run_stream(stream: Any, local: IO[bytes] | None) -> None:
    assert local is not None  # a stream procedure always has a local end
    if stream.procedure.stream == "read" or local.writable():
        async for chunk in stream:
            local.write(chunk)
        local.flush()
        await stream.finish()
        return
    try:
        while True:
            chunk = local.read(1 << 18)
            if not chunk:
                break
            await stream.send(chunk)
    except BaseException:
        await stream.abort()
        raise
    await stream.finish()


def run_events(args: argparse.Namespace) -> int:
    """Handler of ``virtrpc events``."""
    try:
        return asyncio.run(_events(args))
    except (VirtrpcError, OSError, ValueError) as exc:
        print(format_error(exc), file=sys.stderr)
        return 1


async def _events(args: argparse.Namespace) -> int:
    from virtrpc.client.client import connect

    out = sys.stdout
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGTERM, stop.set)

    def emit(event: Event) -> None:
        _print_json(event_json(event), out)

    async with connect(args.uri, readonly=args.readonly, keepalive=args.keepalive) as client:
        subscriptions = await client.subscribe_all(emit, include_qemu=args.qemu)
        # Tell the user (and scripts waiting for it) that events now flow.
        print(
            f"listening for events on {args.uri} ({len(subscriptions)} subscriptions)",
            file=sys.stderr,
            flush=True,
        )
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(client.wait_closed())]
        try:
            await asyncio.wait(waiters, timeout=args.timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if not client.is_open:
            print(
                f"error: connection lost ({client.close_reason}): {client.error}",
                file=sys.stderr,
            )
            return 1
    return 0


def event_json(event: Event) -> dict[str, Any]:
    """The JSON line printed for one event."""
    from virtrpc.jsonvalues import to_json, value_to_json

    fields: dict[str, Any]
    if event.message is not None:
        proc_type = event.procedure.args if event.procedure is not None else None
        full = (
            to_json(proc_type, event.message)
            if proc_type is not None
            else value_to_json(event.message)
        )
        fields = _flatten_json(full)
    else:
        fields = {key: value_to_json(value) for key, value in event.fields.items()}
    # Fields are nested: message fields such as "event" would collide otherwise.
    return {
        "family": event.family.value,
        "event": event.name,
        "callback_id": event.callback_id,
        "fields": fields,
    }


def _flatten_json(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        return {"value": data}
    result: dict[str, Any] = {}
    for key, value in data.items():
        if key == "callbackID":
            continue
        if key == "msg" and isinstance(value, dict):
            result.update(_flatten_json(value))
        else:
            result[key] = value
    return result
