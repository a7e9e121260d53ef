#!/bin/sh
# The overhead of training through NATS (issue 14): builds sweep, writes
# the configs (embedded data, hidden 50, 2100 updates: one-second trials on
# an idle 2-core Xeon; SMALL and LARGE of them) and runs
# bench/distributed.py, which times both modes (local pool, 2 workers;
# --nats embedded + 2 worker processes) in alternating rounds and prints
# the overhead per trial in wall and CPU time (target < 30 ms, 3% of a
# one-second trial), and what the workers themselves account for.
# With "split", a third mode runs two plain local processes of one worker
# each on halves of the trials: what two processes cost here without NATS.
# Usage: sh bench/distributed.sh [ROUNDS [SMALL LARGE [split]]]   (default 5 8 40)
set -eu
ROUNDS=${1:-5}
SMALL=${2:-8}
LARGE=${3:-40}
SPLIT=${4:-}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=$(mktemp -d /tmp/sweep-distributed.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/sweep" ./cmd/sweep)
SWEEP=$WORK/sweep
config() { # name seed trials
  cat <<YAML
name: $1
seed: $2
data: {source: embedded}
model: {hidden: 50}
training: {batch_size: 100, step_size: 105, cycles: 10, records_per_cycle: 4, eta_max: 0.05}
search:
  stages:
    - {name: grid, sampler: sobol, trials: $3, space: {lambda: {log10: [-5, -2]}}}
YAML
}
for n in $SMALL $LARGE; do
  config overhead 5 "$n" > "$WORK/c$n.yaml"
  config half-a 6 $((n / 2)) > "$WORK/c${n}a.yaml"
  config half-b 7 $((n / 2)) > "$WORK/c${n}b.yaml"
done
lscpu | grep 'Model name' || true
uptime
/usr/bin/python3 "$HERE/distributed.py" "$SWEEP" "$WORK" "$ROUNDS" "$SMALL" "$LARGE" $SPLIT
uptime
