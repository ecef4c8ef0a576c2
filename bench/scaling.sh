#!/usr/bin/env bash
# Data-parallel scaling (issue 21, docs/Performance.md "Data-parallel
# training: scaling"): samples/s of quant4-run train, ultralow4, one epoch of
# Fashion-MNIST, batch 64 per replica, one kernel thread per replica, for the
# MLP, LeNet and ResNet-18 (the README's ONNX export):
#   N = 1   a plain run
#   N = 2   mpirun -np 2 on this machine (loopback), f32 and int8 all-reduce
# with the step time split into compute and communication (the replicas'
# collectives, quant4-run's comm_time_s), then a projection to 8-64 replicas
# from the measured compute per step and a network model:
#   t_comm(N) = (N-1)/N * (P_payload + 4*P_elems) / BW + 2*(N-1)*latency
# (the reduce-scatter sends (N-1)/N of the payload, the all-gather receives
# (N-1)/N of the FP32 mean; N-1 messages each), for two networks:
# 100 Gb/s with 5 us latency and 10 Gb/s with 50 us. Prints Markdown tables.
#   QUANT4_BENCH_TRAIN (12800), QUANT4_BENCH_RESNET_TRAIN (640) samples.
set -euo pipefail
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUANT4_BUILD_DIR:-$root/build}
run="$build/bin/quant4-run"
py=/usr/bin/python3
command -v mpirun > /dev/null || { echo "bench/scaling.sh: mpirun not found (bash scripts/setup.sh installs openmpi-bin)" >&2; exit 1; }
mpi=(mpirun --oversubscribe --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
n=${QUANT4_BENCH_TRAIN:-12800}
nres=${QUANT4_BENCH_RESNET_TRAIN:-640}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=bench/models.sh
source "$root/bench/models.sh"
limit() { [ "$1" = resnet18 ] && echo "$nres" || echo "$n"; }

# model replicas allreduce -> "samples_per_s train_time comm_time steps bytes"
measure() {
  local cmd=("$run" train --model "$(model_file "$1")" --dataset fashion-mnist
             --recipe "ultralow4:allreduce=$3" --epochs 1 --seed 1
             --train-limit "$(limit "$1")" --test-limit 64 --threads 1 -O0)
  if [ "$2" = 1 ]; then "${cmd[@]}" > "$tmp/out"; else "${mpi[@]}" -np "$2" "${cmd[@]}" > "$tmp/out"; fi
  tr '\r' '\n' < "$tmp/out" | awk '
    /epoch 1\/1:/ { for (i = 1; i <= NF; ++i) if ($i ~ /^samples_per_s=/) { split($i, a, "="); sps = a[2] } }
    /final:/ { for (i = 1; i <= NF; ++i) { split($i, a, "="); v[a[1]] = a[2] } }
    END { printf "%s %s %s %s %s\n", sps, v["train_time_s"], (v["comm_time_s"] == "" ? 0 : v["comm_time_s"]),
                 (v["steps"] == "" ? 0 : v["steps"]), (v["allreduce_bytes"] == "" ? 0 : v["allreduce_bytes"]) }'
}

echo "| model | replicas | all-reduce | samples/s | vs 1 replica | compute s | communication s | communication share | gradient payload per replica and step, bytes |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---:|"
: > "$tmp/proj"
for model in ${QUANT4_BENCH_MODELS:-mlp lenet resnet18}; do
  read -r s1 t1 _ _ _ <<< "$(measure "$model" 1 f32)"
  printf '| %s | 1 | — | %.0f | 1.00 | %.2f | 0 | 0 %% | 0 |\n' "$model" "$s1" "$t1"
  for ar in f32 int8; do
    read -r s2 t2 c2 steps bytes <<< "$(measure "$model" 2 "$ar")"
    awk -v m="$model" -v ar="$ar" -v s1="$s1" -v s2="$s2" -v t="$t2" -v c="$c2" -v b="$bytes" \
      'BEGIN { printf "| %s | 2 | %s | %.0f | %.2f | %.2f | %.2f | %.1f %% | %.0f |\n",
               m, ar, s2, s2 / s1, t - c, c, 100 * c / t, b }'
    echo "$model $ar $t2 $c2 $steps $bytes" >> "$tmp/proj"
  done
done
echo
echo "Projection (compute per step measured with 2 replicas; network model above):"
echo
echo "| model | all-reduce | compute ms/step | network | 8 replicas | 16 | 32 | 64 |"
echo "|---|---|---:|---|---:|---:|---:|---:|"
while read -r model ar t c steps bytes; do
  for net in "100 Gb/s, 5 us:12.5e9:5e-6" "10 Gb/s, 50 us:1.25e9:50e-6"; do
    IFS=: read -r name bw lat <<< "$net"
    awk -v m="$model" -v ar="$ar" -v t="$t" -v c="$c" -v steps="$steps" -v bytes="$bytes" \
        -v name="$name" -v bw="$bw" -v lat="$lat" -v ar_f32="$([ "$ar" = f32 ] && echo 1 || echo 0)" '
      BEGIN {
        tc = (t - c) / steps
        # Payload and FP32 elements of the gradient (f32: payload = 4 * elems;
        # int8: ~1 byte per element plus a scale per 256).
        elems = ar_f32 ? bytes / 4 : bytes / (1 + 4 / 256)
        printf "| %s | %s | %.1f | %s |", m, ar, 1000 * tc, name
        split("8 16 32 64", ns, " ")
        for (i = 1; i <= 4; ++i) {
          N = ns[i]
          tcomm = (N - 1) / N * (bytes + 4 * elems) / bw + 2 * (N - 1) * lat
          printf " %.1f %% |", 100 * tc / (tc + tcomm)
        }
        printf "\n"
      }'
  done
done < "$tmp/proj"
echo
echo "Projected cells: scaling efficiency, samples/s per replica against one replica's compute alone."
echo "Measured on $(nproc) cores (2 replicas on 2 cores, one kernel thread each); $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
