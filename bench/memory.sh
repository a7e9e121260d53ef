#!/bin/sh
# Peak memory of an 8-worker sweep on the CIFAR-shaped workload, against the
# data set it holds. Target: peak RSS <= 1.3 x the in-memory data set + 150 MB.
#
# Writes a CIFAR-10 binary-version directory of random data (data_batch_1..5.bin
# of 10000 records of 1 label byte + 3072 pixel bytes, test_batch.bin) to a
# temporary directory, then runs `sweep run` on it (holdout 5000: 45000 train
# / 5000 validation / 10000 test) with 8 short trials and --workers 8 under
# /usr/bin/time -v. sweep keeps the training and validation splits as
# normalised float32 rows (50000 x 3072 x 4 B) and the test split as raw
# bytes (10000 x 3072 B): 645 MB, so the bound is 989 MB (MB = 10^6 bytes).
#
# Usage: sh bench/memory.sh [GODEBUG]    e.g. sh bench/memory.sh gctrace=1
# Set SWEEP_BIN to time an already built binary; GOMEMLIMIT and GOGC pass
# through to it. STEP_SIZE (default 20 updates) and CYCLES (default 1) make
# the trials longer, to see whether training's garbage raises the peak.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
TMP=$(mktemp -d /tmp/sweep-memory.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

BIN=${SWEEP_BIN:-}
if [ -z "$BIN" ]; then
    BIN="$TMP/sweep"
    (cd "$ROOT" && go build -o "$BIN" ./cmd/sweep)
fi

mkdir "$TMP/cifar"
/usr/bin/python3 - "$TMP/cifar" <<'PY'
import os, sys
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(10)
for name in ["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]:
    rec = rng.integers(0, 256, size=(10000, 1 + 3072), dtype=np.uint8)
    rec[:, 0] = rng.integers(0, 10, size=10000, dtype=np.uint8)
    rec.tofile(os.path.join(out, name))
PY

cat > "$TMP/memory.yaml" <<YAML
name: memory
seed: 1
data: {source: cifar10, dir: $TMP/cifar}
model: {hidden: 50}
training:
  batch_size: 100
  step_size: ${STEP_SIZE:-20}
  cycles: ${CYCLES:-1}
  records_per_cycle: 2
search:
  stages:
    - name: lambda
      sampler: grid
      trials: 8
      space:
        lambda: {log10: [-5, -1]}
YAML

/usr/bin/python3 "$HERE/wait_idle.py" || true
GODEBUG=${1:-${GODEBUG:-}} /usr/bin/time -v -o "$TMP/time.txt" \
    "$BIN" run "$TMP/memory.yaml" --workers 8 --db "$TMP/memory.db" > "$TMP/out.txt" 2> "$TMP/err.txt" \
    || { tail -20 "$TMP/err.txt" >&2; exit 1; }
grep -E '^sweep "memory"' "$TMP/err.txt" || true
if [ -n "${1:-}" ]; then grep -E "^gc " "$TMP/err.txt" | tail -25; fi
grep -E 'Elapsed|Maximum resident' "$TMP/time.txt"
awk '/Maximum resident/ { kib = $NF }
    END {
        data = (50000 * 3072 * 4 + 10000 * 3072) / 1e6
        bound = 1.3 * data + 150
        peak = kib * 1024 / 1e6
        printf "in-memory data set %.0f MB, bound %.0f MB, peak RSS %.0f MB (%.2fx the data set): %s\n",
            data, bound, peak, peak / data, peak <= bound ? "within the bound" : "OVER the bound"
    }' "$TMP/time.txt"
