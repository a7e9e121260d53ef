#!/usr/bin/python3
"""Run sweep's Go training benchmark and the NumPy/PyTorch references in one
command and print seconds per epoch side by side, as ratios to NumPy float64.

The workload is the performance issue's CIFAR-shaped one: 45000 x 3072
training and 5000 validation examples generated in memory, m = 50, K = 10,
batch 100, fixed batch order, and the recording density of n_s = 2 epochs
with 10 records per cycle: 2.5 full train + validation evaluations per
epoch. "with recording" is training time + 2.5 x the time of one recording,
for every implementation alike. All runs are single-threaded; each waits
for idle CPUs first (bench/wait_idle.py), since timings on a shared machine
are otherwise meaningless.

Usage: /usr/bin/python3 bench/compare.py [--skip-torch] [--json]
"""

import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RECORDS_PER_EPOCH = 2.5
ENV = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
ENV["OPENBLAS_NUM_THREADS"] = "1"


def wait_idle():
    """Block until the CPUs are idle (or give up after five minutes)."""
    subprocess.run([sys.executable, os.path.join(HERE, "wait_idle.py")], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def go_bench():
    """s/epoch of sweep's trainer, training only and with recording."""
    wait_idle()
    out = subprocess.run(
        ["go", "test", "-run", "^$", "-bench", "EpochCIFAR", "-benchtime", "1x", "-count", "1", "./pkg/train/"],
        cwd=ROOT, env=ENV, check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        m = re.match(r"BenchmarkEpochCIFAR/(float\d+)\S*\s+\d+\s+(.*)", line)
        if not m:
            continue
        metrics = dict((unit, float(v)) for v, unit in re.findall(r"([\d.]+) (\S+)", m.group(2)))
        rows["sweep (Go) " + m.group(1)] = (metrics["s/epoch-train"], metrics["s/epoch-total"])
    if not rows:
        sys.exit("no benchmark output:\n" + out)
    return rows


def reference(script, dtype):
    """s/epoch of a Python reference, on the same counting as the Go one."""
    wait_idle()
    out = subprocess.run(
        [sys.executable, os.path.join(HERE, script), "--synthetic", "--json", "--dtype", dtype],
        env=ENV, check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    train = r["s_per_epoch_train_only"]
    return train, train + RECORDS_PER_EPOCH * r["s_per_record"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--skip-torch", action="store_true")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    rows = {"NumPy float64": reference("numpy_ref.py", "float64"),
            "NumPy float32": reference("numpy_ref.py", "float32")}
    if not args.skip_torch:
        rows["PyTorch float32"] = reference("torch_ref.py", "float32")
        rows["PyTorch float64"] = reference("torch_ref.py", "float64")
    rows.update(go_bench())
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return
    base_train, base_total = rows["NumPy float64"]
    print(f"{'implementation, one thread':28} {'s/epoch train':>14} {'ratio':>6} {'s/epoch w/ rec':>15} {'ratio':>6}")
    for name, (train, total) in rows.items():
        print(f"{name:28} {train:14.3f} {train / base_train:6.2f} {total:15.3f} {total / base_total:6.2f}")


if __name__ == "__main__":
    main()
