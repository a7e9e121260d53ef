#!/bin/sh
# The overhead of training through NATS (issue 14): builds sweep, writes
# the configs (embedded data, hidden 50, 1800 updates: about one-second
# trials; 8 and 24 of them) and runs bench/distributed.py, which times
# both modes (local pool, 2 workers; --nats embedded + 2 worker processes)
# and prints the cost per extra trial, the ratio and the overhead per
# trial as a fraction of a trial (target < 3%), in wall and CPU time.
# Usage: sh bench/distributed.sh [ROUNDS]   (default 3)
set -eu
ROUNDS=${1:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=$(mktemp -d /tmp/sweep-distributed.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/sweep" ./cmd/sweep)
SWEEP=$WORK/sweep
for n in 8 24; do
  cat > "$WORK/c$n.yaml" <<YAML
name: overhead
seed: 5
data: {source: embedded}
model: {hidden: 50}
training: {batch_size: 100, step_size: 90, cycles: 10, records_per_cycle: 4, eta_max: 0.05}
search:
  stages:
    - {name: grid, sampler: sobol, trials: $n, space: {lambda: {log10: [-5, -2]}}}
YAML
done
lscpu | grep 'Model name' || true
uptime
/usr/bin/python3 "$HERE/distributed.py" "$SWEEP" "$WORK" "$ROUNDS"
uptime
