# Reads a `quant4-run train --metrics` CSV (awk -F,) and prints
#   rows=N loss_falls=0|1 acc_above_floor=0|1
# loss_falls: the training loss of the last epoch is below that of the first;
# acc_above_floor: the last epoch's test accuracy is above -v floor=F.
NR == 1 { next }
{ rows++; loss[rows] = $2 + 0; acc[rows] = $5 + 0 }
END {
  printf "rows=%d loss_falls=%d acc_above_floor=%d\n", rows,
         (rows >= 2 && loss[rows] < loss[1]) ? 1 : 0,
         (rows >= 1 && acc[rows] > floor) ? 1 : 0
}
