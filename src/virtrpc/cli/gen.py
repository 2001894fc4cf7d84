"""``virtrpc gen`` (compile .x files) and ``virtrpc procedures`` (list a program)."""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
from typing import Any

from virtrpc.cli import describe_error, did_you_mean

#: The installed ``virtrpc.protocols`` package: what ``gen --check`` compares
#: against by default.  Never the default for writing: a user's own ``.x``
#: has no business in the installed package (tools/regen passes ``-o``).
INSTALLED_PROTOCOLS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "protocols"
)
PROGRAMS = ("remote", "keepalive", "admin", "qemu", "lxc", "lock", "log", "lxc_monitor")


def add_parser(subparsers: Any, name: str) -> None:
    """Register the ``gen`` or ``procedures`` subcommand."""
    if name == "gen":
        parser = subparsers.add_parser(
            "gen",
            help="compile .x files into Python modules",
            description="Compile XDR/RPC-language .x files (or folders of them) into Python modules.",
        )
        parser.add_argument(
            "paths", nargs="+", metavar="PATH", help="a .x file or a folder of .x files"
        )
        parser.add_argument(
            "-o", "--output", metavar="OUTDIR", default=None,
            help="where to write the modules, created if missing (default: the current "
                 "folder; with --check: the installed virtrpc.protocols package)",
        )  # fmt: skip
        parser.add_argument(
            "--check", action="store_true",
            help="do not write; exit 1 if the modules in OUTDIR differ from what PATH generates",
        )  # fmt: skip
        parser.add_argument(
            "-D", "--define", action="append", default=[], metavar="NAME=VALUE",
            help="define or override a C-header constant, e.g. VIR_UUID_BUFLEN=16 "
                 "(repeatable; default: libvirt's constants only)",
        )  # fmt: skip
        parser.set_defaults(handler=run_gen)
    else:
        parser = subparsers.add_parser(
            "procedures",
            help="list the procedures of a program",
            description="List a program's procedures: NUMBER NAME, then markers.",
        )
        # No argparse ``choices``: its error lists the choices but cannot
        # say which one was meant.
        parser.add_argument("program", metavar="PROGRAM", help=", ".join(PROGRAMS))
        parser.set_defaults(handler=run_procedures)


def _constants(definitions: list[str]) -> dict[str, int]:
    result = {}
    for item in definitions:
        name, _, value = item.partition("=")
        try:
            result[name.strip()] = int(value, 0)
        except ValueError:
            raise SystemExit(f"virtrpc gen: bad -D {item!r}: expected NAME=INTEGER") from None
    return result


def run_gen(args: argparse.Namespace) -> int:
    """Compile; write or compare the modules."""
    from virtrpc.xdrgen import XdrCompileError, compile_paths

    try:
        sources = compile_paths(args.paths, _constants(args.define))
    except XdrCompileError as exc:
        print(f"virtrpc gen: {exc}" if exc.location is None else str(exc), file=sys.stderr)
        return 2
    if args.check:
        return _check(sources, args.output or INSTALLED_PROTOCOLS)
    output = args.output or os.curdir
    try:
        os.makedirs(output, exist_ok=True)
        # The modules of included .x files import each other relatively:
        # the output folder must be a package.
        init = os.path.join(output, "__init__.py")
        if not os.path.exists(init):
            with open(init, "w", encoding="utf-8") as handle:
                handle.write('"""Generated protocol modules."""\n')
            print(f"wrote {init}")
        for name, text in sources.items():
            path = os.path.join(output, name + ".py")
            temporary = path + ".tmp"
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, path)
            print(f"wrote {path}")
    except OSError as exc:
        print(f"virtrpc gen: {describe_error(exc)}", file=sys.stderr)
        return 2
    return 0


def _check(sources: dict[str, str], output: str) -> int:
    differing = 0
    for name, text in sources.items():
        path = os.path.join(output, name + ".py")
        try:
            with open(path, encoding="utf-8") as handle:
                current = handle.read()
        except OSError:
            print(f"{path}: missing")
            differing += 1
            continue
        if current != text:
            differing += 1
            diff = list(
                difflib.unified_diff(
                    current.splitlines(),
                    text.splitlines(),
                    f"{path} (committed)",
                    f"{path} (generated)",
                    lineterm="",
                    n=1,
                )
            )
            changed = sum(1 for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---"))
            print(f"{path}: differs ({changed} lines)")
            for line in diff[:20]:
                print("    " + line)
    if differing:
        print(f"{differing} module(s) out of date; regenerate with tools/regen")
        return 1
    print(f"{len(sources)} modules up to date")
    return 0


def run_procedures(args: argparse.Namespace) -> int:
    """Print ``NUMBER NAME`` and markers for each procedure of a program."""
    if args.program not in PROGRAMS:
        print(
            f"virtrpc procedures: unknown program {args.program!r}"
            f"{did_you_mean(args.program, PROGRAMS)} (known: {', '.join(PROGRAMS)})",
            file=sys.stderr,
        )
        return 2
    module = importlib.import_module(f"virtrpc.protocols.{args.program}")
    program = module.PROGRAM
    for number in sorted(program.procedures):
        proc = program.procedures[number]
        markers = []
        if proc.is_event:
            markers.append("event")
        if proc.stream:
            markers.append(f"stream={proc.stream}")
        if proc.fds:
            markers.append(f"fds={proc.fds}")
        markers.append(f"priority={proc.priority}")
        print(f"{proc.number} {proc.name} " + " ".join(markers))
    return 0
