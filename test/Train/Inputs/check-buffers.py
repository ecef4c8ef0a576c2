#!/usr/bin/python3
"""Compares the .npy files quant4-run train --save-params wrote.

  check-buffers.py changed DIR NAME=VALUE...   prints, per NAME, "NAME changed"
      if DIR/NAME.npy differs anywhere from the constant VALUE (its initial
      value), else "NAME unchanged"
  check-buffers.py finite DIR     prints "all finite" if every DIR/*.npy is
"""
import glob
import os
import sys

import numpy as np

if sys.argv[1] == "changed":
    for spec in sys.argv[3:]:
        name, value = spec.split("=")
        a = np.load(os.path.join(sys.argv[2], name + ".npy"))
        print(name, "changed" if np.any(a != np.float32(value))
              else "unchanged")
elif sys.argv[1] == "finite":
    ok = all(np.all(np.isfinite(np.load(f)))
             for f in glob.glob(os.path.join(sys.argv[2], "*.npy")))
    print("all finite" if ok else "NOT FINITE")
