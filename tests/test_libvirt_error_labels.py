"""The labels of libvirt's default error handler, generated from libvirt's
virerror.c (the libvirt 9.0.0 release, through tools/inputs.py), and what the
handler prints, equal to the C library's own ``virDefaultErrorFunc`` (called
through ctypes on Debian's libvirt.so.0) for every error domain, level and
special case."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.inputs import require_input
from tests.support.libvirt_compat import REPO, api_dir
from tests.support.peers import has_libvirt_python, require_peer
from virtrpc.apigen.__main__ import generate
from virtrpc.apigen.virerror import VIRERROR_C, parse_domain_labels
from virtrpc.libvirt import _runtime
from virtrpc.libvirt.error_domains import DOMAIN_LABELS
from virtrpc.protocols.virterror import ErrorDomain

LABELS_FILE = REPO / "src" / "virtrpc" / "libvirt" / "error_domains.py"


def libvirt_source() -> Path:
    return require_input("libvirt-9.0.0")


def test_regeneration_from_virerror_c_gives_the_committed_file() -> None:
    files = generate(api_dir(), libvirt_source())
    assert files[LABELS_FILE] == LABELS_FILE.read_text()


def test_check_mode_reports_a_changed_table_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "libvirt"
    (source / VIRERROR_C).parent.mkdir(parents=True)
    original = (libvirt_source() / VIRERROR_C).read_text()
    command = [sys.executable, "-m", "virtrpc.apigen", "--check", "--api-dir", str(api_dir()),
               "--libvirt-source", str(source)]
    (source / VIRERROR_C).write_text(original)
    assert subprocess.run(command, capture_output=True).returncode == 0
    (source / VIRERROR_C).write_text(original.replace('"Test Driver"', '"Tester"'))
    before = LABELS_FILE.read_bytes()
    stale = subprocess.run(command, capture_output=True, text=True)
    assert stale.returncode == 1 and "error_domains.py" in stale.stderr
    assert LABELS_FILE.read_bytes() == before


def test_one_label_per_error_domain() -> None:
    assert len(DOMAIN_LABELS) == len(ErrorDomain) == max(ErrorDomain) + 1
    assert DOMAIN_LABELS[ErrorDomain.VIR_FROM_TEST] == "Test Driver"
    assert DOMAIN_LABELS[ErrorDomain.VIR_FROM_REMOTE] == "Remote Driver"


@pytest.mark.parametrize("body", [
    "int x;",                                                     # no table
    'VIR_ENUM_IMPL(virErrorDomain, VIR_ERR_DOMAIN_LAST, "a", b);',  # not a literal
])
def test_a_table_that_is_not_plain_literals_is_refused(body: str) -> None:
    with pytest.raises(ValueError):
        parse_domain_labels(body)


def test_comments_and_escapes_in_the_table() -> None:
    body = 'VIR_ENUM_IMPL(virErrorDomain,\n VIR_ERR_DOMAIN_LAST,\n "", /* 0 */\n "A \\"B\\"",\n);'
    assert parse_domain_labels(body) == ["", 'A "B"']


#: (code, domain, message, level, int1): every domain once, then the cases
#: virDefaultErrorFunc treats apart.
CASES = [(1, domain, f"message {domain}", 2, 0) for domain in range(len(DOMAIN_LABELS) + 2)] + [
    (1, 12, "a warning", 1, 0),
    (1, 12, "no level", 0, 0),
    (1, 12, "ends in a newline\n", 2, 0),
    (1, 12, "", 2, 0),
    (35, 5, "detail at a line", 2, 7),     # VIR_ERR_XML_DETAIL from VIR_FROM_XML
    (35, 5, "detail, no line", 2, 0),
    (0, 12, "VIR_ERR_OK prints nothing", 2, 0),
    (1, -1, "a negative domain", 2, 0),
]

_C_HANDLER = r"""
import ctypes, json, sys
class Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("domain", ctypes.c_int), ("message", ctypes.c_char_p),
                ("level", ctypes.c_int), ("conn", ctypes.c_void_p), ("dom", ctypes.c_void_p),
                ("str1", ctypes.c_char_p), ("str2", ctypes.c_char_p), ("str3", ctypes.c_char_p),
                ("int1", ctypes.c_int), ("int2", ctypes.c_int), ("net", ctypes.c_void_p)]
lib = ctypes.CDLL("libvirt.so.0")
lib.virDefaultErrorFunc.argtypes = [ctypes.POINTER(Error)]
for code, domain, message, level, int1 in json.loads(sys.argv[1]):
    lib.virDefaultErrorFunc(ctypes.byref(Error(code=code, domain=domain, message=message.encode(),
                                               level=level, int1=int1)))
"""


def test_default_handler_prints_what_libvirts_prints() -> None:
    require_peer(has_libvirt_python() and shutil.which("/usr/bin/python3") is not None,
                 "/usr/bin/python3 with libvirt (libvirt.so.0)")
    real = subprocess.run(["/usr/bin/python3", "-c", _C_HANDLER, json.dumps(CASES)],
                          capture_output=True, text=True, timeout=30, check=True,
                          env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    ours = "".join(_runtime.default_error_text((code, domain, message, level, None, None, None,
                                                int1, 0))
                   for code, domain, message, level, int1 in CASES)
    assert ours.splitlines() == real.stderr.splitlines()
    assert ours == real.stderr
    assert "libvirt: Cloud-Hypervisor Driver error : message 72" in ours
    assert "libvirt: Unknown error : message 73" in ours
