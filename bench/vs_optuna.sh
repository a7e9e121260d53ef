#!/bin/sh
# sweep against Optuna on the same search: 8 trials of lambda in [1e-5, 1e-1],
# 2 cycles of n_s = 2 epochs, 10 records per cycle, m = 50, batch 100, on full
# Fashion-MNIST, two trials at once. Both are timed as whole processes
# (including loading the data) with /usr/bin/time; each run waits for idle
# CPUs first and logs the busy fraction it saw.
#   sweep:  `sweep run bench/fmnist-8.yaml --workers 2` into a fresh --db
#   Optuna: bench/optuna_ref.py (SQLite, n_jobs=2, NumPy float64 objective,
#           single-threaded OpenBLAS, OPENBLAS_CORETYPE/L2_SIZE unset)
# Target: sweep takes at most a third of Optuna's wall time.
# Usage: sh bench/vs_optuna.sh [REPEAT]   (default 1; the table shows the minimum)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
REPEAT=${1:-1}
TMP=$(mktemp -d /tmp/sweep-vs-optuna.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
idle() { /usr/bin/python3 "$HERE/wait_idle.py" 2>&1 | sed 's/^/  /' >&2 || true; }

(cd "$ROOT" && go build -o "$TMP/sweep" ./cmd/sweep)

i=1
while [ "$i" -le "$REPEAT" ]; do
    echo "run $i: sweep" >&2
    mkdir "$TMP/run$i"
    idle
    /usr/bin/time -f "%e %M %P" -o "$TMP/sweep.$i.time" \
        "$TMP/sweep" run "$HERE/fmnist-8.yaml" --workers 2 --db "$TMP/run$i/fmnist-8.db" \
        > "$TMP/sweep.$i.out" 2> "$TMP/sweep.$i.err" || { cat "$TMP/sweep.$i.err" >&2; exit 1; }
    echo "run $i: optuna" >&2
    idle
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
        /usr/bin/time -f "%e %M %P" -o "$TMP/optuna.$i.time" \
        /usr/bin/python3 "$HERE/optuna_ref.py" --jobs 2 > "$TMP/optuna.$i.out"
    i=$((i + 1))
done

echo "sweep, best trials (last run):"
sed -n '/^$/,$p' "$TMP/sweep.$REPEAT.out" | head -9
echo "optuna (last run):"
tail -2 "$TMP/optuna.$REPEAT.out"
echo
# Each .time file: wall seconds, max RSS in KiB, CPU percentage.
awk '
    FNR == 1 { split(FILENAME, p, "/"); n = p[length(p)]; sub(/\..*/, "", n) }
    { if (!(n in wall) || $1 < wall[n]) { wall[n] = $1; cpu[n] = $3 }
      if ($2 > rss[n]) rss[n] = $2 }
    END {
        printf "%-8s %10s %8s %12s\n", "", "wall s", "CPU", "peak RSS MB"
        printf "%-8s %10.1f %8s %12.0f\n", "sweep", wall["sweep"], cpu["sweep"], rss["sweep"] / 1024
        printf "%-8s %10.1f %8s %12.0f\n", "optuna", wall["optuna"], cpu["optuna"], rss["optuna"] / 1024
        printf "optuna / sweep wall time: %.2fx (target >= 3x)\n", wall["optuna"] / wall["sweep"]
        printf "optuna / sweep peak RSS:  %.2fx\n", rss["optuna"] / rss["sweep"]
    }' "$TMP"/sweep.*.time "$TMP"/optuna.*.time
