#!/bin/sh
# The overhead of training through NATS (issue 14): builds sweep, writes
# the configs (embedded data, hidden 50, 2100 updates: one-second trials on
# an idle 2-core Xeon; SMALL and LARGE of them) and runs
# bench/distributed.py, which times both modes (local pool, 2 workers;
# --nats embedded + 2 worker processes) in alternating rounds and prints
# the overhead per trial in wall and CPU time (target < 30 ms, 3% of a
# one-second trial), and what the workers themselves account for.
# Usage: sh bench/distributed.sh [ROUNDS [SMALL LARGE]]   (default 5 8 40)
set -eu
ROUNDS=${1:-5}
SMALL=${2:-8}
LARGE=${3:-40}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=$(mktemp -d /tmp/sweep-distributed.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/sweep" ./cmd/sweep)
SWEEP=$WORK/sweep
for n in $SMALL $LARGE; do
  cat > "$WORK/c$n.yaml" <<YAML
name: overhead
seed: 5
data: {source: embedded}
model: {hidden: 50}
training: {batch_size: 100, step_size: 105, cycles: 10, records_per_cycle: 4, eta_max: 0.05}
search:
  stages:
    - {name: grid, sampler: sobol, trials: $n, space: {lambda: {log10: [-5, -2]}}}
YAML
done
lscpu | grep 'Model name' || true
uptime
/usr/bin/python3 "$HERE/distributed.py" "$SWEEP" "$WORK" "$ROUNDS" "$SMALL" "$LARGE"
uptime
