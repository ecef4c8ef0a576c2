#!/usr/bin/env bash
# The study "the paper's model families" of docs/Results.md (section 1,
# study C): ResNet-18 and MobileNetV2 on Fashion-MNIST and a causal byte-level
# Transformer LM on the default text corpus (Debian's fortunes), each
# exported from PyTorch (scripts/export-torch-models.py study) and trained by
# `quant4-run train --model` under every recipe and ablation, with the seeds
# of SEEDS. Then scripts/study-report.py writes the table into
# docs/Results.md (between the "study:begin/end" markers).
#
#   bash scripts/study.sh                    # ~3 h on 2 cores
#   SEEDS="1" MODELS="bytelm" bash scripts/study.sh     # a subset
#
# Sizes (reduced to fit a 2-core machine; docs/Results.md says so):
#   resnet18   RESNET_TRAIN (6400) seeded training images, 1 epoch, batch 64,
#              SGD lr 0.05 momentum 0.9, warm-up + cosine; RESNET_TEST (2000)
#              seeded test images
#   mobilenet  MOBILENET_TRAIN (6400) images, same optimizer; MOBILENET_TEST
#              (2000). (At 1,920 images, 30 steps, the running statistics
#              of BatchNorm are not yet usable: PyTorch itself evaluates the
#              same model at 9 % after 30 steps and 75 % after 100.)
#   bytelm     LM_TRAIN (1600) windows of 64 bytes, 1 epoch, batch 32, AdamW
#              lr 1e-3, warm-up + cosine; LM_TEST (1000) test windows
# Each run on one kernel thread, JOBS (2) at a time, JIT at -O0 (the time is
# in the runtime's kernels; -O2 compiles ResNet-18 for ~100 s). A run whose
# log already ends with its "final:" line is not run again, so an interrupted
# study resumes where it stopped. PyTorch (Debian's python3-torch,
# python3-torchvision, python3-onnx) exports the models; it is installed here
# if missing, never by the build.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
run=$build/bin/quant4-run
out=${STUDY_DIR:-$build/results/study}
seeds=${SEEDS:-1 2 3}
jobs=${JOBS:-2}
models=${MODELS:-resnet18 bytelm mobilenet}
recipes=${RECIPES:-fp32 ultralow4 ultralow4:keep-first=false,keep-last=false luq mxfp4 nvfp4 fp8 ultralow4-notpr ultralow4-nogradscale ultralow4-radix2}
# The Transformer also with signed activations (its layers' inputs are
# LayerNorm, attention and GELU outputs, not ReLU outputs).
lm_recipes=${LM_RECIPES:-$recipes ultralow4:signed-act=true}
update_docs=${UPDATE_DOCS:-1}

[ -x "$run" ] || { echo "study: $run not found; build first (bash scripts/setup.sh)" >&2; exit 1; }
[ -d /usr/share/datasets/fashion-mnist ] || { echo "study: Fashion-MNIST not installed (bash scripts/setup.sh installs dataset-fashion-mnist)" >&2; exit 1; }
if ! /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null; then
  echo "study: installing PyTorch to export the models (python3-torch python3-torchvision python3-onnx)"
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get install -y -q python3-torch python3-torchvision python3-onnx >/dev/null
fi
mkdir -p "$out/models"
missing=0
for s in $seeds; do
  for m in resnet18_fmnist mobilenet_v2_fmnist bytelm_study; do
    [ -f "$out/models/$m.s$s.onnx" ] || missing=1
  done
done
if [ $missing = 1 ]; then
  /usr/bin/python3 "$root/scripts/export-torch-models.py" study "$out/models" --seeds $seeds \
    > "$out/models/export.log" 2>&1 || { echo "study: export failed (see $out/models/export.log)" >&2; exit 1; }
fi

# One line per run: model recipe seed. Seed-major, so that a study cut short
# has every model and recipe with its first seeds.
jobfile=$out/jobs.txt
: > "$jobfile"
for seed in $seeds; do
  for model in $models; do
    rs=$recipes
    [ "$model" = bytelm ] && rs=$lm_recipes
    for recipe in $rs; do echo "$model $recipe $seed" >> "$jobfile"; done
  done
done

export run out root
# FP32 GEMMs and convolutions run on OpenBLAS, whose result bits depend on
# the kernel it picks for the CPU (the AVX-512 and AVX2 kernels sum in other
# orders): pinning the AVX2 kernel makes the tables reproducible on any
# x86-64 machine with AVX2. QUANT4_STUDY_BLAS_CORE=native leaves the choice
# to OpenBLAS.
if [ "${QUANT4_STUDY_BLAS_CORE:-Haswell}" = native ]; then
  unset OPENBLAS_CORETYPE
else
  export OPENBLAS_CORETYPE=${QUANT4_STUDY_BLAS_CORE:-Haswell}
fi
export RESNET_TRAIN=${RESNET_TRAIN:-6400} RESNET_TEST=${RESNET_TEST:-2000}
export MOBILENET_TRAIN=${MOBILENET_TRAIN:-6400} MOBILENET_TEST=${MOBILENET_TEST:-2000}
export LM_TRAIN=${LM_TRAIN:-1600} LM_TEST=${LM_TEST:-1000}
one() {
  local model=$1 recipe=$2 seed=$3
  local tag=$model-$(echo "$recipe" | tr ':=,' '___')-s$seed
  local log=$out/$tag.log
  local args train test
  case $model in
    resnet18) train=$RESNET_TRAIN test=$RESNET_TEST
              args=(--model "$out/models/resnet18_fmnist.s$seed.onnx" --dataset fashion-mnist
                    --batch-size 64 --lr 0.05) ;;
    mobilenet) train=$MOBILENET_TRAIN test=$MOBILENET_TEST
               args=(--model "$out/models/mobilenet_v2_fmnist.s$seed.onnx" --dataset fashion-mnist
                     --batch-size 64 --lr 0.05) ;;
    bytelm) train=$LM_TRAIN test=$LM_TEST
            args=(--model "$out/models/bytelm_study.s$seed.onnx" --dataset text --batch-size 32
                  --optimizer adamw --lr 1e-3) ;;
    *) echo "study: unknown model $model" >&2; return 1 ;;
  esac
  args+=(--train-limit "$train" --test-limit "$test")
  # A finished run of the same sizes is kept.
  # (The sizes are on the "train:" line; warnings may come before it.)
  if [ -f "$log" ] && grep -q '^final:' "$log" &&
     grep -m1 '^train:' "$log" | grep -q "; $train train / $test test samples"; then
    echo "  (kept) $(grep '^final:' "$log")  [$model seed $seed]"
    return
  fi
  if "$run" train "${args[@]}" --recipe "$recipe" --epochs 1 --schedule warmup-cosine \
       --seed "$seed" --threads 1 -O0 --metrics "$out/$tag.csv" > "$log.tmp" 2>&1; then
    mv "$log.tmp" "$log"
    echo "  $(grep '^final:' "$log")  [$model seed $seed]"
  else
    mv "$log.tmp" "$log"
    echo "  FAILED: $tag (see $log)" >&2
  fi
}
export -f one
start=$(date +%s)
echo "study: $(wc -l < "$jobfile") runs, $jobs at a time, logs in $out"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
} > "$out/machine.txt"
xargs -P "$jobs" -L 1 bash -c 'one "$@"' _ < "$jobfile"
elapsed=$(( $(date +%s) - start ))
echo "study: done in $((elapsed / 60)) min $((elapsed % 60)) s"
echo "elapsed_s: $elapsed" >> "$out/machine.txt"

if [ "$update_docs" = 1 ]; then
  python3 "$root/scripts/study-report.py" "$out" "$root/docs/Results.md" --seeds $seeds --models $models
fi
