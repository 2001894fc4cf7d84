#!/usr/bin/env bash
# Install virtrpc into .venv and run the demo: the built-in pure-Python server
# driven by the virtrpc client. Needs no libvirtd.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v python3 >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv python3-pip
fi
VIRTRPC_EXTRAS=""
source tools/venv.sh
exec .venv/bin/virtrpc demo "$@"
