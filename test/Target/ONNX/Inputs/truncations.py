#!/usr/bin/python3
"""truncations.py MODEL OUT_DIR N: writes N prefixes of MODEL (evenly
spaced lengths, the whole file excluded) as OUT_DIR/prefixK.onnx."""
import os
import sys

data = open(sys.argv[1], "rb").read()
out, n = sys.argv[2], int(sys.argv[3])
os.makedirs(out, exist_ok=True)
for k in range(n):
    length = (len(data) - 1) * k // n
    with open(os.path.join(out, "prefix%02d.onnx" % k), "wb") as f:
        f.write(data[:length])
