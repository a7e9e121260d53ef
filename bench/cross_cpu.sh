#!/bin/sh
# One trial through every path sweep has on this machine, its test cost
# printed to 17 digits: every kernel the CPU runs, in binaries built for
# GOAMD64 v1 (gc never fuses x*y+z) and v3 (gc fuses wherever it may), and
# the arm64 build under qemu when qemu-aarch64-static is installed. Every
# line must show the same number (issue 11).
#
# Usage: sh bench/cross_cpu.sh [CONFIG]   (default configs/quickstart.yaml;
# `sweep train` trains its base settings)
set -eu
cd "$(dirname "$0")/.."
cfg=${1:-configs/quickstart.yaml}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cost() { python3 -c 'import json, sys; d = json.load(sys.stdin); print("%-8s %.17g" % (d["kernel"], d["test_cost"]))'; }
echo "CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); config $cfg"
for level in v1 v3; do
  GOAMD64=$level go build -o "$tmp/sweep-$level" ./cmd/sweep
  for k in $("$tmp/sweep-$level" version | sed -n 's/^kernels //p'); do
    printf 'amd64 %s  ' "$level"
    "$tmp/sweep-$level" train "$cfg" --json --kernel "$k" | cost
  done
done
if command -v qemu-aarch64-static >/dev/null; then
  GOARCH=arm64 go build -o "$tmp/sweep-arm64" ./cmd/sweep
  for k in $(qemu-aarch64-static "$tmp/sweep-arm64" version | sed -n 's/^kernels //p'); do
    printf 'arm64     '
    qemu-aarch64-static "$tmp/sweep-arm64" train "$cfg" --json --kernel "$k" | cost
  done
else
  echo "arm64: qemu-aarch64-static is not installed (apt-get install qemu-user-static)"
fi
