#!/usr/bin/env bash
# The Q4A projected speed-up tables of docs/Simulator.md: cycles per training
# step (batch 64) of examples/mlp.mlir and examples/lenet.mlir on the
# modelled accelerator, 4-bit recipes against the same step under `fp32`
# costed as FP16 (--f32-as-fp16), each compiled with three schedules:
# serial (q4a-synchronize=mode=serial), tokens (q4a-synchronize) and hoisted
# (q4a-hoist-loads, then q4a-synchronize); the LeNet step's program size at
# batch 64 and 256, straight-line and with hardware loops
# (q4a-materialize-loops); and a 1024^3 4-bit GEMM (codes in, f32 out).
# Usage: bash bench/q4a_speedup.sh   (prints Markdown; ~3 minutes)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
bash "$root/scripts/setup.sh" > /dev/null
cmake --build "$build" --target quant4-opt quant4-translate quant4-sim > /dev/null
export PATH="$build/bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The back-end passes after convert-quant4-to-q4a for each schedule.
passes() {
  case $1 in
    serial) echo "--q4a-synchronize=mode=serial" ;;
    tokens) echo "--q4a-synchronize" ;;
    hoisted) echo "--q4a-hoist-loads --q4a-synchronize" ;;
    loops) echo "--q4a-hoist-loads --q4a-synchronize --q4a-materialize-loops" ;;
  esac
}
# Every quant4-opt keeps locations (--mlir-print-debuginfo): the binary's
# source map labels each instruction with the layer or source line it came
# from (quant4-sim --stats, "by source").
opt() { quant4-opt --mlir-print-debuginfo "$@"; }
# compile STEP.mlir ENTRY SCHEDULE OUT.q4a [CONVERT-OPTIONS]
compile() {
  # shellcheck disable=SC2046
  opt "$1" --convert-quant4-to-q4a="entry=$2 sp-size=1048576${5:+ $5}" \
      $(passes "$3") | quant4-translate --q4a-to-bin -o "$4"
}
# cycles PROG.q4a [extra sim flags]: prints "cycles dma mxu vpu sfu"
cycles() {
  local p=$1
  shift
  quant4-sim "$p" --random-inputs 1 --stats --strict-sync "$@" | awk '
    /^cycles:/ { c = $2 }
    /^(dma|mxu|vpu|sfu) / { b[$1] = $3 }
    END { print c, b["dma"], b["mxu"], b["vpu"], b["sfu"] }'
}
fmt() { echo "$1" | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta'; }

echo "| model / recipe | schedule | cycles | DMA busy | MXU busy | VPU busy | SFU busy | speed-up vs FP16 (same schedule) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for model in mlp lenet; do
  opt "$root/examples/$model.mlir" --quant4-build-training-step \
      -o "$work/$model.mlir"
  entry=${model}_train_step
  name=MLP
  [ "$model" = lenet ] && name=LeNet
  opt "$work/$model.mlir" --quant4-apply-recipe="recipe=fp32" -o "$work/$model-fp32.mlir"
  opt "$work/$model.mlir" --quant4-apply-recipe="recipe=ultralow4" -o "$work/$model-u4.mlir"
  opt "$work/$model.mlir" --quant4-apply-recipe="recipe=ultralow4 keep-first=false keep-last=false" \
      -o "$work/$model-all4.mlir"
  for mode in serial tokens hoisted; do
    compile "$work/$model-fp32.mlir" "$entry" "$mode" "$work/fp32.q4a"
    read -r base d m v s < <(cycles "$work/fp32.q4a" --f32-as-fp16)
    echo "| $name, FP16 (fp32 recipe) | $mode | $(fmt "$base") | $(fmt "$d") | $(fmt "$m") | $(fmt "$v") | $(fmt "$s") | 1.00× |"
    for variant in u4 all4; do
      label="ultralow4 (first/last layer FP16)"
      [ "$variant" = all4 ] && label="ultralow4, every layer 4-bit"
      compile "$work/$model-$variant.mlir" "$entry" "$mode" "$work/$variant.q4a"
      read -r c d m v s < <(cycles "$work/$variant.q4a" --f32-as-fp16)
      echo "| $name, $label | $mode | $(fmt "$c") | $(fmt "$d") | $(fmt "$m") | $(fmt "$v") | $(fmt "$s") | $(awk -v a="$base" -v b="$c" 'BEGIN { printf "%.2f×", a / b }') |"
    done
    compile "$work/$model-all4.mlir" "$entry" "$mode" "$work/all4-bytes.q4a" pack-codes=false
    read -r c d m v s < <(cycles "$work/all4-bytes.q4a" --f32-as-fp16)
    echo "| … codes one per DRAM byte (\`pack-codes=false\`) | $mode | $(fmt "$c") | $(fmt "$d") | $(fmt "$m") | $(fmt "$v") | $(fmt "$s") | $(awk -v a="$base" -v b="$c" 'BEGIN { printf "%.2f×", a / b }') |"
    read -r c d m v s < <(cycles "$work/all4.q4a" --f32-as-fp16 --timing rate4=8)
    echo "| … + 4-bit MXU at 8× FP16 (\`rate4=8\`) | $mode | $(fmt "$c") | $(fmt "$d") | $(fmt "$m") | $(fmt "$v") | $(fmt "$s") | $(awk -v a="$base" -v b="$c" 'BEGIN { printf "%.2f×", a / b }') |"
  done
done

# Per layer: the LeNet step's hoisted programs of the last loop, FP16 and
# every layer 4-bit, each source label's busiest unit (the least time its
# instructions can take) side by side.
echo
echo "Per layer, LeNet step, hoisted schedule (\`quant4-sim --stats --stats-sources 0\`; busiest unit's cycles; the labels are convert-quant4-to-q4a's: a layer's GEMMs with their quantization and derivative ops, else a line of examples/lenet.mlir):"
echo
echo "| source | FP16: busiest unit, cycles | every layer 4-bit: busiest unit, cycles | speed-up | DMA bytes 4-bit / FP16 |"
echo "|---|---:|---:|---:|---:|"
bySource() {
  quant4-sim "$1" --random-inputs 1 --stats --stats-sources 0 --f32-as-fp16 | awk '
    /^by source/ { on = 1; getline; next }
    /^host:/ { on = 0 }
    on {
      label = $10; for (i = 11; i <= NF; ++i) label = label " " $i
      best = $2; unit = "dma"
      if ($3 > best) { best = $3; unit = "mxu" }
      if ($4 > best) { best = $4; unit = "vpu" }
      if ($5 > best) { best = $5; unit = "sfu" }
      printf "%s\t%s\t%d\t%d\n", label, unit, best, $6
    }'
}
bySource "$work/fp32.q4a" | sort -t$'\t' -k1,1 > "$work/fp16.layers"
bySource "$work/all4.q4a" | sort -t$'\t' -k1,1 > "$work/all4.layers"
join -t$'\t' "$work/fp16.layers" "$work/all4.layers" | sort -t$'\t' -k3,3nr | head -12 |
  while IFS=$'\t' read -r label u1 c1 b1 u2 c2 b2; do
    echo "| $label | $u1 $(fmt "$c1") | $u2 $(fmt "$c2") | $(awk -v a="$c1" -v b="$c2" 'BEGIN { printf "%.2f×", a / b }') | $(awk -v a="$b1" -v b="$b2" 'BEGIN { printf "%.2f", b / a }') |"
  done

echo
echo "Models imported from ONNX (test/Target/ONNX/Models, batch 2; schedule: hoisted):"
echo
echo "| model / recipe | cycles | DMA busy | MXU busy | VPU busy | SFU busy | speed-up vs FP16 |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for onnx in resnet_train mobilenet_eval; do
  name="residual CNN with BatchNorm (resnet_train)"
  flags=(--batchnorm=training)
  if [ "$onnx" = mobilenet_eval ]; then
    name="MobileNetV2 blocks (mobilenet_eval)"
    flags=()
  fi
  quant4-translate --import-onnx "$root/test/Target/ONNX/Models/$onnx.onnx" "${flags[@]}" \
      -o "$work/$onnx.mlir"
  opt "$work/$onnx.mlir" --quant4-build-training-step=forward=main -o "$work/$onnx-step.mlir"
  base=
  for recipe in fp32 ultralow4; do
    opt "$work/$onnx-step.mlir" --quant4-apply-recipe=recipe=$recipe -o "$work/$onnx-$recipe.mlir" 2> /dev/null
    compile "$work/$onnx-$recipe.mlir" main_train_step hoisted "$work/$onnx-$recipe.q4a"
    read -r c d m v s < <(cycles "$work/$onnx-$recipe.q4a" --f32-as-fp16)
    [ -z "$base" ] && base=$c
    label=FP16
    [ "$recipe" = ultralow4 ] && label=ultralow4
    echo "| $name, $label | $(fmt "$c") | $(fmt "$d") | $(fmt "$m") | $(fmt "$v") | $(fmt "$s") | $(awk -v a="$base" -v b="$c" 'BEGIN { printf "%.2f×", a / b }') |"
  done
done

echo
echo 'Program size: the LeNet step with every layer 4-bit at two batch sizes (examples/lenet.mlir with its batch of 64 replaced), hoisted schedule, straight-line and with hardware loops (`q4a-materialize-loops`, ISA 1.5); code words count the step words of the instructions inside loops:'
echo
echo "| batch | straight-line: instructions | cycles | with loops: instructions | code words | executed | cycles | quant4-opt --q4a-materialize-loops (parse, pass, print) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
# size PROG.q4a: prints "binary-instructions code-words executed cycles"
size() {
  quant4-sim "$1" --random-inputs 1 --stats --strict-sync --f32-as-fp16 | awk '
    /^program / { e = $3; b = $6; sub(/^\(/, "", b); w = b
                  if ($0 ~ /code words/) { w = $(NF - 2) } }
    /^cycles:/ { c = $2 }
    END { print b, w, e, c }'
}
for bs in 64 256; do
  sed "s/\b64x/${bs}x/g" "$root/examples/lenet.mlir" > "$work/lenet-b$bs.mlir"
  opt "$work/lenet-b$bs.mlir" --quant4-build-training-step |
    opt --quant4-apply-recipe="recipe=ultralow4 keep-first=false keep-last=false" \
        -o "$work/lenet-b$bs-all4.mlir"
  compile "$work/lenet-b$bs-all4.mlir" lenet_train_step hoisted "$work/b$bs-flat.q4a"
  opt "$work/lenet-b$bs-all4.mlir" --convert-quant4-to-q4a="entry=lenet_train_step sp-size=1048576" \
      --q4a-hoist-loads --q4a-synchronize -o "$work/b$bs-flat.mlir"
  t0=$(date +%s.%N)
  opt "$work/b$bs-flat.mlir" --q4a-materialize-loops -o "$work/b$bs-loops.mlir"
  t1=$(date +%s.%N)
  quant4-translate --q4a-to-bin "$work/b$bs-loops.mlir" -o "$work/b$bs-loops.q4a"
  read -r fb _ _ fc < <(size "$work/b$bs-flat.q4a")
  read -r lb lw le lc < <(size "$work/b$bs-loops.q4a")
  echo "| $bs | $(fmt "$fb") | $(fmt "$fc") | $(fmt "$lb") | $(fmt "$lw") | $(fmt "$le") | $(fmt "$lc") | $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s", b - a }') |"
done

echo
echo "1024³ GEMM, int4 × int4 codes in, f32 out (quant4.matmul, default 512 KiB scratchpad):"
echo
cat > "$work/gemm.mlir" <<'EOF'
func.func @gemm(%a: tensor<1024x1024x!quant4.int<4>>, %b: tensor<1024x1024x!quant4.int<4>>,
                %sa: tensor<f32>, %sb: tensor<f32>) -> tensor<1024x1024xf32> {
  %c = quant4.matmul %a, %b scales(%sa, %sb) acc<f32>
      : tensor<1024x1024x!quant4.int<4>>, tensor<1024x1024x!quant4.int<4>>,
        tensor<f32>, tensor<f32> -> tensor<1024x1024xf32>
  return %c : tensor<1024x1024xf32>
}
EOF
echo "| schedule | instructions in the binary | cycles | MXU busy | DMA busy | roofline |"
echo "|---|---:|---:|---:|---:|---|"
for mode in serial tokens hoisted loops; do
  # shellcheck disable=SC2046
  quant4-opt "$work/gemm.mlir" --convert-quant4-to-q4a=entry=gemm \
      $(passes "$mode") | quant4-translate --q4a-to-bin -o "$work/gemm.q4a"
  quant4-sim "$work/gemm.q4a" --random-inputs 1 --stats --strict-sync | awk -v mode="$mode" '
    /^program / { b = $6; sub(/^\(/, "", b) }
    /^cycles:/ { c = $2 }
    /^mxu / { m = $4 }
    /^dma / { d = $4 }
    /^roofline:/ { sub(/^roofline: /, ""); r = $0 }
    END { printf "| %s | %d | %d | %s | %s | %s |\n", mode, b, c, m, d, r }' |
    sed -e ':a' -e 's/| \([0-9][0-9]*\)\([0-9]\{3\}\) |/| \1,\2 |/' -e 'ta'
done
