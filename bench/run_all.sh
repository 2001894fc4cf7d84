#!/usr/bin/env bash
# Run every benchmark, one after the other (they compete for the CPU otherwise),
# and keep the output in bench/results/. Needs what tools/test.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "# $(date -u)  $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
    for bench in bench_xdr bench_core bench_client bench_sync bench_server bench_tls; do
        echo; echo "== $bench"
        .venv/bin/python "bench/$bench.py" "$@"
    done
} 2>&1 | tee "$out"
echo "saved to $out"
