#!/usr/bin/env bash
# Install everything the test suite needs (Debian packages for the real peers, a
# virtualenv with the test tools) and run it through nox (noxfile.py): ruff and
# mypy --strict once, pytest on every CPython >= 3.11 found (python3.X on PATH
# or pyenv's), the stress run once; then one summary line per session.
# Meant for a fresh Debian 12 machine as root; safe to re-run.
#   bash tools/test.sh                      everything
#   bash tools/test.sh tests/test_xdr.py    lint, and pytest with these arguments
#                                           on every Python (no stress run)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
    libvirt-daemon      # libvirtd 9.0: the real server for interop tests
    libvirt-clients     # virsh: the real client for server interop tests
    python3-libvirt     # libvirt-python (C): reference client and benchmark baseline
    python3-lxml        # libvirt-python's API coverage test parses libvirt-api.xml with lxml
    libvirt-dev         # virterror.h: source of the generated error-code tables
    tshark              # wire captures decoded by ...
    libvirt-wireshark   # ... libvirt's own dissector
    openssl             # test certificates for +tls
    openssh-server openssh-client netcat-openbsd   # +ssh against a private sshd
    sasl2-bin libsasl2-modules                     # saslpasswd2 and SCRAM/PLAIN for SASL tests
    pkgconf             # libvirt-python's sdist runs pkg-config even to be downloaded (tools/inputs.py)
    python3-venv python3-pip
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages (run as root to install): ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

VIRTRPC_EXTRAS=test
source tools/venv.sh   # creates/updates .venv with the project, its test extras and nox

echo "== inputs"   # libvirt's release tarballs, libvirt-python's sdist, libvirt-dev's API files (docs/inputs.md)
.venv/bin/python tools/inputs.py fetch

sessions=(lint tests stress)
if [ $# -gt 0 ]; then
    sessions=(lint tests)   # the arguments are for pytest: no stress run
fi
report=.nox/report.json
mkdir -p .nox && rm -f "$report"
status=0
.venv/bin/nox --non-interactive --report "$report" -s "${sessions[@]}" -- "$@" || status=$?
echo "== summary"
if ! .venv/bin/python noxfile.py summary "$report" && [ "$status" -eq 0 ]; then
    status=1
fi
exit "$status"
