#!/usr/bin/python3
"""Optuna reference for sweep's lambda search on Fashion-MNIST.

An Optuna study (SQLite storage in a temporary directory, n_jobs=2 threads,
seeded TPE or random sampler) of 8 trials over lambda log-uniform in
[1e-5, 1e-1].  Each trial is numpy_ref.train on full Fashion-MNIST (m=50,
2 cycles, n_s = 2 epochs, batch 100, 5000 held out, 10 records per cycle) and
returns the final validation accuracy.  Prints the whole-process wall time,
the best lambda and its accuracy.

BLAS is single-threaded by default (--threads 1, set before NumPy loads) so
the two trial threads use one core each.  The data are loaded once and shared
read-only by all trials.
"""

import time

PROCESS_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

if __name__ == "__main__":
    import blas_env
    blas_env.configure_from_argv(sys.argv[1:])

import numpy as np  # noqa: E402
import optuna  # noqa: E402

import numpy_ref as ref  # noqa: E402

LAMBDA_LOW = 1e-5
LAMBDA_HIGH = 1e-1
TRIALS = 8
JOBS = 2


def make_objective(train_d, val_d, seed):
    """Objective: train with the trial's lambda, return final val accuracy."""
    def objective(trial):
        lam = trial.suggest_float("lambda", LAMBDA_LOW, LAMBDA_HIGH, log=True)
        net = ref.init_net(train_d[0].shape[1], ref.M, ref.K, seed)
        t0 = time.perf_counter()
        history = ref.train(net, train_d, val_d, lam)
        trial.set_user_attr("seconds", time.perf_counter() - t0)
        trial.set_user_attr("records", len(history))
        return history[-1]["val_accuracy"]
    return objective


def make_sampler(name, seed):
    """A seeded Optuna sampler: 'tpe' or 'random'."""
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def run_study(args):
    """Load the data, run the study in SQLite storage; return the result dict."""
    t0 = time.perf_counter()
    train_d, val_d, _ = ref.load_fmnist(args.fmnist, ref.HOLDOUT, np.float64)
    load_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="sweep-optuna-") as tmp:
        storage = "sqlite:///" + os.path.join(tmp, "study.db")
        study = optuna.create_study(study_name="sweep-lambda", storage=storage,
                                    direction="maximize",
                                    sampler=make_sampler(args.sampler, args.seed))
        t0 = time.perf_counter()
        study.optimize(make_objective(train_d, val_d, args.seed),
                       n_trials=args.trials, n_jobs=args.jobs)
        study_s = time.perf_counter() - t0
        trials = [{"number": t.number, "lambda": t.params["lambda"],
                   "val_accuracy": t.value, "seconds": t.user_attrs.get("seconds")}
                  for t in study.trials]
        best = study.best_trial
        out = {"trials": len(trials), "jobs": args.jobs, "sampler": args.sampler,
               "best_lambda": best.params["lambda"], "best_val_accuracy": best.value,
               "load_seconds": load_s, "study_seconds": study_s,
               "optuna": optuna.__version__, "trial_results": trials}
    out["wall_seconds"] = time.perf_counter() - PROCESS_START
    return out


def parse_args(argv=None):
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fmnist", metavar="DIR", default=ref.DEFAULT_FMNIST,
                   help="Fashion-MNIST directory")
    p.add_argument("--trials", type=int, default=TRIALS, help="default 8")
    p.add_argument("--jobs", type=int, default=JOBS,
                   help="parallel trial threads (default 2)")
    p.add_argument("--sampler", choices=("tpe", "random"), default="tpe")
    p.add_argument("--seed", type=int, default=0,
                   help="sampler seed and network init seed")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS threads, set before NumPy loads "
                        "(default $OPENBLAS_NUM_THREADS, else 1)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args(argv)


def main(argv=None):
    """Run the study and print its figures."""
    args = parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out = run_study(args)
    out["blas"] = ref.blas_info()
    if args.json:
        print(json.dumps(out))
        return
    for t in out["trial_results"]:
        print("trial %2d  lambda %.3e  val_accuracy %.4f  %.1f s"
              % (t["number"], t["lambda"], t["val_accuracy"], t["seconds"]))
    print("best lambda %.4e  val_accuracy %.4f" % (out["best_lambda"],
                                                   out["best_val_accuracy"]))
    print("load %.1f s  study %.1f s  whole process %.1f s"
          % (out["load_seconds"], out["study_seconds"], out["wall_seconds"]))


if __name__ == "__main__":
    main()
