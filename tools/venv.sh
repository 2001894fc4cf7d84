# Sourced by tools/test.sh and tools/demo.sh: make .venv with Python >= 3.11 and
# install the project (editable) with the extras named in $VIRTRPC_EXTRAS.
pick_python() {
    for candidate in python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null 2>&1 &&
           "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    echo "virtrpc needs Python >= 3.11 with venv (Debian: apt-get install python3 python3-venv)" >&2
    return 1
}
PYTHON=$(pick_python)
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${VIRTRPC_EXTRAS:+[$VIRTRPC_EXTRAS]}"
# Precompile: the generated protocol modules are large, and some environments set
# PYTHONDONTWRITEBYTECODE, which would make every process recompile them on import.
.venv/bin/python -m compileall -q src >/dev/null
