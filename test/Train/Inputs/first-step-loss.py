#!/usr/bin/python3
"""Checks that `quant4-run train --init model` starts from an ONNX model's own
weights (test/Train/onnx-model.test).

  first-step-loss.py images MODEL.onnx IDX_DIR OUT.npy
      writes every training image of the IDX dataset (byte / 255, float32) in
      the layout of MODEL's input (N x 784, N x 28 x 28, N x 1 x 28 x 28 or
      N x 28 x 28 x 1), N the number of training images
  first-step-loss.py compare LOGITS.npy IDX_DIR METRICS.csv
      computes the mean softmax cross-entropy and the accuracy of LOGITS (the
      model's forward on those images: quant4-run MODEL.onnx) in double
      precision and compares them with the train_loss / train_acc of the
      first epoch in METRICS.csv (a run of one step over exactly those
      images: the loss of the initial parameters)

Needs numpy only (and onnx for `images`).
"""
import gzip
import os
import struct
import sys

import numpy as np


def read_idx(path):
    if not os.path.exists(path):
        path += ".gz"
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    dims = [struct.unpack(">I", data[4 + 4 * i:8 + 4 * i])[0]
            for i in range(magic & 0xFF)]
    offset = 4 + 4 * len(dims)
    return np.frombuffer(data[offset:], np.uint8).reshape(dims)


def main():
    cmd = sys.argv[1]
    if cmd == "images":
        import onnx
        model, idx, out = sys.argv[2:5]
        images = read_idx(os.path.join(idx, "train-images-idx3-ubyte"))
        x = images.astype(np.float32) / np.float32(255)
        dims = onnx.load(model).graph.input[0].type.tensor_type.shape.dim
        shape = [len(x)] + [d.dim_value for d in dims[1:]]
        np.save(out, x.reshape(shape))
        print("images", "x".join(str(s) for s in shape))
    elif cmd == "compare":
        logits, idx, csv = sys.argv[2:5]
        z = np.load(logits).astype(np.float64)
        t = read_idx(os.path.join(idx, "train-labels-idx1-ubyte")).astype(int)
        m = z.max(axis=1)
        loss = np.mean(m + np.log(np.exp(z - m[:, None]).sum(axis=1))
                       - z[np.arange(len(t)), t])
        acc = np.mean(z.argmax(axis=1) == t)
        with open(csv) as f:
            rows = [line.strip().split(",") for line in f]
        head = rows[0]
        row = dict(zip(head, rows[1]))
        got_loss, got_acc = float(row["train_loss"]), float(row["train_acc"])
        print("loss %s (model %.6f, train %.6f)" %
              ("match" if abs(got_loss - loss) <= 1e-5 else "MISMATCH", loss,
               got_loss))
        print("accuracy %s (model %.6f, train %.6f)" %
              ("match" if abs(got_acc - acc) <= 5e-7 else "MISMATCH", acc,
               got_acc))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
