#!/bin/sh
# The sweep-level performance targets, each measured against its reference
# in the same command (see "Sweep-level targets" in bench/README.md):
#   1. BenchmarkSweepWorkers: 2 workers vs 1 on the same 8-trial sweep (>= 1.8x)
#   2. vs_optuna.sh: whole-process wall time against Optuna (>= 3x less)
#   3. memory.sh: peak RSS of an 8-worker CIFAR-shaped sweep (<= 1.3 x data + 150 MB)
#   4. BenchmarkReport10k and `sweep report` on 10,000 trials (< 1 s)
# Every timed run first waits for idle CPUs (bench/wait_idle.py), which logs
# the busy fraction it saw; the load average is printed before and after.
# The first run of step 4 builds a 3.6 GB database under $TMPDIR (or /tmp),
# which takes a minute or two, and keeps it for later runs.
# Usage: sh bench/run_sweep_benches.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
cd "$ROOT"
idle() { /usr/bin/python3 "$HERE/wait_idle.py" || true; }
BIN=$(mktemp -d /tmp/sweep-benches.XXXXXX)
trap 'rm -rf "$BIN"' EXIT
go build -o "$BIN/sweep" ./cmd/sweep
go test -c -o "$BIN/search.test" ./pkg/search
go test -c -o "$BIN/report.test" ./pkg/report
uptime

echo "== 1. sweep throughput: 2 workers against 1 (target speedup >= 1.8)"
idle
(cd pkg/search && "$BIN/search.test" -test.run '^$' -test.bench SweepWorkers -test.benchtime 2x -test.count 3) | grep Benchmark

echo "== 2. against Optuna (target: sweep >= 3x less wall time)"
sh "$HERE/vs_optuna.sh" 1

echo "== 3. memory of an 8-worker CIFAR-shaped sweep (target: peak RSS <= 1.3 x data + 150 MB)"
SWEEP_BIN="$BIN/sweep" sh "$HERE/memory.sh"

echo "== 4. report on 10,000 trials (target < 1 s)"
(cd pkg/report && "$BIN/report.test" -test.run '^$' -test.bench Report10k -test.benchtime 1x) > /dev/null # builds the cached database
idle
(cd pkg/report && "$BIN/report.test" -test.run '^$' -test.bench Report10k -test.benchtime 5x -test.count 3) | grep Benchmark
DB=${TMPDIR:-/tmp}/sweep-bench-report10k-v1.db
for format in table json; do
    idle
    /usr/bin/time -f "sweep report --format $format: %e s wall, %M KiB max RSS (warm page cache)" \
        "$BIN/sweep" report --db "$DB" --format "$format" > /dev/null
done
uptime
