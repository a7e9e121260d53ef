#!/usr/bin/python3
"""NumPy reference implementation of sweep's two-layer network trainer.

Two modes:

* ``--fmnist [DIR]`` (default): the accuracy reference.  Trains the K x m x d
  network (m=50, lambda=1e-4, 2 cycles, n_s = 2 epochs, batch 100, the last
  5000 training examples held out for validation) on Fashion-MNIST and reports
  the test accuracy.  Expected test accuracy is about 0.874.
* ``--synthetic``: the speed reference.  Generates CIFAR-shaped data
  (45000 x 3072 training, 5000 validation) from a seed and reports seconds per
  epoch for training only and for training including recording (the record
  density of n_s = 2 epochs, 10 records per cycle, i.e. 5 per epoch).

The algorithm follows the spec the Go trainer implements: ReLU hidden layer,
stable softmax, mean cross-entropy + lambda * (||W1||^2 + ||W2||^2), plain
mini-batch gradient descent in fixed batch order (no shuffling, remainder
dropped), cyclical triangular learning rate, recording at step 0 and at
round(j * 2 n_s / R), j = 1..R, within each cycle.

Arrays are stored example-major (n x d, C order) so a mini-batch is a
contiguous slice; the maths is the spec's column form transposed.

BLAS threads: ``--threads N`` (default: $OPENBLAS_NUM_THREADS, else 1) is put
into OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS before NumPy is
imported, so the default run is the single-threaded reference.

The functions here (load_fmnist, make_synthetic, init_net, train, evaluate,
...) are importable; optuna_ref.py and torch_ref.py reuse them.  An importer
that wants single-threaded BLAS must set the environment before importing
this module (see blas_env.py).
"""

import argparse
import dataclasses
import gzip
import json
import math
import os
import sys
import time

DEFAULT_FMNIST = "/usr/share/datasets/fashion-mnist"
K = 10
M = 50
BATCH = 100
HOLDOUT = 5000
LAMBDA = 1e-4
CYCLES = 2
NS_EPOCHS = 2
ETA_MIN = 1e-5
ETA_MAX = 1e-1
RECORDS_PER_CYCLE = 10
EVAL_BLOCK = 5000
SYN_TRAIN = 45000
SYN_VAL = 5000
SYN_D = 3072


if __name__ == "__main__":
    import blas_env
    blas_env.configure_from_argv(sys.argv[1:])

import numpy as np  # noqa: E402  (must come after the thread variables)


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------

def read_idx(path):
    """Read a gzipped IDX file (uint8 images or labels) into a numpy array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    if magic >> 8 != 0x08:
        raise ValueError("%s: not a uint8 IDX file (magic %#x)" % (path, magic))
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if ndim == 1:
        return data.reshape(dims[0])
    return data.reshape(dims[0], int(np.prod(dims[1:])))


def normalise(splits, dtype):
    """Normalise every (pixels, labels) split with the first split's stats.

    Per-feature mean and population std of the training split (std==0 -> 1),
    computed and applied in float64, then cast to dtype.
    """
    train_x = splits[0][0].astype(np.float64)
    mean = train_x.mean(axis=0)
    std = train_x.std(axis=0)
    std[std == 0] = 1.0
    out = []
    for x, y in splits:
        xf = x.astype(np.float64)
        xf -= mean
        xf /= std
        out.append((np.ascontiguousarray(xf, dtype=dtype), y.astype(np.int64)))
        del xf
    return out


def load_fmnist(root=DEFAULT_FMNIST, holdout=HOLDOUT, dtype=np.float64):
    """Load Fashion-MNIST: (train, val, test), each (X n x d, y n), normalised.

    The validation split is the LAST `holdout` examples of the training file.
    """
    tx = read_idx(os.path.join(root, "train-images-idx3-ubyte.gz"))
    ty = read_idx(os.path.join(root, "train-labels-idx1-ubyte.gz"))
    ex = read_idx(os.path.join(root, "t10k-images-idx3-ubyte.gz"))
    ey = read_idx(os.path.join(root, "t10k-labels-idx1-ubyte.gz"))
    n = tx.shape[0] - holdout
    return tuple(normalise([(tx[:n], ty[:n]), (tx[n:], ty[n:]), (ex, ey)], dtype))


def make_synthetic(seed=0, n_train=SYN_TRAIN, n_val=SYN_VAL, d=SYN_D,
                   dtype=np.float64):
    """CIFAR-shaped synthetic data: (train, val), normalised like real data.

    uint8 pixels = base (uniform in [64,192)) + class offset (N(0, 3^2) per
    pixel) + N(0, 48^2) noise, clipped to [0, 255]; labels uniform in 0..9.
    Learnable but not trivially so.  Generated in chunks to bound memory.
    """
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    labels = rng.integers(0, K, size=n)
    base = rng.integers(64, 192, size=d).astype(np.float32)
    means = base + 3.0 * rng.standard_normal((K, d), dtype=np.float32)
    pixels = np.empty((n, d), dtype=np.uint8)
    chunk = 5000
    for i in range(0, n, chunk):
        j = min(n, i + chunk)
        noise = rng.standard_normal((j - i, d), dtype=np.float32) * 48.0
        np.clip(means[labels[i:j]] + noise, 0, 255, out=noise)
        pixels[i:j] = noise
    return tuple(normalise([(pixels[:n_train], labels[:n_train]),
                            (pixels[n_train:], labels[n_train:])], dtype))


# --------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------

@dataclasses.dataclass
class Net:
    """Parameters of the K x m x d network (W1: m x d, W2: K x m)."""
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray


def init_net(d, m=M, k=K, seed=0, dtype=np.float64):
    """W1 ~ N(0, 1/d), W2 ~ N(0, 1/m) from a seeded Generator; zero biases."""
    rng = np.random.default_rng(seed)
    return Net(W1=(rng.standard_normal((m, d)) / math.sqrt(d)).astype(dtype),
               b1=np.zeros(m, dtype=dtype),
               W2=(rng.standard_normal((k, m)) / math.sqrt(m)).astype(dtype),
               b2=np.zeros(k, dtype=dtype))


class Workspace:
    """Preallocated buffers for one mini-batch of size nb."""

    def __init__(self, net, nb):
        m, d = net.W1.shape
        k = net.W2.shape[0]
        dt = net.W1.dtype
        self.S1 = np.empty((nb, m), dt)     # s1 (pre-activation)
        self.H = np.empty((nb, m), dt)      # h = relu(s1)
        self.P = np.empty((nb, k), dt)      # scores -> probabilities -> G
        self.G1 = np.empty((nb, m), dt)     # hidden-layer gradient
        self.mask = np.empty((nb, m), bool)
        self.zmax = np.empty((nb, 1), dt)
        self.rows = np.arange(nb)
        self.grad = Net(W1=np.empty_like(net.W1), b1=np.empty_like(net.b1),
                        W2=np.empty_like(net.W2), b2=np.empty_like(net.b2))


def forward(net, X, ws):
    """Forward pass of a batch X (nb x d) into ws.S1, ws.H and ws.P."""
    np.matmul(X, net.W1.T, out=ws.S1)
    ws.S1 += net.b1
    np.maximum(ws.S1, 0, out=ws.H)
    np.matmul(ws.H, net.W2.T, out=ws.P)
    ws.P += net.b2
    np.max(ws.P, axis=1, keepdims=True, out=ws.zmax)
    ws.P -= ws.zmax
    np.exp(ws.P, out=ws.P)
    np.sum(ws.P, axis=1, keepdims=True, out=ws.zmax)
    ws.P /= ws.zmax


def grad(net, X, y, lam, ws):
    """Gradients of J on batch (X, y) into ws.grad (runs the forward pass)."""
    nb = X.shape[0]
    forward(net, X, ws)
    g = ws.grad
    G = ws.P
    G[ws.rows, y] -= 1                      # G = P - Y
    np.matmul(G.T, ws.H, out=g.W2)
    g.W2 *= 1.0 / nb
    g.W2 += (2 * lam) * net.W2
    np.sum(G, axis=0, out=g.b2)
    g.b2 *= 1.0 / nb
    np.matmul(G, net.W2, out=ws.G1)
    np.greater(ws.S1, 0, out=ws.mask)
    ws.G1 *= ws.mask
    np.matmul(ws.G1.T, X, out=g.W1)
    g.W1 *= 1.0 / nb
    g.W1 += (2 * lam) * net.W1
    np.sum(ws.G1, axis=0, out=g.b1)
    g.b1 *= 1.0 / nb


def apply_update(net, g, eta):
    """Plain gradient step: theta -= eta * grad (scales g in place)."""
    for name in ("W1", "b1", "W2", "b2"):
        gv = getattr(g, name)
        gv *= eta
        w = getattr(net, name)
        np.subtract(w, gv, out=w)


def evaluate(net, X, y, lam, block=EVAL_BLOCK):
    """Return (cost, loss, accuracy) over a whole split, in blocks of rows."""
    n = X.shape[0]
    loss_sum = 0.0
    correct = 0
    for i in range(0, n, block):
        xb, yb = X[i:i + block], y[i:i + block]
        h = np.maximum(xb @ net.W1.T + net.b1, 0)
        z = h @ net.W2.T + net.b2
        z -= z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z).sum(axis=1))
        loss_sum += float(np.sum(lse - z[np.arange(len(yb)), yb], dtype=np.float64))
        correct += int(np.count_nonzero(z.argmax(axis=1) == yb))
    loss = loss_sum / n
    reg = lam * (float(np.sum(net.W1.astype(np.float64) ** 2))
                 + float(np.sum(net.W2.astype(np.float64) ** 2)))
    return loss + reg, loss, correct / n


# --------------------------------------------------------------------------
# Schedule and training
# --------------------------------------------------------------------------

def eta_at(t, n_s, eta_min=ETA_MIN, eta_max=ETA_MAX):
    """Cyclical triangular learning rate for update t (t counts from 0)."""
    pos = t % (2 * n_s)
    if pos <= n_s:
        return eta_min + pos / n_s * (eta_max - eta_min)
    return eta_max - (pos - n_s) / n_s * (eta_max - eta_min)


def round_half_up(x):
    """Round to nearest, halves away from zero (like Go's math.Round, x >= 0)."""
    return int(math.floor(x + 0.5))


def record_steps(n_s, n_updates, per_cycle=RECORDS_PER_CYCLE):
    """Steps (update counts) at which to record: 0 and R points per cycle."""
    steps = {0}
    period = 2 * n_s
    for c in range(n_updates // period + 1):
        for j in range(1, per_cycle + 1):
            s = c * period + round_half_up(j * period / per_cycle)
            if s <= n_updates:
                steps.add(s)
    return sorted(steps)


def record(net, train, val, lam, step):
    """One history point: cost/loss/accuracy on the whole train and val splits."""
    tr = evaluate(net, train[0], train[1], lam)
    va = evaluate(net, val[0], val[1], lam)
    return {"step": step,
            "train_cost": tr[0], "train_loss": tr[1], "train_accuracy": tr[2],
            "val_cost": va[0], "val_loss": va[1], "val_accuracy": va[2]}


def train(net, train_data, val_data, lam=LAMBDA, n_s=None, n_updates=None,
          cycles=CYCLES, nb=BATCH, recording=True):
    """Train net in place with cyclical-LR mini-batch GD; return the history.

    n_s defaults to NS_EPOCHS epochs; n_updates defaults to cycles * 2 n_s.
    Batch b of an epoch is examples [b*nb, (b+1)*nb); floor(n/nb) batches per
    epoch.  With recording=False the history is empty (pure training speed).
    """
    X, y = train_data
    per_epoch = X.shape[0] // nb
    if n_s is None:
        n_s = NS_EPOCHS * per_epoch
    if n_updates is None:
        n_updates = cycles * 2 * n_s
    steps = set(record_steps(n_s, n_updates)) if recording else set()
    ws = Workspace(net, nb)
    history = []
    if 0 in steps:
        history.append(record(net, train_data, val_data, lam, 0))
    for t in range(n_updates):
        b = t % per_epoch
        grad(net, X[b * nb:(b + 1) * nb], y[b * nb:(b + 1) * nb], lam, ws)
        apply_update(net, ws.grad, eta_at(t, n_s))
        if t + 1 in steps:
            history.append(record(net, train_data, val_data, lam, t + 1))
    return history


def blas_info():
    """Describe the BLAS NumPy is using at run time (threadpoolctl if present)."""
    try:
        import threadpoolctl
    except ImportError:
        return [{"note": "threadpoolctl not installed; see numpy.show_config()"}]
    keep = ("internal_api", "version", "architecture", "num_threads", "filepath")
    return [{k: v for k, v in lib.items() if k in keep}
            for lib in threadpoolctl.threadpool_info()]


# --------------------------------------------------------------------------
# Modes
# --------------------------------------------------------------------------

def run_fmnist(args):
    """Accuracy reference on Fashion-MNIST; return the result dict."""
    dtype = np.dtype(args.dtype)
    t0 = time.perf_counter()
    train_d, val_d, test_d = load_fmnist(args.fmnist, HOLDOUT, dtype)
    load_s = time.perf_counter() - t0
    net = init_net(train_d[0].shape[1], args.m, K, args.seed, dtype)
    n_s = args.ns_epochs * (train_d[0].shape[0] // BATCH)
    t0 = time.perf_counter()
    history = train(net, train_d, val_d, args.lam, n_s=n_s, cycles=args.cycles)
    secs = time.perf_counter() - t0
    test = evaluate(net, test_d[0], test_d[1], args.lam)
    last = history[-1]
    out = {"mode": "fmnist", "dtype": dtype.name, "m": args.m, "lambda": args.lam,
           "cycles": args.cycles, "n_s": n_s,
           "batch": BATCH, "n_train": train_d[0].shape[0], "records": len(history),
           "test_cost": test[0], "test_loss": test[1], "test_accuracy": test[2],
           "val_accuracy": last["val_accuracy"], "val_cost": last["val_cost"],
           "train_accuracy": last["train_accuracy"], "train_cost": last["train_cost"],
           "seconds": secs, "load_seconds": load_s}
    if args.history:
        out["history"] = history
    return out


def run_synthetic(args):
    """Speed reference on synthetic CIFAR-shaped data; return the result dict."""
    dtype = np.dtype(args.dtype)
    t0 = time.perf_counter()
    train_d, val_d = make_synthetic(args.seed, dtype=dtype)
    load_s = time.perf_counter() - t0
    per_epoch = train_d[0].shape[0] // BATCH
    n_s = args.ns_epochs * per_epoch
    n_updates = args.epochs * per_epoch
    timings = {}
    for label, recording in (("train_only", False), ("with_recording", True)):
        net = init_net(train_d[0].shape[1], args.m, K, args.seed, dtype)
        t0 = time.perf_counter()
        history = train(net, train_d, val_d, args.lam, n_s=n_s,
                        n_updates=n_updates, recording=recording)
        timings[label] = (time.perf_counter() - t0, len(history))
    final = evaluate(net, val_d[0], val_d[1], args.lam)
    t_train, (t_rec, n_rec) = timings["train_only"][0], timings["with_recording"]
    return {"mode": "synthetic", "dtype": dtype.name, "m": args.m,
            "lambda": args.lam, "epochs": args.epochs, "n_s": n_s,
            "batch": BATCH, "n_train": train_d[0].shape[0],
            "n_val": val_d[0].shape[0],
            "s_per_epoch_train_only": t_train / args.epochs,
            "s_per_epoch_with_recording": t_rec / args.epochs,
            "records": n_rec, "records_per_epoch": n_rec / args.epochs,
            "s_per_record": (t_rec - t_train) / max(n_rec, 1),
            "val_accuracy": final[2], "gen_seconds": load_s}


def parse_args(argv=None):
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--fmnist", metavar="DIR", nargs="?", const=DEFAULT_FMNIST,
                      default=DEFAULT_FMNIST,
                      help="accuracy reference on Fashion-MNIST in DIR (default mode)")
    mode.add_argument("--synthetic", action="store_true",
                      help="speed reference on synthetic 45000x3072 data")
    p.add_argument("--epochs", type=int, default=2,
                   help="epochs to time in --synthetic mode (default 2)")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS threads, set before NumPy loads "
                        "(default $OPENBLAS_NUM_THREADS, else 1)")
    p.add_argument("--ns-epochs", type=int, default=NS_EPOCHS,
                   help="n_s in epochs, sets the --synthetic record density "
                        "(default 2: 10 records per 4-epoch cycle)")
    p.add_argument("--m", type=int, default=M, help="hidden units (default 50)")
    p.add_argument("--lam", type=float, default=LAMBDA, help="lambda (default 1e-4)")
    p.add_argument("--cycles", type=int, default=CYCLES,
                   help="cycles in --fmnist mode (default 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--history", action="store_true",
                   help="include the recorded history in the --json output")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args(argv)


def main(argv=None):
    """Run the selected mode and print its figures."""
    args = parse_args(argv)
    out = run_synthetic(args) if args.synthetic else run_fmnist(args)
    out["blas"] = blas_info()
    if args.json:
        print(json.dumps(out))
        return
    for key, value in out.items():
        if key not in ("history", "blas"):
            print("%-28s %s" % (key, "%.4f" % value if isinstance(value, float) else value))
    for lib in out["blas"]:
        print("%-28s %s" % ("blas", lib))


if __name__ == "__main__":
    main()
