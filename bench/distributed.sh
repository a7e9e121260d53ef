#!/bin/sh
# The overhead of training through NATS (issue 14). The same sweep of
# about one-second trials (embedded data, hidden 50, 1080 updates) runs
#   local: sweep run --workers 2 (the process's own pool), and
#   nats:  sweep run --nats embedded (no local workers) + 2 `sweep worker`
#          processes on this machine,
# at two sizes, 8 and 24 trials, alternating local and nats, ROUNDS times
# (default 3). The extra wall time of 16 more trials, median over rounds,
# is each mode's cost per trial with fixed costs (process start, data,
# server start and shutdown) cancelled out; the script prints
#   per-trial ratio  nats / local
#   overhead per trial = (nats - local) * 2 workers / 16, as a fraction of
#   the mean trial's training seconds (target < 3%)
# and the fixed costs apart. It checks that both modes stored the same
# results. Usage: sh bench/distributed.sh [ROUNDS]
set -eu
ROUNDS=${1:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=$(mktemp -d /tmp/sweep-distributed.XXXXXX)
W1= W2=
trap 'kill $W1 $W2 2>/dev/null || true; rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/sweep" ./cmd/sweep)
SWEEP=$WORK/sweep
for n in 8 24; do
  cat > "$WORK/c$n.yaml" <<YAML
name: overhead
seed: 5
data: {source: embedded}
model: {hidden: 50}
training: {batch_size: 100, step_size: 90, cycles: 6, records_per_cycle: 4, eta_max: 0.05}
search:
  stages:
    - {name: grid, sampler: sobol, trials: $n, space: {lambda: {log10: [-5, -2]}}}
YAML
done
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
lscpu | grep 'Model name' || true
uptime
now() { /usr/bin/python3 -c 'import time; print(time.time())'; }
cd "$WORK"
for i in $(seq "$ROUNDS"); do
  for n in 8 24; do
    rm -rf local.db* nats.db*
    t0=$(now)
    "$SWEEP" run "c$n.yaml" --db local.db --workers 2 >/dev/null 2>&1
    echo "local $n $t0 $(now)" >> times
    t0=$(now)
    "$SWEEP" run "c$n.yaml" --db nats.db --nats "embedded:127.0.0.1:$PORT" --nats-token "$TOKEN" >/dev/null 2>nats.err &
    C=$!
    "$SWEEP" worker --nats "nats://127.0.0.1:$PORT" --nats-token "$TOKEN" 2>w1.err & W1=$!
    "$SWEEP" worker --nats "nats://127.0.0.1:$PORT" --nats-token "$TOKEN" 2>w2.err & W2=$!
    wait $C
    echo "nats $n $t0 $(now)" >> times
    kill $W1 $W2; wait $W1 $W2 2>/dev/null || true
    "$SWEEP" report --db local.db --format json > "local$n.json"
    "$SWEEP" report --db nats.db --format json > "nats$n.json"
  done
done
uptime
/usr/bin/python3 - <<'PY'
import json, statistics
t = {}
for line in open("times"):
    kind, n, t0, t1 = line.split()
    t.setdefault((kind, int(n)), []).append(float(t1) - float(t0))
for k in sorted(t):
    print(f"{k[0]:5} {k[1]:2} trials: " + ", ".join(f"{x:.2f}" for x in t[k]) + " s")
def results(path):
    rows = json.load(open(path))
    keep = ("id", "status", "val_accuracy", "val_cost", "val_loss", "train_accuracy", "test_accuracy", "cycles_trained")
    return sorted(tuple(str(r.get(k)) for k in keep) for r in rows), rows
same = all(results(f"local{n}.json")[0] == results(f"nats{n}.json")[0] for n in (8, 24))
rows = results("local24.json")[1]
trial = statistics.mean(r["seconds"] for r in rows)
med = {k: statistics.median(v) for k, v in t.items()}
slope = {m: (med[(m, 24)] - med[(m, 8)]) / 16 for m in ("local", "nats")}
fixed = {m: med[(m, 8)] - 8 * slope[m] for m in ("local", "nats")}
over = (slope["nats"] - slope["local"]) * 2
print(f"same results: {same}")
print(f"wall per extra trial (2 workers): local {slope['local']:.3f} s, nats {slope['nats']:.3f} s, ratio {slope['nats'] / slope['local']:.3f}")
print(f"mean trial training time {trial:.2f} s; overhead per trial {over * 1000:.0f} ms = {100 * over / trial:.1f}% of a trial (target < 3%)")
print(f"fixed cost (intercept): local {fixed['local']:.2f} s, nats {fixed['nats']:.2f} s")
PY
