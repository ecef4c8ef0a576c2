#!/usr/bin/python3
"""check_mlp.py MODEL.onnx X.npy Y.npy: compares quant4's output Y for the
`mlp` test model with numpy's forward (Gemm transB=1, Relu, Gemm)."""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

m = onnx.load(sys.argv[1])
w = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
x = np.load(sys.argv[2])
h = np.maximum(x @ w["fc1.weight"].T + w["fc1.bias"], 0)
ref = h @ w["fc2.weight"].T + w["fc2.bias"]
err = float(np.abs(np.load(sys.argv[3]) - ref).max())
print("max abs error %g %s" % (err, "OK" if err < 1e-4 else "TOO LARGE"))
