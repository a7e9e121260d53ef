#!/bin/sh
# Test accuracy on full Fashion-MNIST from one command: sweep's trainer in
# both precisions and the NumPy reference, all with the reference recipe
# (m = 50, lambda = 1e-4, 2 cycles of n_s = 2 epochs, batch 100, the last
# 5000 training examples held out; configs/fashion-mnist.yaml's base
# settings).
# Usage: sh bench/accuracy.sh   (needs dataset-fashion-mnist and python3-numpy)
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/sweep" ./cmd/sweep
sed '/^search:/,$d' configs/fashion-mnist.yaml > "$tmp/f32.yaml"
sed 's/^  records_per_cycle: 10$/  records_per_cycle: 10\n  precision: float64/' "$tmp/f32.yaml" > "$tmp/f64.yaml"
acc() { "$tmp/sweep" train "$1" --json | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.4f  (%.1f s)" % (r["test_accuracy"], r["seconds"]))'; }
echo "sweep float32: $(acc "$tmp/f32.yaml")"
echo "sweep float64: $(acc "$tmp/f64.yaml")"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
    /usr/bin/python3 bench/numpy_ref.py --json |
    /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin); print("NumPy float64: %.4f  (%.1f s)" % (r["test_accuracy"], r["seconds"]))'
