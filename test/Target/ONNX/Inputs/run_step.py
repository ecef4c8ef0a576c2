"""Runs one training step of an imported model with quant4-run.

    run_step.py QUANT4_RUN MODULE.mlir OUT_DIR X.npy LABELS.npy H1 H2 H3

MODULE.mlir holds @main_train_step (a recipe applied or not), @main_params
and, with a recipe, @main_train_step_init_state. The step's arguments are
fed in its order: the model arguments (parameters and buffers, the values
of @main_params), a zero momentum buffer per parameter, the batch, the
labels, the hyper-parameters H1..H3 (SGD: lr, momentum, weight decay),
then the recipe state. Prints the loss, whether it is finite, and how many
parameters and buffers changed.
"""
import os
import re
import subprocess
import sys

import numpy as np


def run(cmd):
    subprocess.run(cmd, check=True)


def main(argv):
    q4run, module, out, x, labels = argv[1:6]
    hypers = argv[6:9]
    text = open(module).read()
    sig = re.search(r"func\.func @main_params\(\) -> \((.*?)\) attributes", text)
    kinds = re.findall(r"\{quant4\.(param|buffer) = ", sig.group(1))
    run([q4run, module, "--entry", "main_params", "--output-dir",
         os.path.join(out, "params")])
    model = [os.path.join(out, "params", "result%d.npy" % i)
             for i in range(len(kinds))]
    state = []
    if "@main_train_step_init_state" in text:
        run([q4run, module, "--entry", "main_train_step_init_state",
             "--output-dir", os.path.join(out, "state")])
        sdir = os.path.join(out, "state")
        state = [os.path.join(sdir, "result%d.npy" % i)
                 for i in range(len(os.listdir(sdir)))]
    momenta = []
    for i, (k, path) in enumerate(zip(kinds, model)):
        if k == "param":
            m = os.path.join(out, "m%d.npy" % i)
            np.save(m, np.zeros_like(np.load(path)))
            momenta.append(m)
    cmd = [q4run, module, "--entry", "main_train_step", "--output-dir",
           os.path.join(out, "step")]
    for path in model + momenta + [x, labels]:
        cmd += ["--input", path]
    for h in hypers:
        cmd += ["--scalar", h]
    for path in state:
        cmd += ["--input", path]
    run(cmd)
    res = lambda i: np.load(os.path.join(out, "step", "result%d.npy" % i))
    loss = float(res(len(kinds) + len(momenta)))
    changed = {"param": 0, "buffer": 0}
    for i, (k, path) in enumerate(zip(kinds, model)):
        if np.any(res(i) != np.load(path)):
            changed[k] += 1
    print("loss %.6f finite %s" % (loss, np.isfinite(loss)))
    print("params changed %d of %d" % (changed["param"], kinds.count("param")))
    print("buffers changed %d of %d" % (changed["buffer"], kinds.count("buffer")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
