#!/usr/bin/python3
"""A/B a Go benchmark between two revisions, runs interleaved, medians.

The machine is shared and noisy, so a speed claim compares two builds in one
command: each revision's test binary is built once, then the two run one
after the other, RUNS times, and the median of every metric is printed with
the ratio B/A. A revision is anything git names (main, HEAD~2) or "." for
the working tree. --with copies files of the working tree into both builds
(a benchmark the older revision lacks). --env sets variables for both, as
GODEBUG=cpu.avx512f=off to hold an AVX-512 CPU to the AVX2 kernels.

Usage: bench/ab.py [--runs 5] [--pkg ./pkg/train/] [--bench EpochCIFAR]
       [--benchtime 1x] [--env K=V ...] [--with FILE ...] A B
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def build(rev, pkg, extra, tmp):
    """Build rev's test binary of pkg; return its path."""
    src = os.path.join(tmp, "src-" + re.sub(r"\W", "_", rev))
    if rev == ".":
        src = ROOT
    else:
        os.makedirs(src)
        archive = subprocess.run(["git", "-C", ROOT, "archive", rev], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
        for f in extra:
            shutil.copy(os.path.join(ROOT, f), os.path.join(src, f))
    out = os.path.join(tmp, re.sub(r"\W", "_", rev) + ".test")
    subprocess.run(["go", "test", "-c", "-o", out, pkg], cwd=src, check=True)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--pkg", default="./pkg/train/")
    p.add_argument("--bench", default="EpochCIFAR")
    p.add_argument("--benchtime", default="1x")
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--with", dest="extra", action="append", default=[])
    p.add_argument("a")
    p.add_argument("b")
    args = p.parse_args()
    env = dict(os.environ)
    env.update(kv.split("=", 1) for kv in args.env)
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "unknown CPU")
    print("CPU: %s; env: %s; %d interleaved runs of -bench %s -benchtime %s in %s; load average %.2f"
          % (model, " ".join(args.env) or "-", args.runs, args.bench, args.benchtime, args.pkg, os.getloadavg()[0]))
    with tempfile.TemporaryDirectory() as tmp:
        bins = [(rev, build(rev, args.pkg, args.extra, tmp)) for rev in (args.a, args.b)]
        res = {}
        for _ in range(args.runs):
            for rev, binary in bins:
                out = subprocess.run([binary, "-test.run", "^$", "-test.bench", args.bench,
                                      "-test.benchtime", args.benchtime], env=env, check=True,
                                     capture_output=True, text=True).stdout
                for line in out.splitlines():
                    m = re.match(r"(Benchmark\S+?)(-\d+)?\s+\d+\s+(.*)", line)
                    if m:
                        for v, unit in re.findall(r"([\d.]+) (\S+)", m.group(3)):
                            if unit != "ns/op":
                                res.setdefault((m.group(1), unit), {}).setdefault(rev, []).append(float(v))
    print("load average at the end: %.2f (the machine is shared: a high one makes the medians loose)" % os.getloadavg()[0])
    print(f"{'benchmark':48} {'metric':18} {args.a:>10} {args.b:>10} {'B/A':>6}")
    for (name, unit), by in sorted(res.items()):
        if len(by) < 2:
            continue
        a, b = statistics.median(by[args.a]), statistics.median(by[args.b])
        print(f"{name:48} {unit:18} {a:10.4g} {b:10.4g} {b / a:6.3f}")


if __name__ == "__main__":
    main()
