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
from virtrpc.apigen.virerror import VIRERROR_C, emit_domain_labels, parse_domain_labels
from virtrpc.protocols import remote
from virtrpc.protocols.virterror import ErrorDomain

#: Debian's libvirt-dev installs the API files here (libvirt 9.0 on Debian 12).
DEFAULT_API_DIR = Path("/usr/share/libvirt/api")
PACKAGE_DIR = Path(__file__).resolve().parent.parent / "libvirt"


def _source(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"{path.name} (sha256 {digest})"


def generate(api_dir: Path, libvirt_source: Path | None = None) -> dict[Path, str]:
    """The generated files' contents, by path (``error_domains.py`` only with
    ``libvirt_source``, an unpacked libvirt release)."""
    main = api_dir / "libvirt-api.xml"
    qemu = api_dir / "libvirt-qemu-api.xml"
    api = load_api(main)
    qemu_api = load_api(qemu, api)
    methods = plan_methods(api, remote.PROGRAM)
    files = {
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
    if libvirt_source is not None:
        virerror = libvirt_source / VIRERROR_C
        labels = parse_domain_labels(virerror.read_text())
        domains = {member.value: member.name for member in ErrorDomain}
        files[PACKAGE_DIR / "error_domains.py"] = emit_domain_labels(
            labels, domains, _source(virerror))
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m virtrpc.apigen", description=__doc__)
    parser.add_argument("--api-dir", type=Path,
                        default=Path(os.environ.get("VIRTRPC_LIBVIRT_API_DIR", DEFAULT_API_DIR)),
                        help="folder holding libvirt-api.xml and libvirt-qemu-api.xml")
    parser.add_argument("--libvirt-source", type=Path,
                        default=os.environ.get("VIRTRPC_LIBVIRT_SOURCE") or None,
                        help="an unpacked libvirt release (python tools/inputs.py path "
                             "libvirt-9.0.0), for error_domains.py; without it that file is "
                             "left alone")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a generated file differs from what would be written")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generate(args.api_dir, args.libvirt_source).items():
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
