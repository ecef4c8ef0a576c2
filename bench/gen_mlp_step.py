#!/usr/bin/env python3
"""Writes the joint training step (forward, MSE loss, backward, SGD) of an
L-layer MLP (width W, batch B) in linalg, like examples/mlp_train_step.mlir,
for compile-time benchmarks: gen_mlp_step.py LAYERS [WIDTH] [BATCH]."""
import sys

L = int(sys.argv[1])
W = int(sys.argv[2]) if len(sys.argv) > 2 else 64
B = int(sys.argv[3]) if len(sys.argv) > 3 else 16
t = lambda a, b: f"tensor<{a}x{b}xf32>"
out = []
p = out.append
p("#map = affine_map<(d0, d1) -> (d0, d1)>")
p("#scalar = affine_map<(d0, d1) -> ()>")
p("module {")
args = ", ".join(f"%w{i}: {t(W, W)}" for i in range(L))
p(f"  func.func @train_step({args}, %x: {t(B, W)}, %t: {t(B, W)}, %lr: f32)")
p(f"      -> ({', '.join([t(W, W)] * L)}, tensor<f32>) {{")
p("    %zero = arith.constant 0.0 : f32")
p(f"    %gs = arith.constant {2.0 / (B * W)} : f32")
p(f"    %eBW = tensor.empty() : {t(B, W)}")
p(f"    %zBW = linalg.fill ins(%zero : f32) outs(%eBW : {t(B, W)}) -> {t(B, W)}")
p(f"    %eWW = tensor.empty() : {t(W, W)}")
p(f"    %zWW = linalg.fill ins(%zero : f32) outs(%eWW : {t(W, W)}) -> {t(W, W)}")
p(f"    %eWB = tensor.empty() : {t(W, B)}")
relu = lambda dst, src: (
    f"    {dst} = linalg.generic {{indexing_maps = [#map, #map], iterator_types = [\"parallel\", \"parallel\"]}}"
    f" ins({src} : {t(B, W)}) outs(%eBW : {t(B, W)}) {{\n"
    f"      ^bb0(%a: f32, %o: f32):\n        %r = arith.maximumf %a, %zero : f32\n        linalg.yield %r : f32\n    }} -> {t(B, W)}")
h = "%x"
for i in range(L):
    p(f"    %pre{i} = linalg.matmul ins({h}, %w{i} : {t(B, W)}, {t(W, W)}) outs(%zBW : {t(B, W)}) -> {t(B, W)}")
    if i < L - 1:
        p(relu(f"%h{i}", f"%pre{i}"))
        h = f"%h{i}"
    else:
        h = f"%pre{i}"
p(f"    %diff = linalg.sub ins({h}, %t : {t(B, W)}, {t(B, W)}) outs(%eBW : {t(B, W)}) -> {t(B, W)}")
p("    %e0 = tensor.empty() : tensor<f32>")
p("    %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>")
p(f"    %loss = linalg.generic {{indexing_maps = [#map, #scalar], iterator_types = [\"reduction\", \"reduction\"]}} ins(%diff : {t(B, W)}) outs(%z0 : tensor<f32>) {{\n"
  f"      ^bb0(%d: f32, %acc: f32):\n        %sq = arith.mulf %d, %d : f32\n        %s = arith.addf %acc, %sq : f32\n        linalg.yield %s : f32\n    }} -> tensor<f32>")
p(f"    %g{L-1} = linalg.generic {{indexing_maps = [#map, #map], iterator_types = [\"parallel\", \"parallel\"]}} ins(%diff : {t(B, W)}) outs(%eBW : {t(B, W)}) {{\n"
  f"      ^bb0(%d: f32, %o: f32):\n        %g = arith.mulf %d, %gs : f32\n        linalg.yield %g : f32\n    }} -> {t(B, W)}")
for i in reversed(range(L)):
    inp = "%x" if i == 0 else f"%h{i-1}"
    p(f"    %it{i} = linalg.transpose ins({inp} : {t(B, W)}) outs(%eWB : {t(W, B)}) permutation = [1, 0]")
    p(f"    %dw{i} = linalg.matmul ins(%it{i}, %g{i} : {t(W, B)}, {t(B, W)}) outs(%zWW : {t(W, W)}) -> {t(W, W)}")
    if i > 0:
        p(f"    %wt{i} = linalg.transpose ins(%w{i} : {t(W, W)}) outs(%eWW : {t(W, W)}) permutation = [1, 0]")
        p(f"    %dh{i} = linalg.matmul ins(%g{i}, %wt{i} : {t(B, W)}, {t(W, W)}) outs(%zBW : {t(B, W)}) -> {t(B, W)}")
        p(f"    %g{i-1} = linalg.generic {{indexing_maps = [#map, #map, #map], iterator_types = [\"parallel\", \"parallel\"]}} ins(%dh{i}, %pre{i-1} : {t(B, W)}, {t(B, W)}) outs(%eBW : {t(B, W)}) {{\n"
          f"      ^bb0(%g: f32, %q: f32, %o: f32):\n        %pos = arith.cmpf ogt, %q, %zero : f32\n        %r = arith.select %pos, %g, %zero : f32\n        linalg.yield %r : f32\n    }} -> {t(B, W)}")
    p(f"    %nw{i} = linalg.generic {{indexing_maps = [#map, #map, #map], iterator_types = [\"parallel\", \"parallel\"]}} ins(%w{i}, %dw{i} : {t(W, W)}, {t(W, W)}) outs(%eWW : {t(W, W)}) {{\n"
      f"      ^bb0(%w: f32, %g: f32, %o: f32):\n        %s = arith.mulf %lr, %g : f32\n        %n = arith.subf %w, %s : f32\n        linalg.yield %n : f32\n    }} -> {t(W, W)}")
res = ", ".join(f"%nw{i}" for i in range(L))
p(f"    return {res}, %loss : {', '.join([t(W, W)] * L)}, tensor<f32>")
p("  }")
p("}")
print("\n".join(out))
