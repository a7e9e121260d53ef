#!/usr/bin/python3
"""Summarise the JSON outputs that run_all.sh leaves in a directory.

Prints one line per (implementation, dtype): fmnist test accuracy and training
seconds, and the best (minimum over repeats) synthetic seconds per epoch for
training only and with recording; then the Optuna figures.
"""

import argparse
import glob
import json
import os


def load(path):
    """Read one JSON file, or None when it is missing."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def summarise(out):
    """Print the summary table for the run directory `out`."""
    print("%-6s %-8s %9s %9s %12s %12s %6s" % ("impl", "dtype", "test_acc", "fm_s",
                                              "syn_train", "syn_record", "runs"))
    for impl in ("numpy", "torch"):
        for dt in ("float64", "float32"):
            fm = load(os.path.join(out, "%s_fmnist_%s.json" % (impl, dt)))
            syn = [load(p) for p in
                   glob.glob(os.path.join(out, "%s_synthetic_%s_*.json" % (impl, dt)))]
            if fm is None and not syn:
                continue
            train = min((s["s_per_epoch_train_only"] for s in syn), default=float("nan"))
            rec = min((s["s_per_epoch_with_recording"] for s in syn), default=float("nan"))
            print("%-6s %-8s %9.4f %9.2f %12.3f %12.3f %6d"
                  % (impl, dt, fm["test_accuracy"] if fm else float("nan"),
                     fm["seconds"] if fm else float("nan"), train, rec, len(syn)))
    opt = load(os.path.join(out, "optuna.json"))
    if opt:
        print("optuna: %d trials, %d jobs, best lambda %.4e val_accuracy %.4f, "
              "whole process %.1f s" % (opt["trials"], opt["jobs"], opt["best_lambda"],
                                        opt["best_val_accuracy"], opt["wall_seconds"]))
    path = os.path.join(out, "optuna_time.txt")
    if os.path.exists(path):
        with open(path) as f:
            print("optuna /usr/bin/time:", f.read().strip())


def main():
    """Parse the directory argument and summarise it."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dir", nargs="?", default="/tmp/sweep-bench")
    summarise(p.parse_args().dir)


if __name__ == "__main__":
    main()
