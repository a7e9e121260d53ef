#!/usr/bin/env python3
"""Write pkg/data/testdata/py3-proto{2..5}-{bytes,str}.pkl and fuzzseed-*.pkl.

Each is a CIFAR-10 python batch of 2 examples as Python 3 re-pickles one:
keys and strings as bytes (what pickle.load(f, encoding="bytes") gives for a
Python 2 file) or as str (encoding="latin1"). The pixels and labels follow
synth(2, 3072, 5) in pkg/data/fixtures_test.go, which the Go test compares
against. The fuzzseed files are the same with rows of 4 pixels, small seeds
for FuzzPickle. Run from the repository root with python3 and numpy installed:

    python3 scripts/py3-pickle-fixtures.py
"""
import pickle

import numpy as np

N, SEED = 2, 5
labels = [int((k * 7 + SEED) % 10) for k in range(N)]
names = ["image_%05d.png" % k for k in range(N)]


def synth(d):
    i = np.arange(N).reshape(N, 1)
    j = np.arange(d).reshape(1, d)
    return ((i * 31 + j * 17 + SEED * 101 + (i * j) % 13) % 256).astype(np.uint8)


for proto in (2, 3, 4, 5):
    with open("pkg/data/testdata/fuzzseed-proto%d.pkl" % proto, "wb") as f:
        pickle.dump({"data": synth(4), "labels": labels}, f, protocol=proto)
    data = synth(3072)
    for keys in ("bytes", "str"):
        if keys == "bytes":
            d = {b"batch_label": b"training batch 1 of 5", b"labels": labels,
                 b"data": data, b"filenames": [n.encode() for n in names]}
        else:
            d = {"batch_label": "training batch 1 of 5", "labels": labels,
                 "data": data, "filenames": names}
        path = "pkg/data/testdata/py3-proto%d-%s.pkl" % (proto, keys)
        with open(path, "wb") as f:
            pickle.dump(d, f, protocol=proto)
