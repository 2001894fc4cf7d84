"""``python -m virtrpc.apigen``: regenerate (or ``--check``) virtrpc.libvirt's generated files."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

from virtrpc.apigen.emit import (
    emit_aio_classes,
    emit_classes,
    emit_constants,
    emit_libvirtmod,
    emit_param_types,
    plan_methods,
)
from virtrpc.apigen.model import load_api
from virtrpc.protocols import remote

#: Debian's libvirt-dev installs the API files here (libvirt 9.0 on Debian 12).
DEFAULT_API_DIR = Path("/usr/share/libvirt/api")
PACKAGE_DIR = Path(__file__).resolve().parent.parent / "libvirt"


def _source(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"{path.name} (sha256 {digest})"


def generate(api_dir: Path) -> dict[Path, str]:
    """The generated files' contents, by path."""
    main = api_dir / "libvirt-api.xml"
    qemu = api_dir / "libvirt-qemu-api.xml"
    api = load_api(main)
    qemu_api = load_api(qemu, api)
    methods = plan_methods(api, remote.PROGRAM)
    return {
        PACKAGE_DIR / "constants.py": emit_constants(
            ((c.name, c.value) for c in api.constants), _source(main),
            "Every ``VIR_*`` constant of libvirt-python's ``libvirt`` module, with its value.",
        ),
        PACKAGE_DIR / "qemu_constants.py": emit_constants(
            ((c.name, c.value) for c in qemu_api.constants), _source(qemu),
            "The ``VIR_*`` constants of libvirt-python's ``libvirt_qemu`` module.",
        ),
        PACKAGE_DIR / "_classes.py": emit_classes(methods, _source(main)),
        PACKAGE_DIR / "libvirtmod.py": emit_libvirtmod(api, _source(main)),
        PACKAGE_DIR / "param_types.py": emit_param_types(api, _source(main)),
        PACKAGE_DIR / "aio" / "_classes.py": emit_aio_classes(methods, _source(main)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m virtrpc.apigen", description=__doc__)
    parser.add_argument("--api-dir", type=Path,
                        default=Path(os.environ.get("VIRTRPC_LIBVIRT_API_DIR", DEFAULT_API_DIR)),
                        help="folder holding libvirt-api.xml and libvirt-qemu-api.xml")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a generated file differs from what would be written")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generate(args.api_dir).items():
        current = path.read_text() if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path)
        else:
            path.write_text(text)
            print(f"wrote {path}")
    for path in stale:
        print(f"stale: {path}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
