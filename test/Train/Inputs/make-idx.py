#!/usr/bin/env python3
"""Writes a small synthetic MNIST-format dataset (IDX files) for the tests of
`quant4-run train --dataset mnist-idx:DIR`.

  make-idx.py DIR [--train N] [--test N] [--gzip] [--corrupt KIND]

Image i of class c = i % 10 is a 28x28 picture with a bright 4x4 square at a
class-dependent position plus deterministic noise, so a model can learn it.
--corrupt writes a broken dataset: bad-magic (train images), truncated
(train images cut mid-image), bad-label (a label 11), count-mismatch (one
test label fewer than images), missing (no test label file).
"""
import argparse
import gzip
import os
import struct

p = argparse.ArgumentParser()
p.add_argument("dir")
p.add_argument("--train", type=int, default=256)
p.add_argument("--test", type=int, default=128)
p.add_argument("--gzip", action="store_true")
p.add_argument("--corrupt", default="")
a = p.parse_args()
os.makedirs(a.dir, exist_ok=True)


def images(n, salt):
    out = bytearray()
    state = 12345 + salt
    for i in range(n):
        c = i % 10
        img = bytearray(784)
        for k in range(784):
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            img[k] = (state >> 16) % 40
        r0, c0 = 2 + 2 * (c // 5) * 5, 2 + 5 * (c % 5)
        for r in range(r0, r0 + 4):
            for q in range(c0, c0 + 4):
                img[r * 28 + q] = 255
        out += img
    return bytes(out)


def write(name, data):
    path = os.path.join(a.dir, name + (".gz" if a.gzip else ""))
    if a.gzip:
        data = gzip.compress(data, mtime=0)
    with open(path, "wb") as f:
        f.write(data)


for prefix, n, salt in (("train", a.train, 0), ("t10k", a.test, 1)):
    img = struct.pack(">IIII", 0x803, n, 28, 28) + images(n, salt)
    labels = bytes(i % 10 for i in range(n))
    nl = n
    if prefix == "train" and a.corrupt == "bad-magic":
        img = struct.pack(">I", 0x1234) + img[4:]
    if prefix == "train" and a.corrupt == "truncated":
        img = img[: 16 + 784 * (n // 2) + 100]
    if prefix == "train" and a.corrupt == "bad-label":
        labels = labels[:3] + bytes([11]) + labels[4:]
    if prefix == "t10k" and a.corrupt == "count-mismatch":
        nl = n - 1
        labels = labels[:nl]
    write(prefix + "-images-idx3-ubyte", img)
    if not (prefix == "t10k" and a.corrupt == "missing"):
        write(prefix + "-labels-idx1-ubyte", struct.pack(">II", 0x801, nl) + labels)
