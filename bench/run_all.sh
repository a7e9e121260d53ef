#!/bin/sh
# Run every reference once (synthetic speed runs REPEAT times) and keep the
# JSON outputs in OUT.  Single-threaded BLAS, the OpenBLAS kernel chosen by
# CPU detection (OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset).
# Before each run it waits (up to 5 min) for the CPUs to be idle, since other
# work may share this machine; the busy fraction seen is logged in OUT/idle.log.
# Usage: sh bench/run_all.sh [OUT [REPEAT]]   (defaults: /tmp/sweep-bench 3)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-/tmp/sweep-bench}
REPEAT=${2:-3}
mkdir -p "$OUT"
: > "$OUT/idle.log"
ENV="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1"
PY="$ENV /usr/bin/python3"
idle() { /usr/bin/python3 "$HERE/wait_idle.py" 2>> "$OUT/idle.log" || true; }

uptime > "$OUT/uptime.txt"
for impl in numpy torch; do
    for dt in float64 float32; do
        idle
        $PY "$HERE/${impl}_ref.py" --json --history --dtype $dt > "$OUT/${impl}_fmnist_$dt.json"
        i=1
        while [ "$i" -le "$REPEAT" ]; do
            idle
            $PY "$HERE/${impl}_ref.py" --synthetic --json --dtype $dt > "$OUT/${impl}_synthetic_${dt}_$i.json"
            i=$((i + 1))
        done
    done
done
idle
$ENV /usr/bin/time -f "%e s wall, %P CPU, %M KiB max RSS" -o "$OUT/optuna_time.txt" \
    /usr/bin/python3 "$HERE/optuna_ref.py" --json > "$OUT/optuna.json"
uptime >> "$OUT/uptime.txt"
/usr/bin/python3 "$HERE/summarise.py" "$OUT"
