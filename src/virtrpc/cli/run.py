"""``virtrpc run SCRIPT [ARGS...]`` and ``virtrpc shim-path``: unchanged
libvirt-python programs on virtrpc.

``run`` executes a Python script as ``python SCRIPT ARGS...`` would, with
``libvirt``, ``libvirt_qemu``, ``libvirt_lxc`` and ``libvirtaio`` resolving
to virtrpc's modules (the shim directory first on ``sys.path``, and on
``PYTHONPATH`` for the interpreters the script starts).  ``shim-path`` prints
that directory, for programs started some other way (Ansible, pytest):
``PYTHONPATH=$(virtrpc shim-path) python3 prog.py``.  Neither touches an
installed libvirt-python.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import traceback
from typing import Any

_SHIMMED = ("libvirt", "libvirt_qemu", "libvirt_lxc", "libvirtaio", "libvirtmod")


def shim_directory() -> str:
    from virtrpc.libvirt.shim import directory

    return str(directory())


def add_parser(subparsers: Any, name: str) -> None:
    if name == "shim-path":
        parser = subparsers.add_parser(
            name, help="print the directory of the libvirt-python shims (for PYTHONPATH)",
            description=__doc__)
        parser.set_defaults(handler=_print_shim_path)
        return
    parser = subparsers.add_parser(
        name, help="run a libvirt-python script on virtrpc", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("script", help="the Python script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    parser.set_defaults(handler=run_script)


def _print_shim_path(args: argparse.Namespace) -> int:
    print(shim_directory())
    return 0


def run_script(args: argparse.Namespace) -> int:
    shims = shim_directory()
    script = str(args.script)
    if not os.path.exists(script):
        print(f"virtrpc run: {script}: no such file", file=sys.stderr)
        return 2
    # As `python SCRIPT`: the script's folder first, after the shims.
    sys.path[:0] = [shims, os.path.dirname(os.path.abspath(script))]
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [shims, *filter(None, [os.environ.get("PYTHONPATH")])])
    for name in _SHIMMED:  # a module imported before us must not win
        sys.modules.pop(name, None)
    sys.argv = [script, *args.args]
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as exc:  # reported as `python SCRIPT` reports it
        _print_script_traceback(exc, script)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    return 0


def _print_script_traceback(exc: BaseException, script: str) -> None:
    """The traceback Python prints for an uncaught error, without the frames
    of ``virtrpc run`` and runpy above the script's own."""
    tb = exc.__traceback__
    real_script = os.path.realpath(script)
    start = tb
    while start is not None and os.path.realpath(start.tb_frame.f_code.co_filename) != real_script:
        start = start.tb_next
    traceback.print_exception(type(exc), exc, start if start is not None else tb)
