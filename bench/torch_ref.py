#!/usr/bin/python3
"""PyTorch reference implementation of sweep's two-layer network trainer.

The same training as numpy_ref.py (same data, split, normalisation, schedule,
recording), written with torch tensors and manual gradients (no autograd),
torch.set_num_threads(N) with N = --threads (default 1).  Data loading,
synthetic data, the learning-rate schedule and the record steps come from
numpy_ref.py; the network maths is redone in torch.

Modes and outputs are those of numpy_ref.py: ``--fmnist [DIR]`` (default) for
the accuracy reference, ``--synthetic`` for seconds per epoch.
"""

import argparse
import json
import math
import os
import sys
import time

if __name__ == "__main__":
    import blas_env
    blas_env.configure_from_argv(sys.argv[1:])

import numpy as np  # noqa: E402
import torch  # noqa: E402

import numpy_ref as ref  # noqa: E402

DTYPES = {"float64": torch.float64, "float32": torch.float32}


class Net:
    """Parameters of the K x m x d network as torch tensors (W1: m x d)."""

    def __init__(self, W1, b1, W2, b2):
        self.W1, self.b1, self.W2, self.b2 = W1, b1, W2, b2

    def params(self):
        """(W1, b1, W2, b2)."""
        return self.W1, self.b1, self.W2, self.b2


def init_net(d, m=ref.M, k=ref.K, seed=0, dtype=torch.float64):
    """W1 ~ N(0, 1/d), W2 ~ N(0, 1/m) from a seeded torch Generator; zero biases."""
    g = torch.Generator().manual_seed(seed)
    W1 = torch.randn((m, d), generator=g, dtype=torch.float64) / math.sqrt(d)
    W2 = torch.randn((k, m), generator=g, dtype=torch.float64) / math.sqrt(m)
    return Net(W1.to(dtype), torch.zeros(m, dtype=dtype),
               W2.to(dtype), torch.zeros(k, dtype=dtype))


class Workspace:
    """Preallocated buffers for one mini-batch of size nb."""

    def __init__(self, net, nb):
        m, d = net.W1.shape
        k = net.W2.shape[0]
        dt = net.W1.dtype
        self.S1 = torch.empty((nb, m), dtype=dt)
        self.H = torch.empty((nb, m), dtype=dt)
        self.P = torch.empty((nb, k), dtype=dt)
        self.G1 = torch.empty((nb, m), dtype=dt)
        self.mask = torch.empty((nb, m), dtype=torch.bool)
        self.rows = torch.arange(nb)
        self.grad = Net(torch.empty_like(net.W1), torch.empty_like(net.b1),
                        torch.empty_like(net.W2), torch.empty_like(net.b2))


def forward(net, X, ws):
    """Forward pass of a batch X (nb x d) into ws.S1, ws.H and ws.P."""
    torch.mm(X, net.W1.t(), out=ws.S1)
    ws.S1.add_(net.b1)
    torch.clamp_min(ws.S1, 0, out=ws.H)
    torch.mm(ws.H, net.W2.t(), out=ws.P)
    ws.P.add_(net.b2)
    ws.P.sub_(ws.P.amax(dim=1, keepdim=True))
    ws.P.exp_()
    ws.P.div_(ws.P.sum(dim=1, keepdim=True))


def grad(net, X, y, lam, ws):
    """Gradients of J on batch (X, y) into ws.grad (runs the forward pass)."""
    nb = X.shape[0]
    forward(net, X, ws)
    g = ws.grad
    G = ws.P
    G[ws.rows, y] -= 1                      # G = P - Y
    torch.mm(G.t(), ws.H, out=g.W2)
    g.W2.mul_(1.0 / nb).add_(net.W2, alpha=2 * lam)
    torch.sum(G, dim=0, out=g.b2)
    g.b2.mul_(1.0 / nb)
    torch.mm(G, net.W2, out=ws.G1)
    torch.gt(ws.S1, 0, out=ws.mask)
    ws.G1.mul_(ws.mask)
    torch.mm(ws.G1.t(), X, out=g.W1)
    g.W1.mul_(1.0 / nb).add_(net.W1, alpha=2 * lam)
    torch.sum(ws.G1, dim=0, out=g.b1)
    g.b1.mul_(1.0 / nb)


def apply_update(net, g, eta):
    """Plain gradient step: theta -= eta * grad."""
    for w, gw in zip(net.params(), g.params()):
        w.sub_(gw, alpha=eta)


def evaluate(net, X, y, lam, block=ref.EVAL_BLOCK):
    """Return (cost, loss, accuracy) over a whole split, in blocks of rows."""
    n = X.shape[0]
    loss_sum = 0.0
    correct = 0
    for i in range(0, n, block):
        xb, yb = X[i:i + block], y[i:i + block]
        h = torch.clamp_min(xb @ net.W1.t() + net.b1, 0)
        z = h @ net.W2.t() + net.b2
        z -= z.amax(dim=1, keepdim=True)
        lse = torch.log(torch.exp(z).sum(dim=1))
        loss_sum += float((lse - z[torch.arange(len(yb)), yb]).sum(dtype=torch.float64))
        correct += int((z.argmax(dim=1) == yb).sum())
    loss = loss_sum / n
    reg = lam * (float(net.W1.double().pow(2).sum()) + float(net.W2.double().pow(2).sum()))
    return loss + reg, loss, correct / n


def record(net, train, val, lam, step):
    """One history point: cost/loss/accuracy on the whole train and val splits."""
    tr = evaluate(net, train[0], train[1], lam)
    va = evaluate(net, val[0], val[1], lam)
    return {"step": step,
            "train_cost": tr[0], "train_loss": tr[1], "train_accuracy": tr[2],
            "val_cost": va[0], "val_loss": va[1], "val_accuracy": va[2]}


def train(net, train_data, val_data, lam=ref.LAMBDA, n_s=None, n_updates=None,
          cycles=ref.CYCLES, nb=ref.BATCH, recording=True):
    """Train net in place (same schedule/recording as numpy_ref.train)."""
    X, y = train_data
    per_epoch = X.shape[0] // nb
    if n_s is None:
        n_s = ref.NS_EPOCHS * per_epoch
    if n_updates is None:
        n_updates = cycles * 2 * n_s
    steps = set(ref.record_steps(n_s, n_updates)) if recording else set()
    ws = Workspace(net, nb)
    history = []
    if 0 in steps:
        history.append(record(net, train_data, val_data, lam, 0))
    for t in range(n_updates):
        b = t % per_epoch
        grad(net, X[b * nb:(b + 1) * nb], y[b * nb:(b + 1) * nb], lam, ws)
        apply_update(net, ws.grad, ref.eta_at(t, n_s))
        if t + 1 in steps:
            history.append(record(net, train_data, val_data, lam, t + 1))
    return history


def to_torch(split):
    """(numpy X, numpy y) -> (torch X, torch int64 y), sharing memory."""
    return torch.from_numpy(split[0]), torch.from_numpy(split[1])


def run_fmnist(args):
    """Accuracy reference on Fashion-MNIST; return the result dict."""
    t0 = time.perf_counter()
    splits = ref.load_fmnist(args.fmnist, ref.HOLDOUT, np.dtype(args.dtype))
    train_d, val_d, test_d = (to_torch(s) for s in splits)
    load_s = time.perf_counter() - t0
    net = init_net(train_d[0].shape[1], args.m, ref.K, args.seed, DTYPES[args.dtype])
    n_s = args.ns_epochs * (train_d[0].shape[0] // ref.BATCH)
    t0 = time.perf_counter()
    history = train(net, train_d, val_d, args.lam, n_s=n_s, cycles=args.cycles)
    secs = time.perf_counter() - t0
    test = evaluate(net, test_d[0], test_d[1], args.lam)
    last = history[-1]
    out = {"mode": "fmnist", "dtype": args.dtype, "m": args.m, "lambda": args.lam,
           "cycles": args.cycles, "n_s": n_s, "batch": ref.BATCH,
           "n_train": train_d[0].shape[0], "records": len(history),
           "test_cost": test[0], "test_loss": test[1], "test_accuracy": test[2],
           "val_accuracy": last["val_accuracy"], "val_cost": last["val_cost"],
           "train_accuracy": last["train_accuracy"], "train_cost": last["train_cost"],
           "seconds": secs, "load_seconds": load_s}
    if args.history:
        out["history"] = history
    return out


def run_synthetic(args):
    """Speed reference on synthetic CIFAR-shaped data; return the result dict."""
    t0 = time.perf_counter()
    splits = ref.make_synthetic(args.seed, dtype=np.dtype(args.dtype))
    train_d, val_d = (to_torch(s) for s in splits)
    load_s = time.perf_counter() - t0
    per_epoch = train_d[0].shape[0] // ref.BATCH
    n_s = args.ns_epochs * per_epoch
    n_updates = args.epochs * per_epoch
    timings = {}
    for label, recording in (("train_only", False), ("with_recording", True)):
        net = init_net(train_d[0].shape[1], args.m, ref.K, args.seed, DTYPES[args.dtype])
        t0 = time.perf_counter()
        history = train(net, train_d, val_d, args.lam, n_s=n_s,
                        n_updates=n_updates, recording=recording)
        timings[label] = (time.perf_counter() - t0, len(history))
    final = evaluate(net, val_d[0], val_d[1], args.lam)
    t_train, (t_rec, n_rec) = timings["train_only"][0], timings["with_recording"]
    return {"mode": "synthetic", "dtype": args.dtype, "m": args.m,
            "lambda": args.lam, "epochs": args.epochs, "n_s": n_s,
            "batch": ref.BATCH, "n_train": train_d[0].shape[0],
            "n_val": val_d[0].shape[0],
            "s_per_epoch_train_only": t_train / args.epochs,
            "s_per_epoch_with_recording": t_rec / args.epochs,
            "records": n_rec, "records_per_epoch": n_rec / args.epochs,
            "s_per_record": (t_rec - t_train) / max(n_rec, 1),
            "val_accuracy": final[2], "gen_seconds": load_s}


def parse_args(argv=None):
    """Command-line options (the same as numpy_ref.py's)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--fmnist", metavar="DIR", nargs="?", const=ref.DEFAULT_FMNIST,
                      default=ref.DEFAULT_FMNIST,
                      help="accuracy reference on Fashion-MNIST in DIR (default mode)")
    mode.add_argument("--synthetic", action="store_true",
                      help="speed reference on synthetic 45000x3072 data")
    p.add_argument("--epochs", type=int, default=2,
                   help="epochs to time in --synthetic mode (default 2)")
    p.add_argument("--dtype", choices=tuple(DTYPES), default="float64")
    p.add_argument("--threads", type=int, default=None,
                   help="torch intra-op threads and BLAS threads "
                        "(default $OPENBLAS_NUM_THREADS, else 1)")
    p.add_argument("--ns-epochs", type=int, default=ref.NS_EPOCHS,
                   help="n_s in epochs (default 2)")
    p.add_argument("--m", type=int, default=ref.M, help="hidden units (default 50)")
    p.add_argument("--lam", type=float, default=ref.LAMBDA, help="lambda (default 1e-4)")
    p.add_argument("--cycles", type=int, default=ref.CYCLES,
                   help="cycles in --fmnist mode (default 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--history", action="store_true",
                   help="include the recorded history in the --json output")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args(argv)


def main(argv=None):
    """Run the selected mode and print its figures."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads or int(os.environ.get("OPENBLAS_NUM_THREADS", "1")))
    out = run_synthetic(args) if args.synthetic else run_fmnist(args)
    out["torch"] = torch.__version__
    out["torch_threads"] = torch.get_num_threads()
    out["blas"] = ref.blas_info()
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
