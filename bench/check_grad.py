#!/usr/bin/python3
"""Check numpy_ref's analytic gradients against central differences.

Small random problem (d=15, m=6, K=10, 20 examples, lambda=0.01), float64.
Prints the relative max error per parameter; exits 1 if any exceeds 1e-6.
"""

import sys

import numpy as np

import numpy_ref as ref

TOLERANCE = 1e-6
EPS = 1e-6


def numeric_grad(net, name, X, y, lam):
    """Central-difference gradient of the cost J with respect to net.<name>."""
    w = getattr(net, name)
    num = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        old = w[idx]
        w[idx] = old + EPS
        plus = ref.evaluate(net, X, y, lam)[0]
        w[idx] = old - EPS
        minus = ref.evaluate(net, X, y, lam)[0]
        w[idx] = old
        num[idx] = (plus - minus) / (2 * EPS)
    return num


def main():
    """Compare and report."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 15))
    y = rng.integers(0, ref.K, 20)
    lam = 0.01
    net = ref.init_net(15, 6, ref.K, seed=3)
    ws = ref.Workspace(net, 20)
    ref.grad(net, X, y, lam, ws)
    worst = 0.0
    for name in ("W1", "b1", "W2", "b2"):
        num = numeric_grad(net, name, X, y, lam)
        err = np.max(np.abs(num - getattr(ws.grad, name))) / np.max(np.abs(num))
        worst = max(worst, err)
        print("%-3s relative max error %.2e" % (name, err))
    return 0 if worst < TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
