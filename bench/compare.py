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

It prints the CPU and the BLAS NumPy runs on first, and refuses to run on
the reference BLAS (Debian's libblas3), whose figures would flatter sweep.
There is one group of rows per kernel (--kernel, default every kernel this
CPU runs). The references of an AVX2 group on an AVX-512 CPU run held to
AVX2 too (OPENBLAS_CORETYPE=Haswell, ATEN_CPU_CAPABILITY=avx2), so each
group compares like with like; --peak adds the single-threaded 2000^3
GEMM rate of that BLAS, the practical peak of the group.

Usage: /usr/bin/python3 bench/compare.py [--kernel avx512,avx2,neon,generic]
       [--skip-torch] [--peak] [--idle-timeout S] [--json]
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RECORDS_PER_EPOCH = 2.5
BASE_ENV = {k: v for k, v in os.environ.items()
            if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "ATEN_CPU_CAPABILITY", "GODEBUG")}
BASE_ENV["OPENBLAS_NUM_THREADS"] = "1"
BASE_ENV["OMP_NUM_THREADS"] = "1"
KERNELS = ("avx512", "avx2", "neon", "generic")


def cpu_model():
    """The CPU's model name and flags from /proc/cpuinfo."""
    model, flags = "unknown CPU", set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown CPU":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    return model, flags


def cpu_kernels(flags):
    """The kernels this CPU runs, fastest first: every arm64 CPU has NEON."""
    ks = []
    if platform.machine() in ("aarch64", "arm64"):
        ks.append("neon")
    if {"avx2", "fma", "avx512f", "avx512vl", "avx512dq"} <= flags:
        ks.append("avx512")
    if {"avx2", "fma"} <= flags:
        ks.append("avx2")
    return ks + ["generic"]


def ref_env(kernel, avx512_cpu):
    """The references' environment for a group: held to AVX2 for an AVX2
    group on an AVX-512 CPU."""
    env = dict(BASE_ENV)
    if kernel == "avx2" and avx512_cpu:
        env["OPENBLAS_CORETYPE"] = "Haswell"
        env["ATEN_CPU_CAPABILITY"] = "avx2"
    return env


BLAS_PROBE = """
import json, threadpoolctl, numpy
print(json.dumps(threadpoolctl.threadpool_info()))
"""

PEAK_PROBE = """
import time, numpy as np
n = 2000
for dt in ("float32", "float64"):
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dt)
    b = a.T.copy()
    a @ b
    best = min((lambda t0: (a @ b, time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(3))
    print(dt, 2 * n ** 3 / best / 1e9)
"""


def blas(env):
    """The BLAS libraries NumPy loads under env, as threadpoolctl sees them;
    exits if that is the reference BLAS or cannot be told."""
    r = subprocess.run([sys.executable, "-c", BLAS_PROBE], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("compare.py: cannot tell which BLAS NumPy uses (needs python3-threadpoolctl):\n" + r.stderr)
    libs = [lib for lib in json.loads(r.stdout) if lib.get("user_api") == "blas"]
    if not libs or any(lib.get("internal_api") not in ("openblas", "mkl", "blis") for lib in libs):
        sys.exit("compare.py: NumPy runs on the reference BLAS (%s); its figures would flatter sweep. "
                 "Install an optimised one: apt-get install libopenblas0-pthread"
                 % (", ".join(lib.get("filepath", "?") for lib in libs)
                    or "threadpoolctl finds no optimised BLAS, as with Debian's libblas3"))
    return ", ".join("%s %s (%s kernel, %s)" % (lib["internal_api"], lib.get("version", "?"),
                                                 lib.get("architecture", "?"), lib["filepath"]) for lib in libs)


def peak(env):
    """GFLOP/s of a single-threaded 2000^3 GEMM per dtype: the practical peak."""
    out = subprocess.run([sys.executable, "-c", PEAK_PROBE], env=env, check=True,
                         capture_output=True, text=True).stdout
    return {dt: float(v) for dt, v in (line.split() for line in out.splitlines())}


def wait_idle():
    """Block until the CPUs are idle (or give up after --idle-timeout seconds)."""
    timeout = os.environ.get("COMPARE_IDLE_TIMEOUT", "300")
    subprocess.run([sys.executable, os.path.join(HERE, "wait_idle.py"), "--timeout", timeout],
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def go_bench(kernel):
    """s/epoch of sweep's trainer on kernel, training only and with recording,
    and the 1-minute load average when it started."""
    wait_idle()
    load = os.getloadavg()[0]
    out = subprocess.run(
        ["go", "test", "-run", "^$", "-bench", "EpochCIFAR", "-benchtime", "1x", "-count", "1", "./pkg/train/",
         "-args", "-kernel", kernel],
        cwd=ROOT, env=BASE_ENV, check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        m = re.match(r"BenchmarkEpochCIFAR/(float\d+)\S*\s+\d+\s+(.*)", line)
        if not m:
            continue
        metrics = dict((unit, float(v)) for v, unit in re.findall(r"([\d.]+) (\S+)", m.group(2)))
        rows["sweep %s, %s" % (m.group(1), kernel)] = (metrics["s/epoch-train"], metrics["s/epoch-total"], load)
    if not rows:
        sys.exit("compare.py: no benchmark output:\n" + out)
    return rows


def reference(script, dtype, env):
    """s/epoch of a Python reference, on the same counting as the Go one, and
    the 1-minute load average when it started."""
    wait_idle()
    load = os.getloadavg()[0]
    out = subprocess.run(
        [sys.executable, os.path.join(HERE, script), "--synthetic", "--json", "--dtype", dtype],
        env=env, check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    train = r["s_per_epoch_train_only"]
    return train, train + RECORDS_PER_EPOCH * r["s_per_record"], load


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kernel", default="",
                   help="comma-separated kernels to measure (default: every one this CPU runs)")
    p.add_argument("--skip-torch", action="store_true")
    p.add_argument("--peak", action="store_true", help="add the 2000^3 GEMM rate of NumPy's BLAS")
    p.add_argument("--idle-timeout", type=float, default=300,
                   help="seconds to wait for idle CPUs before each run (default 300)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    os.environ["COMPARE_IDLE_TIMEOUT"] = str(args.idle_timeout)
    model, flags = cpu_model()
    runs = cpu_kernels(flags)
    kernels = args.kernel.split(",") if args.kernel else runs
    for k in kernels:
        if k not in KERNELS:
            sys.exit("compare.py: --kernel %r: want one of %s" % (k, ", ".join(KERNELS)))
        if k not in runs:
            sys.exit("compare.py: --kernel %s: this CPU (%s) runs only %s" % (k, model, ", ".join(runs)))
    avx512_cpu = "avx512" in runs
    print("CPU: %s" % model)
    groups = {}
    for k in kernels:
        env = ref_env(k, avx512_cpu)
        held = " (held to AVX2)" if env.get("OPENBLAS_CORETYPE") else ""
        group = {"blas": blas(env) + held, "rows": {}}
        print("kernel %s: NumPy on %s" % (k, group["blas"]))
        if args.peak:
            group["peak_gflops"] = peak(env)
        rows = group["rows"]
        # The references depend on the group only through their env, and
        # the generic group is Go's own affair: it reuses the default refs.
        if k == "generic" and groups:
            rows.update({n: v for n, v in next(iter(groups.values()))["rows"].items() if not n.startswith("sweep")})
        else:
            rows["NumPy float64"] = reference("numpy_ref.py", "float64", env)
            rows["NumPy float32"] = reference("numpy_ref.py", "float32", env)
            if not args.skip_torch:
                rows["PyTorch float32"] = reference("torch_ref.py", "float32", env)
                rows["PyTorch float64"] = reference("torch_ref.py", "float64", env)
        rows.update(go_bench(k))
        groups[k] = group
    if args.json:
        json.dump({"cpu": model, "groups": groups}, sys.stdout, indent=2)
        print()
        return
    for k, group in groups.items():
        print()
        print("kernel %s, CPU %s; NumPy/PyTorch BLAS: %s" % (k, model, group["blas"]))
        if "peak_gflops" in group:
            print("  practical peak (2000^3 GEMM, one thread): %s" %
                  ", ".join("%s %.1f GFLOP/s" % kv for kv in group["peak_gflops"].items()))
        base_train, base_total, _ = group["rows"]["NumPy float64"]
        print(f"  {'implementation, one thread':30} {'s/epoch train':>14} {'ratio':>6} {'s/epoch w/ rec':>15} {'ratio':>6} {'load':>5}")
        for name, (train, total, load) in group["rows"].items():
            print(f"  {name:30} {train:14.3f} {base_train / train:6.2f} {total:15.3f} {base_total / total:6.2f} {load:5.2f}")
        rows = group["rows"]
        for name in [n for n in rows if n.startswith("sweep float32")]:
            if "PyTorch float32" in rows:
                print("  %s against PyTorch float32, with recording: %.2fx" % (name, rows["PyTorch float32"][1] / rows[name][1]))
    print("\nratio: speed relative to NumPy float64 of the same group (higher is faster); "
          "load: the 1-minute load average as the run started")


if __name__ == "__main__":
    main()
