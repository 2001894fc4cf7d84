"""The ``virtrpc`` command line.

Each subcommand lives in its own module (``virtrpc.cli.<name>``) exposing
``add_parser(subparsers)`` and is imported only when used, so ``virtrpc gen``
does not pay for the client and the client does not pay for the compiler.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
from collections.abc import Iterable, Sequence

# subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "gen": ("virtrpc.cli.gen", "compile .x files into Python modules"),
    "procedures": ("virtrpc.cli.gen", "list the procedures of a program"),
    "call": ("virtrpc.cli.call", "call any procedure on a libvirt daemon"),
    "events": ("virtrpc.cli.call", "print events from a libvirt daemon as JSON lines"),
    "serve": ("virtrpc.cli.serve", "run the built-in test hypervisor server"),
    "demo": ("virtrpc.cli.serve", "a short tour against the built-in server"),
    "decode": ("virtrpc.cli.decode", "decode libvirt RPC packets"),
    "proxy": ("virtrpc.cli.proxy", "a logging proxy between a client and a daemon"),
    "run": ("virtrpc.cli.run", "run a libvirt-python script on virtrpc"), "shim-path": ("virtrpc.cli.run", "print the libvirt-python shim directory"),
}


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``" (did you mean 'x' or 'y'?)"`` for close matches, else ``""``."""
    matches = difflib.get_close_matches(word, list(known), n=3, cutoff=0.6)
    if not matches:
        return ""
    quoted = [repr(match) for match in matches]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" (did you mean {listed}?)"


def describe_error(exc: BaseException) -> str:
    """The human part of an error: ``str(exc)`` for virtrpc's own errors,
    ``PATH: reason`` for OS errors (``str()`` of those reads
    ``[Errno 2] No such file or directory: 'x'``)."""
    if isinstance(exc, OSError) and exc.strerror:
        names = [name for name in (exc.filename, exc.filename2) if name is not None]
        where = " -> ".join(os.fsdecode(name) for name in names)
        return f"{where}: {exc.strerror}" if where else exc.strerror
    if isinstance(exc, TimeoutError):
        return str(exc) or "timed out"
    return str(exc) or "failed without a message"


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="virtrpc", description=__doc__.splitlines()[0])
    from virtrpc import __version__

    parser.add_argument("--version", action="version", version=f"virtrpc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Only import the module of the requested subcommand; list the others by name.
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        if name == wanted:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                sub.add_parser(name, help=help_text + " (not available)")
                continue
            module.add_parser(sub, name)
        else:
            sub.add_parser(name, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
